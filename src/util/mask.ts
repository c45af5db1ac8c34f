/** The one rule for what counts as a secret, used by every answer, log line and history record. */
const SECRET_NAME = /(PASS(WORD|WD)?|SECRET|TOKEN|(^|_)KEY($|_)|API_?KEY|PRIVATE|CREDENTIAL|AUTH|CERT|SALT|DSN|CONN(ECTION)?_?STRING)/i;
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@/\s]+)(@)/i;

export const MASK = '******';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Masks a value if its name looks secret, or the password part of a URL with credentials. */
export function maskValue(name: string, value: string): string {
  if (isSecretName(name) && value !== '') return MASK;
  return value.replace(URL_CREDENTIALS, `$1${MASK}$3`);
}

/** Masks an env list as the Engine reports it (["K=V", ...]). */
export function maskEnvList(env: string[] | null | undefined): string[] {
  return (env ?? []).map((kv) => {
    const i = kv.indexOf('=');
    if (i < 0) return kv;
    const k = kv.slice(0, i);
    return `${k}=${maskValue(k, kv.slice(i + 1))}`;
  });
}

export function maskEnvMap(env: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) out[k] = maskValue(k, v);
  return out;
}
