import type { PolicyConfig } from '../config.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import type { PullPolicy } from '../docker/images.js';
import type { ComposeProject, Plan } from '../stacks/compose/index.js';
import { imageFacts, imageFindings } from './engineChecks.js';
import { formatFinding, type Finding } from './finding.js';
import { serviceFields } from './specChecks.js';
import { checkStackOnEngine } from './stack.js';
import { effectivePull } from '../stacks/compose/buildKey.js';

/**
 * Checks made before any Engine object is created, so a deploy that cannot work fails with a
 * clear message and leaves nothing behind. They are configuration_validation's Engine checks
 * (src/validation): external networks and volumes exist, images are there or may be pulled,
 * host ports are free (not held by another container of any stack, nor, when the Engine runs on
 * this machine, by any other process), container names are free, limits fit the Engine.
 * Throws on error findings; returns the rest (warnings and info) for the answer.
 */
export async function preflight(
  engine: Engine,
  project: ComposeProject,
  plan: Plan,
  opts: { engineIsLocal: boolean; policy: PolicyConfig; pull: PullPolicy; signal?: AbortSignal },
): Promise<Finding[]> {
  const findings = await checkStackOnEngine(engine, project, plan, opts);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    const codes = new Set(errors.map((f) => f.code));
    const kind = [...codes].every((c) => c === 'network' || c === 'volume' || c === 'image')
      ? 'not_found'
      : [...codes].every((c) => c === 'limits')
        ? 'invalid_input'
        : 'conflict';
    const problems = errors.map((f) => formatFinding(f));
    throw new ToolError(
      kind,
      `Cannot deploy stack "${project.name}"; nothing was changed:\n${errors.map((f) => `- ${formatFinding(f).replace(/\.$/, '')}. ${f.fix}`).join('\n')}`,
      { problems, findings: errors },
    );
  }
  return findings.filter((f) => f.severity !== 'error');
}

/**
 * The image checks alone, for a dry run: with pull "never" a missing image is an error (thrown as
 * not_found), otherwise a warning. Images built here are left out (made at deploy), also for services
 * that only use them.
 */
export async function imagePreflight(
  engine: Engine,
  project: ComposeProject,
  opts: { pull: PullPolicy; signal?: AbortSignal },
): Promise<Finding[]> {
  // Each service's own pull_policy over the deploy's pull, as the applier pulls.
  const built = new Set(project.services.filter((s) => s.build).map((s) => s.spec.image));
  const pulled = project.services
    .filter((s) => !s.build && !built.has(s.spec.image))
    .map((s) => ({ s, pull: effectivePull(s, opts.pull) }));
  const refs = pulled.filter((x) => x.pull !== 'always').map((x) => x.s.spec.image);
  const facts = await imageFacts(engine, refs, opts.signal);
  const findings = pulled.flatMap(({ s, pull }) =>
    imageFindings(s.spec.image, facts.get(s.spec.image), pull, serviceFields(s.name)),
  );
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new ToolError(
      'not_found',
      `Stack "${project.name}" cannot be deployed as planned:\n${errors.map((f) => `- ${formatFinding(f).replace(/\.$/, '')}. ${f.fix}`).join('\n')}`,
      { problems: errors.map((f) => formatFinding(f)), findings: errors },
    );
  }
  return findings;
}
