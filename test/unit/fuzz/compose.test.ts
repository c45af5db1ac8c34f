import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeCase, composeProject, PORT_TOKEN } from '../../fuzz/compose.js';

interface Service {
  image: string;
  command: unknown;
  depends_on?: string[];
  ports?: string[];
  volumes?: string[];
  networks?: string[];
}

describe('fuzz Compose generator', () => {
  it('makes small busybox projects whose dependencies, networks and volumes are all declared, ports only on loopback', () => {
    for (const text of fc.sample(composeProject, { numRuns: 200, seed: 2 })) {
      const doc = parse(text) as { services: Record<string, Service>; networks?: object; volumes?: object };
      const names = Object.keys(doc.services);
      expect(names.length).toBeGreaterThanOrEqual(1);
      expect(names.length).toBeLessThanOrEqual(3);
      for (const s of Object.values(doc.services)) {
        expect(s.image).toMatch(/^dom-test\//);
        for (const d of s.depends_on ?? []) expect(names).toContain(d);
        for (const p of s.ports ?? []) expect(p).toBe(`127.0.0.1:${PORT_TOKEN}:80`);
        if (s.volumes) expect(doc.volumes).toHaveProperty('data');
        if (s.networks) expect(doc.networks).toHaveProperty('back');
      }
    }
  });

  it('marks only unmutated projects deployable, and mutates about half', () => {
    const cases = fc.sample(composeCase, { numRuns: 300, seed: 4 });
    const mutated = cases.filter((c) => !c.deployable).length;
    expect(mutated).toBeGreaterThan(100);
    expect(mutated).toBeLessThan(250);
    for (const c of cases.filter((x) => x.deployable))
      expect((parse(c.text) as { services: object }).services).toBeTypeOf('object');
  });
});
