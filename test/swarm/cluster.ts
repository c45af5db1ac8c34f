/**
 * The three-node Swarm that test/swarm/up.sh started, as recorded in its state file
 * ($SWARM_STATE, default /var/tmp/dom-swarm/$SWARM_PREFIX.env with SWARM_PREFIX=dom-swarm).
 * Tests reach the manager through its socket on the host (DOCKER_HOST=cluster.managerHost)
 * and run the docker CLI against any node; ports that services publish live in the nodes'
 * network namespaces, so traffic to them goes through `docker exec` inside a node or a task.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SwarmCluster {
  /** Name of the cluster (prefix of its containers, volumes and network on the host Engine). */
  name: string;
  /** DOCKER_HOST of the manager (node 1). */
  managerHost: string;
  /** Host-Engine container names of the nodes, node 1 first. */
  nodeContainers: string[];
  /** DOCKER_HOST of each node, node 1 first. */
  nodeHosts: string[];
}

export function stateFile(): string {
  const prefix = process.env.SWARM_PREFIX ?? 'dom-swarm';
  const work = process.env.SWARM_WORK ?? '/var/tmp/dom-swarm';
  return process.env.SWARM_STATE ?? `${work}/${prefix}.env`;
}

/** Reads the state file; throws with what to do when no cluster is up. */
export function loadCluster(file = stateFile()): SwarmCluster {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no Swarm cluster recorded in ${file}: run test/swarm/up.sh first`);
  }
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  const need = (k: string): string => {
    const v = vars.get(k);
    if (!v)
      throw new Error(`${file} lacks ${k}: the cluster did not come up fully (run test/swarm/down.sh, then up.sh)`);
    return v;
  };
  const nodeContainers = [1, 2, 3].map((i) => need(`SWARM_NODE${i}`));
  return {
    name: need('SWARM_CLUSTER'),
    managerHost: need('SWARM_DOCKER_HOST'),
    nodeContainers,
    nodeHosts: nodeContainers.map((_, i) => need(`SWARM_NODE${i + 1}_HOST`)),
  };
}

/** The docker CLI of this machine (28.x, has `docker stack`). */
export const DOCKER_CLI = process.env.DOM_DOCKER_CLI ?? '/usr/local/bin/docker';

/** Runs the docker CLI against one Engine (a DOCKER_HOST); returns stdout, throws with stderr on failure. */
export async function docker(host: string, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run(DOCKER_CLI, args, {
      env: { ...process.env, DOCKER_HOST: host },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/**
 * Waits until no node has a container with `label` or a network `isOurs` names: a node tears
 * its copy of an overlay network down only after its last task of it is removed, and until
 * then a new network that Swarm gives the freed subnet fails its tasks on that node with "Pool
 * overlaps with other one on this address space". A test that starts right after another
 * one's cleanup would meet that Engine race.
 */
export async function goneFromNodes(
  cluster: SwarmCluster,
  what: { label: string; isOurs: (network: string) => boolean },
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const [i, host] of cluster.nodeHosts.entries()) {
      const containers = await docker(host, ['ps', '-aq', '--filter', `label=${what.label}`]);
      if (containers.trim()) left.push(`containers on node${i + 1}`);
      const networks = (await docker(host, ['network', 'ls', '--format', '{{.Name}}'])).split('\n').filter(what.isOurs);
      if (networks.length) left.push(`networks ${networks.join(', ')} on node${i + 1}`);
    }
    if (!left.length) return;
    if (Date.now() > deadline) throw new Error(`not gone after ${timeoutMs / 1000} s: ${left.join('; ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `docker stack rm`, then waits until the stack is gone from the manager and from every node; throws if not. */
export async function removeStack(cluster: SwarmCluster, stack: string): Promise<void> {
  await docker(cluster.managerHost, ['stack', 'rm', stack]);
  const label = `com.docker.stack.namespace=${stack}`;
  for (let i = 0; ; i++) {
    if (!(await docker(cluster.managerHost, ['service', 'ls', '-q', '--filter', `label=${label}`])).trim()) break;
    if (i >= 120) throw new Error(`stack ${stack} still has services 60 s after docker stack rm`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await goneFromNodes(cluster, { label, isOurs: (n) => n.startsWith(`${stack}_`) });
}
