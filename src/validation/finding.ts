/**
 * Pre-deployment findings: what configuration_validation reports and what deploys refuse on.
 * Pure helpers only.
 */

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * A stable identifier for the kind of problem, so clients can act on it without parsing text:
 * compose (schema/interpolation), dependency (cycles, unknown services), image, port, name,
 * network, volume, limits, policy, spec (deploy_container arguments), healthcheck, restart,
 * tag, resources.
 */
export type FindingCode =
  | 'compose'
  | 'dependency'
  | 'interpolation'
  | 'image'
  | 'port'
  | 'name'
  | 'network'
  | 'volume'
  | 'limits'
  | 'policy'
  | 'spec'
  | 'healthcheck'
  | 'restart'
  | 'tag'
  | 'resources';

export interface Finding {
  severity: Severity;
  code: FindingCode;
  /** The stack service it concerns (absent for deploy_container and stack-wide findings). */
  service?: string;
  /** Where in the input: a Compose key path ("services.web.ports[0]") or a deploy_container argument ("ports[0]"). */
  field?: string;
  message: string;
  /** What to change so the finding goes away. */
  fix: string;
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then info; within a severity the order found is kept. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort(([a, i], [b, j]) => RANK[a.severity] - RANK[b.severity] || i - j)
    .map(([f]) => f);
}

/** One line: `service "web" (services.web.ports[0]): message`. */
export function formatFinding(f: Finding, withFix = false): string {
  const where = [f.service !== undefined ? `service "${f.service}"` : '', f.field ? `(${f.field})` : '']
    .filter(Boolean)
    .join(' ');
  return `${where ? `${where}: ` : ''}${f.message}${withFix ? ` Fix: ${f.fix}` : ''}`;
}

/**
 * Warnings for a deploy answer: one line per service, so a stack of many services without
 * healthchecks does not fill the model's context.
 */
export function compactWarnings(findings: readonly Finding[]): string[] {
  const byService = new Map<string, string[]>();
  const lines: string[] = [];
  for (const f of findings) {
    if (f.severity !== 'warning') continue;
    if (f.service === undefined) {
      lines.push(f.message);
      continue;
    }
    byService.set(f.service, [...(byService.get(f.service) ?? []), f.message.replace(/\.$/, '')]);
  }
  for (const [service, messages] of byService) lines.push(`service "${service}": ${messages.join('; ')}.`);
  return lines;
}
