import { describe, expect, it } from 'vitest';
import type { ToolError } from '../../../src/kernel/errors.js';
import { loadProject, TOO_MANY_SERVICES } from '../../../src/stacks/compose/project.js';

const services = (n: number) =>
  `services:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    image: nginx:1\n`).join('')}`;

describe('the number of services a stack may define', () => {
  it('refuses more services than allowed right after parsing, with the setting to change', () => {
    let caught: unknown;
    try {
      loadProject({ text: `${services(5)}  broken: [`, projectName: 'p', maxServices: 4 });
    } catch (err) {
      caught = err;
    }
    // The YAML error comes first; a well-formed text over the limit is refused before validation.
    expect((caught as ToolError).kind).toBe('invalid_input');
    try {
      loadProject({ text: services(5), projectName: 'p', maxServices: 4 });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ kind: 'denied', details: { rule: TOO_MANY_SERVICES, count: 5, max: 4 } });
      expect((err as ToolError).message).toMatch(/defines 5 services, more than 4.*DOM_MAX_STACK_CONTAINERS=5/);
    }
  });

  it('lets a stack at the limit through', () => {
    expect(loadProject({ text: services(4), projectName: 'p', maxServices: 4 }).services).toHaveLength(4);
  });
});
