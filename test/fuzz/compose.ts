import fc from 'fast-check';
import { stringify } from 'yaml';
import { hostileString } from './hostile.js';

/**
 * Small Compose projects for the stack tools: 1-3 busybox services that sleep, with optional
 * depends_on, networks, named volumes and loopback ports, plus mutated texts. A generated
 * project is `deployable` only when it is unmutated; the fuzz test dry-runs the others.
 */

export interface ComposeCase {
  text: string;
  /** Unmutated output of the structured generator: safe to really deploy. */
  deployable: boolean;
}

/** Stands in for a free loopback port; the fuzz test replaces it at call time. */
export const PORT_TOKEN = '__FUZZ_PORT__';

const IMAGES = ['dom-test/busybox:1', 'dom-test/busybox:1', 'dom-test/busybox:1', 'dom-test/fuzz-nx-missing:1'];

const serviceArb = (name: string, earlier: string[]) =>
  fc
    .record(
      {
        image: fc.constantFrom(...IMAGES),
        command: fc.constantFrom(['sleep', '3600'], 'sleep 3600', ['sh', '-c', 'sleep 3600']),
        dependsOn: earlier.length
          ? fc.subarray(earlier, { maxLength: Math.min(2, earlier.length) })
          : fc.constant([] as string[]),
        network: fc.boolean(),
        volume: fc.boolean(),
        port: fc.boolean(),
        healthcheck: fc.boolean(),
        env: fc.dictionary(fc.constantFrom('A', 'B_1', 'PASSWORD'), fc.constantFrom('x', '1', 'secret-value'), {
          maxKeys: 2,
        }),
      },
      { requiredKeys: ['image', 'command'] },
    )
    .map((s) => {
      const out: Record<string, unknown> = {
        image: s.image,
        command: s.command,
        init: true,
        stop_grace_period: '1s',
        mem_limit: '32m',
      };
      if (s.dependsOn?.length) out.depends_on = s.dependsOn;
      if (s.network) out.networks = ['back', 'default'];
      if (s.volume) out.volumes = ['data:/data'];
      if (s.port) out.ports = [`127.0.0.1:${PORT_TOKEN}:80`];
      if (s.healthcheck) out.healthcheck = { test: ['CMD', 'true'], interval: '1s', retries: 3 };
      if (s.env && Object.keys(s.env).length) out.environment = s.env;
      return [name, out] as const;
    });

/** A structured, valid project (its image may be missing: then the deploy fails cleanly). */
export const composeProject: fc.Arbitrary<string> = fc.integer({ min: 1, max: 3 }).chain((n) => {
  const names = ['web', 'api', 'db'].slice(0, n);
  return fc.tuple(...names.map((name, i) => serviceArb(name, names.slice(0, i)))).map((services) => {
    const doc: Record<string, unknown> = { services: Object.fromEntries(services) };
    const used = services.map(([, s]) => s);
    if (used.some((s) => s.networks)) doc.networks = { back: {} };
    if (used.some((s) => s.volumes)) doc.volumes = { data: {} };
    return stringify(doc);
  });
});

/** Text edits: a hostile string spliced in, a slice cut out, a line doubled, or a value swapped. */
const mutation = (text: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.nat(text.length), hostileString).map(([at, s]) => text.slice(0, at) + s + text.slice(at)),
    fc.tuple(fc.nat(text.length), fc.nat(40)).map(([at, n]) => text.slice(0, at) + text.slice(at + n)),
    fc.nat().map((i) => {
      const lines = text.split('\n');
      const k = i % lines.length;
      return [...lines.slice(0, k + 1), lines[k], ...lines.slice(k + 1)].join('\n');
    }),
    fc
      .constantFrom(
        ['sleep', 'privileged: true\n    sleep'],
        ['init: true', 'network_mode: host'],
        ['init: true', 'pid: host'],
        ['data:/data', '/var/run/docker.sock:/s'],
        ['data:/data', '/run:/r'],
        ['data:/data', '../../etc:/e'],
        ['mem_limit: 32m', 'mem_limit: 999999g'],
        ['mem_limit: 32m', 'cap_add: [SYS_ADMIN]'],
        ['depends_on:', 'depends_on: [web, web, ghost]\n    x-was:'],
        ['dom-test/busybox:1', '${IMAGE:?image is required}'],
        ['sleep', '${CMD:-sleep}'],
      )
      .map(([from, to]) => text.replace(from, to)),
  );

export const composeCase: fc.Arbitrary<ComposeCase> = fc.oneof(
  { weight: 3, arbitrary: composeProject.map((text) => ({ text, deployable: true })) },
  {
    weight: 3,
    arbitrary: composeProject.chain((text) => mutation(text)).map((text) => ({ text, deployable: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '',
        'services: {}',
        'services:\n  a:\n    image: [1, 2]',
        '{{{',
        'services: &a\n  b: *a',
        'x: ' + '['.repeat(500),
        'services:\n  "../x":\n    image: dom-test/busybox:1',
      )
      .map((text) => ({ text, deployable: false })),
  },
);
