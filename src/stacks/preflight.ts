import type { PolicyConfig } from '../config.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../docker/errors.js';
import type { PullPolicy } from '../docker/images.js';
import { checkStackOnEngine, formatFinding, type Finding } from '../validation/index.js';
import type { ComposeProject, Plan } from './compose/index.js';

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
