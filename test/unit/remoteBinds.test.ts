import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isLocalEngine } from '../../src/config/engines.js';
import { EngineSet } from '../../src/docker/engineSet.js';
import { ToolError } from '../../src/kernel/errors.js';
import { checkRemoteBind, enginePlace, SWARM_PLACE } from '../../src/policy/remoteBinds.js';

const silent = pino({ level: 'silent' });

function enginesOf(env: Record<string, string>): EngineSet {
  return new EngineSet(loadConfig({ DOM_HISTORY_PATH: ':memory:', ...env }), silent);
}

describe('which Engine is local (host paths judged on this machine)', () => {
  it('is only the default Engine, when its endpoint is a unix socket', () => {
    expect(isLocalEngine({ tlsVerify: false }, true)).toBe(true);
    expect(isLocalEngine({ host: 'unix:///run/user/1000/docker.sock', tlsVerify: false }, true)).toBe(true);
    expect(isLocalEngine({ host: 'unix:///var/run/docker.sock', tlsVerify: false }, false)).toBe(false);
    for (const host of ['tcp://10.0.0.5:2376', 'https://h:2376', 'ssh://ops@edge', 'npipe:////./pipe/docker_engine'])
      expect(isLocalEngine({ host, tlsVerify: false }, true), host).toBe(false);
    expect(isLocalEngine({ host: 'not a url', tlsVerify: false }, true)).toBe(false);
  });

  it('is what each Engine of the configuration says', () => {
    expect(enginesOf({}).default.local).toBe(true);
    expect(enginesOf({ DOCKER_HOST: 'unix:///tmp/x.sock' }).default.local).toBe(true);
    expect(enginesOf({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).default.local).toBe(false);
    const set = enginesOf({ DOM_ENGINES: 'a=unix:///var/run/docker.sock,b=unix:///tmp/node.sock,c=tcp://h:2376' });
    expect(set.all.map((e) => [e.name, e.local])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    const remoteFirst = enginesOf({ DOM_ENGINES: 'c=ssh://ops@edge,a=unix:///var/run/docker.sock' });
    expect(remoteFirst.all.map((e) => e.local)).toEqual([false, false]);
  });
});

describe('a bind mounted elsewhere', () => {
  const policy = loadConfig({ DOM_HISTORY_PATH: ':memory:' }).policy;

  it('is refused on a remote Engine and a Swarm, naming where and the setting', () => {
    const set = enginesOf({ DOM_ENGINES: 'host=unix:///var/run/docker.sock,n2=tcp://10.1.2.3:2376' });
    expect(() => checkRemoteBind(policy, enginePlace(set.get('host')), '/srv/data', 'container x')).not.toThrow();
    for (const place of [enginePlace(set.get('n2')), SWARM_PLACE]) {
      let err: unknown;
      try {
        checkRemoteBind(policy, place, '/srv/data', 'container x');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).kind).toBe('denied');
      expect((err as ToolError).details).toEqual({ rule: 'remote-bind' });
      expect((err as ToolError).message).toContain('DOM_ALLOW_REMOTE_BINDS=1');
    }
    expect(enginePlace(set.get('n2'))).toContain('Engine "n2" (tcp://10.1.2.3:2376)');
  });

  it('is allowed with DOM_ALLOW_REMOTE_BINDS=1', () => {
    const open = loadConfig({ DOM_HISTORY_PATH: ':memory:', DOM_ALLOW_REMOTE_BINDS: '1' }).policy;
    expect(() => checkRemoteBind(open, SWARM_PLACE, '/srv/data', 'container x')).not.toThrow();
  });
});
