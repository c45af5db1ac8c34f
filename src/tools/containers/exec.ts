import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { inspectContainer, target } from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { assertObjectRef } from '../../docker/refs.js';
import { execInContainer } from '../../docker/exec.js';
import { vetExistingContainer } from '../../policy/hostAccessEngine.js';
import { maskEnvMap, maskValue } from '../../util/mask.js';
import type { ToolContext } from '../defineTool.js';
import { confirmArg, destructiveOutcome, idArg } from '../schemas.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { timedStep } from '../../history/record.js';

const MAX_EXEC_BYTES = 1024 * 1024;
const TIMEOUT_PREVIEW = 2048;

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function lastBytes(s: string, n: number): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

const execInput = z.object({
  id: idArg,
  command: z
    .array(z.string().max(32_768))
    .min(1, 'command is empty: give the program and its arguments')
    .max(256)
    .describe('e.g. ["ls", "-l"]'),
  working_dir: z.string().max(4096).optional(),
  env: keyValueList().optional().describe('["KEY=VALUE"]'),
  user: z.string().max(256).optional(),
  timeout: z.number().min(0.1).max(3600).optional().describe('Seconds (default 30).'),
  max_bytes: z.number().int().min(256).max(MAX_EXEC_BYTES).optional(),
  confirm: confirmArg,
});
type ExecArgs = z.infer<typeof execInput>;

export const execInContainerTool = defineDestructiveTool({
  name: 'exec_in_container',
  title: 'Run command in container',
  description:
    'Run a command in a running container (no shell unless you call one: ["sh", "-c", "..."]); returns exit code, stdout, stderr. Destructive: needs confirmation.',
  toolset: 'containers',
  input: execInput,
  output: z.object({
    id: z.string(),
    name: z.string(),
    command: z.array(z.string()),
    ...destructiveOutcome,
    exitCode: z.number().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    truncated: z.boolean().optional(),
    droppedBytes: z.number().optional(),
    durationMs: z.number().optional(),
  }),
  async resolve(a, ctx) {
    assertObjectRef(a.id, 'container');
    const c = await inspectContainer(ctx.engine, a.id, ctx.signal);
    return { scope: [{ what: target(c.Name.replace(/^\//, '')), labels: c.Config.Labels }], found: c };
  },
  async plan(c, a, ctx) {
    const name = c.Name.replace(/^\//, '');
    if (!c.State.Running || c.State.Paused) {
      throw new ToolError(
        'conflict',
        `Container "${name}" is ${c.State.Paused ? 'paused' : `not running (state: ${c.State.Status})`}: commands run only in a running container. ${c.State.Paused ? 'Unpause' : 'Start'} it first (start_container).`,
      );
    }
    // A command in a container with host access (privileged, host namespaces, sensitive binds...) uses that access.
    await vetExistingContainer(ctx.engine, ctx.config, c, ctx.signal);
    const shown = a.command.map(quote).join(' ');
    const envShown = Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${maskValue(k, v)}`);
    const base = { id: c.Id.slice(0, 12), name, command: a.command };
    const inputs = a.env ? { ...a, env: maskEnvMap(a.env) } : a;
    return {
      summary: `Run \`${shown}\` in container "${name}"${a.user ? ` as ${a.user}` : ''}${a.working_dir ? ` in ${a.working_dir}` : ''}${envShown.length ? ` with env ${envShown.join(' ')}` : ''}.`,
      record: { target: name, source: 'container', inputs },
      nothing: 'nothing ran',
      refused: (message) => ({ ...base, done: false, message }),
      run: (h) => timedStep(h, 'exec', () => runCommand(ctx, { containerId: c.Id, shown, base }, a)),
    };
  },
});

/** Runs the confirmed command and shapes its answer; a command still running at the deadline is a timeout. */
async function runCommand(
  ctx: ToolContext,
  what: { containerId: string; shown: string; base: { id: string; name: string; command: string[] } },
  a: ExecArgs,
) {
  const { containerId, shown, base } = what;
  const name = base.name;
  const timeoutMs = Math.round((a.timeout ?? 30) * 1000);
  const r = await execInContainer(ctx.engine, containerId, {
    cmd: a.command,
    timeoutMs,
    maxBytes: a.max_bytes ?? 64 * 1024,
    signal: ctx.signal,
    ...(a.working_dir ? { workingDir: a.working_dir } : {}),
    ...(a.env ? { env: a.env } : {}),
    ...(a.user ? { user: a.user } : {}),
  });
  if (r.timedOut) {
    const parts = [
      `Timed out after ${timeoutMs / 1000} s: \`${shown}\` in container "${name}" had not finished. The Engine cannot stop an exec, so it may still be running there (stop it with another exec such as ["pkill", ...] or restart the container); raise timeout for long commands.`,
    ];
    if (r.stdout) parts.push(`stdout so far: ${lastBytes(r.stdout, TIMEOUT_PREVIEW)}`);
    if (r.stderr) parts.push(`stderr so far: ${lastBytes(r.stderr, TIMEOUT_PREVIEW)}`);
    throw new ToolError('timeout', parts.join('\n'));
  }
  const exitCode = r.exitCode ?? -1;
  const message = `\`${shown}\` exited with code ${exitCode} in ${r.durationMs} ms.`;
  const data = {
    ...base,
    done: true,
    message,
    exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    truncated: r.truncated,
    droppedBytes: r.droppedBytes,
    durationMs: r.durationMs,
  };
  const text = [
    message,
    r.truncated ? `[truncated: ${r.droppedBytes} older bytes not shown; raise max_bytes]` : '',
    `--- stdout ---\n${r.stdout || '(empty)'}`,
    `--- stderr ---\n${r.stderr || '(empty)'}`,
  ]
    .filter(Boolean)
    .join('\n');
  return { data, text };
}
