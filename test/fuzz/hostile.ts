import fc from 'fast-check';

/**
 * Values a hostile model would try. None of them may name a real Engine object of someone
 * else: no bare hex (an id prefix), no plain word that could be a container or network
 * name. They are mixed into otherwise valid arguments by the schema arbitraries.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '../../etc/passwd',
  '../../../../../../etc/shadow',
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run',
  '/',
  '/etc',
  '/proc/1/root',
  '..',
  '.',
  '$(reboot)',
  '`id`; rm -rf /',
  '${VAR:?x}',
  '${HOME}',
  '$$HOME',
  '{"a":1}',
  '[1,2,3]',
  'null',
  '<script>x</script>',
  '\u0000',
  'fuzz-nx\u0000evil',
  '\u202e\u0301\u200b',
  'Ωmega-名前-😀',
  'fuzz-nx-' + 'a'.repeat(300),
  'x'.repeat(70_000),
  '%2e%2e%2fetc%2fpasswd',
  'fuzz-nx\nline2',
  '\r\n',
  'C:\\Windows\\System32',
  '-rf',
  '--privileged',
  '*',
  '?',
  '127.0.0.1:99999:80',
  '0.0.0.0:1:99999',
  'fuzz-nx:latest',
  'FUZZ-NX/UPPER:Case',
  '@sha256:zz',
];

export const HOSTILE_NUMBERS: readonly number[] = [
  -1,
  -0.5,
  0,
  0.1,
  1e21,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER,
  2 ** 31,
  -(2 ** 31) - 1,
  1e308,
  Number.MIN_VALUE,
];

/** Random text beyond the fixed list, always carrying "fuzz-nx" so it cannot be a real name. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `fuzz-nx${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => `${s}/fuzz-nx/..`) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

/** Any JSON value, small: the wrong type for a field. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(...HOSTILE_STRINGS.slice(0, 12)),
  fc.array(fc.constantFrom(1, 'fuzz-nx', null), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', '__proto__', 'constructor', 'fuzz-nx'), fc.constantFrom(1, 'x', null), {
    maxKeys: 2,
  }),
);
