import { describe, expect, it } from 'vitest';
import { buildGraph, findCycle, removalLevels, topologicalLevels } from '../../../src/stacks/compose/graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('dependency graph', () => {
  it('builds from depends_on', () => {
    expect(
      buildGraph([
        { name: 'web', dependsOn: [{ service: 'db' }] },
        { name: 'db', dependsOn: [] },
      ]),
    ).toEqual(graph({ web: ['db'], db: [] }));
  });

  it('groups services into start levels and reverses them for removal', () => {
    const g = graph({ web: ['api', 'cache'], api: ['db', 'cache'], db: [], cache: [], worker: ['db'] });
    const levels = topologicalLevels(g);
    expect(levels).toEqual([['db', 'cache'], ['api', 'worker'], ['web']]);
    expect(removalLevels(levels)).toEqual([['web'], ['api', 'worker'], ['db', 'cache']]);
  });

  it('names a cycle', () => {
    expect(findCycle(graph({ a: [], web: ['api'], api: ['db'], db: ['web'] }))).toEqual(['web', 'api', 'db', 'web']);
    expect(findCycle(graph({ a: ['a'] }))).toEqual(['a', 'a']);
    expect(findCycle(graph({ a: ['b'], b: [] }))).toBeUndefined();
    expect(() => topologicalLevels(graph({ web: ['api'], api: ['web'] }))).toThrow(
      'Dependency cycle: web -> api -> web.',
    );
  });
});
