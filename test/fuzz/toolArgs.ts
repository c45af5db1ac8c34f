import fc from 'fast-check';
import { arbitraryFromSchema, underPath, type Schema } from './arbitraries.js';
import { composeCase } from './compose.js';
import { hostileString, wrongType } from './hostile.js';
import { ComposeText, garbageRef, loopbackPort, ref } from './targets.js';

/**
 * Per-tool arguments for the fuzz test: the tool's schema, with the fields that name Engine
 * objects, host ports, images, commands and timeouts pinned to values that keep the run
 * safe and bounded (own objects or garbage, loopback ports, the local busybox image or
 * names that do not exist, commands that only read, short waits). Everything else comes
 * from the schema, with hostile values mixed in.
 */

export const BUSYBOX = 'dom-test/busybox:1';

export interface FuzzRun {
  /** Prefix of every name this run creates, e.g. "fuzz-1a2b3c". */
  prefix: string;
  /** A folder this run owns (for bind mounts and a Compose file). */
  dir: string;
  /** Names of the shipped templates. */
  templates: string[];
}

export const SAFE_PROGRAMS = [
  'sleep',
  'true',
  'false',
  'echo',
  'cat',
  'ls',
  'env',
  'sh',
  'wc',
  'fuzz-nx-no-such-program',
];

/** Commands for containers and execs: only read, print, sleep or fail. */
const command = fc.oneof(
  { weight: 6, arbitrary: fc.constant(['sleep', '3600']) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | string[]>(
      'sleep 3600',
      ['sh', '-c', 'sleep 3600'],
      ['true'],
      ['sh', '-c', 'exit 3'],
      ['fuzz-nx-no-such-program'],
      ['echo', 'fuzz'],
      ['sleep', '0.3'],
      'sh -c "echo unbalanced',
      [],
      '',
    ),
  },
  { weight: 1, arbitrary: hostileString.map((s) => ['echo', s]) },
);

const execCommand = fc.oneof(
  fc.constantFrom(
    ['echo', 'fuzz'],
    ['true'],
    ['sh', '-c', 'exit 7'],
    ['cat', '/etc/hostname'],
    ['ls', '/'],
    ['env'],
    ['sleep', '0.2'],
    ['sleep', '5'],
    ['fuzz-nx-no-such-program'],
    ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done'],
    ['sh', '-c', 'echo out; echo err >&2'],
    ['wc', '-c', '/proc/self/status'],
  ),
  fc.tuple(fc.constantFrom('echo', 'cat', 'ls'), hostileString).map(([p, a]) => [p, a]),
);

/** Images: mostly the local busybox; else names that exist nowhere (no registry host, so no network traffic). */
const image = fc.oneof(
  { weight: 7, arbitrary: fc.constant(BUSYBOX) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'dom-test/fuzz-nx-missing:1',
      'fuzz-nx-missing',
      'dom-test/busybox:fuzz-nx',
      `fuzz-nx@sha256:${'0'.repeat(64)}`,
      'dom-test/busybox:1@sha256:zz',
      'UPPER/Fuzz-NX',
      '../../etc/passwd',
      '$(reboot)',
      ':latest',
      '',
      `fuzz-nx/${'a'.repeat(600)}`,
    ),
  },
);

const hostileOrGarbage = fc.oneof(hostileString, garbageRef);

const subnetIndex = fc.integer({ min: 0, max: 7 });

function deployContainerOverrides(run: FuzzRun): Record<string, fc.Arbitrary<unknown>> {
  return {
    image,
    name: fc.oneof(
      { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${run.prefix}-c-${s}`) },
      { weight: 2, arbitrary: hostileOrGarbage },
    ),
    command,
    entrypoint: fc.constantFrom(['sh', '-c', 'exec "$@"', 'sh'], [], '', ['fuzz-nx-no-such-program']),
    'ports[]': fc.oneof(
      { weight: 6, arbitrary: loopbackPort('string') },
      { weight: 2, arbitrary: loopbackPort('object') },
      {
        weight: 2,
        arbitrary: fc.constantFrom<unknown>(
          '127.0.0.1:99999:80',
          '127.0.0.1:-1:80',
          70000,
          -1,
          'fuzz-nx',
          '127.0.0.1:8080:80/sctp-fuzz',
          { target: -5 },
          { target: 80, published: 'fuzz-nx', host_ip: '127.0.0.1' },
          { target: 80, host_ip: '127.0.0.1', protocol: 'udp' },
        ),
      },
    ),
    'volumes[]': fc.oneof(
      { weight: 2, arbitrary: ref('volume', '%s:/data') },
      {
        weight: 2,
        arbitrary: ref('volume').map((source) => ({ type: 'volume', source, target: '/data', read_only: false })),
      },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9]{1,6}$/).map((s) => `${run.prefix}-v-${s}:/new`) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          `${run.dir}:/mnt`,
          `${run.dir}/sub:/sub:ro`,
          { type: 'bind', source: run.dir, target: '/b', read_only: true },
          { type: 'tmpfs', target: '/t' },
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom<unknown>(
          '/var/run/docker.sock:/s',
          '/run/docker.sock:/s',
          '/run:/r',
          '/:/host',
          '/etc:/e:ro',
          '/proc:/p',
          `${run.dir}/../../etc:/e`,
          '../../etc/passwd:/p',
          { type: 'bind', source: '/var/run/docker.sock', target: '/s' },
          { type: 'bind', source: '/var/lib/docker', target: '/d' },
          { type: 'volume', source: '../fuzz-nx', target: '/v' },
          'fuzz-nx:relative/target',
          ':',
        ),
      },
    ),
    network: fc.oneof(ref('network'), fc.constantFrom('none', 'host', 'container:fuzz-nx', hostileOrGarbage)),
    restart: fc.constantFrom('no', 'on-failure:1', 'unless-stopped', 'always', 'on-failure:-1', 'fuzz-nx', ''),
    'resources.memory': fc.constantFrom<unknown>('16m', '32m', 64 * 1024 * 1024, '1b', '-1', '999999g', 'fuzz-nx', 0),
    'resources.cpus': fc.constantFrom<unknown>(0.1, 0.5, '0.25', -1, 1000, 'fuzz-nx', 0),
    'healthcheck.test': fc.constantFrom<unknown>(
      ['CMD', 'true'],
      'true',
      ['CMD-SHELL', 'exit 1'],
      ['NONE'],
      [],
      'fuzz-nx',
    ),
    'healthcheck.interval': fc.constantFrom<unknown>('1s', 1, '0s', '-5s', 'fuzz-nx', 1e21),
    'healthcheck.retries': fc.constantFrom(1, 2, 0),
    privileged: fc.constantFrom(false, false, false, true),
    'cap_add[]': fc.constantFrom('CHOWN', 'NET_RAW', 'SYS_ADMIN', 'ALL', 'cap_sys_module', 'fuzz-nx', ''),
    'cap_drop[]': fc.constantFrom('ALL', 'NET_RAW', 'fuzz-nx'),
    devices: fc.oneof(
      { weight: 4, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.constantFrom(['/dev/fuse'], ['/dev/sda:/dev/xvda:rwm'], ['fuzz-nx']) },
    ),
    pid: fc.constantFrom('host', 'container:fuzz-nx', 'private', '', 'fuzz-nx'),
    ipc: fc.constantFrom('host', 'private', 'shareable', 'fuzz-nx'),
    uts: fc.constantFrom('host', '', 'fuzz-nx'),
    userns_mode: fc.constantFrom('host', '', 'fuzz-nx'),
    'security_opt[]': fc.constantFrom(
      'no-new-privileges:true',
      'seccomp=unconfined',
      'apparmor:unconfined',
      'systempaths=unconfined',
      'label=disable',
      'fuzz-nx',
    ),
    user: fc.constantFrom('0', 'root', '1000:1000', 'nobody', 'fuzz-nx', '0:0:0', ''),
    working_dir: fc.constantFrom('/', '/tmp', 'relative', '../../etc', '/fuzz-nx'),
    stop_timeout: fc.constantFrom(0, 1, 2),
    timeout: fc.constantFrom(1, 2, 5),
  };
}

/** A plain, valid deploy most of the time: these make the containers the other tools then act on. */
function plainDeploy(run: FuzzRun): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record(
      {
        name: fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${run.prefix}-c-${s}`),
        ports: fc.array(loopbackPort(), { maxLength: 1 }),
        network: ref('network'),
        volumes: fc.array(ref('volume', '%s:/data'), { maxLength: 1 }),
        env: fc.dictionary(
          fc.constantFrom('A', 'DB_PASSWORD', 'TOKEN'),
          fc.constantFrom('1', 'hunter2', 'postgres://u:p@db/x'),
          { maxKeys: 2 },
        ),
        restart: fc.constantFrom('no', 'unless-stopped'),
        healthcheck: fc.constant({ test: ['CMD', 'true'], interval: '1s', retries: 2 }),
        wait: fc.constantFrom('running', 'none', 'healthy'),
      },
      { requiredKeys: ['name'] },
    )
    .map((a) => ({
      image: BUSYBOX,
      command: ['sleep', '3600'],
      init: true,
      stop_timeout: 1,
      timeout: 10,
      resources: { memory: '32m' },
      ...a,
    }));
}

/** A coherent network: subnet, gateway and range agree. */
function plainNetwork(run: FuzzRun): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record(
      {
        name: fc.stringMatching(/^[a-z0-9]{1,8}$/),
        subnet: subnetIndex,
        internal: fc.boolean(),
        attachable: fc.boolean(),
        labels: fc.dictionary(fc.constantFrom('team', 'fuzz'), fc.constantFrom('a', '')),
      },
      { requiredKeys: ['name'] },
    )
    .map(({ name, subnet, ...rest }) => ({
      name: `${run.prefix}-n-${name}`,
      ...(subnet === undefined
        ? {}
        : { subnet: `10.231.${subnet}.0/24`, gateway: `10.231.${subnet}.1`, ip_range: `10.231.${subnet}.128/25` }),
      ...rest,
    }));
}

function plainVolume(run: FuzzRun): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record(
      {
        name: fc.stringMatching(/^[a-z0-9]{1,8}$/),
        labels: fc.dictionary(fc.constantFrom('team', 'fuzz'), fc.constantFrom('a', '')),
      },
      { requiredKeys: ['name'] },
    )
    .map(({ name, ...rest }) => ({ name: `${run.prefix}-v-${name}`, ...rest }));
}

function withoutKeys(args: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...args };
  for (const k of keys) delete out[k];
  return out;
}

/** One setting the container policy must refuse, on an otherwise plain deploy: nothing else can stop it. */
const POLICY_PROBES: Record<string, unknown>[] = [
  { privileged: true },
  { pid: 'host' },
  { ipc: 'host' },
  { uts: 'host' },
  { userns_mode: 'host' },
  { network: 'host' },
  { cap_add: ['SYS_ADMIN'] },
  { devices: ['/dev/fuse'] },
  { security_opt: ['seccomp=unconfined'] },
  { security_opt: ['apparmor:unconfined'] },
  { volumes: ['/var/run/docker.sock:/s'] },
  { volumes: ['/run/docker.sock:/s'] },
  { volumes: ['/:/host:ro'] },
  { volumes: ['/etc:/e:ro'] },
  { volumes: ['/proc:/p:ro'] },
  { volumes: ['/var/lib/docker:/d:ro'] },
  { volumes: ['/run:/r:ro'] },
  { volumes: ['/var/run:/r:ro'] },
  { volumes: ['/var:/v:ro'] },
  { volumes: [{ type: 'bind', source: '/var/run/docker.sock', target: '/s' }] },
];

function policyProbe(run: FuzzRun): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(plainDeploy(run), fc.constantFrom(...POLICY_PROBES))
    .map(([plain, probe]) => ({ ...withoutKeys(plain, ['network', 'volumes']), ...probe, wait: 'running' }));
}

function stackOverrides(run: FuzzRun): Record<string, fc.Arbitrary<unknown>> {
  return {
    name: fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9]{1,6}$/).map((s) => `${run.prefix}-s-${s}`) },
      { weight: 2, arbitrary: ref('stack') },
      {
        weight: 2,
        arbitrary: fc.constantFrom('fuzz-nx', 'FUZZ-NX', '-fuzz-nx', 'fuzz_nx.x', 'a'.repeat(64), hostileOrGarbage),
      },
    ),
    compose: composeCase.map((c) => new ComposeText(c)),
    file: fc.constantFrom(
      `${run.dir}/compose.yml`,
      `${run.dir}/missing.yml`,
      run.dir,
      '/etc/passwd',
      '../../etc/passwd',
      '/etc/hostname',
      '/proc/self/cmdline',
      'fuzz-nx.yml',
      '',
      '\u0000',
    ),
    template: fc.oneof(
      fc.constantFrom(...run.templates),
      fc.constantFrom('fuzz-nx', '../templates/web-stack', '', '/etc/passwd'),
    ),
    'variables{}': fc.oneof(fc.constantFrom('8080', '', 'fuzz-nx'), hostileString),
    profiles: fc.constantFrom(['*'], ['fuzz-nx'], [''], []),
    dry_run: fc.constantFrom(true, true, false),
    timeout: fc.constantFrom(1, 5, 15),
  };
}

/** Keeps one Compose source most of the time, so calls get past "give exactly one source". */
function oneSource(args: Record<string, unknown>, which: number): Record<string, unknown> {
  const keep = ['compose', 'compose', 'compose', 'compose', 'file', 'template'][which];
  if (!keep) return args;
  const out = { ...args };
  for (const k of ['compose', 'file', 'template']) if (k !== keep) delete out[k];
  if (keep !== 'template') delete out.variables;
  return out;
}

export interface ToolSchema {
  name: string;
  input: Schema;
}

export interface ArgsOptions {
  hostileRate: number;
  wrongTypeRate: number;
}

/** Field overrides per tool (paths as in arbitraryFromSchema). */
function overridesFor(tool: string, run: FuzzRun): Record<string, fc.Arbitrary<unknown>> {
  const containerId = { id: ref('container') };
  const shortTimeout = { timeout: fc.constantFrom<unknown>(0, 1, 2, -1, 3601) };
  switch (tool) {
    case 'deploy_container':
      return deployContainerOverrides(run);
    case 'exec_in_container':
      return {
        ...containerId,
        command: execCommand,
        timeout: fc.constantFrom<unknown>(0.1, 1, 3, 0, 3601),
        working_dir: fc.constantFrom('/', '/tmp', 'relative', '/fuzz-nx', ''),
      };
    case 'get_container_info':
    case 'get_container_logs':
    case 'start_container':
    case 'remove_container':
      return containerId;
    case 'stop_container':
    case 'restart_container':
      return { ...containerId, ...shortTimeout };
    case 'get_container_stats':
      return { ...containerId, stack: ref('stack') };
    case 'pull_image':
      return { image, timeout: fc.constantFrom(5, 10, 4, 3601) };
    case 'remove_image':
      return { id: ref('image') };
    case 'create_network':
      return {
        name: fc.oneof(
          { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${run.prefix}-n-${s}`) },
          { weight: 2, arbitrary: hostileOrGarbage },
        ),
        driver: fc.constantFrom('bridge', 'bridge', 'fuzz-nx-driver', 'host', 'null', ''),
        subnet: fc.oneof(
          subnetIndex.map((i) => `10.231.${i}.0/24`),
          fc.constantFrom('10.231.0.0/33', '999.1.1.1/8', 'fuzz-nx', '::1/200'),
        ),
        gateway: fc.oneof(
          subnetIndex.map((i) => `10.231.${i}.1`),
          fc.constantFrom('10.231.0.256', 'fuzz-nx'),
        ),
        ip_range: fc.oneof(
          subnetIndex.map((i) => `10.231.${i}.128/25`),
          fc.constantFrom('fuzz-nx', '10.231.0.0/8'),
        ),
        'options{key}': fc.stringMatching(/^[a-z.]{1,12}$/).map((s) => `fuzz-nx.${s}`),
      };
    case 'remove_network':
      return { id: ref('network') };
    case 'connect_container_to_network':
    case 'disconnect_container_from_network':
      return {
        network: ref('network'),
        container: ref('container'),
        ipv4_address: fc.oneof(
          subnetIndex.map((i) => `10.231.${i}.${10 + i}`),
          fc.constantFrom('fuzz-nx', '10.231.0.999'),
        ),
      };
    case 'create_volume':
      return {
        name: fc.oneof(
          { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${run.prefix}-v-${s}`) },
          { weight: 2, arbitrary: hostileOrGarbage },
        ),
        driver: fc.constantFrom('local', 'local', 'fuzz-nx-driver', ''),
        'driver_opts{key}': fc.stringMatching(/^[a-z]{1,8}$/).map((s) => `fuzz-nx-${s}`),
      };
    case 'remove_volume':
      return { id: ref('volume') };
    case 'get_stack_status':
    case 'remove_stack':
      return { name: ref('stack') };
    case 'deploy_application_stack':
      return stackOverrides(run);
    case 'configuration_validation':
      return { ...underPath('container', deployContainerOverrides(run)), ...underPath('stack', stackOverrides(run)) };
    case 'health_monitoring':
    case 'heal_containers':
      return { target: ref('target') };
    default:
      return {};
  }
}

/** The arbitrary of one tool's arguments: mostly by schema, sometimes plain valid, sometimes junk. */
export function argsArbitrary(
  tool: ToolSchema,
  run: FuzzRun,
  opts: ArgsOptions,
): fc.Arbitrary<Record<string, unknown>> {
  const overrides = overridesFor(tool.name, run);
  const bySchema = (hostileRate: number, wrongTypeRate: number) =>
    arbitraryFromSchema(tool.input, { overrides, hostileRate, wrongTypeRate }) as fc.Arbitrary<Record<string, unknown>>;
  let arb = fc.oneof(
    { weight: 16, arbitrary: bySchema(opts.hostileRate, opts.wrongTypeRate) },
    { weight: 3, arbitrary: bySchema(0, 0) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          bySchema(opts.hostileRate, 0),
          fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'extra', 'fuzz-nx', ''), wrongType, {
            minKeys: 1,
            maxKeys: 2,
          }),
        )
        .map(([a, junk]) => Object.assign(Object.create(null) as Record<string, unknown>, a, junk)),
    },
  );
  // A made-up cursor is always refused; leave it out mostly so the list handlers get past it.
  if ('cursor' in (tool.input._zod.def.shape ?? {}))
    arb = fc.tuple(arb, fc.nat(4)).map(([a, n]) => (n === 0 ? a : withoutKeys(a, ['cursor'])));
  if (tool.name === 'deploy_container')
    arb = fc.oneof(
      { weight: 4, arbitrary: arb },
      { weight: 4, arbitrary: plainDeploy(run) },
      { weight: 2, arbitrary: policyProbe(run) },
    );
  if (tool.name === 'create_network') arb = fc.oneof(arb, plainNetwork(run));
  if (tool.name === 'create_volume') arb = fc.oneof(arb, plainVolume(run));
  if (tool.name === 'deploy_application_stack') arb = fc.tuple(arb, fc.nat(7)).map(([a, n]) => oneSource(a, n));
  if (tool.name === 'configuration_validation') {
    arb = fc.tuple(arb, fc.nat(9), fc.nat(7)).map(([a, n, s]) => {
      const out = { ...a };
      if (n < 4) delete out.stack;
      else if (n < 8) delete out.container;
      if (out.stack && typeof out.stack === 'object') out.stack = oneSource(out.stack as Record<string, unknown>, s);
      return out;
    });
  }
  return arb;
}
