import { z } from 'zod';

/**
 * What a setting's declaration holds (src/config/settings.ts lists them), and the kinds of value a
 * setting can take: each kind is a zod schema that parses the setting's text plus the words that
 * describe a valid value in errors and in the README.
 */

/** README sections, in order. */
export const GROUPS = {
  server: { title: 'Server', intro: '' },
  http: { title: 'Streamable HTTP transport', intro: 'Used with `--transport http` (see *Streamable HTTP* above).' },
  docker: {
    title: 'Docker Engine',
    intro: 'How the server reaches the Engine and registries (the Docker CLI reads the same variables).',
  },
  files: { title: 'Files and Compose', intro: 'See *Files the server reads* and *Application stacks*.' },
  selfHeal: { title: 'Self-healing', intro: '' },
  policy: {
    title: 'Container policy',
    intro:
      'Checked before anything is created, for `deploy_container` and stacks alike; every refusal is a `denied` error naming the rule and the setting that allows it.',
  },
} as const;
export type Group = keyof typeof GROUPS;

/** Which subcommands take the flag: every one (`serve`, `tools`, `call`) or only `serve`. */
export type FlagScope = 'all' | 'serve';

/** The raw text of a setting: an environment value, a flag value, or a repeated flag's values. */
export type RawValue = string | string[];

export interface SettingSpec<S extends z.ZodType = z.ZodType> {
  /** Environment variable; absent for the few flag-only choices. */
  env?: string;
  /** Long flag, e.g. `--max-body`; absent for environment-only settings. */
  flag?: string;
  /** Placeholder of the flag's value (`<bytes>`); absent for a switch. */
  arg?: string;
  /** The flag may be given several times (its values form the list). */
  repeatable?: boolean;
  /** Subcommands that take the flag (default all). */
  commands?: FlagScope;
  /** Unit named in errors (`milliseconds`, `bytes`). */
  unit?: string;
  /** Parses the setting's text (undefined when unset) into its value, applying the default. */
  schema: S;
  /** What a valid value looks like, for errors and the README ("a whole number from 1 to 65535"). */
  expected: string;
  /** The default as the README shows it. */
  shownDefault: string;
  /** One line for the README and `--help`. */
  description: string;
  /** An example value for the README (env form). */
  example?: string;
  group: Group;
  /** The value never appears in an error. */
  secret?: boolean;
}

/**
 * Marks a custom issue whose message reads after the setting's name ("DOCKER_HOST scheme ... is
 * not supported"), or on its own when it spans settings; other issues get "must be <expected>".
 */
export const AFTER_LABEL = { afterLabel: true } as const;
export const WHOLE_SENTENCE = { wholeSentence: true } as const;

// ---------------------------------------------------------------------------------------------
// Kinds of value: each returns the schema and the words that describe it.

/** On/off: 1/0, true/false, yes/no, on/off (any case); a switch flag gives true. */
export function onOff() {
  return { schema: z.stringbool().default(false), expected: '1 or 0 (or true/false, yes/no, on/off)' };
}

/** Digits only (no sign, decimals, exponent or hex), within [min, max]. */
export function whole(min: number, fallback: number, max = Number.MAX_SAFE_INTEGER) {
  return {
    schema: z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.int().min(min).max(max)).default(fallback),
    expected: `a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}`,
  };
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return {
    schema: z.string().trim().pipe(z.enum(values)).default(fallback),
    expected: `one of ${values.join(', ')}`,
  };
}

/** Free text; `undefined` when unset. */
export function text(expected = 'a non-empty text') {
  return { schema: z.string().min(1).optional(), expected };
}

/** A comma-separated list (or a repeated flag's values), items trimmed, empty items dropped. */
export function list(expected = 'a comma-separated list') {
  return {
    schema: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .default([]),
    expected,
  };
}

const KIB = 1024;
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KIB,
  kb: KIB,
  m: KIB ** 2,
  mb: KIB ** 2,
  g: KIB ** 3,
  gb: KIB ** 3,
};

/** A memory size as Docker writes it ("512m", "1g"), at least 4 MiB; kept as written. */
export function memorySize() {
  return {
    schema: z
      .string()
      .trim()
      .refine((s) => {
        const m = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i.exec(s);
        return !!m && Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? NaN) >= 4 * 1024 ** 2;
      })
      .optional(),
    expected: 'a size like 512m or 1g, at least 4m',
  };
}

/** A number of CPUs above 0 and at most 1024 ("0.5", "2"); kept as written. */
export function cpuCount() {
  return {
    schema: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/)
      .refine((s) => Number(s) > 0 && Number(s) <= 1024)
      .optional(),
    expected: 'a number of CPUs above 0, at most 1024, like 0.5',
  };
}

/** DOCKER_HOST: a URL with a scheme the connection layer speaks (src/docker/connection.ts). */
export function engineAddress() {
  const use = 'use unix:///var/run/docker.sock, tcp://HOST:2375, ssh://USER@HOST or npipe://';
  return {
    schema: z
      .string()
      .trim()
      .superRefine((s, ctx) => {
        let protocol: string;
        try {
          protocol = new URL(s).protocol;
        } catch {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a URL; ${use}`, params: AFTER_LABEL });
          return;
        }
        if (!['unix:', 'npipe:', 'tcp:', 'http:', 'https:', 'ssh:'].includes(protocol))
          ctx.addIssue({
            code: 'custom',
            message: `scheme ${JSON.stringify(protocol)} is not supported; use unix://, tcp://, ssh:// or npipe://`,
            params: AFTER_LABEL,
          });
      })
      .optional(),
    expected: 'a URL: unix:///var/run/docker.sock, tcp://HOST:2375, ssh://USER@HOST or npipe://',
  };
}

const registryCredential = z.strictObject({
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
export type RegistryCredential = z.infer<typeof registryCredential>;

/** DOM_REGISTRY_AUTH: JSON object keyed by registry host. */
export function registryAuth() {
  return {
    schema: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().min(1), registryCredential))
      .default({}),
    expected:
      'a JSON object keyed by registry host: {"registry.example:5000": {"username": "...", "password": "..."}} (or "identitytoken")',
  };
}

export function setting<S extends z.ZodType>(spec: SettingSpec<S>): SettingSpec<S> {
  return spec;
}
