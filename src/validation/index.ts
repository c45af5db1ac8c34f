/** Pre-deployment checks for a container spec or a stack: findings with a severity and a fix. No MCP here. */
export {
  SEVERITIES,
  countBySeverity,
  compactWarnings,
  formatFinding,
  sortFindings,
  type Finding,
  type FindingCode,
  type Severity,
  type SeverityCounts,
} from './finding.js';
export { validateContainerSpec, checkContainerOnEngine, type ContainerCheckOptions } from './container.js';
export {
  validateStack,
  checkStackOnEngine,
  stackPolicyFindings,
  type StackCheckOptions,
  type StackValidation,
  type StackValidationInput,
} from './stack.js';
export { preflight, imagePreflight } from './preflight.js';
