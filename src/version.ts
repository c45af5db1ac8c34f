import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/postbuild.mjs) from package.json; absent when run from src/ or tsc output. */
declare const __PACKAGE_VERSION__: string | undefined;

/** The version in package.json: the one place it is written. */
export const PACKAGE_VERSION: string =
  typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : packageJsonVersion();

/** package.json is one level up from src/version.ts and from dist/version.js. */
function packageJsonVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
