import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InterpolationError, interpolateData, interpolateString } from '../../../src/stacks/compose/interpolate.js';
import { IssueCollector } from '../../../src/stacks/compose/issues.js';

const env = { SET: 'value', EMPTY: '', PORT: '8080' };
const run = (s: string) => interpolateString(s, env);

describe('interpolateString', () => {
  it.each([
    ['${SET}', 'value'],
    ['$SET', 'value'],
    ['$SET-suffix', 'value-suffix'],
    ['a${SET}b', 'avalueb'],
    ['${UNSET}', ''],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${UNSET-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${SET:-dflt}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?boom}', 'value'],
    ['${EMPTY?boom}', ''],
    ['$$', '$'],
    ['$${SET}', '${SET}'],
    ['pg_isready -U $$POSTGRES_USER', 'pg_isready -U $POSTGRES_USER'],
    ['${UNSET:-${PORT}}', '8080'],
    ['${UNSET:-a:b}', 'a:b'],
    ['${UNSET:-}', ''],
    ['127.0.0.1:${PORT}:80', '127.0.0.1:8080:80'],
  ])('%s -> %s', (input, expected) => {
    expect(run(input)).toBe(expected);
  });

  it('fails on :? when unset or empty, with the message', () => {
    expect(() => run('${UNSET:?set UNSET please}')).toThrow(
      'required variable UNSET is missing a value: set UNSET please',
    );
    expect(() => run('${EMPTY:?needed}')).toThrow(InterpolationError);
    expect(() => run('${UNSET?}')).toThrow('required variable UNSET is missing a value');
  });

  it.each(['$', 'cost: 5$', '${', '${SET', '${}', '${1A}', '${SET:x}', '$ 1'])('refuses malformed %j', (input) => {
    expect(() => run(input)).toThrow(InterpolationError);
  });

  it('reports unset plain references', () => {
    const unset: string[] = [];
    interpolateString('${A} $B ${C:-x}', {}, (n) => unset.push(n));
    expect(unset).toEqual(['A', 'B']);
  });

  it('never changes or fails on strings without "$"', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('$')),
        (s) => interpolateString(s, env) === s,
      ),
    );
  });
});

describe('interpolateData', () => {
  it('interpolates values only, names the path of errors and warns about unset variables once', () => {
    const issues = new IssueCollector();
    const warnings: string[] = [];
    const out = interpolateData(
      {
        services: {
          web: { image: 'nginx:${TAG:-1}', environment: { '${KEY}': '$A', B: '$A' }, ports: ['${BAD:?no port}', 80] },
        },
      },
      { TAG: '2' },
      issues,
      warnings,
    );
    expect(out).toEqual({
      services: { web: { image: 'nginx:2', environment: { '${KEY}': '', B: '' }, ports: ['${BAD:?no port}', 80] } },
    });
    expect(issues.issues).toEqual([
      { path: 'services.web.ports[0]', message: 'required variable BAD is missing a value: no port' },
    ]);
    expect(warnings).toEqual(['The variable A is not set; using an empty string.']);
  });
});
