/** The Compose library: pure functions from Compose text to a project, a config hash and a plan. */
export {
  loadProject,
  containerSpecFor,
  containerNameFor,
  PROJECT_NAME,
  COMPOSE_VERSION_VALUE,
  TOO_MANY_SERVICES,
  type LoadProjectOptions,
} from './project.js';
export {
  planDeployment,
  type Plan,
  type PlanOptions,
  type ActualState,
  type ActualContainer,
  type ContainerAction,
  type ResourceAction,
} from './plan.js';
export { buildGraph, findCycle, formatCycle, topologicalLevels, removalLevels, type DependencyGraph } from './graph.js';
export { serviceConfigHash, canonicalJson } from './hash.js';
export { interpolateString, InterpolationError, type InterpolationEnv } from './interpolate.js';
export { parseComposeYaml, parseDotEnv, loadDotEnvFile, type ReadFile, type ParsedYaml } from './parse.js';
export { composeError, formatIssue, formatPath, type ComposeIssue } from './issues.js';
export type * from './model.js';
