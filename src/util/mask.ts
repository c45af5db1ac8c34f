/**
 * The one rule for what counts as a secret, used by every answer, log line, resource and
 * history record. Two ways to recognise one:
 * - by name: a variable, label, key or flag whose name says it holds a secret (password,
 *   pwd, secret, token, key, credential, auth, ...), after normalising case and separators;
 * - by value: URL credentials (with or without a user), `name=value` pairs with a secret
 *   name inside text (connection strings, JDBC query strings, env lines, JSON), well-known
 *   token shapes (GitHub, Stripe, Slack, AWS, GitLab, Google, npm, JWTs, bearer/basic
 *   credentials), PEM private key blocks, and the server's own configured secrets.
 * A value whose name ends in _FILE/_PATH/_DIR and that is a path is a pointer to a secret,
 * not the secret, and is shown (PASSWORD_FILE=/run/secrets/db).
 */

export const MASK = '******';

/** Whole words of a name that mark it secret (MYSQL_PWD, REDIS_PASS, SSH_KEY, REDISCLI_AUTH). */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'pass',
  'pwd',
  'pw',
  'secret',
  'secrets',
  'token',
  'tokens',
  'key',
  'keys',
  'apikey',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'creds',
  'salt',
  'dsn',
  'pat',
  'requirepass',
  'masterauth',
  'privatekey',
  'accesskey',
  'secretkey',
]);
/** Parts that mark a name secret even inside a longer word (PGPASSWORD, APIKEY, DBSECRET). */
const SECRET_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'credential',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'authtoken',
  'accesstoken',
  'refreshtoken',
  'apitoken',
  'connectionstring',
  'connstring',
];
/** A last word that makes the value a pointer (a path), not the secret itself. */
const POINTER_WORDS = new Set(['file', 'path', 'dir', 'directory']);
const PATH_VALUE = /^(\/|\.{1,2}\/|~\/|[A-Za-z]:\\)\S*$/;

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const joined = words.join('');
  return SECRET_PARTS.some((p) => joined.includes(p));
}

/** A secret-named setting whose value is only where the secret lives (PASSWORD_FILE=/run/secrets/x). */
function isPointer(name: string, value: string): boolean {
  const words = nameWords(name);
  return POINTER_WORDS.has(words[words.length - 1] ?? '') && PATH_VALUE.test(value.trim());
}

let ownSecrets: string[] = [];
let knownSecrets: string[] = [];

/** The server's own secrets (HTTP token, registry passwords): masked verbatim wherever they appear. */
export function setKnownSecrets(values: (string | undefined)[]): void {
  ownSecrets = values.filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
  rebuildKnownSecrets();
}

/** Shorter values are not remembered: masking them would hide common words everywhere. */
const MIN_SECRET_LENGTH = 6;
/** The most variable values remembered; the oldest are forgotten first. */
export const MAX_VARIABLE_SECRETS = 2000;
const variableSecrets = new Set<string>();

function rebuildKnownSecrets(): void {
  knownSecrets = [...new Set([...ownSecrets, ...variableSecrets])].sort((a, b) => b.length - a.length);
}

/**
 * Values of secret-named variables (from a `.env`, an env_file, a deploy's `env` or template
 * `variables`): once interpolated into an image name, a label, a command or an error they are no
 * longer under a secret name, so they are remembered (with their base64 form) for the server's
 * lifetime and masked verbatim wherever they appear. Bounded: at most MAX_VARIABLE_SECRETS values
 * of at least MIN_SECRET_LENGTH characters.
 */
export function rememberSecretVariables(vars: Readonly<Record<string, string | undefined>> | undefined): void {
  let added = false;
  for (const [name, value] of Object.entries(vars ?? {})) {
    if (typeof value !== 'string' || !isSecretName(name) || isPointer(name, value)) continue;
    const v = value.trim();
    if (v.length < MIN_SECRET_LENGTH || v === MASK) continue;
    for (const form of [v, Buffer.from(v).toString('base64').replace(/=+$/, '')]) {
      if (variableSecrets.has(form)) continue;
      variableSecrets.add(form);
      added = true;
    }
  }
  while (variableSecrets.size > MAX_VARIABLE_SECRETS)
    variableSecrets.delete(variableSecrets.values().next().value as string);
  if (added) rebuildKnownSecrets();
}

const PEM_PRIVATE_KEY = /(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)[\s\S]*?(-----END \2PRIVATE KEY-----|$)/g;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"]*):([^\s@/'"]+)@/gi;
/** Token shapes, each replaced by its (harmless) prefix and the mask. */
const TOKEN_SHAPES: [RegExp, string][] = [
  [/\b(gh[pousr]_)[A-Za-z0-9]{16,}/g, `$1${MASK}`],
  [/\b(github_pat_)[A-Za-z0-9_]{16,}/g, `$1${MASK}`],
  [/\b(glpat-)[A-Za-z0-9_-]{16,}/g, `$1${MASK}`],
  [/\b([rs]k_(?:live|test)_)[A-Za-z0-9]{8,}/g, `$1${MASK}`],
  [/\b(xox[abposr]-)[A-Za-z0-9-]{8,}/g, `$1${MASK}`],
  [/\b((?:AKIA|ASIA))[0-9A-Z]{16}\b/g, `$1${MASK}`],
  [/\b(AIza)[0-9A-Za-z_-]{35}/g, `$1${MASK}`],
  [/\b(npm_)[A-Za-z0-9]{36}/g, `$1${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${MASK}`],
];
/**
 * `name=value`, `name: value`, `"name": "value"` with a secret name. A colon counts only when
 * the name is quoted or a space follows it, so image references (`secret-app:1`) stay.
 */
const NAMED_VALUE =
  /(^|[^A-Za-z0-9_.])(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2(\s*=\s*|\s*:\s+|(?<=["']):\s*)("[^"\n]*"|'[^'\n]*'|[^\s;&,"'<>)\]}]+)/g;
/** `--password value` / `-password value` on a command line. */
const FLAG_VALUE = /(^|\s)(--?([A-Za-z][A-Za-z0-9_-]*))(\s+)([^\s-][^\s]*)/g;

function maskNamedValue(name: string, value: string): string {
  if (!isSecretName(name) || value === '' || value === MASK || isPointer(name, value)) return value;
  if (/^(Bearer|Basic)$/i.test(value)) return value;
  const q = value[0];
  if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2)
    return value.length === 2 ? value : `${q}${MASK}${q}`;
  return MASK;
}

/** Masks secrets found by value (and by name inside `name=value` text) anywhere in a text. */
export function maskText(text: string): string {
  if (text === '') return text;
  let out = text;
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join(MASK);
  out = out.replace(PEM_PRIVATE_KEY, (_m, begin: string, _kind: string, end: string) => `${begin}\n${MASK}\n${end}`);
  out = out.replace(URL_CREDENTIALS, `$1$2:${MASK}@`);
  for (const [re, to] of TOKEN_SHAPES) out = out.replace(re, to);
  out = out.replace(
    NAMED_VALUE,
    (m, lead: string, quote: string, name: string, sep: string, value: string) =>
      `${lead}${quote}${name}${quote}${sep}${maskNamedValue(name, value)}`,
  );
  out = out.replace(FLAG_VALUE, (m, lead: string, flag: string, name: string, space: string, value: string) =>
    isSecretName(name) && value !== MASK && !isPointer(name, value) ? `${lead}${flag}${space}${MASK}` : m,
  );
  return out;
}

/** Masks a value by its name, then whatever secrets it carries by value. */
export function maskValue(name: string, value: string): string {
  if (isSecretName(name) && value !== '' && !isPointer(name, value)) return MASK;
  return maskText(value);
}

const ENV_ITEM = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s;

/** Masks an env list as the Engine reports it (["K=V", ...]). */
export function maskEnvList(env: string[] | null | undefined): string[] {
  return (env ?? []).map(maskEnvItem);
}

function maskEnvItem(kv: string): string {
  const m = ENV_ITEM.exec(kv);
  return m ? `${m[1]}=${maskValue(m[1] as string, m[2] as string)}` : maskText(kv);
}

export function maskEnvMap(env: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = maskValue(k, v);
  return out;
}

/** A secret-named flag in an argument list masks the argument after it (["--password", "x"]). */
function isSecretFlag(item: unknown): boolean {
  return typeof item === 'string' && /^--?[A-Za-z][A-Za-z0-9_-]*$/.test(item) && isSecretName(item.replace(/^-+/, ''));
}

function maskArray(items: unknown[], maskItem: (v: unknown) => unknown): unknown[] {
  return items.map((item, i) => {
    if (typeof item === 'string') return i > 0 && isSecretFlag(items[i - 1]) && item !== '' ? MASK : maskEnvItem(item);
    return maskItem(item);
  });
}

/**
 * For answers: masks every string of a structure, keeping its shape and types (answers must
 * still match their output schema). Strings under a secret-named key become "******" (unless
 * they are only a path); other strings are masked by value. `ownFields` are the answer's
 * declared field names (e.g. pull_image's `credentials`, which says where credentials came
 * from): they are masked by value only; keys a user chose (labels, env) are judged by name.
 */
export function maskAnswer(value: unknown, ownFields: ReadonlySet<string> = new Set(), key?: string): unknown {
  if (typeof value === 'string') return key !== undefined ? maskValue(key, value) : maskText(value);
  if (Array.isArray(value))
    return maskArray(value, (v) => maskAnswer(v, ownFields, key !== undefined && isSecretName(key) ? key : undefined));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const judgedBy = key !== undefined && isSecretName(key) ? key : ownFields.has(k) ? undefined : k;
      out[k] = maskAnswer(v, ownFields, judgedBy);
    }
    return out;
  }
  return value;
}

/**
 * For records kept or logged (history, logs): like maskAnswer, but the whole value of a
 * secret-named key goes, whatever its type, and errors become plain masked objects.
 */
export function maskRecord(value: unknown, key?: string): unknown {
  if (key !== undefined && isSecretName(key) && value !== undefined && value !== null && value !== '') {
    if (!(typeof value === 'string' && isPointer(key, value))) return MASK;
  }
  if (typeof value === 'string') return maskText(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return {
      type: e.name,
      message: maskText(e.message),
      ...(e.stack ? { stack: maskText(e.stack) } : {}),
      ...(e.code !== undefined ? { code: e.code } : {}),
    };
  }
  if (Array.isArray(value)) return maskArray(value, (v) => maskRecord(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskRecord(v, k);
    return out;
  }
  return value;
}
