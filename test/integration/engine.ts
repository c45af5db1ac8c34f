import Docker from 'dockerode';

/** Test-side access to the Engine, for setup and label-based cleanup (never for the code under test). */
export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Every object a test creates carries this label, so cleanup can find exactly what the tests made. */
export const TEST_LABEL = 'dom-test.run';

export const BUSYBOX = 'dom-test/busybox:1';

/** deploy_container arguments for an idle busybox container that stops at once (init forwards SIGTERM). */
export function sleeperArgs(name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

/** Removes containers, networks and volumes carrying the test label with this value. */
export async function cleanupByLabel(value: string): Promise<void> {
  const filter = { label: [`${TEST_LABEL}=${value}`] };
  const containers = await docker.listContainers({ all: true, filters: filter });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: filter });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  const { Volumes } = await docker.listVolumes({ filters: filter });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
}
