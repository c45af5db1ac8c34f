import pino, { type DestinationStream, type Logger } from 'pino';
import { maskRecord, maskText } from './util/mask.js';

/**
 * pino writes a `msg` field of the logged object and then the message argument as a second
 * `msg` key: a JSON line with a duplicate key, which most log tools read as the last one.
 * A colliding `msg` field is kept under `error` (tool errors log their text that way), or
 * `detail` when `error` is taken, so every line has exactly one `msg`: the message.
 */
function oneMsgKey(args: unknown[]): unknown[] {
  const [fields, message, ...rest] = args;
  if (
    typeof message !== 'string' ||
    !fields ||
    typeof fields !== 'object' ||
    fields instanceof Error ||
    !Object.hasOwn(fields, 'msg')
  )
    return args;
  const { msg, ...others } = fields as Record<string, unknown>;
  return [{ ...others, [Object.hasOwn(others, 'error') ? 'detail' : 'error']: msg }, message, ...rest];
}

/**
 * Structured JSON logs on stderr (fd 2): stdout belongs to the MCP protocol in stdio mode.
 * Every line passes the secret masker: objects by key name and value, messages by value.
 */
export function createLogger(
  level: string,
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: { name: 'docker-orchestration-mcp' },
      formatters: { log: (obj) => maskRecord(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            oneMsgKey(args).map((a) => (typeof a === 'string' ? maskText(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

export type { Logger };
