import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { connectionOptions } from '../../src/docker/connection.js';
import { compareApiVersions } from '../../src/docker/engine.js';
import { withDefaultTag, assertImageRef } from '../../src/docker/images.js';
import { containerRow } from '../../src/docker/projections.js';
import { Demuxer, readSplitOutput, TailBuffer } from '../../src/docker/streams.js';
import { annotationsFor } from '../../src/tools/defineTool.js';
import { paginate } from '../../src/tools/paging.js';
import { deployContainerInput, toContainerSpec } from '../../src/tools/containers/deploySpec.js';
import { maskEnvList, maskValue } from '../../src/util/mask.js';
import { toUnixSeconds } from '../../src/util/time.js';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe('secret masking', () => {
  it('masks secret-looking names and URL passwords', () => {
    expect(maskValue('DB_PASSWORD', 'x')).toBe('******');
    expect(maskValue('GITHUB_TOKEN', 'x')).toBe('******');
    expect(maskValue('AWS_SECRET_ACCESS_KEY', 'x')).toBe('******');
    expect(maskValue('API_KEY', 'x')).toBe('******');
    expect(maskValue('PATH', '/bin')).toBe('/bin');
    expect(maskValue('KEYBOARD', 'us')).toBe('us');
    expect(maskValue('DATABASE_URL', 'postgres://app:s3cret@db/app')).toBe('postgres://app:******@db/app');
    expect(maskEnvList(['A=1', 'MY_SECRET=abc', 'EMPTY_TOKEN='])).toEqual(['A=1', 'MY_SECRET=******', 'EMPTY_TOKEN=']);
  });
});

describe('streams', () => {
  it('TailBuffer keeps the last bytes from a line start and counts the rest', () => {
    const t = new TailBuffer(10);
    t.push(Buffer.from('line-1\nline-2\nline-3\n'));
    expect(t.text()).toBe('line-3\n');
    expect(t.dropped).toBe(14);
  });

  it('Demuxer splits frames even when a frame arrives in pieces', () => {
    const seen: string[] = [];
    const d = new Demuxer((s, p) => seen.push(`${s}:${p.toString()}`));
    const all = Buffer.concat([frame(1, 'out'), frame(2, 'err')]);
    d.write(all.subarray(0, 5));
    d.write(all.subarray(5, 13));
    d.write(all.subarray(13));
    expect(seen).toEqual(['stdout:out', 'stderr:err']);
  });

  it('readSplitOutput bounds each stream', async () => {
    const big = Array.from({ length: 1000 }, (_, i) => frame(1, `line ${i}\n`));
    const r = await readSplitOutput(Readable.from([...big, frame(2, 'oops\n')]), false, 100);
    expect(r.truncated).toBe(true);
    expect(r.stdout.endsWith('line 999\n')).toBe(true);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(100);
    expect(r.stderr).toBe('oops\n');
  });
});

describe('config and connection', () => {
  it('DOCKER_HOST forms', () => {
    expect(connectionOptions({ tlsVerify: false })).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(connectionOptions({ host: 'unix:///tmp/d.sock', tlsVerify: false })).toEqual({ socketPath: '/tmp/d.sock' });
    expect(connectionOptions({ host: 'tcp://10.0.0.5:2375', tlsVerify: false })).toEqual({
      host: '10.0.0.5',
      port: 2375,
      protocol: 'http',
    });
    expect(connectionOptions({ host: 'ssh://me@box', tlsVerify: false })).toEqual({
      protocol: 'ssh',
      host: 'box',
      port: 22,
      username: 'me',
    });
    expect(() => connectionOptions({ host: 'ftp://x', tlsVerify: false })).toThrow(ConfigError);
    expect(() => connectionOptions({ host: 'tcp://h:2376', tlsVerify: true, certPath: '/nonexistent' })).toThrow(
      /TLS files/,
    );
  });

  it('flags override env; bad values are config errors', () => {
    const c = loadConfig({ DOM_READ_ONLY: '1', DOM_TOOLSETS: 'containers, stacks' }, { scope: 'all' });
    expect(c.readOnly).toBe(true);
    expect(c.toolsets).toEqual(['containers', 'stacks']);
    expect(c.scope).toBe('all');
    expect(loadConfig({ DOM_READ_ONLY: '1' }, { readOnly: false }).readOnly).toBe(false);
    expect(() => loadConfig({ DOM_SCOPE: 'everything' })).toThrow(ConfigError);
    expect(() => loadConfig({ DOM_ENGINE_TIMEOUT_MS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ DOM_REGISTRY_AUTH: '[1]' })).toThrow(ConfigError);
  });

  it('API version pinning compares numerically', () => {
    expect(compareApiVersions('1.41', '1.45')).toBeLessThan(0);
    expect(compareApiVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareApiVersions('1.45', '1.45')).toBe(0);
  });
});

describe('tool conventions', () => {
  it('annotations derive from the declared kind', () => {
    expect(annotationsFor('read', 't')).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
    });
    expect(annotationsFor('destructive', 't')).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
    });
    expect(annotationsFor('update', 't')).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
    });
  });

  it('paginate is key-based and stable', () => {
    const rows = ['c', 'a', 'e', 'b', 'd'].map((name) => ({ name }));
    const p1 = paginate(rows, (r) => r.name, 2);
    expect(p1.items.map((r) => r.name)).toEqual(['a', 'b']);
    const p2 = paginate(
      rows.filter((r) => r.name !== 'a'),
      (r) => r.name,
      2,
      p1.nextCursor,
    );
    expect(p2.items.map((r) => r.name)).toEqual(['c', 'd']);
    expect(() => paginate(rows, (r) => r.name, 2, 'garbage')).toThrow(/cursor/);
  });

  it('deploy_container arguments become a labelled spec', () => {
    // The older map form of env (with a number) still parses into the same spec.
    const spec = toContainerSpec(
      deployContainerInput.parse({
        image: 'nginx:1.27',
        name: 'web',
        ports: ['127.0.0.1:8080:80'],
        env: { N: 1 },
        restart: 'always',
        resources: { memory: '64m' },
      }),
      'default',
      '/srv',
    );
    expect(spec.labels['io.docker-orchestration-mcp.managed']).toBe('true');
    expect(spec.env).toEqual({ N: '1' });
    expect(spec.memoryBytes).toBe(64 * 1024 * 1024);
    expect(() => toContainerSpec({ image: 'x', labels: { 'com.docker.compose.project': 'p' } }, 'd')).toThrow(
      /reserved/,
    );
    expect(() => toContainerSpec({ image: 'x', ports: ['8080:80', '8080:81'] }, 'd')).toThrow(/given twice/);
    expect(() => toContainerSpec({ image: 'Bad Image' }, 'd')).toThrow(/not a valid image reference/);
  });

  it('image references', () => {
    expect(withDefaultTag('busybox')).toBe('busybox:latest');
    expect(withDefaultTag('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
    expect(withDefaultTag('app@sha256:abc')).toBe('app@sha256:abc');
    expect(() => assertImageRef('')).toThrow(/empty/);
    expect(() => assertImageRef('UPPER/case')).toThrow(/valid image/);
  });

  it('container rows are compact', () => {
    const row = containerRow({
      Id: 'a'.repeat(64),
      Names: ['/web'],
      Image: 'nginx:1.27',
      State: 'running',
      Status: 'Up 3 minutes (healthy)',
      Ports: [
        { IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
      Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
    } as never);
    expect(row).toEqual({
      id: 'aaaaaaaaaaaa',
      name: 'web',
      image: 'nginx:1.27',
      state: 'running',
      health: 'healthy',
      ports: ['127.0.0.1:8080->80/tcp', '443/tcp'],
      stack: 'shop',
      service: 'web',
      managed: false,
    });
  });

  it('times', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    expect(toUnixSeconds('10m', 'since', now)).toBe(now / 1000 - 600);
    expect(toUnixSeconds('2026-01-01T00:00:00Z', 'since')).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(toUnixSeconds(1700000000, 'since')).toBe(1700000000);
    expect(() => toUnixSeconds('yesterday-ish', 'since')).toThrow(/not a time/);
  });
});

describe('precomputed tool schemas', () => {
  it('the build converts schemas exactly as the SDK would (zod ~standard.jsonSchema, draft 2020-12)', async () => {
    const { ALL_TOOLS } = await import('../../src/tools/registry.js');
    const { z } = await import('zod');
    for (const t of ALL_TOOLS) {
      for (const io of ['input', 'output'] as const) {
        const viaSdkPath = (
          t[io]['~standard'] as unknown as { jsonSchema: Record<string, (o: { target: string }) => unknown> }
        ).jsonSchema[io]?.({ target: 'draft-2020-12' });
        expect(z.toJSONSchema(t[io], { target: 'draft-2020-12', io }), `${t.name} ${io}`).toEqual(viaSdkPath);
      }
    }
  });
});
