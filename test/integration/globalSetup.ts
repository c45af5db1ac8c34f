import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUSYBOX, docker, engineAnswers } from './engine.js';

/**
 * Integration tests need the real Engine, the built server and the test images.
 * On CI (CI=true) a missing Engine fails the run; locally the tests fail with the same
 * message, since a skipped integration test proves nothing.
 */
export default async function setup(): Promise<void> {
  if (!(await engineAnswers())) {
    throw new Error(
      'Docker Engine not reachable on /var/run/docker.sock. Start it (see .ci/run, or `dockerd &`); integration tests never skip.',
    );
  }
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) {
    throw new Error('dist/cli.js missing: run `npm run build` first (npm test does it).');
  }
  try {
    await docker.getImage(BUSYBOX).inspect();
  } catch {
    execFileSync('bash', [new URL('../images/build.sh', import.meta.url).pathname, 'busybox'], { stdio: 'inherit' });
  }
}
