import { execFileSync } from 'node:child_process';

/**
 * The Compose CLIs the stacks interop test runs against what this server deploys:
 * Compose v1 (`docker-compose` 1.29 on PATH, Debian 12) and Compose v2 (the binary named by
 * DOM_COMPOSE_V2: test/engine28/compose-v2.sh fetches it; CI sets it). Their output formats
 * differ: v1 prints tables only, v2 prints JSON on request (`ps` one object per line).
 */
export interface ComposeCli {
  label: string;
  bin: string;
  version: string;
}

function versionOf(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['version', '--short'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** `docker-compose` on PATH when it is Compose v1 (in the Engine 28 node it is v2: then none). */
export function composeV1(): ComposeCli | undefined {
  const version = versionOf('docker-compose');
  return version?.startsWith('1.') ? { label: `Compose v1 ${version}`, bin: 'docker-compose', version } : undefined;
}

/** The Compose v2 binary named by DOM_COMPOSE_V2, or why there is none. */
export function composeV2(): ComposeCli | string {
  const bin = process.env.DOM_COMPOSE_V2;
  if (!bin)
    return 'DOM_COMPOSE_V2 is not set (path of a Compose v2 binary: DOM_COMPOSE_V2=$(test/engine28/compose-v2.sh))';
  const version = versionOf(bin);
  if (!version) return `DOM_COMPOSE_V2=${bin} does not run`;
  if (!/^v?2\./.test(version)) return `DOM_COMPOSE_V2=${bin} is Compose ${version}, not v2`;
  return { label: `Compose v2 ${version}`, bin, version };
}

export interface ComposeV2Container {
  Name: string;
  Service: string;
  State: string;
  Health: string;
}

/** `ps --format json`: a JSON array up to Compose 2.20, one object per line since 2.21. */
export function parseComposeV2Ps(out: string): ComposeV2Container[] {
  const text = out.trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text) as ComposeV2Container[];
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ComposeV2Container);
}
