#!/usr/bin/env node
import { Command, Option } from 'commander';
import {
  CONFIRM_ARGUMENT_MODES,
  ConfigError,
  loadConfig,
  wholeNumber,
  type Config,
  type ConfigFlags,
} from './config.js';
import { Engine } from './docker/engine.js';
import { HistoryOpenError, memoryHistory, type HistoryPort } from './history/port.js';
import { openSqliteHistory } from './history/sqliteHistory.js';
import { maybeStartWatcher, reconcileAtStart } from './health/wire.js';
import { createLogger, type Logger } from './logger.js';
import { createServer, SERVER_NAME, SERVER_VERSION } from './server.js';
import { explicitOnly } from './tools/confirm.js';
import { setKnownSecrets } from './util/mask.js';
import { HttpConfigError, isLoopback, startHttpServer } from './transports/http.js';
import { boundedStdioTransport } from './transports/stdio.js';
import { serveStdio as serveStdioConnection } from '@modelcontextprotocol/server/stdio';
import { TaskRunner } from './tasks/runner.js';
import { annotationsFor } from './tools/defineTool.js';
import { errorResult, invokeTool, type ToolResult } from './tools/invoke.js';
import { enabledTools, UnknownToolsetError } from './tools/registry.js';

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--read-only', 'list and run only tools that change nothing')
    .option(
      '--toolsets <list>',
      'comma-separated toolsets to enable (containers,images,networks,volumes,stacks,operations,swarm, or all; default containers,stacks,operations)',
    )
    .option('--disable-destructive', 'do not offer destructive tools at all')
    .addOption(new Option('--scope <scope>', 'objects mutating tools may touch').choices(['managed', 'all']))
    .option('--engine-timeout <ms>', 'deadline for one Docker Engine call, in milliseconds')
    .option('--log-level <level>', 'pino log level for stderr logs (default info)')
    .option(
      '--history-path <file>',
      'SQLite file of the deployment history (or DOM_HISTORY_PATH); ":memory:" keeps none',
    )
    .option(
      '--file-root <dir>',
      'folder that Compose files, env_file and .env may be read from; repeatable (or DOM_FILE_ROOTS; default the working directory)',
      collect,
    )
    .addOption(
      new Option(
        '--confirm-argument <mode>',
        'which confirm: true counts: fallback (only from clients that cannot ask the user; default), always, never (or DOM_CONFIRM_ARGUMENT)',
      ).choices([...CONFIRM_ARGUMENT_MODES]),
    );
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

interface ServeFlags extends ConfigFlags {
  transport?: string;
  host?: string;
  port?: string;
  allowedHosts?: string;
  allowedOrigins?: string;
  maxBody?: string;
  maxConcurrent?: string;
  headersTimeout?: string;
  bodyTimeout?: string;
  requestTimeout?: string;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
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

async function serveHttp(opts: ServeFlags): Promise<void> {
  const { config, log } = setup(opts);
  const host = opts.host ?? '127.0.0.1';
  const env = process.env;
  const port = wholeNumber(opts.port ?? env.DOM_HTTP_PORT, '--port (DOM_HTTP_PORT)', 8808, 0, 65535);
  const limits = {
    maxBodyBytes: wholeNumber(
      opts.maxBody ?? env.DOM_HTTP_MAX_BODY,
      '--max-body (DOM_HTTP_MAX_BODY, bytes)',
      4 * 1024 * 1024,
      1,
      1024 * 1024 * 1024,
    ),
    maxConcurrent: wholeNumber(
      opts.maxConcurrent ?? env.DOM_HTTP_MAX_CONCURRENT,
      '--max-concurrent (DOM_HTTP_MAX_CONCURRENT)',
      32,
      1,
      10_000,
    ),
    headersTimeoutMs: wholeNumber(
      opts.headersTimeout ?? env.DOM_HTTP_HEADERS_TIMEOUT_MS,
      '--headers-timeout (DOM_HTTP_HEADERS_TIMEOUT_MS, milliseconds)',
      10_000,
      100,
      600_000,
    ),
    bodyTimeoutMs: wholeNumber(
      opts.bodyTimeout ?? env.DOM_HTTP_BODY_TIMEOUT_MS,
      '--body-timeout (DOM_HTTP_BODY_TIMEOUT_MS, milliseconds)',
      10_000,
      100,
      600_000,
    ),
    requestTimeoutMs: wholeNumber(
      opts.requestTimeout ?? env.DOM_HTTP_REQUEST_TIMEOUT_MS,
      '--request-timeout (DOM_HTTP_REQUEST_TIMEOUT_MS, milliseconds)',
      30_000,
      100,
      3_600_000,
    ),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `--headers-timeout (${limits.headersTimeoutMs} ms) must not be longer than --request-timeout (${limits.requestTimeoutMs} ms)`,
    );
  }
  if (!config.httpToken) {
    throw new ConfigError(
      `HTTP transport needs a bearer token${isLoopback(host) ? '' : ` (refusing to bind ${host} without one)`}: set DOM_HTTP_TOKEN or pass --token-file FILE.`,
    );
  }
  const engine = new Engine(config, log);
  const history = openHistory(config, log);
  const tasks = new TaskRunner(history, log);
  const running = await startHttpServer(
    {
      host,
      port,
      token: config.httpToken,
      allowedHosts: list(opts.allowedHosts),
      allowedOrigins: list(opts.allowedOrigins),
      ...limits,
    },
    () => createServer(config, log, engine, history, tasks).server,
    log,
  );
  const watcher = maybeStartWatcher(config, engine, history, log);
  reconcileAtStart(config, engine, history, log);
  const shutdown = onShutdown(log, async () => {
    await watcher?.stop();
    await running.close();
    await tasks.close();
    history.close();
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function serve(opts: ServeFlags): Promise<void> {
  const transport = opts.transport ?? 'stdio';
  if (transport === 'http') return serveHttp(opts);
  return serveStdio(opts);
}

async function serveStdio(opts: ConfigFlags): Promise<void> {
  const { config, log } = setup(opts);
  const history = openHistory(config, log);
  const engine = new Engine(config, log);
  const tasks = new TaskRunner(history, log);
  const watcher = maybeStartWatcher(config, engine, history, log);
  reconcileAtStart(config, engine, history, log);
  // serveStdio lets the opening message choose the era, as the HTTP entry does per request:
  // server/discover or an enveloped request pins 2026-07-28, initialize pins the 2025 handshake.
  // (A bare server.connect(transport) only ever speaks the initialize handshake.)
  const connection = serveStdioConnection(() => createServer(config, log, engine, history, tasks).server, {
    transport: boundedStdioTransport(log),
    onerror: (err: Error) => log.debug({ err: err.message }, 'stdio protocol error'),
  });
  const shutdown = onShutdown(log, async () => {
    await watcher?.stop();
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
    const out = await invokeTool(tool, args, {
      engine: new Engine(config, log),
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

addCommonOptions(program.command('serve', { isDefault: true }).description('run the MCP server (stdio by default)'))
  .addOption(
    new Option('--transport <transport>', 'stdio or http (Streamable HTTP at /mcp)').choices(['stdio', 'http']),
  )
  .option('--host <host>', 'HTTP bind address (default 127.0.0.1)')
  .option('--port <port>', 'HTTP port (default 8808; 0 picks a free one)')
  .option('--token-file <file>', 'file holding the HTTP bearer token (or set DOM_HTTP_TOKEN)')
  .option('--allowed-hosts <list>', 'extra Host header names the HTTP transport accepts')
  .option('--allowed-origins <list>', 'extra Origin host names the HTTP transport accepts')
  .option('--max-body <bytes>', 'largest HTTP request body, counted as it arrives (default 4 MiB)')
  .option(
    '--max-concurrent <n>',
    'most JSON-RPC messages served at once over HTTP; each message of a batch counts (default 32)',
  )
  .option('--headers-timeout <ms>', 'time allowed to receive HTTP request headers (default 10000)')
  .option('--body-timeout <ms>', 'time allowed to receive an HTTP request body after its headers (default 10000)')
  .option(
    '--request-timeout <ms>',
    'time allowed to receive a whole HTTP request; answers may take longer (default 30000)',
  )
  .option(
    '--self-heal',
    'run the self-healing watcher: restart managed containers that die or turn unhealthy (or DOM_SELF_HEAL=1)',
  )
  .action(async (opts: ServeFlags) => serve(opts));

addCommonOptions(program.command('tools').description('list the tools this configuration offers'))
  .option('--json', 'print tool metadata as JSON')
  .action((opts: ConfigFlags & { json?: boolean }) => printTools(opts));

addCommonOptions(
  program
    .command('call')
    .description('run one tool and print its structured result')
    .argument('<tool>')
    .argument('[json]', 'arguments as a JSON object'),
).action(async (tool: string, json: string | undefined, opts: ConfigFlags) => {
  process.exitCode = await callTool(tool, json, opts);
});

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
