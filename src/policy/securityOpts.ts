import { ToolError } from '../kernel/errors.js';

/**
 * `security_opt` in every spelling the Engine (or the docker CLI) understands, parsed into
 * (key, value) first and then judged against a short allow-list. The Engine splits on the first
 * "=" (or ":", deprecated), and a bare "disable" means label=disable.
 */

export type SecurityOptVerdict =
  /** Harmless: passed on in its normalised spelling. */
  | { kind: 'safe'; normalised: string }
  /** Turns a confinement off. */
  | { kind: 'unconfined'; normalised: string; what: string }
  /** A profile or label the server cannot judge (inline seccomp JSON, a profile path, an AppArmor profile, an SELinux label). */
  | { kind: 'custom'; normalised: string; what: string }
  /** systempaths=unconfined: not a daemon option; the CLI turns it into empty masked/read-only path lists. */
  | { kind: 'systempaths'; what: string };

const TRUE = new Set(['1', 't', 'true']);
const FALSE = new Set(['0', 'f', 'false']);

function split(raw: string): { key: string; value?: string } {
  const s = raw.trim();
  const eq = s.indexOf('=');
  const colon = s.indexOf(':');
  const at = eq >= 0 ? eq : colon;
  if (at < 0) return { key: s.toLowerCase() };
  return { key: s.slice(0, at).trim().toLowerCase(), value: s.slice(at + 1).trim() };
}

export function judgeSecurityOpt(raw: string, field: string): SecurityOptVerdict {
  if (typeof raw !== 'string') throw new ToolError('invalid_input', `${field}: expected a string.`);
  const { key, value } = split(raw);
  const lower = value?.toLowerCase();
  switch (key) {
    case 'no-new-privileges': {
      if (value === undefined || TRUE.has(lower as string))
        return { kind: 'safe', normalised: 'no-new-privileges=true' };
      if (FALSE.has(lower as string)) return { kind: 'safe', normalised: 'no-new-privileges=false' };
      break;
    }
    case 'disable':
      if (value === undefined)
        return { kind: 'unconfined', normalised: 'label=disable', what: 'SELinux labelling off (label=disable)' };
      break;
    case 'seccomp':
      if (lower === 'unconfined')
        return { kind: 'unconfined', normalised: 'seccomp=unconfined', what: 'the seccomp filter off' };
      if (value)
        return {
          kind: 'custom',
          normalised: `seccomp=${value}`,
          what: 'a custom seccomp profile (the server cannot judge what it allows)',
        };
      break;
    case 'apparmor':
      if (lower === 'docker-default') return { kind: 'safe', normalised: 'apparmor=docker-default' };
      if (lower === 'unconfined')
        return { kind: 'unconfined', normalised: 'apparmor=unconfined', what: 'the AppArmor profile off' };
      if (value)
        return {
          kind: 'custom',
          normalised: `apparmor=${value}`,
          what: `AppArmor profile "${value}" instead of docker-default`,
        };
      break;
    case 'label':
      if (lower === 'disable')
        return { kind: 'unconfined', normalised: 'label=disable', what: 'SELinux labelling off (label=disable)' };
      if (value)
        return {
          kind: 'custom',
          normalised: `label=${value}`,
          what: `SELinux label "${value}" (a type or level can reach other containers' or the host's files)`,
        };
      break;
    case 'systempaths':
      if (lower === 'unconfined')
        return { kind: 'systempaths', what: 'the masked and read-only /proc and /sys paths off' };
      break;
  }
  throw new ToolError(
    'invalid_input',
    `${field}: unknown security_opt ${JSON.stringify(raw)}. Known forms: no-new-privileges[:true|false], apparmor=docker-default (others need DOM_ALLOW_UNCONFINED=1).`,
  );
}
