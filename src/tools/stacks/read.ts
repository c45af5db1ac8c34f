import { z } from 'zod';
import { ToolError } from '../../kernel/errors.js';
import { listStackSummaries, stackStatus } from '../../stacks/status.js';
import { listTemplates } from '../../stacks/templates.js';
import { defineTool } from '../defineTool.js';
import { paginate, pagingInput } from '../paging.js';
import { moreHint } from '../render.js';
import { stackNameArg } from './shared.js';

const summarySchema = z.object({
  name: z.string(),
  services: z.number(),
  running: z.number().describe('Services with at least one running container.'),
  containers: z.number(),
  health: z.string(),
  created: z.string(),
  source: z.string().optional(),
  managed: z.boolean(),
});

export const listStacksTool = defineTool({
  name: 'list_stacks',
  title: 'List stacks',
  description: 'List stacks (Compose projects): services running/total, health, source.',
  toolset: 'stacks',
  kind: 'read',
  input: z.object({
    filters: z.object({ name: z.string().optional().describe('Substring of the stack name.') }).optional(),
    ...pagingInput,
  }),
  output: z.object({ stacks: z.array(summarySchema), total: z.number(), nextCursor: z.string().optional() }),
  async handler({ filters, limit, cursor }, ctx) {
    const all = (await listStackSummaries(ctx.engine, ctx.signal)).filter(
      (s) => !filters?.name || s.name.includes(filters.name),
    );
    const page = paginate(all, (s) => s.name, limit, cursor);
    const data: { stacks: typeof page.items; total: number; nextCursor?: string } = {
      stacks: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const lines = page.items.map((s) =>
      `${s.name}  ${s.running}/${s.services} services running  ${s.health}  ${s.source ?? ''}`.trimEnd(),
    );
    const text =
      (lines.length ? lines.join('\n') : 'No stacks.') + moreHint(page.items.length, page.total, page.nextCursor);
    return { data, text };
  },
});

const containerStatus = z.object({
  name: z.string(),
  id: z.string(),
  number: z.number(),
  state: z.string(),
  health: z.string().optional(),
  ports: z.array(z.string()),
  restarts: z.number(),
  exitCode: z.number().optional(),
  lastError: z.string().optional(),
  startedAt: z.string().optional(),
});

export const getStackStatusTool = defineTool({
  name: 'get_stack_status',
  title: 'Get stack status',
  description:
    'One stack per service: containers with state, health, ports, restarts, last error; networks and volumes.',
  toolset: 'stacks',
  kind: 'read',
  input: z.object({ name: stackNameArg }),
  output: summarySchema.extend({
    serviceStatus: z.array(
      z.object({ service: z.string(), state: z.string(), image: z.string(), containers: z.array(containerStatus) }),
    ),
    networks: z.array(z.string()),
    volumes: z.array(z.string()),
  }),
  async handler({ name }, ctx) {
    const status = await stackStatus(ctx.engine, name, ctx.signal);
    if (!status)
      throw new ToolError('not_found', `No stack named "${name}": list_stacks shows the stacks on this Engine.`);
    const lines = status.serviceStatus.map((s) => {
      const cs = s.containers.map((c) => {
        const st = c.health ? `${c.state}/${c.health}` : c.state;
        const extra = [
          c.ports.join(','),
          c.restarts ? `restarts ${c.restarts}` : '',
          c.lastError ? `error: ${c.lastError}` : '',
        ]
          .filter(Boolean)
          .join(' ');
        return `${c.name} ${st}${extra ? ` ${extra}` : ''}`;
      });
      return `  ${s.service} (${s.state}): ${cs.join('; ')}`;
    });
    const text = [
      `Stack "${name}": ${status.health}, ${status.running}/${status.services} services running`,
      ...lines,
    ].join('\n');
    return { data: status, text };
  },
});

export const listStackTemplatesTool = defineTool({
  name: 'list_stack_templates',
  title: 'List stack templates',
  description: 'Templates for deploy_application_stack, with their services and variables.',
  toolset: 'stacks',
  kind: 'read',
  input: z.object({}),
  output: z.object({
    templates: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        services: z.array(z.string()),
        variables: z.array(
          z.object({
            name: z.string(),
            default: z.string().optional(),
            required: z.boolean(),
            description: z.string().optional(),
          }),
        ),
      }),
    ),
  }),
  async handler() {
    const templates = listTemplates().map((t) => ({
      name: t.name,
      description: t.description,
      services: t.services,
      variables: t.variables,
    }));
    const text = templates
      .map(
        (t) =>
          `${t.name}: ${t.description}\n  services: ${t.services.join(', ')}\n  variables: ${t.variables
            .map((v) => (v.required ? `${v.name} (required)` : `${v.name}=${v.default ?? ''}`))
            .join(', ')}`,
      )
      .join('\n');
    return { data: { templates }, text: text || 'No templates installed.' };
  },
});
