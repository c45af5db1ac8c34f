#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config, type ConfigFlags } from './config.js';
import { SETTINGS } from './config/settings.js';
import type { FlagScope, SettingSpec } from './config/spec.js';
import { EngineSet } from './docker/engineSet.js';
import { historyForEngine } from './history/engineScope.js';
import { HistoryOpenError, memoryHistory, type HistoryPort } from './history/port.js';
import { openSqliteHistory } from './history/sqliteHistory.js';
import { maybeStartWatcher } from './app/selfHeal.js';
import { reconcileAtStart } from './health/wire.js';
import { createLogger, type Logger } from './logger.js';
import { createServer, SERVER_NAME, SERVER_VERSION } from './server.js';
import { explicitOnly } from './tools/confirm.js';
import { setKnownSecrets } from './util/mask.js';
import { unsupportedNode } from './util/nodeVersion.js';
import { HttpConfigError, isLoopback, startHttpServer } from './transports/http.js';
import { boundedStdioTransport } from './transports/stdio.js';
import { serveStdio as serveStdioConnection } from '@modelcontextprotocol/server/stdio';
import { TaskRunner } from './tasks/runner.js';
import { annotationsFor } from './tools/defineTool.js';
import { errorResult, invokeTool, type ToolResult } from './tools/invoke.js';
import { enabledTools, UnknownToolsetError } from './tools/registry.js';

/** The flags of the settings a subcommand takes, declared with the settings (src/config/settings.ts). */
function addSettingFlags(cmd: Command, scopes: FlagScope[]): Command {
  for (const spec of Object.values(SETTINGS) as SettingSpec[]) {
    if (!spec.flag || !scopes.includes(spec.commands ?? 'all')) continue;
    const help = `${spec.description} [${spec.env ? `${spec.env}, ` : ''}default ${spec.shownDefault}]`;
    const option = new Option(spec.arg ? `${spec.flag} ${spec.arg}` : spec.flag, help.replace(/`/g, ''));
    if (spec.repeatable) option.argParser(collect);
    cmd.addOption(option);
  }
  return cmd;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function setup(opts: ConfigFlags): { config: Config; log: Logger } {
  const config = loadConfig(process.env, opts);
  // The server's own secrets are masked verbatim wherever they would show (answers, logs, history).
  setKnownSecrets([
    config.httpToken,
    ...Object.values(config.registryAuth).flatMap((c) => [c.password, c.identitytoken]),
  ]);
  return { config, log: createLogger(config.logLevel) };
}

/** The deployment history, opened once per process; throws HistoryOpenError (exit 2) when unusable. */
function openHistory(config: Config, log: Logger): HistoryPort {
  return config.historyPath === ':memory:' ? memoryHistory() : openSqliteHistory(config.historyPath, log);
}

function onShutdown(log: Logger, stop: () => Promise<void>): (why: string) => Promise<void> {
  let closing = false;
  return async (why) => {
    if (closing) return;
    closing = true;
    log.info({ why }, 'shutting down');
    await stop().catch((err: unknown) => log.warn({ err }, 'error during shutdown'));
    process.exit(0);
  };
}

async function serveHttp(config: Config, log: Logger): Promise<void> {
  const { host } = config.http;
  if (!config.httpToken) {
    throw new ConfigError(
      `HTTP transport needs a bearer token${isLoopback(host) ? '' : ` (refusing to bind ${host} without one)`}: set DOM_HTTP_TOKEN or pass --token-file FILE.`,
    );
  }
  const engines = new EngineSet(config, log);
  const history = openHistory(config, log);
  const tasks = new TaskRunner(history, log);
  const running = await startHttpServer(
    { ...config.http, token: config.httpToken },
    () => createServer(config, log, engines, history, tasks).server,
    log,
  );
  const watchers = startPerEngine(config, engines, history, log);
  const shutdown = onShutdown(log, async () => {
    await watchers.stop();
    await running.close();
    await tasks.close();
    history.close();
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * Per Engine: settles the stack deploys a killed server left unfinished there (journals of that
 * Engine only), and with --self-heal runs one watcher on each (each follows its own Engine's
 * events and reconnects on its own; an Engine that is down does not stop the others'). The
 * default Engine's watcher starts last: health_monitoring reports the process's latest watcher
 * (src/health/watcher.ts), and reports it on the default Engine only.
 */
function startPerEngine(
  config: Config,
  engines: EngineSet,
  history: HistoryPort,
  log: Logger,
): { stop: () => Promise<void> } {
  const watchers = [...engines.all].reverse().map((engine) => {
    const scoped = historyForEngine(history, engine.name, engine === engines.default);
    const engineLog = engines.several ? log.child({ engine: engine.name }) : log;
    const watcher = maybeStartWatcher(config, engine, scoped, engineLog);
    reconcileAtStart(config, engine, scoped, engineLog);
    return watcher;
  });
  return { stop: async () => void (await Promise.all(watchers.map((w) => w?.stop()))) };
}

async function serve(opts: ConfigFlags): Promise<void> {
  const { config, log } = setup(opts);
  return config.transport === 'http' ? serveHttp(config, log) : serveStdio(config, log);
}

async function serveStdio(config: Config, log: Logger): Promise<void> {
  const history = openHistory(config, log);
  const engines = new EngineSet(config, log);
  const tasks = new TaskRunner(history, log);
  const watchers = startPerEngine(config, engines, history, log);
  // serveStdio lets the opening message choose the era, as the HTTP entry does per request:
  // server/discover or an enveloped request pins 2026-07-28, initialize pins the 2025 handshake.
  // (A bare server.connect(transport) only ever speaks the initialize handshake.)
  const connection = serveStdioConnection(() => createServer(config, log, engines, history, tasks).server, {
    transport: boundedStdioTransport(log),
    onerror: (err: Error) => log.debug({ err: err.message }, 'stdio protocol error'),
  });
  const shutdown = onShutdown(log, async () => {
    await watchers.stop();
    await connection.close();
    await tasks.close();
    history.close();
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.stdin.on('end', () => void shutdown('stdin closed'));
  log.info({ transport: 'stdio', version: SERVER_VERSION }, 'server ready');
}

function printTools(opts: ConfigFlags & { json?: boolean }): void {
  const config = loadConfig(process.env, opts);
  const tools = enabledTools(config);
  if (opts.json) {
    const rows = tools.map((t) => ({
      name: t.name,
      toolset: t.toolset,
      kind: t.kind,
      title: t.title,
      description: t.description,
      annotations: annotationsFor(t.kind, t.title),
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const width = Math.max(...tools.map((t) => t.name.length));
  for (const t of tools)
    process.stdout.write(`${t.name.padEnd(width)}  ${t.toolset.padEnd(10)}  ${t.kind.padEnd(11)}  ${t.title}\n`);
}

async function callTool(name: string, json: string | undefined, opts: ConfigFlags): Promise<number> {
  const { config, log } = setup(opts);
  const tool = enabledTools({ ...config, toolsets: config.toolsets.length ? config.toolsets : ['all'] }).find(
    (t) => t.name === name,
  );
  let result: ToolResult;
  if (!tool) {
    result = errorResult('invalid_input', `No tool "${name}" is enabled; run \`${SERVER_NAME} tools\` to list them.`);
  } else {
    let args: unknown;
    try {
      args = json ? JSON.parse(json) : {};
    } catch (err) {
      result = errorResult('invalid_input', `Arguments are not valid JSON: ${(err as Error).message}`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 1;
    }
    const ctrl = new AbortController();
    process.on('SIGINT', () => ctrl.abort());
    const history = openHistory(config, log);
    const engines = new EngineSet(config, log);
    const out = await invokeTool(tool, args, {
      engine: engines.default,
      engines,
      config,
      log,
      signal: ctrl.signal,
      progress: (p, total, message) => log.info({ progress: p, total, message }, 'progress'),
      confirm: explicitOnly,
      history,
      who: 'cli',
    }).finally(() => history.close());
    result =
      'inputRequired' in out ? errorResult('failed', 'The tool asked for input, which the shell cannot give.') : out;
  }
  if (result.isError) {
    process.stdout.write(
      `${JSON.stringify({ error: { kind: (result._meta?.['io.docker-orchestration-mcp/error'] as { kind: string } | undefined)?.kind, message: result.content[0]?.text } }, null, 2)}\n`,
    );
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result.structuredContent, null, 2)}\n`);
  return 0;
}

const program = new Command()
  .name(SERVER_NAME)
  .description('MCP server for deploying and operating Docker containers, networks, volumes and stacks')
  .version(SERVER_VERSION);

addSettingFlags(program.command('serve', { isDefault: true }).description('run the MCP server (stdio by default)'), [
  'all',
  'serve',
]).action(async (opts: ConfigFlags) => serve(opts));

addSettingFlags(program.command('tools').description('list the tools this configuration offers'), ['all'])
  .option('--json', 'print tool metadata as JSON')
  .action((opts: ConfigFlags & { json?: boolean }) => printTools(opts));

addSettingFlags(
  program
    .command('call')
    .description('run one tool and print its structured result')
    .argument('<tool>')
    .argument('[json]', 'arguments as a JSON object'),
  ['all'],
).action(async (tool: string, json: string | undefined, opts: ConfigFlags) => {
  process.exitCode = await callTool(tool, json, opts);
});

const tooOld = unsupportedNode(process.versions.node);
if (tooOld) {
  console.error(`${SERVER_NAME}: ${tooOld}`);
  process.exit(2);
}
program.parseAsync(process.argv).catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof UnknownToolsetError ||
    err instanceof HttpConfigError ||
    err instanceof HistoryOpenError
  ) {
    console.error(`${SERVER_NAME}: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
