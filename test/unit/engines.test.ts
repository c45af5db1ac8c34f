import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { connectionOptions } from '../../src/docker/connection.js';
import { EngineSet } from '../../src/docker/engineSet.js';
import { engineEndpoint, EngineSettingsError, parseEngines } from '../../src/config/engines.js';
import { historyForEngine } from '../../src/history/engineScope.js';
import { migrate, MIGRATIONS } from '../../src/history/migrations.js';
import { memoryHistory } from '../../src/history/port.js';
import { openDatabase } from '../../src/history/sqlite.js';
import { openSqliteHistory } from '../../src/history/sqliteHistory.js';
import { ToolError } from '../../src/kernel/errors.js';
import { explicitOnly } from '../../src/tools/confirm.js';
import type { ToolContext } from '../../src/tools/defineTool.js';
import { contextForEngine, takeEngineArg, withEngineProperty } from '../../src/tools/engineArg.js';
import { invokeTool } from '../../src/tools/invoke.js';
import { listEnginesTool } from '../../src/tools/operations/engines.js';
import { ALL_TOOLS } from '../../src/tools/registry.js';
import { publishedInputSchema } from '../../src/tools/publish.js';
import { tempDir } from './history/helpers.js';

const silent = pino({ level: 'silent' });
const local = { tlsVerify: false };

function settingsError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EngineSettingsError) return err.message;
    throw err;
  }
  throw new Error('no error');
}

describe('DOM_ENGINES', () => {
  it('is one Engine, "default", from DOCKER_HOST when unset', () => {
    const docker = { host: 'tcp://10.1.2.3:2376', tlsVerify: true, certPath: '/certs' };
    expect(parseEngines({}, docker)).toEqual([{ name: 'default', docker }]);
    expect(parseEngines({ DOM_ENGINES: ' ' }, local)).toEqual([{ name: 'default', docker: local }]);
  });

  it('reads name=url pairs in order, names lower-cased, TLS per Engine', () => {
    const engines = parseEngines(
      {
        DOM_ENGINES:
          ' Local=unix:///var/run/docker.sock , build-2=tcp://10.0.0.5:2376,edge=ssh://ops@edge.example:2222,',
        DOM_ENGINE_BUILD_2_TLS_VERIFY: '1',
        DOM_ENGINE_BUILD_2_CERT_PATH: '~/certs/build',
        HOME: '/home/u',
        SSH_AUTH_SOCK: '/tmp/agent.sock',
      },
      local,
    );
    expect(engines).toEqual([
      { name: 'local', docker: { host: 'unix:///var/run/docker.sock', tlsVerify: false } },
      { name: 'build-2', docker: { host: 'tcp://10.0.0.5:2376', tlsVerify: true, certPath: '/home/u/certs/build' } },
      { name: 'edge', docker: { host: 'ssh://ops@edge.example:2222', tlsVerify: false, sshAgent: '/tmp/agent.sock' } },
    ]);
    expect(connectionOptions(engines[2]?.docker ?? local)).toEqual({
      protocol: 'ssh',
      host: 'edge.example',
      port: 2222,
      username: 'ops',
      sshOptions: { agent: '/tmp/agent.sock' },
    });
  });

  it('refuses bad entries with a message naming the setting', () => {
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'unix:///x.sock' }, local))).toMatch(/must be name=url/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'a=unix:///x,A=unix:///y' }, local))).toMatch(/twice/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'my engine=unix:///x' }, local))).toMatch(/name/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: '-x=unix:///x' }, local))).toMatch(/starting with/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'a=not a url' }, local))).toMatch(/not a URL/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'a=ftp://h' }, local))).toMatch(/scheme "ftp:"/);
    expect(settingsError(() => parseEngines({ DOM_ENGINES: 'a=tcp://u:secret@h:2376' }, local))).toMatch(
      /password in its URL/,
    );
    expect(settingsError(() => parseEngines({ DOM_ENGINES: ',' }, local))).toMatch(/names no Engine/);
    expect(
      settingsError(() => parseEngines({ DOM_ENGINES: 'a=tcp://h:2376', DOM_ENGINE_A_TLS_VERIFY: 'yes' }, local)),
    ).toMatch(/DOM_ENGINE_A_CERT_PATH/);
  });

  it('is a start-up ConfigError in loadConfig; every unix socket, TLS folder and ssh agent is a protected path', () => {
    expect(() => loadConfig({ DOM_ENGINES: 'x' })).toThrow(ConfigError);
    const config = loadConfig({
      DOM_ENGINES: 'a=unix:///run/a/docker.sock,b=unix:///var/tmp/b//docker.sock,c=tcp://h:2376,d=ssh://h',
      DOM_ENGINE_C_CERT_PATH: '/etc/c-certs',
      SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
      DOM_HISTORY_PATH: ':memory:',
    });
    expect(config.engines.map((e) => e.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(config.policy.protectedPaths).toEqual(
      expect.arrayContaining(['/run/a/docker.sock', '/var/tmp/b/docker.sock', '/etc/c-certs', '/tmp/ssh-x/agent.1']),
    );
  });

  it('shows endpoints without user, password, query or fragment', () => {
    expect(engineEndpoint({ tlsVerify: false })).toBe('unix:///var/run/docker.sock');
    expect(engineEndpoint({ host: 'unix:///run/x/docker.sock', tlsVerify: false })).toBe('unix:///run/x/docker.sock');
    expect(engineEndpoint({ host: 'ssh://ops@edge:2222', tlsVerify: false })).toBe('ssh://edge:2222');
    expect(engineEndpoint({ host: 'tcp://u:p@h:2376/?token=x#y', tlsVerify: false })).toBe('tcp://h:2376');
  });
});

function contextFor(env: Record<string, string>): ToolContext {
  const config = loadConfig({ DOM_HISTORY_PATH: ':memory:', ...env });
  const engines = new EngineSet(config, silent);
  return {
    engine: engines.default,
    engines,
    config,
    log: silent,
    signal: new AbortController().signal,
    progress: () => undefined,
    confirm: explicitOnly,
    history: memoryHistory(),
    who: 'test',
  };
}

describe('the engine argument', () => {
  const two = { DOM_ENGINES: 'one=unix:///nowhere/one.sock,two=unix:///nowhere/two.sock' };

  it('is taken out of the arguments before the tool sees them', () => {
    expect(takeEngineArg({ id: 'x', engine: 'two' })).toEqual({ engine: 'two', args: { id: 'x' } });
    expect(takeEngineArg({ id: 'x' })).toEqual({ engine: undefined, args: { id: 'x' } });
    expect(takeEngineArg(undefined)).toEqual({ engine: undefined, args: undefined });
    expect(takeEngineArg(['engine'])).toEqual({ engine: undefined, args: ['engine'] });
  });

  it('picks the named Engine (any case), the first without one, and scopes the history to it', () => {
    const ctx = contextFor(two);
    expect(contextForEngine(ctx, undefined).engine.name).toBe('one');
    const onTwo = contextForEngine(ctx, ' TWO ');
    expect(onTwo.engine.name).toBe('two');
    onTwo.history.begin({ kind: 'deploy_container', target: 'web', who: 't', inputs: {} }).finish('succeeded');
    expect(ctx.history.list({ limit: 5 }).entries[0]?.engine).toBe('two');
  });

  it('answers an unknown or ill-typed engine with invalid_input listing the names', () => {
    const ctx = contextFor(two);
    const err = (name: unknown): ToolError => {
      try {
        contextForEngine(ctx, name);
      } catch (e) {
        if (e instanceof ToolError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    expect(err('three').kind).toBe('invalid_input');
    expect(err('three').message).toMatch(/Unknown engine "three".*"one", "two"/);
    expect(err(3).message).toMatch(/must be a string, one of "one", "two"/);
    // With one Engine the argument is still accepted when it names that Engine.
    const single = contextFor({});
    expect(contextForEngine(single, 'default').engine.name).toBe('default');
  });

  it('is published only with several Engines, as an enum of their names, and never on list_engines', () => {
    const deploy = ALL_TOOLS.find((t) => t.name === 'deploy_container');
    if (!deploy) throw new Error('no deploy_container');
    const json = publishedInputSchema(deploy);
    expect(withEngineProperty(deploy, json, ['default'])).toBe(json);
    const published = withEngineProperty(deploy, json, ['one', 'two']);
    expect((published.properties as Record<string, unknown>).engine).toEqual({
      type: 'string',
      enum: ['one', 'two'],
      description: 'Engine to act on (default "one").',
    });
    expect(published.required).toEqual(json.required);
    const list = publishedInputSchema(listEnginesTool);
    expect(withEngineProperty(listEnginesTool, list, ['one', 'two'])).toBe(list);
  });

  it('runs through invokeTool: an Engine that is down answers engine_unavailable naming it', async () => {
    const ctx = contextFor(two);
    const r = await invokeTool(
      ALL_TOOLS.find((t) => t.name === 'list_containers') ?? listEnginesTool,
      { engine: 'two' },
      ctx,
    );
    if (!('content' in r)) throw new Error('input required');
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(
      /^Error \(engine_unavailable\): Cannot [^:]+: Engine "two" \(unix:\/\/\/nowhere\/two\.sock\) is unreachable \(ENOENT\)\. Check that it runs/,
    );
    expect(r.content[0]?.text).toMatch(/list_engines/);
    const listed = await invokeTool(listEnginesTool, {}, ctx);
    if (!('structuredContent' in listed)) throw new Error('no answer');
    expect(listed.structuredContent).toMatchObject({
      engines: [
        { name: 'one', default: true, endpoint: 'unix:///nowhere/one.sock', reachable: false },
        { name: 'two', default: false, endpoint: 'unix:///nowhere/two.sock', reachable: false },
      ],
    });
  });
});

describe('the history per Engine', () => {
  it("records the Engine and reconciles only that Engine's journals (older records: the default's)", () => {
    const history = memoryHistory();
    const a = historyForEngine(history, 'a', true);
    const b = historyForEngine(history, 'b', false);
    a.begin({ kind: 'deploy_stack', target: 's', stack: 's', who: 't', inputs: {} }).journal({ step: 1 });
    b.begin({ kind: 'deploy_stack', target: 's', stack: 's', who: 't', inputs: {} }).journal({ step: 2 });
    history.begin({ kind: 'deploy_stack', target: 'old', stack: 'old', who: 't', inputs: {} }).journal({ step: 0 });
    expect(a.openJournals().map((j) => j.journal)).toEqual([{ step: 1 }, { step: 0 }]);
    expect(b.openJournals('s').map((j) => j.journal)).toEqual([{ step: 2 }]);
    b.close();
    expect(history.list({ limit: 5 }).entries.map((e) => e.engine)).toEqual([undefined, 'b', 'a']);
  });

  it('keeps the Engine in SQLite (migration 4); rows from before it have none', () => {
    const file = join(tempDir(), 'h.db');
    const db = openDatabase(file);
    migrate(db, MIGRATIONS.slice(0, 3));
    db.prepare(
      `INSERT INTO deployments (id, kind, target, who, inputs, started_at, outcome, owner_host, owner_pid, heartbeat_at, journal)
       VALUES ('old', 'deploy_stack', 'web', 't', '{}', 1, 'failed', 'h', 1, 1, '{"x":1}')`,
    ).run();
    db.close();
    const h = openSqliteHistory(file, silent);
    try {
      historyForEngine(h, 'e28', false)
        .begin({ kind: 'deploy_container', target: 'web', who: 't', inputs: {} })
        .finish('succeeded');
      const entries = h.list({ limit: 5 }).entries;
      expect(entries.map((e) => [e.id === 'old' ? 'old' : 'new', e.engine])).toEqual([
        ['new', 'e28'],
        ['old', undefined],
      ]);
      expect(historyForEngine(h, 'e28', false).openJournals()).toEqual([]);
      expect(
        historyForEngine(h, 'host', true)
          .openJournals()
          .map((j) => j.id),
      ).toEqual(['old']);
    } finally {
      h.close();
    }
  });
});
