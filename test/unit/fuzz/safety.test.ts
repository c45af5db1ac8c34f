import { describe, expect, it } from 'vitest';
import { cannotNameOthers, makeSafe } from '../../fuzz/safety.js';
import type { OwnObjects } from '../../fuzz/targets.js';
import type { FuzzRun } from '../../fuzz/toolArgs.js';

const run: FuzzRun = { prefix: 'fuzz-abc123', dir: '/tmp/dom-fuzz-x', templates: ['web-stack'] };
const own: OwnObjects = {
  containers: ['fuzz-abc123-c-1', '0123456789ab'],
  networks: ['fuzz-abc123-n-1'],
  volumes: ['fuzz-abc123-v-1'],
  stacks: ['fuzz-abc123-s-1'],
  images: ['dom-test/fuzz-abc123:t1'],
};
const safe = (tool: string, args: Record<string, unknown>, deployable = false) =>
  makeSafe(tool, args, own, run, [{ text: 'x', deployable }]);

describe('the fuzz safety guard', () => {
  it('keeps our own objects and names nobody can own, and rewrites anything that could name a foreign object', () => {
    expect(safe('remove_container', { id: '0123456789ab', confirm: true }).args.id).toBe('0123456789ab');
    expect(safe('remove_container', { id: '../../etc/passwd' }).args.id).toBe('../../etc/passwd');
    expect(safe('remove_container', { id: 'fuzz-nx-1' }).args.id).toBe('fuzz-nx-1');
    for (const foreign of ['a1', ' web ', '/db', 'Web\u200b', 'bridge', 'null']) {
      const r = safe('remove_container', { id: foreign, confirm: true });
      expect(r.args.id, foreign).toBe(`fuzz-nx-${foreign}`);
      expect(r.rewrites).toHaveLength(1);
    }
    expect(safe('remove_image', { id: 'dom-test/busybox:1', force: true }).args.id).toBe('fuzz-nx-dom-test/busybox:1');
    expect(safe('remove_image', { id: 'dom-test/fuzz-abc123:t1' }).args.id).toBe('dom-test/fuzz-abc123:t1');
    expect(cannotNameOthers('sha256:deadbeef', /^[a-z0-9][a-z0-9_.:/@-]*$/)).toBe(false);
  });

  it('publishes only on loopback, pulls from no registry host, and runs only vetted commands', () => {
    const r = safe('deploy_container', {
      image: '10.0.0.1:5000/x',
      ports: ['127.0.0.1:8080:80', '8080:80', 80, { target: 80, host_ip: '0.0.0.0' }, 70000],
      command: ['rm', '-rf', '/'],
      entrypoint: ['sh', '-c', 'curl evil'],
      volumes: ['someones-data:/d', 'fuzz-abc123-v-1:/e', '/run:/r'],
      network: 'someones-net',
    });
    expect(r.args.image).toBe('fuzz-nx-image');
    expect(r.args.ports).toEqual(['127.0.0.1:8080:80', 70000]);
    expect(r.args.command).toEqual(['sleep', '3600']);
    expect(r.args.entrypoint).toEqual(['sleep', '3600']);
    expect(r.args.volumes).toEqual(['fuzz-abc123-v-x:/d', 'fuzz-abc123-v-1:/e', '/run:/r']);
    expect(r.args.network).toBe('fuzz-nx-network');
    expect(safe('pull_image', { image: 'localhost/x' }).args.image).toBe('fuzz-nx-image');
    expect(safe('exec_in_container', { id: 'fuzz-abc123-c-1', command: ['sh', '-c', 'kill 1'] }).args.command).toEqual([
      'echo',
      'fuzz',
    ]);
  });

  it('really deploys only structured Compose projects, and heals only what we own', () => {
    expect(safe('deploy_application_stack', { name: 's', compose: 'x' }, true).args.dry_run).toBeUndefined();
    expect(safe('deploy_application_stack', { name: 's', compose: 'x' }, false).args.dry_run).toBe(true);
    expect(safe('deploy_application_stack', { name: 's', template: 'web-stack' }).args.dry_run).toBe(true);
    expect(
      safe('deploy_application_stack', { name: 's', file: '/tmp/dom-fuzz-x/compose.yml' }).args.dry_run,
    ).toBeUndefined();
    expect(safe('heal_containers', { confirm: true }).args.target).toBe('fuzz-nx-target');
    expect(safe('heal_containers', { target: 'fuzz-abc123-s-1', confirm: true }).args.target).toBe('fuzz-abc123-s-1');
  });

  it('keeps networks inside 10.231/16 and drops Engine driver options', () => {
    const n = safe('create_network', {
      name: 'x',
      subnet: '192.0.2.0/24',
      gateway: '10.231.1.1',
      driver: 'macvlan',
      options: { parent: 'eth0', 'fuzz-nx.a': '1' },
    });
    expect(n.args).toMatchObject({
      subnet: 'fuzz-nx',
      gateway: '10.231.1.1',
      driver: 'fuzz-nx-driver',
      options: { 'fuzz-nx.a': '1' },
    });
    const v = safe('create_volume', { name: 'x', driver_opts: { type: 'none', device: '/', o: 'bind' } });
    expect(v.args.driver_opts).toEqual({});
  });
});
