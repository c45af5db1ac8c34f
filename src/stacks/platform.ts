import type { Engine } from '../docker/engine.js';
import { enginePlatform } from '../docker/stackObjects.js';
import type { ComposeProject } from './compose/index.js';

/** Go's names for the machine architectures the kernel reports. */
const ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', i386: '386', i686: '386' };

function normalise(platform: string): string {
  const [os = '', arch = '', variant] = platform.trim().toLowerCase().split('/');
  return [os, ARCH[arch] ?? arch, ...(variant ? [variant] : [])].join('/');
}

/**
 * `platform` is accepted and not applied (the Engine runs images for its own platform): a warning
 * names the services whose platform differs from the Engine's. No Engine call without `platform`.
 */
export async function platformWarnings(
  engine: Engine,
  project: ComposeProject,
  signal?: AbortSignal,
): Promise<string[]> {
  const wanted = project.services.filter((s) => s.platform !== undefined);
  if (wanted.length === 0) return [];
  const v = await enginePlatform(engine, signal);
  const own = normalise(`${v.os}/${v.arch}`);
  return wanted
    .filter((s) => !normalise(s.platform as string).startsWith(own) && !own.startsWith(normalise(s.platform as string)))
    .map(
      (s) =>
        `services.${s.name}.platform: "${s.platform}" differs from the Engine's ${own}; the image is run as the Engine has it (an image built for another platform fails to start unless emulation is installed).`,
    );
}
