import { describe, expect, it } from 'vitest';
import {
  dockerfileEscape,
  isRemoteAddSource,
  logicalLines,
  remoteAddSources,
} from '../../../src/stacks/build/dockerfileRemote.js';

const df = (...lines: string[]) => lines.join('\n');

describe('remoteAddSources', () => {
  it('finds a plain ADD of a URL, in any case of the instruction', () => {
    expect(remoteAddSources(df('FROM x', 'ADD http://127.0.0.1:8080/a /a'))).toEqual(['http://127.0.0.1:8080/a']);
    expect(remoteAddSources(df('FROM x', '  add https://h/a /a'))).toEqual(['https://h/a']);
    expect(remoteAddSources(df('FROM x', 'AdD git://h/r.git /r'))).toEqual(['git://h/r.git']);
    expect(remoteAddSources(df('FROM x', 'ADD git@github.com:o/r.git /r'))).toEqual(['git@github.com:o/r.git']);
  });

  it('leaves local sources, COPY and other instructions alone', () => {
    expect(
      remoteAddSources(
        df(
          'FROM x',
          'ADD a.tar.gz /opt/',
          'ADD ["b c", "d", "/dst/"]',
          'COPY http://h/x /x',
          'RUN wget http://h/x',
          'LABEL u=http://h/',
        ),
      ),
    ).toEqual([]);
  });

  it('skips --flag options and checks every source, not the destination', () => {
    expect(remoteAddSources('ADD --chown=1:1 --chmod=644 local http://h/x /dst')).toEqual(['http://h/x']);
    expect(remoteAddSources('ADD --keep-git-dir=true --link local /http://dst')).toEqual([]);
  });

  it('reads the JSON-array form, with JSON escapes', () => {
    expect(remoteAddSources('ADD ["http://h/x", "/dst"]')).toEqual(['http://h/x']);
    expect(remoteAddSources('ADD --chown=1 ["http:\\u002f\\u002fh/x", "/dst"]')).toEqual(['http://h/x']);
  });

  it('joins line continuations and skips comment lines inside them', () => {
    expect(remoteAddSources(df('FROM x', 'ADD \\', '  # a comment', '  http://h/x \\', '  /dst'))).toEqual([
      'http://h/x',
    ]);
    expect(remoteAddSources(df('FROM x', 'ADD http\\', '://h/x /dst'))).toEqual(['http://h/x']);
  });

  it('honours the escape directive (backtick) for continuations', () => {
    const text = df('# escape=`', 'FROM x', 'ADD http:`', '//h/x /dst');
    expect(dockerfileEscape(text)).toBe('`');
    expect(remoteAddSources(text)).toEqual(['http://h/x']);
  });

  it('sees through escapes and quotes inside the source', () => {
    expect(remoteAddSources('ADD http:\\/\\/h/x /dst').length).toBe(1);
    expect(remoteAddSources('ADD "http://h/x" /dst').length).toBe(1);
    expect(remoteAddSources("ADD h'ttp:'//h/x /dst").length).toBe(1);
  });

  it('treats a source with ARG/ENV expansion as remote', () => {
    expect(remoteAddSources(df('ARG U=http://h/x', 'FROM x', 'ADD $U /dst'))).toEqual(['$U']);
    expect(remoteAddSources('ADD ${U}/x /dst')).toEqual(['${U}/x']);
    expect(remoteAddSources('ADD ["${U}", "/dst"]')).toEqual(['${U}']);
  });

  it('finds ONBUILD ADD', () => {
    expect(remoteAddSources('onbuild ADD http://h/x /dst')).toEqual(['http://h/x']);
  });

  it('ignores a URL that only appears in a comment', () => {
    expect(remoteAddSources(df('FROM x', '# ADD http://h/x /dst'))).toEqual([]);
  });
});

describe('parser pieces', () => {
  it('only the leading comment lines are directives', () => {
    expect(dockerfileEscape(df('# syntax=docker/dockerfile:1', '# escape=`', 'FROM x'))).toBe('`');
    expect(dockerfileEscape(df('FROM x', '# escape=`'))).toBe('\\');
    expect(dockerfileEscape('FROM x')).toBe('\\');
  });

  it('logicalLines joins continuations and drops blank and comment lines', () => {
    expect(logicalLines(df('FROM x', '', 'RUN a \\', '', 'b', '# c'), '\\')).toEqual(['FROM x', 'RUN a b']);
  });

  it('isRemoteAddSource', () => {
    expect(isRemoteAddSource('./a')).toBe(false);
    expect(isRemoteAddSource('GIT@h:r')).toBe(true);
    expect(isRemoteAddSource('a$b')).toBe(true);
  });
});
