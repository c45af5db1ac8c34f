import type { Engine } from '../docker/engine.js';
import { inspectImageIfPresent } from '../docker/queries.js';
import type { ComposeProject } from './compose/index.js';

/**
 * A service whose Compose file says nothing about health may still have one: a HEALTHCHECK in its
 * image's Dockerfile, which the container inherits. Compose waits for it (`--wait`, and a
 * `service_healthy` dependency, which the container's own config already answers); so does the
 * final wait here once this marks the service. Run after builds, when the images are there; an
 * image still to be pulled is looked at only through its container (the dependency wait).
 * A `healthcheck: {disable: true}` in the file (Test NONE) overrides the image, as in Compose.
 */
/** Image inspects at once: the Engine is shared and slow under many concurrent calls. */
const INSPECTS_IN_FLIGHT = 8;

export async function markImageHealthchecks(
  engine: Engine,
  project: ComposeProject,
  signal?: AbortSignal,
): Promise<void> {
  const unknown = project.services.filter((s) => s.spec.healthcheck === undefined);
  const byImage = new Map<string, boolean>();
  // One inspect per image, up to INSPECTS_IN_FLIGHT at once rather than one after another.
  const refs = [...new Set(unknown.map((s) => s.spec.image))];
  const inspectNext = async (): Promise<void> => {
    for (let ref = refs.shift(); ref !== undefined; ref = refs.shift()) {
      const img = await inspectImageIfPresent(engine, ref, signal);
      if (!img) continue;
      const test = img.Config?.Healthcheck?.Test;
      byImage.set(ref, !!test?.length && test[0] !== 'NONE');
    }
  };
  await Promise.all(Array.from({ length: Math.min(INSPECTS_IN_FLIGHT, refs.length) }, inspectNext));
  for (const s of unknown) if (byImage.get(s.spec.image)) s.imageHealthcheck = true;
}
