import Docker from 'dockerode';

/** Test-side access to the Engine, for setup and label-based cleanup (never for the code under test). */
export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Every object a test creates carries this label, so cleanup can find exactly what the tests made. */
export const TEST_LABEL = 'dom-test.run';

export const BUSYBOX = 'dom-test/busybox:1';

/** deploy_container arguments for an idle busybox container that stops at once (init forwards SIGTERM). */
export function sleeperArgs(
  name: string,
  labels: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { image: BUSYBOX, name, command: ['sleep', '600'], init: true, stop_timeout: 1, labels, ...extra };
}

export async function engineAnswers(): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. Engine 20.10's network controller can
 * deadlock (the whole daemon stops answering) when dozens of containers are force-removed
 * at once while other clients change networks, so bulk work in tests stays bounded.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Removes containers, networks and volumes carrying the test label with this value. */
export async function cleanupByLabel(value: string): Promise<void> {
  const filter = { label: [`${TEST_LABEL}=${value}`] };
  const containers = await docker.listContainers({ all: true, filters: filter });
  await eachLimited(containers, 4, (c) =>
    docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined),
  );
  const networks = await docker.listNetworks({ filters: filter });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters: filter });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}
