import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deployContainerInput } from '../../src/tools/containers/deploySpec.js';
import { CATALOGUE_CONFIGS, catalogueSize, toolListing } from '../../src/tools/catalogue.js';
import { ALL_TOOLS, DEFAULT_TOOLSETS } from '../../src/tools/registry.js';
import { publishedInputSchema } from '../../src/tools/publish.js';

/** Every place in a published input schema that a strict converter (OpenAI strict, Gemini, LangChain) trips on. */
function portabilityProblems(node: unknown, path: string, out: string[]): string[] {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if (n.anyOf || n.oneOf || n.allOf) out.push(`${path}: union`);
  if (Array.isArray(n.type)) out.push(`${path}: type array`);
  if (n.type === undefined && !n.enum && !n.const) out.push(`${path}: no type`);
  if (n.type === 'object' && n.additionalProperties !== false) out.push(`${path}: open object`);
  if ((n.type === 'number' || n.type === 'integer') && (n.minimum === undefined || n.maximum === undefined))
    out.push(`${path}: unbounded number`);
  if (n.$schema !== undefined) out.push(`${path}: $schema`);
  if (n.type === 'array' && !n.items) out.push(`${path}: array without items`);
  const props = n.properties as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(props ?? {})) portabilityProblems(v, `${path}.${k}`, out);
  if (n.items) portabilityProblems(n.items, `${path}[]`, out);
  return out;
}

describe('published tool catalogue', () => {
  it('matches the golden tools/list of every configuration (npm run golden rewrites them)', () => {
    for (const cfg of CATALOGUE_CONFIGS) {
      const golden: unknown = JSON.parse(
        readFileSync(new URL(`../golden/tools-${cfg.name}.json`, import.meta.url), 'utf8'),
      );
      expect(
        toolListing(cfg),
        `test/golden/tools-${cfg.name}.json is stale: run npm run golden and review the diff`,
      ).toEqual(golden);
    }
  });

  it('publishes one portable shape per argument: no unions or type arrays, closed objects, bounded numbers', () => {
    for (const t of ALL_TOOLS) expect(portabilityProblems(publishedInputSchema(t), t.name, []), t.name).toEqual([]);
  });

  it('keeps the default catalogue under 4,000 tokens (characters / 4)', () => {
    const def = catalogueSize(ALL_TOOLS.filter((t) => DEFAULT_TOOLSETS.includes(t.toolset)));
    expect(def.tokens).toBeLessThanOrEqual(4000);
    expect(def.tools).toBeGreaterThanOrEqual(19);
  });

  it('still accepts the older argument forms and reads them as the published ones', () => {
    const published = deployContainerInput.parse({
      image: 'x:1',
      command: ['sh', '-c', 'echo "a b"'],
      env: ['A=1', 'B=x=y'],
      labels: ['team=web'],
      ports: ['8080:80', '127.0.0.1:8081:81/udp', '[::1]:8082:82', '90'],
      volumes: ['data:/data', './site:/site:ro', '/anon'],
      healthcheck: { test: ['CMD-SHELL', 'true'], interval: '5s' },
      resources: { memory: '64m', cpus: 0.5 },
    });
    const older = deployContainerInput.parse({
      image: 'x:1',
      command: 'sh -c \'echo "a b"\'',
      env: { A: 1, B: 'x=y' },
      labels: { team: 'web' },
      ports: [
        { target: 80, published: 8080 },
        { target: 81, published: '8081', host_ip: '127.0.0.1', protocol: 'udp' },
        { target: 82, published: 8082, host_ip: '::1' },
        90,
      ],
      volumes: [
        { source: 'data', target: '/data' },
        { type: 'bind', source: 'site', target: '/site', read_only: true },
        { target: '/anon' },
      ],
      healthcheck: { test: 'true', interval: 5 },
      resources: { memory: 64 * 1024 * 1024, cpus: '0.5' },
    });
    expect(older).toEqual({ ...published, resources: { memory: String(64 * 1024 * 1024), cpus: 0.5 } });
    expect(published.env).toEqual({ A: '1', B: 'x=y' });
  });

  it('refuses list entries that are not KEY=VALUE, and unclosed quotes in a command string, as input errors', () => {
    const bad = deployContainerInput.safeParse({ image: 'x', env: ['NOVALUE'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['env', 0]);
    expect(deployContainerInput.safeParse({ image: 'x', command: 'echo "open' }).success).toBe(false);
    // A tmpfs mount has no short syntax: the object form is refused, not silently changed.
    expect(deployContainerInput.safeParse({ image: 'x', volumes: [{ type: 'tmpfs', target: '/t' }] }).success).toBe(
      false,
    );
  });
});
