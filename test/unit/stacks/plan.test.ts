import { describe, expect, it } from 'vitest';
import type { ComposeProject } from '../../../src/stacks/compose/model.js';
import { planDeployment, type ActualContainer, type ActualState } from '../../../src/stacks/compose/plan.js';
import { loadProject } from '../../../src/stacks/compose/project.js';
import { yaml } from './helpers.js';

const FILE = yaml(
  'services:',
  '  web:',
  '    image: nginx',
  '    environment: {MODE: prod}',
  '    depends_on: {db: {condition: service_healthy}}',
  '    deploy: {replicas: 2}',
  '  db:',
  '    image: postgres',
  '    volumes: [data:/var/lib/postgresql/data]',
  '    healthcheck: {test: pg_isready}',
  '  debug: {image: busybox, profiles: [debug]}',
  'volumes: {data: {}}',
);

const load = (text = FILE) => loadProject({ text, projectName: 'shop' });

/** What an earlier deploy of `project` left running. */
function deployed(project: ComposeProject, state = 'running'): ActualState {
  const containers: ActualContainer[] = project.services.flatMap((s) =>
    Array.from({ length: s.replicas }, (_, i) => ({
      id: `${s.name}-${i + 1}-id`,
      name: `shop-${s.name}-${i + 1}`,
      service: s.name,
      number: i + 1,
      configHash: s.configHash,
      state,
    })),
  );
  return {
    containers,
    networks: project.networks.map((n) => ({ name: n.name, id: `${n.name}-id` })),
    volumes: project.volumes.map((v) => ({ name: v.name })),
  };
}

const actions = (plan: ReturnType<typeof planDeployment>) =>
  plan.containers.map((c) => `${c.action} ${c.name}: ${c.reason}`);

describe('planDeployment', () => {
  it('creates everything on a first deploy, in dependency order', () => {
    const plan = planDeployment(load(), { containers: [], networks: [], volumes: [] });
    expect(actions(plan)).toEqual([
      'create shop-db-1: container does not exist',
      'create shop-web-1: container does not exist',
      'create shop-web-2: container does not exist',
    ]);
    expect(plan.networks).toEqual([
      { action: 'create', name: 'shop_default', key: 'default', reason: 'network does not exist' },
    ]);
    expect(plan.volumes).toEqual([
      { action: 'create', name: 'shop_data', key: 'data', reason: 'volume does not exist' },
    ]);
    expect(plan.levels).toEqual([['db'], ['web']]);
    expect(plan.removalLevels).toEqual([['web'], ['db']]);
    expect(plan.changes).toBe(true);
    expect(plan.summary).toEqual({ create: 3, recreate: 0, start: 0, keep: 0, remove: 0 });
  });

  it('keeps everything when nothing changed', () => {
    const project = load();
    const plan = planDeployment(load(), deployed(project));
    expect(plan.containers.every((c) => c.action === 'keep')).toBe(true);
    expect([...plan.networks, ...plan.volumes].every((r) => r.action === 'keep')).toBe(true);
    expect(plan.networks[0]?.id).toBe('shop_default-id');
    expect(plan.changes).toBe(false);
  });

  it('recreates only the service whose env changed, not its dependents', () => {
    const before = deployed(load());
    const plan = planDeployment(load(FILE.replace('MODE: prod', 'MODE: staging')), before);
    expect(actions(plan)).toEqual([
      'keep shop-db-1: unchanged and running',
      'recreate shop-web-1: config changed',
      'recreate shop-web-2: config changed',
    ]);
    expect(plan.containers[1]?.id).toBe('web-1-id');

    const dbChanged = planDeployment(load(FILE.replace('test: pg_isready', 'test: pg_isready -q')), before);
    expect(actions(dbChanged)).toEqual([
      'recreate shop-db-1: config changed',
      'keep shop-web-1: unchanged and running',
      'keep shop-web-2: unchanged and running',
    ]);
  });

  it('removes the containers of a service that left the file, and its network, but keeps volumes', () => {
    const before = deployed(load());
    const without = yaml(
      'services:',
      '  web:',
      '    image: nginx',
      '    environment: {MODE: prod}',
      '    deploy: {replicas: 2}',
      '    networks: [front]',
      'networks: {front: {}}',
    );
    const plan = planDeployment(load(without), before);
    expect(actions(plan)).toEqual([
      'remove shop-db-1: service no longer in the file',
      'recreate shop-web-1: config changed',
      'recreate shop-web-2: config changed',
    ]);
    expect(plan.networks.map((n) => `${n.action} ${n.name}`)).toEqual(['create shop_front', 'remove shop_default']);
    expect(plan.volumes).toEqual([
      {
        action: 'keep',
        name: 'shop_data',
        reason: 'no longer used by the stack; kept because volumes are only removed on request',
      },
    ]);
    expect(planDeployment(load(without), before, { removeOrphanVolumes: true }).volumes[0]?.action).toBe('remove');
  });

  it('removes replicas above the count when scaling down, and creates missing ones when scaling up', () => {
    const before = deployed(load(FILE.replace('replicas: 2', 'replicas: 3')));
    const down = planDeployment(load(), before);
    expect(actions(down)).toEqual([
      'remove shop-web-3: scaled down to 2 replicas',
      'keep shop-db-1: unchanged and running',
      'keep shop-web-1: unchanged and running',
      'keep shop-web-2: unchanged and running',
    ]);
    const up = planDeployment(load(FILE.replace('replicas: 2', 'replicas: 4')), before);
    expect(up.summary).toEqual({ create: 1, recreate: 0, start: 0, keep: 4, remove: 0 });
  });

  it('starts stopped containers of unchanged services and recreates dead ones', () => {
    const project = load();
    const state = deployed(project);
    const containers = state.containers.map((c) =>
      c.name === 'shop-db-1' ? { ...c, state: 'exited' } : c.name === 'shop-web-2' ? { ...c, state: 'dead' } : c,
    );
    const plan = planDeployment(project, { ...state, containers });
    expect(actions(plan)).toEqual([
      'start shop-db-1: unchanged but not running (exited)',
      'keep shop-web-1: unchanged and running',
      'recreate shop-web-2: container is dead',
    ]);
  });

  it('removes duplicates and leaves containers of services switched off by profiles alone', () => {
    const withDebug = loadProject({ text: FILE, projectName: 'shop', profiles: ['debug'] });
    const state = deployed(withDebug);
    const duplicate = { ...state.containers[0]!, id: 'dup-id', state: 'exited' };
    const plan = planDeployment(load(), { ...state, containers: [duplicate, ...state.containers] });
    expect(plan.containers[0]?.id).toBe('dup-id');
    expect(actions(plan)).toEqual([
      'remove shop-web-1: duplicate container number 1',
      'keep shop-db-1: unchanged and running',
      'keep shop-web-1: unchanged and running',
      'keep shop-web-2: unchanged and running',
      'keep shop-debug-1: service not enabled by the selected profiles; left as it is',
    ]);
  });

  it('never creates external networks or volumes', () => {
    const text = yaml(
      'services:',
      '  web: {image: nginx, networks: [edge], volumes: ["certs:/certs"]}',
      'networks: {edge: {external: true}}',
      'volumes: {certs: {external: {name: shared-certs}}}',
    );
    const plan = planDeployment(load(text), { containers: [], networks: [], volumes: [] });
    expect(plan.networks.map((n) => `${n.action} ${n.name}`)).toEqual(['external edge']);
    expect(plan.volumes.map((n) => `${n.action} ${n.name}`)).toEqual(['external shared-certs']);
  });
});
