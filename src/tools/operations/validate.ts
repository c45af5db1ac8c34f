import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { TERSE } from '../publish.js';
import { ToolError } from '../../kernel/errors.js';
import {
  countBySeverity,
  SEVERITIES,
  validateContainerSpec,
  validateStack,
  type Finding,
} from '../../validation/index.js';
import { deployContainerInput, toContainerSpec } from '../containers/deploySpec.js';
import { capList, capText } from '../bounds.js';
import { defineTool } from '../defineTool.js';
import { stackNameArg } from '../stacks/shared.js';

const stackInput = z
  .object({
    name: stackNameArg,
    compose: z.string().max(1_000_000).optional(),
    file: z.string().max(4096).optional(),
    template: z.string().max(100).optional(),
    variables: keyValueList().optional(),
    env: keyValueList().optional(),
    profiles: z.array(z.string().min(1)).optional(),
    pull: z
      .enum(['missing', 'always', 'never'])
      .optional()
      .describe('The pull policy the deploy would use (default missing).'),
  })
  .describe('name plus one of compose, file or template.');

const findingSchema = z.object({
  severity: z.enum(SEVERITIES),
  code: z
    .string()
    .describe(
      'compose, dependency, interpolation, image, port, name, network, volume, limits, policy, spec, healthcheck, restart, tag, resources',
    ),
  service: z.string().optional(),
  field: z
    .string()
    .optional()
    .describe('Compose key path (services.web.ports[0]) or deploy_container argument (ports[0]).'),
  message: z.string(),
  fix: z.string(),
});

/** Findings listed in one answer; the counts cover all of them. */
const MAX_FINDINGS = 50;
const MAX_SERVICES = 100;
/** Characters of a finding's message or fix. */
const MAX_FINDING_CHARS = 400;

function boundedFinding(f: Finding): Finding {
  return { ...f, message: capText(f.message, MAX_FINDING_CHARS), fix: capText(f.fix, MAX_FINDING_CHARS) };
}

const SEVERITY_LABEL = { error: 'ERROR', warning: 'WARN', info: 'INFO' } as const;

function findingLine(f: Finding): string {
  const where = [f.service !== undefined ? `service "${f.service}"` : '', f.field ? `(${f.field})` : '']
    .filter(Boolean)
    .join(' ');
  return `${SEVERITY_LABEL[f.severity]} ${where ? `${where}: ` : ''}${f.message.replace(/\.$/, '')}. Fix: ${f.fix}`;
}

export const configurationValidationTool = defineTool({
  name: 'configuration_validation',
  title: 'Validate a deployment before running it',
  description:
    'Check a container (container: the arguments of deploy_container) or a stack (stack: as deploy_application_stack) without changing anything: Compose errors with lines, cycles, missing images, taken host ports, name conflicts, missing networks/volumes, policy violations, risky defaults. Use before a deploy.',
  toolset: 'operations',
  kind: 'read',
  input: z.object({
    container: deployContainerInput
      .optional()
      .meta({ description: 'The arguments of deploy_container.', [TERSE]: true }),
    stack: stackInput.optional(),
  }),
  output: z.object({
    target: z.enum(['container', 'stack']),
    name: z.string().describe('The stack name, or the container name (or image when unnamed).'),
    source: z.string().optional().describe('Where the stack came from: inline, file:PATH or template:NAME.'),
    services: z
      .array(z.string())
      .optional()
      .describe(`Active services, when the Compose input could be loaded (at most ${MAX_SERVICES}).`),
    moreServices: z.number().optional().describe('Services left out of `services` because there were too many.'),
    valid: z.boolean().describe('No error findings: a deploy would pass these checks.'),
    counts: z.object({ error: z.number(), warning: z.number(), info: z.number() }),
    findings: z
      .array(findingSchema)
      .describe(`Errors first, then warnings, then info; at most ${MAX_FINDINGS} (counts cover all).`),
    moreFindings: z.number().optional().describe('Findings left out of `findings` because there were too many.'),
  }),
  async handler(args, ctx) {
    if ((args.container === undefined) === (args.stack === undefined)) {
      throw new ToolError(
        'invalid_input',
        args.container === undefined
          ? 'Give what to validate: `container` (deploy_container arguments) or `stack` ({name, compose | file | template}).'
          : 'Give either `container` or `stack`, not both: validate one at a time.',
      );
    }
    const engineIsLocal = ctx.engine.local;

    let head: {
      target: 'container' | 'stack';
      name: string;
      source?: string;
      services?: string[];
      moreServices?: number;
    };
    let findings: Finding[];
    if (args.container) {
      const input = args.container;
      const result = await validateContainerSpec(
        ctx.engine,
        ctx.config,
        () => toContainerSpec(input, ctx.config.instanceLabel),
        {
          pull: input.pull ?? 'missing',
          engineIsLocal,
          signal: ctx.signal,
        },
      );
      head = { target: 'container', name: input.name ?? input.image };
      findings = result.findings;
    } else {
      const s = args.stack as z.infer<typeof stackInput>;
      const result = await validateStack(ctx.engine, ctx.config, s, { engineIsLocal, signal: ctx.signal });
      const services = capList(result.services, MAX_SERVICES);
      head = {
        target: 'stack',
        name: result.stack,
        source: result.source,
        ...(result.services.length ? { services: services.shown } : {}),
        ...(services.more ? { moreServices: services.more } : {}),
      };
      findings = result.findings;
    }
    const counts = countBySeverity(findings);
    const valid = counts.error === 0;
    const what =
      head.target === 'stack'
        ? `Stack "${head.name}"${head.source ? ` (${head.source})` : ''}`
        : `Container ${head.name}`;
    const { shown, more } = capList(findings, MAX_FINDINGS);
    const listed = shown.map(boundedFinding);
    const text = [
      `${what}: ${valid ? 'valid' : 'NOT valid'} (${counts.error} errors, ${counts.warning} warnings, ${counts.info} info).`,
      ...listed.map(findingLine),
      ...(more ? [`... and ${more} more findings (fix these first, then validate again).`] : []),
    ].join('\n');
    return { data: { ...head, valid, counts, findings: listed, ...(more ? { moreFindings: more } : {}) }, text };
  },
});
