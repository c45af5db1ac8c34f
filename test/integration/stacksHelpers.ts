import { docker } from './engine.js';

/** Test-side helpers for stacks: find and remove everything of a Compose project by its label. */

export const PROJECT_LABEL = 'com.docker.compose.project';

export async function projectObjects(
  project: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return {
    containers: containers.map((c) => (c.Names?.[0] ?? '').replace(/^\//, '')).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (Volumes ?? []).map((v) => v.Name).sort(),
  };
}

export async function removeProject(project: string): Promise<void> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  // The stack's lock container too: a server stopped while it held the lock leaves it.
  const locks = await docker.listContainers({
    all: true,
    filters: { label: [`io.docker-orchestration-mcp.lock=${project}`] },
  });
  const containers = [...(await docker.listContainers({ all: true, filters })), ...locks];
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}

/** Runs a command in a container (test-side verification only) and returns its output. */
export async function execIn(container: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  // Demultiplex the 8-byte framed stream.
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length;) {
    const len = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: out };
}

export async function containerId(name: string): Promise<string> {
  return (await docker.getContainer(name).inspect()).Id;
}

export const IMAGES = {
  NGINX_IMAGE: 'dom-test/nginx:1',
  POSTGRES_IMAGE: 'dom-test/postgres:1',
  REDIS_IMAGE: 'dom-test/redis:1',
};
