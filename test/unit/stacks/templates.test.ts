import { describe, expect, it } from 'vitest';
import type { ToolError } from '../../../src/kernel/errors.js';
import { loadProject } from '../../../src/stacks/compose/index.js';
import { resolveSource } from '../../../src/stacks/source.js';
import { createFileReader } from '../../../src/policy/fileReader.js';
import { aggregateHealth } from '../../../src/stacks/status.js';
import { getTemplate, listTemplates, templateVariables } from '../../../src/stacks/templates.js';

describe('templateVariables', () => {
  it('lists variables with defaults and required ones, skipping $$ escapes', () => {
    const vars = templateVariables('a: ${A:-x}\nb: ${B:?need B}\nc: $${NOT}\nd: ${D}\ne: ${A}\nf: ${F-y}', {
      B: 'the b',
    });
    expect(vars).toEqual([
      { name: 'A', default: 'x', required: false },
      { name: 'B', required: true, description: 'the b' },
      { name: 'D', required: false },
      { name: 'F', default: 'y', required: false },
    ]);
  });
});

describe('shipped templates', () => {
  it('each loads as a valid project with only POSTGRES_PASSWORD needed, and every image is overridable', () => {
    const templates = listTemplates();
    expect(templates.map((t) => t.name)).toEqual(['microservices', 'web-db', 'web-stack']);
    for (const t of templates) {
      const project = loadProject({ text: t.text, projectName: 'x', env: { POSTGRES_PASSWORD: 'pw' } });
      expect(project.services.length).toBeGreaterThan(1);
      for (const s of project.services) {
        const variable = t.variables.find((v) => v.default === s.spec.image);
        expect(variable?.name, `${t.name}/${s.name}`).toMatch(/_IMAGE$/);
      }
    }
  });

  it('web-stack is the milestone: nginx on 8080 after healthy db and cache, named volume, app-network', () => {
    const p = loadProject({ text: getTemplate('web-stack').text, projectName: 'm', env: { POSTGRES_PASSWORD: 'pw' } });
    expect(p.levels).toEqual([['db', 'cache'], ['web']]);
    const web = p.services.find((s) => s.name === 'web');
    expect(web?.spec.ports).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }]);
    expect(web?.dependsOn).toEqual([
      { service: 'db', condition: 'service_healthy' },
      { service: 'cache', condition: 'service_healthy' },
    ]);
    expect(p.networks.map((n) => n.name)).toEqual(['app-network']);
    expect(p.volumes.map((v) => v.name)).toEqual(['m_db-data']);
    for (const s of p.services) expect(s.spec.healthcheck?.Test.length).toBeGreaterThan(0);
  });

  it('an unknown template is not_found and lists the known ones', () => {
    expect(() => getTemplate('nope')).toThrow(/Unknown template "nope".*web-stack/);
  });
});

describe('resolveSource', () => {
  const files = createFileReader({ roots: ['/no/such'], maxBytes: 64, readTimeoutMs: 1000, protectedPaths: [] });
  const resolve = (input: Parameters<typeof resolveSource>[0]) => resolveSource(input, files, { maxBytes: 64 });
  const kind = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return (e as ToolError).kind;
    }
    return undefined;
  };
  it('wants exactly one source', async () => {
    expect(await kind(resolve({}))).toBe('invalid_input');
    expect(await kind(resolve({ compose: 'x', file: '/x' }))).toBe('invalid_input');
    expect(await kind(resolve({ compose: 'x', variables: { A: 'b' } }))).toBe('invalid_input');
    expect(await kind(resolve({ file: '/no/such/compose.yml' }))).toBe('not_found');
    expect(await kind(resolve({ file: '/elsewhere/compose.yml' }))).toBe('denied');
    expect(await resolve({ compose: 'services: {}' })).toMatchObject({ kind: 'compose', label: 'inline' });
    expect(await resolve({ template: 'web-db', variables: { A: '1' } })).toMatchObject({
      kind: 'template',
      label: 'template:web-db',
      variables: { A: '1' },
    });
  });
  it('caps inline Compose text with the file size setting', async () => {
    expect(await kind(resolve({ compose: `services: {}\n${'#'.repeat(64)}` }))).toBe('invalid_input');
  });
});

describe('aggregateHealth', () => {
  it('the worst state wins', () => {
    expect(aggregateHealth([])).toBe('stopped');
    expect(aggregateHealth([{ state: 'running', health: 'healthy' }, { state: 'running' }])).toBe('healthy');
    expect(aggregateHealth([{ state: 'running' }])).toBe('running');
    expect(
      aggregateHealth([
        { state: 'running', health: 'starting' },
        { state: 'running', health: 'healthy' },
      ]),
    ).toBe('starting');
    expect(
      aggregateHealth([
        { state: 'running', health: 'unhealthy' },
        { state: 'running', health: 'healthy' },
      ]),
    ).toBe('unhealthy');
    expect(aggregateHealth([{ state: 'running' }, { state: 'exited' }])).toBe('degraded');
    expect(aggregateHealth([{ state: 'exited' }])).toBe('stopped');
  });
});
