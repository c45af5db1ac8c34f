import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  addressesOverlap,
  containerPortFindings,
  duplicatePortFindings,
  imageFindings,
  nameFindings,
  processPortFindings,
  type WantedPort,
} from '../../../src/validation/engineChecks.js';
import { containerFields, serviceFields } from '../../../src/validation/specChecks.js';
import {
  compactWarnings,
  countBySeverity,
  formatFinding,
  sortFindings,
  type Finding,
} from '../../../src/validation/finding.js';

function container(over: Partial<Docker.ContainerInfo> & { Id: string }): Docker.ContainerInfo {
  return {
    Names: [`/${over.Id}`],
    Image: 'img:1',
    State: 'running',
    Ports: [],
    Labels: {},
    ...over,
  } as Docker.ContainerInfo;
}

const web: WantedPort = {
  service: 'web',
  field: 'services.web.ports[0]',
  hostIp: '127.0.0.1',
  hostPort: 8080,
  protocol: 'tcp',
};

describe('images', () => {
  it('present: nothing; missing with pull never: error; missing and pullable: a warning that it will be pulled', () => {
    expect(imageFindings('a:1', { present: true, healthcheck: false }, 'missing', containerFields)).toEqual([]);
    expect(imageFindings('a:1', { present: false, healthcheck: false }, 'never', serviceFields('web'))).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'image',
        service: 'web',
        field: 'services.web.image',
        message: expect.stringMatching(/not present.*"never"/),
      }),
    ]);
    const [w] = imageFindings('nginx:1.27', { present: false, healthcheck: false }, 'missing', containerFields);
    expect(w).toMatchObject({ severity: 'warning', code: 'image', field: 'image' });
    expect(w?.message).toMatch(/will be pulled from Docker Hub/);
    expect(imageFindings('a:1', undefined, 'always', containerFields)).toEqual([
      expect.objectContaining({ severity: 'info' }),
    ]);
  });
});

describe('host ports', () => {
  it('addresses overlap when either is a wildcard or they are equal', () => {
    expect(addressesOverlap('', '127.0.0.1')).toBe(true);
    expect(addressesOverlap('0.0.0.0', '127.0.0.1')).toBe(true);
    expect(addressesOverlap('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(addressesOverlap('127.0.0.1', '127.0.0.2')).toBe(false);
  });

  it('two services publishing the same host port', () => {
    const db = { ...web, service: 'db', field: 'services.db.ports[0]', hostIp: '' };
    expect(duplicatePortFindings([web, db])).toEqual([
      expect.objectContaining({
        service: 'db',
        field: 'services.db.ports[0]',
        message: expect.stringMatching(/both publish host port 8080\/tcp/),
      }),
    ]);
    expect(duplicatePortFindings([web, { ...db, protocol: 'udp' }])).toEqual([]);
  });

  it('a port held by another container, named with its stack; released or own containers are no conflict', () => {
    const holder = container({
      Id: 'h1',
      Names: ['/holder'],
      Labels: { 'com.docker.compose.project': 'other' },
      Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    });
    const r = containerPortFindings([web], [holder]);
    expect(r.findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'port',
        service: 'web',
        message: expect.stringMatching(/8080\/tcp is already published by container "holder" \(stack "other"\)/),
      }),
    ]);
    expect(r.held.has(web)).toBe(true);
    expect(containerPortFindings([web], [holder], { released: new Set(['h1']) }).findings).toEqual([]);
    expect(containerPortFindings([web], [holder], { isSelf: () => true }).findings).toEqual([]);
    expect(containerPortFindings([{ ...web, protocol: 'udp' }], [holder]).findings).toEqual([]);
  });

  it('a port another process listens on (bind probe injected)', async () => {
    const found = await processPortFindings(
      [web, { ...web, hostPort: 9090 }],
      () => false,
      async (_h, p) => p !== 8080,
    );
    expect(found).toEqual([
      expect.objectContaining({
        message: 'host port 8080 is in use on 127.0.0.1 by another process',
        fix: expect.stringMatching(/127\.0\.0\.1:8080/),
      }),
    ]);
    expect(
      await processPortFindings(
        [web],
        () => true,
        async () => false,
      ),
    ).toEqual([]);
    expect(
      await processPortFindings(
        [{ ...web, protocol: 'udp' }],
        () => false,
        async () => false,
      ),
    ).toEqual([]);
  });
});

describe('container names', () => {
  const existing = container({
    Id: 'abc123',
    Names: ['/p-web-1'],
    State: 'exited',
    Labels: { 'com.docker.compose.project': 'other' },
  });
  it('a name taken by another container (even stopped) is an error; the container a recreate replaces is not', () => {
    expect(nameFindings([{ service: 'web', name: 'p-web-1' }], [existing])).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'name',
        service: 'web',
        message: expect.stringMatching(/"p-web-1" is already taken .*exited, stack "other"/),
        fix: expect.stringMatching(/another stack name/),
      }),
    ]);
    expect(nameFindings([{ service: 'web', name: 'p-web-1', replaces: 'abc123' }], [existing])).toEqual([]);
    expect(nameFindings([{ name: 'free' }], [existing])).toEqual([]);
    expect(nameFindings([{ name: 'p-web-1', field: 'name' }], [existing])[0]?.fix).toMatch(/Choose another name/);
  });
});

describe('finding helpers', () => {
  const f = (severity: Finding['severity'], service?: string, message = 'm'): Finding => ({
    severity,
    code: 'spec',
    message,
    fix: 'x',
    ...(service ? { service } : {}),
  });
  it('sorts errors first keeping order, counts, formats', () => {
    const list = [
      f('info'),
      f('warning', 'a', 'w1'),
      f('error', 'b', 'e1'),
      f('warning', 'a', 'w2.'),
      f('error', undefined, 'e2'),
    ];
    expect(sortFindings(list).map((x) => x.message)).toEqual(['e1', 'e2', 'w1', 'w2.', 'm']);
    expect(countBySeverity(list)).toEqual({ error: 2, warning: 2, info: 1 });
    expect(formatFinding({ ...f('error', 'web', 'boom'), field: 'services.web.x' }, true)).toBe(
      'service "web" (services.web.x): boom Fix: x',
    );
    expect(compactWarnings(list)).toEqual(['service "a": w1; w2.']);
  });
});
