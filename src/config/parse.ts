import { ConfigError } from './error.js';
import { SETTINGS, SettingsSchema, type SettingName, type Settings } from './settings.js';
import type { RawValue, SettingSpec } from './spec.js';

/** Environment variables as the process has them. */
export type Env = Record<string, string | undefined>;

/** Values commander parsed, keyed by the flag's camel-case name (`--max-body` -> `maxBody`). */
export type ConfigFlags = Record<string, string | boolean | string[] | undefined>;

/** `--max-body` -> `maxBody`, the key commander stores the value under. */
export function flagKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

interface Source {
  raw: RawValue;
  from: 'flag' | 'env';
}

/** Where each setting's text comes from: its flag wins over its variable; empty counts as unset. */
function rawSources(env: Env, flags: ConfigFlags): Partial<Record<SettingName, Source>> {
  const out: Partial<Record<SettingName, Source>> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const flagValue = spec.flag ? flags[flagKey(spec.flag)] : undefined;
    const fromFlag = typeof flagValue === 'boolean' ? String(flagValue) : flagValue;
    if (fromFlag !== undefined && fromFlag !== '' && !(Array.isArray(fromFlag) && fromFlag.length === 0)) {
      out[name] = { raw: fromFlag, from: 'flag' };
      continue;
    }
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') out[name] = { raw: fromEnv, from: 'env' };
  }
  return out;
}

/** How an error names a setting: what the user wrote first, then the other spelling and unit. */
export function settingLabel(spec: SettingSpec, from: 'flag' | 'env' = spec.flag ? 'flag' : 'env'): string {
  const [first, other] = from === 'flag' ? [spec.flag, spec.env] : [spec.env, spec.flag];
  const aside = [other, spec.unit].filter(Boolean).join(', ');
  return `${first ?? other}${aside && first ? ` (${aside})` : ''}`;
}

/**
 * Parses the environment and the flags against the schema. A bad value is a ConfigError (the CLI
 * exits 2) that names each bad setting, the form it expects and, unless secret, what it got.
 */
export function parseSettings(env: Env, flags: ConfigFlags = {}): Settings {
  const sources = rawSources(env, flags);
  const raw = Object.fromEntries(Object.entries(sources).map(([k, s]) => [k, s.raw]));
  const result = SettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = new Set<string>();
  for (const issue of result.error.issues) {
    const name = issue.path[0] as SettingName;
    const spec: SettingSpec | undefined = SETTINGS[name];
    const source = sources[name];
    if (!spec) {
      lines.add(issue.message);
      continue;
    }
    if (issue.code === 'custom' && issue.params?.wholeSentence) {
      lines.add(issue.message);
      continue;
    }
    if (issue.code === 'custom' && issue.params?.afterLabel) {
      lines.add(`${settingLabel(spec, source?.from)} ${issue.message}`);
      continue;
    }
    const got = source && !spec.secret ? `, not ${JSON.stringify(source.raw)}` : '';
    lines.add(`${settingLabel(spec, source?.from)} must be ${spec.expected}${got}`);
  }
  throw new ConfigError([...lines].join('\n'));
}
