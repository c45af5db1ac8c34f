/**
 * The oldest Node.js the server runs on, as package.json's `engines` says: the deployment history
 * needs `node:sqlite` without a flag (22.13). Older ones fail later with errors that name something
 * else (the history file), so the CLI checks first.
 */
export const MIN_NODE = '22.13';

/** Why this Node.js cannot run the server, or undefined when it can. Pure. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor, minMinor] = MIN_NODE.split('.').map(Number) as [number, number];
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return `Node.js ${version} is too old: this server needs Node.js ${MIN_NODE} or newer (24 LTS recommended; the README's install section shows how to get it next to an older one).`;
}
