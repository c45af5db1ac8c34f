import { ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { inspectContainer, listContainers, readLogs } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import { maskText } from '../util/mask.js';

const TAIL = 200;
const MAX_BYTES = 32 * 1024;

/** Container logs as a resource template: docker://containers/{id}/logs (last 200 lines, 32 KiB per stream). */
export function registerContainerLogs(server: McpServer, engine: Engine): void {
  server.registerResource(
    'container-logs',
    new ResourceTemplate('docker://containers/{id}/logs', {
      list: async () => {
        const rows = await listContainers(engine, { all: false });
        return {
          resources: rows.slice(0, 100).map((r) => ({
            uri: `docker://containers/${r.name}/logs`,
            name: `${r.name} logs`,
            mimeType: 'text/plain',
          })),
        };
      },
      complete: {
        id: async (value) =>
          (await listContainers(engine, { all: true }))
            .map((r) => r.name)
            .filter((n) => n.startsWith(value))
            .slice(0, 50),
      },
    }),
    {
      title: 'Container logs',
      description: `The last ${TAIL} log lines of a container, stdout then stderr, secrets masked.`,
      mimeType: 'text/plain',
    },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.id ?? ''));
      try {
        const c = await inspectContainer(engine, id);
        const out = await readLogs(engine, c.Id, c.Config.Tty ?? false, { tail: TAIL, maxBytes: MAX_BYTES });
        // Logs often print connection strings and tokens: masked like every tool answer.
        const text = maskText(
          [out.stdout, out.stderr ? `--- stderr ---\n${out.stderr}` : ''].filter(Boolean).join('\n'),
        );
        return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: text || '(no log output)' }] };
      } catch (err) {
        if (err instanceof ToolError && err.kind === 'not_found') throw new ResourceNotFoundError(uri.href);
        throw err;
      }
    },
  );
}
