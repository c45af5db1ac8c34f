import { describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/kernel/errors.js';
import { toExecBody } from '../../../src/docker/exec.js';
import { classifyPullError, imageRow, removalOnlyUntags } from '../../../src/docker/images.js';
import {
  ipv4InCidr,
  listNames,
  networkRow,
  parseCidr,
  toNetworkBody,
  type NetworkSpec,
} from '../../../src/docker/networks.js';
import { assertVolumeName, volumeRow } from '../../../src/docker/volumes.js';

const spec = (over: Partial<NetworkSpec> = {}): NetworkSpec => ({
  name: 'app',
  driver: 'bridge',
  internal: false,
  attachable: false,
  enableIpv6: false,
  labels: {},
  options: {},
  ...over,
});

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ToolError ? e.kind : 'other';
  }
  return undefined;
}

describe('network validation', () => {
  it('parses IPv4 and IPv6 CIDR blocks', () => {
    expect(parseCidr('10.20.0.0/16')).toEqual({ family: 4, address: '10.20.0.0', prefix: 16 });
    expect(parseCidr('fd00:1::/64')).toEqual({ family: 6, address: 'fd00:1::', prefix: 64 });
    for (const bad of ['10.300.0.0/16', '10.0.0.0/33', '10.0.0.0', 'banana', 'fd00::/129', '/16']) {
      expect(
        kindOf(() => parseCidr(bad)),
        bad,
      ).toBe('invalid_input');
    }
  });

  it('checks that addresses lie in the subnet', () => {
    const c = parseCidr('10.20.0.0/16');
    expect(ipv4InCidr('10.20.255.1', c)).toBe(true);
    expect(ipv4InCidr('10.21.0.1', c)).toBe(false);
    expect(ipv4InCidr('10.0.0.1', parseCidr('0.0.0.0/0'))).toBe(true);
  });

  it('builds the create body with IPAM and duplicate checking', () => {
    expect(
      toNetworkBody(spec({ subnet: '10.9.0.0/24', gateway: '10.9.0.1', ipRange: '10.9.0.128/25', internal: true })),
    ).toMatchObject({
      Name: 'app',
      CheckDuplicate: true,
      Driver: 'bridge',
      Internal: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1', IPRange: '10.9.0.128/25' }] },
    });
    expect(toNetworkBody(spec())).not.toHaveProperty('IPAM');
  });

  it('refuses a gateway or range outside the subnet, or without one, and bad names', () => {
    expect(kindOf(() => toNetworkBody(spec({ subnet: '10.9.0.0/24', gateway: '10.8.0.1' })))).toBe('invalid_input');
    expect(kindOf(() => toNetworkBody(spec({ subnet: '10.9.0.0/24', gateway: 'x' })))).toBe('invalid_input');
    expect(kindOf(() => toNetworkBody(spec({ subnet: '10.9.0.0/24', ipRange: '10.9.0.0/16' })))).toBe('invalid_input');
    expect(kindOf(() => toNetworkBody(spec({ gateway: '10.9.0.1' })))).toBe('invalid_input');
    expect(kindOf(() => toNetworkBody(spec({ name: '-bad' })))).toBe('invalid_input');
  });

  it('projects compact rows and bounded name lists', () => {
    const row = networkRow(
      {
        Id: 'a'.repeat(64),
        Name: 'n',
        Driver: 'bridge',
        Scope: 'local',
        IPAM: { Config: [{ Subnet: '10.1.0.0/24' }] },
        Labels: { 'io.docker-orchestration-mcp.managed': 'true', 'com.docker.compose.project': 'shop' },
      },
      ['b', 'a'],
    );
    expect(row).toEqual({
      id: 'aaaaaaaaaaaa',
      name: 'n',
      driver: 'bridge',
      scope: 'local',
      subnets: ['10.1.0.0/24'],
      internal: false,
      attachable: false,
      containers: ['a', 'b'],
      containerCount: 2,
      managed: true,
      stack: 'shop',
    });
    expect(listNames(['a', 'b'])).toBe('"a", "b"');
    expect(listNames(['a', 'b', 'c'], 2)).toBe('"a", "b" and 1 more');
  });
});

describe('volumes', () => {
  it('validates names like Docker', () => {
    expect(kindOf(() => assertVolumeName('data'))).toBeUndefined();
    for (const bad of ['a', 'bad name', '-x', 'x/y'])
      expect(
        kindOf(() => assertVolumeName(bad)),
        bad,
      ).toBe('invalid_input');
  });
  it('projects rows with users', () => {
    const row = volumeRow(
      {
        Name: 'v',
        Driver: 'local',
        Mountpoint: '/x',
        Scope: 'local',
        Labels: {},
        Options: {},
        CreatedAt: '2026-01-01T00:00:00Z',
      } as never,
      ['c2', 'c1'],
    );
    expect(row).toEqual({
      name: 'v',
      driver: 'local',
      scope: 'local',
      created: '2026-01-01T00:00:00Z',
      managed: false,
      usedBy: ['c1', 'c2'],
      usedByCount: 2,
    });
  });
});

describe('images', () => {
  it('knows when removing a reference only untags', () => {
    expect(removalOnlyUntags('a:1', ['a:1', 'b:1'])).toBe(true);
    expect(removalOnlyUntags('a', ['a:latest', 'b:1'])).toBe(true);
    expect(removalOnlyUntags('a:1', ['a:1'])).toBe(false);
    expect(removalOnlyUntags('0123456789ab', ['a:1', 'b:1'])).toBe(false);
    expect(removalOnlyUntags('c:1', ['a:1', 'b:1'])).toBe(false);
  });

  it('projects compact rows', () => {
    expect(
      imageRow(
        { Id: 'sha256:' + 'f'.repeat(64), RepoTags: ['<none>:<none>'], RepoDigests: [], Size: 10, Created: 0 },
        2,
      ),
    ).toEqual({
      id: 'ffffffffffff',
      tags: [],
      digests: [],
      sizeBytes: 10,
      created: '1970-01-01T00:00:00.000Z',
      containers: 2,
      dangling: true,
    });
  });

  it('classifies pull failures by what the registry said', () => {
    const ref = '127.0.0.1:5000/app:1';
    const failed = (m: string) =>
      new ToolError('failed', `Cannot pull image ${ref}: the Docker Engine reported: ${m}.`);
    const denied = classifyPullError(
      failed('Head "http://127.0.0.1:5000/v2/app/manifests/1": no basic auth credentials'),
      ref,
      '127.0.0.1:5000',
    );
    expect(denied.kind).toBe('denied');
    expect(denied.message).toMatch(
      /^Registry 127\.0\.0\.1:5000 refused to pull .*no basic auth credentials\. Give this server credentials/,
    );
    expect(
      classifyPullError(
        new ToolError('not_found', `Cannot pull image ${ref}: manifest for ${ref} not found: manifest unknown`),
        ref,
        'r',
      ).kind,
    ).toBe('not_found');
    const down = classifyPullError(
      failed('Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused'),
      ref,
      '127.0.0.1:1',
    );
    expect(down).toMatchObject({ kind: 'failed' });
    expect(down.message).toMatch(/unreachable from the Docker Engine/);
    const t = new ToolError('timeout', 'Timed out');
    expect(classifyPullError(t, ref, 'r')).toBe(t);
  });
});

describe('exec body', () => {
  it('builds a body without a query string, env as K=V', () => {
    expect(toExecBody({ cmd: ['ls', '-l'], env: { A: '1' }, workingDir: '/tmp', user: '1000' })).toEqual({
      Cmd: ['ls', '-l'],
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: ['A=1'],
      WorkingDir: '/tmp',
      User: '1000',
    });
  });
  it('refuses an empty command, a relative directory and bad env names', () => {
    expect(kindOf(() => toExecBody({ cmd: [] }))).toBe('invalid_input');
    expect(kindOf(() => toExecBody({ cmd: [''] }))).toBe('invalid_input');
    expect(kindOf(() => toExecBody({ cmd: ['ls'], workingDir: 'tmp' }))).toBe('invalid_input');
    expect(kindOf(() => toExecBody({ cmd: ['ls'], env: { '1X': 'y' } }))).toBe('invalid_input');
  });
});
