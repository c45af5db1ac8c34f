import { ToolError } from '../kernel/errors.js';

const OBJECT_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Names and ids of containers, networks and volumes go into Engine URL paths: anything beyond
 * Docker's name alphabet (a "/" or "..") is refused before it can reach the socket.
 */
export function assertObjectRef(id: string, what: string): void {
  if (!OBJECT_REF.test(id) || id.length > 256) {
    throw new ToolError(
      'invalid_input',
      `"${id.slice(0, 80)}" is not a valid ${what} name or id: use letters, digits, "_", "." or "-" (a full id, an id prefix or the name).`,
    );
  }
}
