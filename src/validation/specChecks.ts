import type { PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { ToolError } from '../kernel/errors.js';
import { checkContainerSpec } from '../policy/containerPolicy.js';
import type { ComposeIssue, ComposeProject } from '../stacks/compose/index.js';
import type { Finding } from './finding.js';

/** Checks of a spec or a Compose project that need no Engine. Pure. */

/** Field names in the caller's own vocabulary: Compose keys for a service, arguments for deploy_container. */
export interface Fields {
  service?: string;
  image: string;
  name: string;
  healthcheck: string;
  restart: string;
  memory: string;
  cpus: string;
  port(index: number): string;
  network(index: number): string;
}

export const containerFields: Fields = {
  image: 'image',
  name: 'name',
  healthcheck: 'healthcheck',
  restart: 'restart',
  memory: 'resources.memory',
  cpus: 'resources.cpus',
  port: (i) => `ports[${i}]`,
  network: () => 'network',
};

export function serviceFields(service: string): Fields {
  const at = (key: string) => `services.${service}.${key}`;
  return {
    service,
    image: at('image'),
    name: at('container_name'),
    healthcheck: at('healthcheck'),
    restart: at('restart'),
    memory: at('deploy.resources.limits.memory'),
    cpus: at('deploy.resources.limits.cpus'),
    port: (i) => at(`ports[${i}]`),
    network: () => at('networks'),
  };
}

function finding(fields: Fields, f: Omit<Finding, 'service'>): Finding {
  return fields.service !== undefined ? { ...f, service: fields.service } : f;
}

// ---------------------------------------------------------------------------
// Compose problems from loadProject.

function fixForIssue(issue: ComposeIssue): string {
  const at = issue.line !== undefined ? `${issue.path || 'the file'} (line ${issue.line})` : issue.path || 'the file';
  const m = issue.message;
  if (/dependency cycle/.test(m))
    return `Break the cycle: remove one of the depends_on entries it lists (${issue.path}).`;
  if (/^depends on "|unknown service|not a service|is not defined/i.test(m))
    return `Point ${at} at a service defined under "services", or define that service.`;
  if (/not supported/.test(m)) return `Remove ${at}; this server does not support that key.`;
  if (/unknown key|not allowed|unexpected key/i.test(m))
    return `Remove or correct the key at ${at} (check its spelling).`;
  if (/variable|\$\{/.test(m))
    return `Set the variable (stack \`env\`, template \`variables\` or .env beside the file), or give it a default with \${VAR:-default}.`;
  if (/Invalid YAML|YAML/i.test(m)) return `Fix the YAML syntax at ${at} (indentation, brackets, quotes).`;
  return `Correct ${at}.`;
}

function serviceOfPath(path: string): string | undefined {
  return /^services\.([A-Za-z0-9_-]+)/.exec(path)?.[1] ?? /^services\["([^"]+)"\]/.exec(path)?.[1];
}

/**
 * loadProject's invalid_input error -> one finding per problem, with field = its key path and the
 * line in the message. Any other ToolError becomes a single finding.
 */
export function composeFindings(err: ToolError): Finding[] {
  const issues = (err.details?.errors ?? undefined) as ComposeIssue[] | undefined;
  if (!Array.isArray(issues) || issues.length === 0) {
    return [
      { severity: 'error', code: 'compose', message: err.message, fix: 'Correct the stack input as the message says.' },
    ];
  }
  return issues.map((issue) => {
    const f: Finding = {
      severity: 'error',
      code:
        /dependency cycle|depends on|depends_on/.test(issue.message) || issue.path.includes('depends_on')
          ? 'dependency'
          : 'compose',
      message: `${issue.line !== undefined ? `line ${issue.line}: ` : ''}${issue.message}`,
      fix: fixForIssue(issue),
    };
    if (issue.path) f.field = issue.path;
    const service = serviceOfPath(issue.path);
    if (service !== undefined) f.service = service;
    return f;
  });
}

/** Interpolation warnings of a loaded project (unset variables taken as empty). */
export function projectWarningFindings(project: ComposeProject): Finding[] {
  return project.warnings.map((w) => ({
    severity: 'warning',
    code: 'interpolation',
    message: w,
    fix: /variable (\S+)/.test(w)
      ? `Set ${/variable (\S+)/.exec(w)?.[1]} in the stack's env (or .env), or write \${VAR:-default} to make the empty value explicit.`
      : 'Check the variables the file uses.',
  }));
}

// ---------------------------------------------------------------------------
// Policy.

/** A policy refusal (a `denied` ToolError) as an error finding: rule in the message, setting in the fix. */
export function deniedFinding(err: ToolError, fields: Fields): Finding {
  const [message, allow] = err.message.split(' To allow it, ');
  const rule = String(err.details?.rule ?? 'policy');
  const field = /mount|volume|remote-bind/.test(rule)
    ? fields.service !== undefined
      ? `services.${fields.service}.volumes`
      : 'volumes'
    : rule === 'host-network'
      ? fields.network(0)
      : rule === 'allowed-images'
        ? fields.image
        : undefined;
  const f = finding(fields, {
    severity: 'error',
    code: 'policy',
    message: message ?? err.message,
    fix: `Change the configuration so the rule "${rule}" is met${allow ? `, or ask the operator to ${allow.replace(/\.$/, '')}` : ''}.`,
  });
  if (field) f.field = field;
  return f;
}

/** A policy check's refusal (denied), or a value it could not take (invalid_input, not_found), as one finding. */
function checkError(err: unknown, fields: Fields): Finding {
  if (!(err instanceof ToolError) || !['denied', 'invalid_input', 'not_found'].includes(err.kind)) throw err;
  if (err.kind === 'denied') return deniedFinding(err, fields);
  return finding(fields, {
    severity: 'error',
    code: 'spec',
    message: err.message,
    fix: 'Correct the value as the message says.',
  });
}

/** Runs a policy check (sync or async); its refusal becomes one finding. */
export async function refusalFindings(check: () => unknown, fields: Fields): Promise<Finding[]> {
  try {
    await check();
    return [];
  } catch (err) {
    return [checkError(err, fields)];
  }
}

/** checkContainerSpec's refusal as an error finding. */
export function policyFindings(policy: PolicyConfig, spec: ContainerSpec, where: string, fields: Fields): Finding[] {
  try {
    checkContainerSpec(policy, spec, where);
    return [];
  } catch (err) {
    return [checkError(err, fields)];
  }
}

/** The cap on containers per stack (DOM_MAX_STACK_CONTAINERS). */
export function stackSizeFindings(policy: PolicyConfig, project: ComposeProject): Finding[] {
  const count = project.services.reduce((n, s) => n + s.replicas, 0);
  if (count <= policy.maxContainersPerStack) return [];
  return [
    {
      severity: 'error',
      code: 'policy',
      message: `Refused by policy (max-containers-per-stack): the stack would run ${count} containers, more than ${policy.maxContainersPerStack}.`,
      fix: `Lower deploy.replicas, or ask the operator to start the server with DOM_MAX_STACK_CONTAINERS=${count} or more.`,
    },
  ];
}

// ---------------------------------------------------------------------------
// Images and tags.

/** The tag part of a reference: undefined when there is none; "@digest" references count as pinned. */
export function imageTag(ref: string): { tag?: string; digest: boolean; id: boolean } {
  if (/^(sha256:)?[a-f0-9]{12,64}$/.test(ref)) return { digest: false, id: true };
  if (ref.includes('@')) return { digest: true, id: false };
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? { tag: last.slice(colon + 1), digest: false, id: false } : { digest: false, id: false };
}

/** Where `docker pull` would go for a reference: its registry host, or Docker Hub. */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return 'Docker Hub';
  const first = ref.slice(0, slash);
  return first === 'localhost' || first.includes('.') || first.includes(':') ? first : 'Docker Hub';
}

// ---------------------------------------------------------------------------
// Good-practice warnings.

/**
 * Warnings for a spec that will work but is fragile: no healthcheck (unless the image has one),
 * no restart policy, `latest` or no tag, no resource limits (after the policy's defaults).
 */
export function practiceFindings(spec: ContainerSpec, fields: Fields, imageHasHealthcheck = false): Finding[] {
  const out: Finding[] = [];
  if (spec.healthcheck?.Test[0] === 'NONE') {
    out.push(
      finding(fields, {
        severity: 'info',
        code: 'healthcheck',
        field: fields.healthcheck,
        message: 'The healthcheck is disabled; readiness is judged by "running" only.',
        fix: 'Give a healthcheck test if something depends on this being ready.',
      }),
    );
  } else if (!spec.healthcheck && !imageHasHealthcheck) {
    out.push(
      finding(fields, {
        severity: 'warning',
        code: 'healthcheck',
        field: fields.healthcheck,
        message: 'No healthcheck: a deploy can only wait for "running", and a hung process goes unnoticed.',
        fix: `Add a healthcheck, e.g. ${fields.service !== undefined ? 'healthcheck: {test: ["CMD", "wget", "-q", "-O-", "http://localhost/"], interval: 10s, retries: 3}' : '{"test": "wget -q -O- http://localhost/", "interval": "10s", "retries": 3}'}.`,
      }),
    );
  }
  if (!spec.restart || spec.restart.name === 'no') {
    out.push(
      finding(fields, {
        severity: 'warning',
        code: 'restart',
        field: fields.restart,
        message: 'No restart policy: the container stays down after a crash or an Engine restart.',
        fix: `Set ${fields.service !== undefined ? 'restart: unless-stopped' : 'restart: "unless-stopped"'} (or on-failure:5 for jobs).`,
      }),
    );
  }
  const t = imageTag(spec.image);
  if (!t.digest && !t.id && (t.tag === undefined || t.tag === 'latest')) {
    out.push(
      finding(fields, {
        severity: 'warning',
        code: 'tag',
        field: fields.image,
        message: `Image "${spec.image}" ${t.tag === undefined ? 'has no tag (means "latest")' : 'uses the "latest" tag'}: what runs changes with every pull and redeploys are not reproducible.`,
        fix: `Pin a version, e.g. "${spec.image.replace(/:latest$/, '')}:1.2.3", or a digest (@sha256:...).`,
      }),
    );
  }
  const missing = [spec.memoryBytes === undefined ? 'memory' : '', spec.nanoCpus === undefined ? 'cpus' : ''].filter(
    Boolean,
  );
  if (missing.length) {
    out.push(
      finding(fields, {
        severity: 'warning',
        code: 'resources',
        field: missing[0] === 'memory' ? fields.memory : fields.cpus,
        message: `No ${missing.join(' or ')} limit: one runaway container can starve the host.`,
        fix:
          fields.service !== undefined
            ? 'Set deploy.resources.limits (e.g. memory: 256m, cpus: "0.5"), or have the server apply defaults (DOM_DEFAULT_MEMORY, DOM_DEFAULT_CPUS).'
            : 'Set resources: {"memory": "256m", "cpus": 0.5}, or have the server apply defaults (DOM_DEFAULT_MEMORY, DOM_DEFAULT_CPUS).',
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Limits against the Engine's capacity.

export interface EngineCapacity {
  cpus: number;
  memoryBytes: number;
}

/** The Engine refuses memory limits under 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export function limitFindings(spec: ContainerSpec, capacity: EngineCapacity, fields: Fields): Finding[] {
  const out: Finding[] = [];
  if (spec.memoryBytes !== undefined) {
    if (capacity.memoryBytes > 0 && spec.memoryBytes > capacity.memoryBytes) {
      out.push(
        finding(fields, {
          severity: 'error',
          code: 'limits',
          field: fields.memory,
          message: `Memory limit ${mib(spec.memoryBytes)} is more than the Engine's total memory (${mib(capacity.memoryBytes)}).`,
          fix: `Lower the memory limit to at most ${mib(capacity.memoryBytes)} (leave room for the other containers).`,
        }),
      );
    } else if (spec.memoryBytes < MIN_MEMORY_BYTES) {
      out.push(
        finding(fields, {
          severity: 'error',
          code: 'limits',
          field: fields.memory,
          message: `Memory limit ${mib(spec.memoryBytes)} is below the Engine's minimum of 6 MiB.`,
          fix: 'Raise the memory limit to at least 6m (most services need 32m or more).',
        }),
      );
    }
  }
  if (spec.nanoCpus !== undefined && capacity.cpus > 0 && spec.nanoCpus > capacity.cpus * 1e9) {
    out.push(
      finding(fields, {
        severity: 'error',
        code: 'limits',
        field: fields.cpus,
        message: `CPU limit ${spec.nanoCpus / 1e9} is more than the Engine's ${capacity.cpus} CPUs; the Engine would refuse it.`,
        fix: `Set cpus to at most ${capacity.cpus}.`,
      }),
    );
  }
  return out;
}

/** A stack whose memory limits add up to more than the Engine has: it may still run, but not all at full use. */
export function stackMemoryFinding(
  project: ComposeProject,
  specs: readonly ContainerSpec[],
  capacity: EngineCapacity,
): Finding[] {
  const total = specs.reduce((n, s, i) => n + (s.memoryBytes ?? 0) * (project.services[i]?.replicas ?? 1), 0);
  if (capacity.memoryBytes <= 0 || total <= capacity.memoryBytes) return [];
  return [
    {
      severity: 'warning',
      code: 'limits',
      message: `The memory limits of the stack's containers add up to ${mib(total)}, more than the Engine's ${mib(capacity.memoryBytes)}.`,
      fix: 'Lower some memory limits or replicas, or run the stack on a larger host.',
    },
  ];
}
