import pino, { type Logger } from 'pino';
import { maskRecord, maskText } from './util/mask.js';

/**
 * Structured JSON logs on stderr (fd 2): stdout belongs to the MCP protocol in stdio mode.
 * Every line passes the secret masker: objects by key name and value, messages by value.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { name: 'docker-orchestration-mcp' },
      formatters: { log: (obj) => maskRecord(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? maskText(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
