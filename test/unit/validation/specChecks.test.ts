import { describe, expect, it } from 'vitest';
import { loadConfig, type PolicyConfig } from '../../../src/config.js';
import type { ContainerSpec } from '../../../src/docker/containerSpec.js';
import { ToolError } from '../../../src/kernel/errors.js';
import { loadProject } from '../../../src/stacks/compose/project.js';
import {
  composeFindings,
  containerFields,
  imageTag,
  limitFindings,
  policyFindings,
  practiceFindings,
  projectWarningFindings,
  registryOf,
  serviceFields,
  stackMemoryFinding,
  stackSizeFindings,
} from '../../../src/validation/specChecks.js';

const policy: PolicyConfig = loadConfig({}).policy;

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    image: 'dom-test/busybox:1',
    env: {},
    ports: [],
    mounts: [],
    networks: [],
    labels: {},
    extraHosts: [],
    ...over,
  };
}

function loadError(text: string, env: Record<string, string> = {}): ToolError {
  try {
    loadProject({ text, projectName: 'p', env });
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
  throw new Error('expected loadProject to fail');
}

const GOOD = spec({
  restart: { name: 'unless-stopped' },
  healthcheck: { Test: ['CMD', 'true'] },
  memoryBytes: 64 * 1024 * 1024,
  nanoCpus: 0.5e9,
});

describe('Compose problems become findings', () => {
  it('one error finding per problem, field = key path, line in the message, service from the path', () => {
    const err = loadError('services:\n  web:\n    image: x:1\n    imagee: y\n    cgroup_parent: .\n');
    const findings = composeFindings(err);
    expect(findings).toHaveLength((err.details?.errors as unknown[]).length);
    expect(findings.length).toBeGreaterThanOrEqual(2);
    const typo = findings.find((f) => f.field === 'services.web.imagee');
    expect(typo).toMatchObject({ severity: 'error', code: 'compose', service: 'web' });
    expect(typo?.message).toMatch(/^line 4: /);
    expect(typo?.fix).toMatch(/services\.web\.imagee \(line 4\)/);
    expect(findings.find((f) => f.field === 'services.web.cgroup_parent')?.fix).toMatch(/does not support/);
  });

  it('a cycle is a dependency finding whose fix says to break it', () => {
    const [f, ...rest] = composeFindings(
      loadError('services:\n  a:\n    image: x:1\n    depends_on: [b]\n  b:\n    image: x:1\n    depends_on: [a]\n'),
    );
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', code: 'dependency' });
    expect(f?.message).toMatch(/cycle: (a -> b -> a|b -> a -> b)/);
    expect(f?.fix).toMatch(/Break the cycle/);
  });

  it('an unknown dependency and a required variable', () => {
    const [dep] = composeFindings(loadError('services:\n  a:\n    image: x:1\n    depends_on: [ghost]\n'));
    expect(dep).toMatchObject({ code: 'dependency', service: 'a' });
    expect(dep?.message).toMatch(/ghost/);
    const [req] = composeFindings(
      loadError('services:\n  a:\n    image: x:1\n    environment:\n      PW: ${PW:?give PW}\n'),
    );
    expect(req?.message).toMatch(/give PW/);
    expect(req?.fix).toMatch(/Set the variable/);
  });

  it('a ToolError without details is one finding; unset variables are warnings', () => {
    expect(composeFindings(new ToolError('invalid_input', 'bad name'))).toEqual([
      expect.objectContaining({ severity: 'error', message: 'bad name' }),
    ]);
    const p = loadProject({ text: 'services:\n  a:\n    image: x:${TAG}\n', projectName: 'p' });
    expect(projectWarningFindings(p)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'interpolation', fix: expect.stringMatching(/Set TAG/) }),
    ]);
  });
});

describe('policy findings', () => {
  it('a refused spec is an error naming the rule; the fix names the setting', () => {
    const bad = spec({ mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/s', readOnly: false }] });
    const [f] = policyFindings(policy, bad, 'stack "p" service "agent"', serviceFields('agent'));
    expect(f).toMatchObject({ severity: 'error', code: 'policy', service: 'agent', field: 'services.agent.volumes' });
    expect(f?.message).toMatch(/sensitive-bind-mount/);
    expect(f?.fix).toMatch(/DOM_ALLOW_SENSITIVE_MOUNTS=1/);
    expect(policyFindings(policy, GOOD, 'x', containerFields)).toEqual([]);
  });

  it('the cap on containers per stack', () => {
    const p = loadProject({
      text: 'services:\n  w:\n    image: x:1\n    deploy:\n      replicas: 4\n',
      projectName: 'p',
    });
    expect(stackSizeFindings({ ...policy, maxContainersPerStack: 3 }, p)[0]?.message).toMatch(
      /max-containers-per-stack.*4 containers/,
    );
    expect(stackSizeFindings(policy, p)).toEqual([]);
  });
});

describe('good-practice warnings', () => {
  it('a spec with healthcheck, restart, pinned tag and limits has none', () => {
    expect(practiceFindings(GOOD, containerFields)).toEqual([]);
  });

  it('no healthcheck, no restart, no tag, no limits: four warnings with fields', () => {
    const found = practiceFindings(spec({ image: 'nginx' }), serviceFields('web'));
    expect(found.map((f) => [f.severity, f.code, f.field])).toEqual([
      ['warning', 'healthcheck', 'services.web.healthcheck'],
      ['warning', 'restart', 'services.web.restart'],
      ['warning', 'tag', 'services.web.image'],
      ['warning', 'resources', 'services.web.deploy.resources.limits.memory'],
    ]);
    expect(found.every((f) => f.service === 'web' && f.fix.length > 10)).toBe(true);
  });

  it('"latest" warns; a digest or a version does not; restart "no" warns; the image\'s own healthcheck counts', () => {
    const codes = (s: ContainerSpec, imageHc = false) =>
      practiceFindings({ ...GOOD, ...s }, containerFields, imageHc).map((f) => f.code);
    expect(codes(spec({ image: 'nginx:latest' }))).toContain('tag');
    expect(codes(spec({ image: `nginx@sha256:${'a'.repeat(64)}` }))).not.toContain('tag');
    expect(codes(spec({ image: 'localhost:5000/app' }))).toContain('tag');
    expect(codes(spec({ image: 'localhost:5000/app:2' }))).not.toContain('tag');
    expect(codes({ ...GOOD, restart: { name: 'no' } })).toEqual(['restart']);
    const { healthcheck: _hc, ...noHc } = GOOD;
    void _hc;
    expect(practiceFindings(noHc as ContainerSpec, containerFields).map((f) => f.code)).toEqual(['healthcheck']);
    expect(practiceFindings(noHc as ContainerSpec, containerFields, true)).toEqual([]);
    expect(practiceFindings({ ...GOOD, healthcheck: { Test: ['NONE'] } }, containerFields)).toEqual([
      expect.objectContaining({ severity: 'info', code: 'healthcheck' }),
    ]);
  });

  it('tags and registries', () => {
    expect(imageTag('a/b:1')).toEqual({ tag: '1', digest: false, id: false });
    expect(imageTag('127.0.0.1:5000/b')).toEqual({ digest: false, id: false });
    expect(registryOf('nginx:1')).toBe('Docker Hub');
    expect(registryOf('library/nginx')).toBe('Docker Hub');
    expect(registryOf('127.0.0.1:5000/x:1')).toBe('127.0.0.1:5000');
    expect(registryOf('ghcr.io/o/x')).toBe('ghcr.io');
  });
});

describe('limits against the Engine', () => {
  const capacity = { cpus: 2, memoryBytes: 2 * 1024 ** 3 };
  it('memory above the total and cpus above NCPU are errors', () => {
    const found = limitFindings(spec({ memoryBytes: 4 * 1024 ** 3, nanoCpus: 3e9 }), capacity, containerFields);
    expect(found.map((f) => [f.severity, f.code, f.field])).toEqual([
      ['error', 'limits', 'resources.memory'],
      ['error', 'limits', 'resources.cpus'],
    ]);
    expect(found[0]?.message).toMatch(/4\.0 GiB.*2\.0 GiB/);
    expect(found[1]?.fix).toMatch(/at most 2/);
  });
  it('within capacity: nothing; under the Engine minimum: an error', () => {
    expect(limitFindings(spec({ memoryBytes: 1024 ** 3, nanoCpus: 2e9 }), capacity, containerFields)).toEqual([]);
    expect(limitFindings(spec({ memoryBytes: 4 * 1024 * 1024 }), capacity, containerFields)[0]?.message).toMatch(
      /minimum of 6 MiB/,
    );
  });
  it('a stack whose limits add up past the total is a warning', () => {
    const p = loadProject({
      text: 'services:\n  a:\n    image: x:1\n    mem_limit: 1500m\n  b:\n    image: x:1\n    mem_limit: 1g\n',
      projectName: 'p',
    });
    const specs = p.services.map((s) => s.spec);
    expect(stackMemoryFinding(p, specs, capacity)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'limits' }),
    ]);
    expect(stackMemoryFinding(p, specs, { cpus: 2, memoryBytes: 8 * 1024 ** 3 })).toEqual([]);
  });
});
