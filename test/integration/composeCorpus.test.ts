import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/stacks/compose/project.js';
import { composeV2 } from './composeCli.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { projectObjects } from './stacksHelpers.js';

/*
 * The corpus of Compose files as users write them (test/compose-corpus/, one folder per file):
 * each one through `docker compose config` (Compose v2) and through our dry run over MCP. Per file
 * it records whether Compose accepts it, whether we plan it, and, where both do, whether the
 * essentials agree (services, images, ports, environment keys, volume targets, networks,
 * depends_on). The counts are a floor: raise PLANNED_FLOOR when support grows.
 */

/** Files planned today (dry run succeeds). README "Application stacks" carries the same numbers. */
const PLANNED_FLOOR = 60;

/** Differences known today, each a bug to fix (then delete the entry). */
const KNOWN_DIFFERENCES: Record<string, string[]> = {};

const CORPUS = new URL('../compose-corpus/', import.meta.url).pathname;
const files = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(CORPUS, d.name, 'compose.yaml')))
  .map((d) => d.name)
  .sort();

interface Row {
  file: string;
  composeAccepts: boolean;
  composeError?: string;
  planned: boolean;
  refusal?: string;
  mismatches: string[];
}

interface Essentials {
  services: string[];
  perService: Record<
    string,
    { image?: string; ports: string[]; envKeys: string[]; targets: string[]; networks: string[]; dependsOn: string[] }
  >;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** The parts of `docker compose config --format json` compared here. */
interface ComposeConfig {
  services?: Record<
    string,
    {
      image?: string;
      ports?: { host_ip?: string; published?: string; target: number; protocol?: string }[];
      environment?: Record<string, string | null>;
      volumes?: { target: string }[];
      networks?: Record<string, unknown>;
      depends_on?: Record<string, unknown>;
    }
  >;
  networks?: Record<string, { name?: string }>;
}

function composeEssentials(json: ComposeConfig): Essentials {
  const out: Essentials = { services: sorted(Object.keys(json.services ?? {})), perService: {} };
  const netNames = (key: string) => json.networks?.[key]?.name ?? key;
  for (const [name, s] of Object.entries(json.services ?? {})) {
    out.perService[name] = {
      ...(s.image ? { image: s.image } : {}),
      ports: sorted(
        (s.ports ?? []).map((p) => `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol ?? 'tcp'}`),
      ),
      envKeys: sorted(
        Object.entries(s.environment ?? {})
          .filter(([, v]) => v !== null)
          .map(([k]) => k),
      ),
      targets: sorted((s.volumes ?? []).map((v) => v.target)),
      networks: sorted(Object.keys(s.networks ?? {}).map(netNames)),
      dependsOn: sorted(Object.keys(s.depends_on ?? {})),
    };
  }
  return out;
}

function ourEssentials(file: string, name: string, env: Record<string, string>): Essentials {
  const dir = join(CORPUS, file);
  const project = loadProject({
    text: readFileSync(join(dir, 'compose.yaml'), 'utf8'),
    projectName: name,
    env,
    workingDir: dir,
    readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
  });
  const out: Essentials = { services: sorted(project.services.map((s) => s.name)), perService: {} };
  for (const s of project.services) {
    out.perService[s.name] = {
      image: s.spec.image,
      ports: sorted(s.spec.ports.map((p) => `${p.hostIp ?? ''}:${p.hostPort ?? ''}:${p.containerPort}/${p.protocol}`)),
      envKeys: sorted(Object.keys(s.spec.env)),
      targets: sorted(s.spec.mounts.map((m) => m.target)),
      // network_mode service:/container: is a namespace, listed by Compose under network_mode, not networks.
      networks: sorted(s.spec.networks.filter((n) => !n.name.startsWith('container:')).map((n) => n.name)),
      dependsOn: sorted(s.dependsOn.map((d) => d.service)),
    };
  }
  return out;
}

function differences(theirs: Essentials, ours: Essentials): string[] {
  const diffs: string[] = [];
  if (theirs.services.join() !== ours.services.join())
    diffs.push(`services ${theirs.services.join(',')} vs ${ours.services.join(',')}`);
  for (const [name, t] of Object.entries(theirs.perService)) {
    const o = ours.perService[name];
    if (!o) continue;
    for (const key of ['image', 'ports', 'envKeys', 'targets', 'networks', 'dependsOn'] as const) {
      const a = JSON.stringify(t[key] ?? null);
      const b = JSON.stringify(o[key] ?? null);
      if (key === 'image' && t.image === undefined) continue;
      if (a !== b) diffs.push(`${name}.${key}: ${a} vs ${b}`);
    }
  }
  return diffs;
}

const v2 = composeV2();
let mcp: TestClient;
const rows: Row[] = [];

beforeAll(async () => {
  // Dry runs only, which fetch nothing: the remote-context file is planned as Compose plans it.
  mcp = await startClient({
    env: { DOM_FILE_ROOTS: CORPUS, DOM_HISTORY_PATH: ':memory:', DOM_ALLOW_REMOTE_BUILD_CONTEXTS: '1' },
  });
});

afterAll(async () => {
  await mcp?.close();
  if (rows.length) {
    const table = rows.map(
      (r) =>
        `${r.file.padEnd(28)} compose:${r.composeAccepts ? 'yes' : 'NO '} planned:${r.planned ? 'yes' : 'no '} ${r.mismatches.length ? `DIFF ${r.mismatches.join('; ')}` : (r.refusal ?? '')}`,
    );
    console.log(`Compose corpus (${rows.length} files):\n${table.join('\n')}`);
    console.log(
      `compose accepts ${rows.filter((r) => r.composeAccepts).length}, we plan ${rows.filter((r) => r.planned).length}, both and essentials equal ${rows.filter((r) => r.composeAccepts && r.planned && !r.mismatches.length).length}`,
    );
  }
});

describe('the Compose corpus', () => {
  it('has at least 40 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.skipIf(typeof v2 === 'string' && process.env.CI !== 'true')(
    'compares docker compose config with our dry run for every file: no crash, no hang, nothing left on the Engine',
    async () => {
      if (typeof v2 === 'string') throw new Error(`the corpus needs Compose v2 on CI: ${v2}`);
      for (const file of files) {
        const dir = join(CORPUS, file);
        const name = uniqueName('corpus');
        // The same interpolation variables for both: none beyond each folder's .env.
        const env: Record<string, string> = {};
        const row: Row = { file, composeAccepts: false, planned: false, mismatches: [] };
        let theirs: Essentials | undefined;
        try {
          const out = execFileSync(
            v2.bin,
            ['-f', join(dir, 'compose.yaml'), '-p', name, 'config', '--format', 'json'],
            {
              cwd: dir,
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'pipe'],
              env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
              timeout: 30_000,
            },
          );
          theirs = composeEssentials(JSON.parse(out) as ComposeConfig);
          row.composeAccepts = true;
        } catch (err) {
          row.composeError = String((err as { stderr?: string }).stderr ?? err).split('\n')[0];
        }

        const started = Date.now();
        const r = await mcp.call('deploy_application_stack', {
          name,
          file: join(dir, 'compose.yaml'),
          dry_run: true,
          profiles: [],
        });
        expect(Date.now() - started, `${file}: dry run took too long`).toBeLessThan(30_000);
        if (r.isError) {
          // A refusal, never a crash: one of the stable kinds that name the problem.
          expect(['invalid_input', 'denied', 'not_found'], `${file}: ${errorText(r)}`).toContain(errorKind(r));
          row.refusal = `${errorKind(r)}: ${errorText(r).split('\n').slice(0, 2).join(' ').slice(0, 160)}`;
        } else row.planned = true;
        expect(await projectObjects(name), `${file}: a dry run left objects on the Engine`).toEqual({
          containers: [],
          networks: [],
          volumes: [],
        });

        if (row.planned && theirs) row.mismatches = differences(theirs, ourEssentials(file, name, env));
        rows.push(row);
      }
      expect(
        rows.every((r) => r.composeAccepts),
        rows
          .filter((r) => !r.composeAccepts)
          .map((r) => `${r.file}: ${r.composeError}`)
          .join('\n'),
      ).toBe(true);
      expect(rows.filter((r) => r.planned).length).toBeGreaterThanOrEqual(PLANNED_FLOOR);
      const differing = rows.filter((r) => r.mismatches.length);
      expect(Object.fromEntries(differing.map((r) => [r.file, r.mismatches]))).toEqual(KNOWN_DIFFERENCES);
    },
    300_000,
  );
});
