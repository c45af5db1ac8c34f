import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeAuthEntry,
  lookupAuth,
  normalizeRegistryKey,
  registryHost,
  resolveRegistryAuth,
} from '../../../src/docker/registryAuth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registryHost', () => {
  it.each([
    ['nginx', 'docker.io'],
    ['nginx:1.27', 'docker.io'],
    ['library/nginx', 'docker.io'],
    ['team/app:v1', 'docker.io'],
    ['registry.example.com/team/app', 'registry.example.com'],
    ['127.0.0.1:5000/app:1', '127.0.0.1:5000'],
    ['localhost/app', 'localhost'],
    ['localhost:5000/app', 'localhost:5000'],
    ['index.docker.io/library/nginx', 'docker.io'],
    ['ghcr.io/org/app@sha256:' + 'a'.repeat(64), 'ghcr.io'],
  ])('%s -> %s', (ref, host) => expect(registryHost(ref)).toBe(host));
});

describe('normalizeRegistryKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['https://Registry.Example.com/v2/', 'registry.example.com'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('%s -> %s', (key, host) => expect(normalizeRegistryKey(key)).toBe(host));
});

describe('decodeAuthEntry', () => {
  it('splits base64 user:pass at the first colon (passwords may contain colons)', () => {
    expect(decodeAuthEntry({ auth: b64('me:pa:ss') })).toEqual({ username: 'me', password: 'pa:ss' });
  });
  it('keeps an identity token', () => {
    expect(decodeAuthEntry({ auth: b64('<token>:'), identitytoken: 'tok' })).toEqual({
      username: '<token>',
      password: '',
      identitytoken: 'tok',
    });
  });
  it('ignores empty entries', () => {
    expect(decodeAuthEntry({})).toBeUndefined();
    expect(decodeAuthEntry({ auth: b64('nocolon') })).toBeUndefined();
  });
});

describe('lookupAuth', () => {
  const config = {
    auths: {
      'http://127.0.0.1:5000': { auth: b64('cfg:secret') },
      'https://index.docker.io/v1/': { auth: b64('hub:pw') },
    },
  };

  it('finds config.json auths under any spelling of the host', () => {
    expect(lookupAuth('127.0.0.1:5000', {}, config)).toEqual({
      source: 'docker-config',
      auth: { username: 'cfg', password: 'secret', serveraddress: '127.0.0.1:5000' },
    });
    expect(lookupAuth('docker.io', {}, config).auth).toEqual({
      username: 'hub',
      password: 'pw',
      serveraddress: 'https://index.docker.io/v1/',
    });
  });

  it('prefers the environment (DOM_REGISTRY_AUTH) over config.json', () => {
    const r = lookupAuth('127.0.0.1:5000', { '127.0.0.1:5000': { username: 'env', password: 'x' } }, config);
    expect(r).toEqual({
      source: 'environment',
      auth: { username: 'env', password: 'x', serveraddress: '127.0.0.1:5000' },
    });
  });

  it('sends an identity token instead of a password', () => {
    const r = lookupAuth('ghcr.io', {}, { auths: { 'ghcr.io': { identitytoken: 'refresh-token' } } });
    expect(r.auth).toEqual({ identitytoken: 'refresh-token', serveraddress: 'ghcr.io' });
  });

  it('returns none, with a note, when only a credential helper is configured', () => {
    const r = lookupAuth('gcr.io', {}, { credHelpers: { 'gcr.io': 'gcloud' } });
    expect(r.auth).toBeUndefined();
    expect(r.source).toBe('none');
    expect(r.note).toMatch(/credential helper "gcloud".*does not run credential helpers/);
    expect(lookupAuth('other.io', {}, {})).toEqual({ source: 'none' });
  });
});

describe('resolveRegistryAuth', () => {
  it('reads DOCKER_CONFIG/config.json fresh and tolerates a missing or broken file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom-unit-'));
    try {
      expect(resolveRegistryAuth({ dockerConfigDir: dir, registryAuth: {} }, '127.0.0.1:5000/app:1')).toEqual({
        host: '127.0.0.1:5000',
        source: 'none',
      });
      writeFileSync(join(dir, 'config.json'), '{not json');
      expect(resolveRegistryAuth({ dockerConfigDir: dir, registryAuth: {} }, '127.0.0.1:5000/app').source).toBe('none');
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { '127.0.0.1:5000': { auth: b64('u:p') } } }));
      expect(resolveRegistryAuth({ dockerConfigDir: dir, registryAuth: {} }, '127.0.0.1:5000/app').auth).toEqual({
        username: 'u',
        password: 'p',
        serveraddress: '127.0.0.1:5000',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
