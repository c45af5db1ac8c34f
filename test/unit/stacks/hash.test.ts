import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/stacks/compose/hash.js';
import { loadProject } from '../../../src/stacks/compose/project.js';
import { yaml } from './helpers.js';

const hashes = (text: string) =>
  Object.fromEntries(loadProject({ text, projectName: 'p' }).services.map((s) => [s.name, s.configHash]));

const BASE = yaml(
  'services:',
  '  web:',
  '    image: nginx',
  '    environment: {A: "1", B: "2"}',
  '    labels: {x: "1", y: "2"}',
  '    networks: {front: {}, back: {}}',
  '    ports: ["80:80"]',
  '  db:',
  '    image: postgres',
  '    healthcheck: {test: pg_isready, interval: 5s}',
  'networks: {front: {}, back: {}}',
);

describe('service config hash', () => {
  it('is a sha256 hex digest and stable for the same file', () => {
    const h = hashes(BASE);
    expect(h.web).toMatch(/^[0-9a-f]{64}$/);
    expect(hashes(BASE)).toEqual(h);
  });

  it('ignores the order of mapping keys', () => {
    const reordered = yaml(
      'networks: {back: {}, front: {}}',
      'services:',
      '  db:',
      '    healthcheck: {interval: 5s, test: pg_isready}',
      '    image: postgres',
      '  web:',
      '    ports: ["80:80"]',
      '    networks: {back: {}, front: {}}',
      '    labels: {y: "2", x: "1"}',
      '    environment: {B: "2", A: "1"}',
      '    image: nginx',
    );
    expect(hashes(reordered)).toEqual(hashes(BASE));
  });

  it('changes only for the service whose definition changed', () => {
    const before = hashes(BASE);
    const after = hashes(BASE.replace('B: "2"', 'B: "3"'));
    expect(after.web).not.toBe(before.web);
    expect(after.db).toBe(before.db);
    const dbChanged = hashes(BASE.replace('interval: 5s', 'interval: 6s'));
    expect(dbChanged.web).toBe(before.web);
    expect(dbChanged.db).not.toBe(before.db);
  });

  it('does not change with replicas or depends_on', () => {
    const before = hashes(BASE);
    const scaled = hashes(
      BASE.replace('    image: nginx', '    image: nginx\n    deploy: {replicas: 3}\n    depends_on: [db]'),
    );
    expect(scaled).toEqual(before);
  });

  it('canonical JSON does not depend on key order', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), {
      selector: ([k]) => k,
    });
    fc.assert(
      fc.property(entries, (pairs) => {
        const forward = Object.fromEntries(pairs);
        const backward = Object.fromEntries([...pairs].reverse());
        return canonicalJson({ a: forward, b: [forward] }) === canonicalJson({ b: [backward], a: backward });
      }),
    );
  });
});
