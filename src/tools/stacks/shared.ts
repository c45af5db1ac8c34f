import { z } from 'zod';

export const stackNameArg = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "_" and "-", starting with a letter or digit')
  .describe('Stack (Compose project) name.');
