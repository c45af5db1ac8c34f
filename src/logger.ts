import pino, { type Logger } from 'pino';

/** Structured JSON logs on stderr (fd 2): stdout belongs to the MCP protocol in stdio mode. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { name: 'docker-orchestration-mcp' },
      redact: { paths: ['*.env', '*.Env', '*.auth', '*.password', '*.token', 'env', 'auth', 'password', 'token'], censor: '******' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
