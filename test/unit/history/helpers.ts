import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach } from 'vitest';

export const silent = pino({ level: 'silent' });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder for one test, removed afterwards. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dom-history-'));
  dirs.push(d);
  return d;
}
