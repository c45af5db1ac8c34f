import { ToolError } from '../../kernel/errors.js';

/** service -> the services it depends on. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

export function buildGraph(
  services: readonly { name: string; dependsOn: readonly { service: string }[] }[],
): DependencyGraph {
  return new Map(services.map((s) => [s.name, s.dependsOn.map((d) => d.service)]));
}

/**
 * The first dependency cycle found, as a closed walk: ["web", "api", "web"]. Undefined when the
 * graph is acyclic. Edges to services outside the graph are ignored.
 */
export function findCycle(graph: DependencyGraph): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (name: string): string[] | undefined => {
    if (onStack.has(name)) return [...stack.slice(stack.indexOf(name)), name];
    if (done.has(name) || !graph.has(name)) return undefined;
    stack.push(name);
    onStack.add(name);
    for (const dep of graph.get(name) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    onStack.delete(name);
    done.add(name);
    return undefined;
  };
  for (const name of graph.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}

/**
 * Groups services into start levels: level 0 has no dependencies, and every service sits one
 * level after its deepest dependency, so each level can be started in parallel once the previous
 * ones are up. Names within a level keep the graph's order. Throws invalid_input on a cycle.
 */
export function topologicalLevels(graph: DependencyGraph): string[][] {
  const cycle = findCycle(graph);
  if (cycle) throw new ToolError('invalid_input', `Dependency cycle: ${formatCycle(cycle)}.`);
  const levelOf = new Map<string, number>();
  const level = (name: string): number => {
    const known = levelOf.get(name);
    if (known !== undefined) return known;
    const deps = (graph.get(name) ?? []).filter((d) => graph.has(d));
    const l = deps.length === 0 ? 0 : Math.max(...deps.map(level)) + 1;
    levelOf.set(name, l);
    return l;
  };
  const levels: string[][] = [];
  for (const name of graph.keys()) (levels[level(name)] ??= []).push(name);
  return levels;
}

/** Levels for stopping/removing: dependents before what they depend on. */
export function removalLevels(levels: readonly (readonly string[])[]): string[][] {
  return [...levels].reverse().map((l) => [...l]);
}
