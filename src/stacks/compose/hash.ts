import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../../docker/containerSpec.js';
import { COMPOSE_CONFIG_HASH, COMPOSE_NUMBER } from '../../docker/labels.js';

/** JSON with object keys sorted at every depth and undefined members dropped; arrays keep order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * The config hash of a service: sha256 of its normalised container spec (the one every replica
 * shares) and explicit container name. Per-container values (name, container-number and the
 * hash label itself) are left out so all replicas share it, and replicas and depends_on are not
 * part of the spec, so scaling or reordering startup recreates nothing.
 *
 * `files` (digests of secret and config files) enters the input only when there are some, so the
 * hash of a service without them is what it always was.
 */
export function serviceConfigHash(spec: ContainerSpec, containerName?: string, files?: unknown[]): string {
  const { name: _name, labels, ...rest } = spec;
  const { [COMPOSE_NUMBER]: _number, [COMPOSE_CONFIG_HASH]: _hash, ...sharedLabels } = labels;
  const input = { spec: { ...rest, labels: sharedLabels }, containerName, ...(files?.length ? { files } : {}) };
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}
