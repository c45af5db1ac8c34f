import { ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Engine } from '../docker/engine.js';
import { listStackSummaries, stackStatus } from '../stacks/status.js';
import { listTemplates } from '../stacks/templates.js';

/**
 * Stack templates as resources (their Compose text), running stacks as resources (their
 * status), and one prompt per template that walks an assistant through deploying it.
 */
let cached: ReturnType<typeof listTemplates> | undefined;

export function registerStackResources(server: McpServer, engine: Engine): void {
  // Shipped files do not change while the server runs; HTTP builds a server per request.
  const templates = (cached ??= listTemplates());

  for (const t of templates) {
    server.registerResource(
      `template-${t.name}`,
      `docker-orchestration-mcp://templates/${t.name}`,
      { title: `Stack template ${t.name}`, description: t.description, mimeType: 'application/yaml' },
      async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/yaml', text: t.text }] }),
    );
  }

  server.registerResource(
    'stack-status',
    new ResourceTemplate('docker://stacks/{name}', {
      list: async () => ({
        resources: (await listStackSummaries(engine)).map((s) => ({
          uri: `docker://stacks/${s.name}`,
          name: `stack ${s.name}`,
          mimeType: 'application/json',
        })),
      }),
      complete: {
        name: async (value) => (await listStackSummaries(engine)).map((s) => s.name).filter((n) => n.startsWith(value)),
      },
    }),
    {
      title: 'Stack status',
      description: 'Per-service containers, state, health and ports of a deployed stack.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.name ?? ''));
      const status = await stackStatus(engine, name);
      if (!status) throw new ResourceNotFoundError(uri.href);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(status, null, 2) }] };
    },
  );

  for (const t of templates) {
    const shape: Record<string, z.ZodOptional<z.ZodString>> = {};
    for (const v of t.variables.slice(0, 20)) {
      shape[v.name] = z
        .string()
        .optional()
        .describe(
          `${v.description ?? v.name}${v.default !== undefined ? ` (default ${v.default})` : ''}${v.required ? ' (required)' : ''}`,
        );
    }
    server.registerPrompt(
      `deploy-${t.name}`,
      {
        title: `Deploy the ${t.name} stack`,
        description: `${t.description} Services: ${t.services.join(', ')}.`,
        argsSchema: z.object({
          stack_name: z.string().optional().describe('Name of the stack (default: the template name)'),
          ...shape,
        }),
      },
      (args: Record<string, string | undefined>) => {
        const { stack_name: stackName, ...rest } = args;
        const variables = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== ''));
        const missing = t.variables.filter((v) => v.required && !(v.name in variables)).map((v) => v.name);
        const call = { name: stackName || t.name, template: t.name, variables };
        const text = [
          `Deploy the "${t.name}" stack template (${t.description}).`,
          `1. Call deploy_application_stack with ${JSON.stringify({ ...call, dry_run: true })} and show me the plan.`,
          `2. If the plan looks right, call it again without dry_run and wait until every service is healthy.`,
          `3. Report each service's state, health and published ports, and the time to healthy.`,
          missing.length
            ? `Ask me for ${missing.join(', ')} first: the template requires ${missing.length > 1 ? 'them' : 'it'}.`
            : '',
          'If the deploy fails, show the failing service, its last log lines and health output; nothing is left behind.',
        ]
          .filter(Boolean)
          .join('\n');
        return { messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] };
      },
    );
  }
}
