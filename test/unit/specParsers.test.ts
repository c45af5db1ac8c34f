import { describe, expect, it } from 'vitest';
import {
  parseCommand,
  parseCpus,
  parseDuration,
  parseHealthcheck,
  parseMemory,
  parsePort,
  parseRestart,
  parseVolume,
} from '../../src/docker/specParsers.js';

describe('parsePort', () => {
  it.each([
    ['80', { containerPort: 80, protocol: 'tcp' }],
    ['8080:80', { containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    ['127.0.0.1:8080:80/tcp', { containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1', protocol: 'tcp' }],
    ['127.0.0.1::53/udp', { containerPort: 53, hostIp: '127.0.0.1', protocol: 'udp' }],
    ['[::1]:8080:80', { containerPort: 80, hostPort: 8080, hostIp: '::1', protocol: 'tcp' }],
  ])('%s', (input, expected) => expect(parsePort(input)).toEqual(expected));

  it('objects and numbers', () => {
    expect(parsePort({ target: 80, published: '8080', host_ip: '127.0.0.1' })).toEqual({
      containerPort: 80,
      hostPort: 8080,
      hostIp: '127.0.0.1',
      protocol: 'tcp',
    });
    expect(parsePort(443)).toEqual({ containerPort: 443, protocol: 'tcp' });
  });

  it.each(['', '80:99999', '0', 'a:b', '1:2:3:4', 'host:80:80', '80/http', '8000-8010:80', '-1'])(
    'refuses %j',
    (input) => {
      expect(() => parsePort(input, 'ports[0]')).toThrow(/Invalid ports\[0\]/);
    },
  );
});

describe('parseVolume', () => {
  it('named, bind, anonymous, read-only and long form', () => {
    expect(parseVolume('data:/var/lib/x')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/var/lib/x',
      readOnly: false,
    });
    expect(parseVolume('./dir:/x:ro', 'v', (p) => `/base/${p}`)).toEqual({
      type: 'bind',
      source: '/base/./dir',
      target: '/x',
      readOnly: true,
    });
    expect(parseVolume('/abs:/x:rw')).toEqual({ type: 'bind', source: '/abs', target: '/x', readOnly: false });
    expect(parseVolume('/anon')).toEqual({ type: 'volume', target: '/anon', readOnly: false });
    expect(parseVolume({ type: 'tmpfs', target: '/run' })).toEqual({ type: 'tmpfs', target: '/run', readOnly: false });
    expect(parseVolume({ source: 'db', target: '/d', read_only: true })).toEqual({
      type: 'volume',
      source: 'db',
      target: '/d',
      readOnly: true,
    });
  });

  it.each(['', 'data:relative', 'bad name:/x', 'data:/x:rx', 'a:/b:ro:extra', ':/x'])('refuses %j', (input) => {
    expect(() => parseVolume(input)).toThrow(/Invalid volume/);
  });
});

describe('sizes, durations, restart, cpus', () => {
  it('memory', () => {
    expect(parseMemory('256m')).toBe(256 * 1024 ** 2);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('512MB')).toBe(512 * 1024 ** 2);
    expect(() => parseMemory('1k')).toThrow(/at least 4 MiB/);
    expect(() => parseMemory('lots')).toThrow(/256m/);
  });
  it('durations', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(3)).toBe(3000);
    expect(() => parseDuration('10 parsecs')).toThrow(/duration/);
    expect(() => parseDuration('')).toThrow(/duration/);
  });
  it('restart', () => {
    expect(parseRestart('on-failure:3')).toEqual({ name: 'on-failure', maximumRetryCount: 3 });
    expect(parseRestart('unless-stopped')).toEqual({ name: 'unless-stopped' });
    expect(() => parseRestart('always:3')).toThrow(/on-failure/);
    expect(() => parseRestart('sometimes')).toThrow(/on-failure/);
  });
  it('cpus', () => {
    expect(parseCpus(0.5)).toBe(5e8);
    expect(parseCpus('2')).toBe(2e9);
    expect(() => parseCpus(0)).toThrow(/positive/);
  });
});

describe('parseCommand', () => {
  it('splits like a shell without expanding', () => {
    expect(parseCommand('sh -c "echo $HOME; ls" \'a b\' c\\ d')).toEqual(['sh', '-c', 'echo $HOME; ls', 'a b', 'c d']);
    expect(parseCommand(['a', 'b c'])).toEqual(['a', 'b c']);
    expect(parseCommand('""')).toEqual(['']);
    expect(() => parseCommand('echo "unbalanced')).toThrow(/balanced quotes/);
  });
});

describe('parseHealthcheck', () => {
  it('compose forms to Engine nanoseconds', () => {
    expect(
      parseHealthcheck({ test: 'pg_isready', interval: '5s', timeout: '1s', retries: 5, start_period: '1m' }),
    ).toEqual({
      Test: ['CMD-SHELL', 'pg_isready'],
      Interval: 5e9,
      Timeout: 1e9,
      Retries: 5,
      StartPeriod: 60e9,
    });
    expect(parseHealthcheck({ test: ['CMD', 'true'] }).Test).toEqual(['CMD', 'true']);
    expect(parseHealthcheck({ test: ['redis-cli', 'ping'] }).Test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(parseHealthcheck({ disable: true })).toEqual({ Test: ['NONE'] });
    expect(() => parseHealthcheck({ test: ['CMD'] })).toThrow(/command after CMD/);
    expect(() => parseHealthcheck({ test: 'x', retries: -1 })).toThrow(/retries/);
  });
});
