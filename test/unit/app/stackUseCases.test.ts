import { describe, expect, it } from 'vitest';
import { checkStackSize, deployLabels, recordedInputs } from '../../../src/app/deployStack.js';
import { describeRemoval } from '../../../src/app/removeStack.js';
import { ipamBody, type ListedContainer } from '../../../src/docker/stackObjects.js';
import type { DeploymentHandle, StepRecord } from '../../../src/history/port.js';
import { ToolError } from '../../../src/kernel/errors.js';
import { StepLog } from '../../../src/stacks/stepLog.js';

const container = (name: string, state = 'running'): ListedContainer => ({
  id: `${name}-id`,
  name,
  labels: {},
  state,
  image: 'img',
  created: 0,
  row: { id: `${name}-id`, name, image: 'img', state, ports: [], managed: true },
});

describe('checkStackSize', () => {
  const project = (replicas: number[]) => ({ name: 'shop', services: replicas.map((r) => ({ replicas: r })) });
  it('allows a stack at the cap', () => {
    expect(() => checkStackSize(4, project([2, 2]) as never)).not.toThrow();
  });
  it('refuses a stack over the cap, counting replicas, and names the setting that allows it', () => {
    let err: unknown;
    try {
      checkStackSize(4, project([3, 2]) as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).kind).toBe('denied');
    expect((err as ToolError).message).toContain('would run 5 containers, more than 4');
    expect((err as ToolError).message).toContain('DOM_MAX_STACK_CONTAINERS=5');
  });
});

describe('deployLabels', () => {
  it('carries the instance and source, and the working folder and file only when the source has them', () => {
    expect(deployLabels('dom-1', { label: 'inline' })).toEqual({
      'io.docker-orchestration-mcp.instance': 'dom-1',
      'io.docker-orchestration-mcp.source': 'inline',
    });
    expect(
      deployLabels('dom-1', {
        label: 'file:/srv/a/compose.yml',
        workingDir: '/srv/a',
        configFile: '/srv/a/compose.yml',
      }),
    ).toMatchObject({
      'com.docker.compose.project.working_dir': '/srv/a',
      'com.docker.compose.project.config_files': '/srv/a/compose.yml',
    });
  });
});

describe('recordedInputs', () => {
  it('masks secret values, keeps the digest instead of the text, and fills the defaults', () => {
    const r = recordedInputs(
      {
        name: 'shop',
        compose: 'services: {}',
        env: { DB_PASSWORD: 'hunter2', MODE: 'x' },
        variables: { API_TOKEN: 't' },
      },
      { label: 'inline', digest: 'sha256:abc' },
      [],
    );
    expect(r).toEqual({
      name: 'shop',
      source: 'inline',
      composeDigest: 'sha256:abc',
      variables: { API_TOKEN: '******' },
      env: { DB_PASSWORD: '******', MODE: 'x' },
      profiles: [],
      dryRun: false,
      wait: 'healthy',
      timeout: 180,
    });
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(JSON.stringify(r)).not.toContain('services');
  });
});

describe('describeRemoval', () => {
  const objects = {
    containers: [container('shop-web-1'), container('shop-db-1', 'exited')],
    networks: [{ id: 'n1', name: 'shop_default', labels: {} }],
    volumes: [
      { name: 'shop_data', labels: {} },
      { name: 'shop_cache', labels: {} },
    ],
  };
  it('keeps the volumes unless asked', () => {
    const r = describeRemoval('shop', objects, false);
    expect(r.containers).toEqual(['shop-db-1', 'shop-web-1']);
    expect(r.networks).toEqual(['shop_default']);
    expect(r.volumes).toEqual([]);
    expect(r.kept).toEqual(['shop_data', 'shop_cache']);
  });
  it('takes them, sorted, when asked', () => {
    const r = describeRemoval('shop', objects, true);
    expect(r.volumes).toEqual(['shop_cache', 'shop_data']);
    expect(r.kept).toEqual([]);
  });
});

describe('ipamBody', () => {
  it("gives Compose's ipam block in the Engine's shape, leaving out what is not set", () => {
    expect(ipamBody({ config: [{ subnet: '10.9.0.0/24', auxAddresses: { host: '10.9.0.5' } }] })).toEqual({
      Driver: 'default',
      Config: [{ Subnet: '10.9.0.0/24', AuxiliaryAddresses: { host: '10.9.0.5' } }],
      Options: {},
    });
  });
});

describe('StepLog', () => {
  const recorder = () => {
    const steps: StepRecord[] = [];
    const handle: DeploymentHandle = {
      id: '1',
      step: (s) => void steps.push(s),
      setPlan: () => undefined,
      finish: () => undefined,
      journal: () => undefined,
    };
    return { steps, handle };
  };

  it('announces each step and records it in the answer and the history, with the first line of a failure', async () => {
    const { steps, handle } = recorder();
    const progress: [number, number, string][] = [];
    const log = new StepLog(handle, (c, t, m) => void progress.push([c, t, m]), 2);
    await log.run('create a', async () => 'x');
    await expect(
      log.run('create b', async () => {
        throw new Error('no space\nmore detail');
      }),
    ).rejects.toThrow('no space');
    log.begin('rollback');
    log.add({ name: 'rollback', durationMs: 3, outcome: 'rolled_back' });
    expect(progress).toEqual([
      [1, 2, 'create a'],
      [2, 2, 'create b'],
      [3, 3, 'rollback'],
    ]);
    expect(steps.map((s) => [s.name, s.outcome, s.error])).toEqual([
      ['create a', 'ok', undefined],
      ['create b', 'failed', 'no space'],
      ['rollback', 'rolled_back', undefined],
    ]);
    expect(log.steps).toEqual(steps);
  });
});
