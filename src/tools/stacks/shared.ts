import { InMemoryRecorder, type DeploymentRecorder } from '../../stacks/recorder.js';
import { z } from 'zod';

/**
 * The default recorder of stack deployments. The tool context has no recorder field yet; the
 * history issue will replace this with a persistent one.
 */
export const stackRecorder: DeploymentRecorder & { records: InMemoryRecorder['records'] } = new InMemoryRecorder();

export const stackNameArg = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "_" and "-", starting with a letter or digit')
  .describe('Stack (Compose project) name; containers are named NAME-SERVICE-N.');
