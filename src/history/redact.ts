import { isSecretName, MASK, maskValue } from '../util/mask.js';

const ENV_ITEM = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s;

/**
 * Masks secrets anywhere in a record before it is stored, whatever the caller already did:
 * the value of any object key that looks secret (src/util/mask.ts) becomes "******", at any
 * depth; "NAME=value" strings in arrays (env lists) are masked by NAME; passwords in URLs
 * with credentials are masked everywhere.
 */
export function maskDeep(value: unknown, key?: string): unknown {
  if (key !== undefined && isSecretName(key) && value !== undefined && value !== null && value !== '') return MASK;
  if (typeof value === 'string') return maskValue(key ?? '', value);
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (typeof item === 'string') {
        const m = ENV_ITEM.exec(item);
        if (m) return `${m[1]}=${maskValue(m[1] as string, m[2] as string)}`;
      }
      return maskDeep(item);
    });
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, k);
    return out;
  }
  return value;
}
