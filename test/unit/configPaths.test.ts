import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('path settings', () => {
  const HOME = '/home/ada';

  it('expand a leading ~/ (JSON client configurations have no shell to do it)', () => {
    const c = loadConfig({
      HOME,
      DOM_HISTORY_PATH: '~/.local/share/docker-orchestration-mcp/history.db',
      DOCKER_CONFIG: '~/.docker-alt',
      DOCKER_CERT_PATH: '~/certs',
      DOM_ALLOWED_BIND_ROOTS: '~/projects, /srv/data',
    });
    expect(c.historyPath).toBe('/home/ada/.local/share/docker-orchestration-mcp/history.db');
    expect(c.dockerConfigDir).toBe('/home/ada/.docker-alt');
    expect(c.docker.certPath).toBe('/home/ada/certs');
    expect(c.policy.allowedBindRoots).toEqual(['/home/ada/projects', '/srv/data']);
    expect(loadConfig({ HOME }, { historyPath: '~' }).historyPath).toBe(HOME);
  });

  it('read a token file given with ~/', () => {
    const home = mkdtempSync(join(tmpdir(), 'dom-home-'));
    writeFileSync(join(home, 'token'), 'a-token-of-more-than-16-chars\n');
    expect(loadConfig({ HOME: home, DOM_HTTP_TOKEN_FILE: '~/token' }).httpToken).toBe('a-token-of-more-than-16-chars');
  });

  it('leave other paths alone: ~user, ~ inside a path, :memory:', () => {
    expect(loadConfig({ HOME, DOM_HISTORY_PATH: '~bob/h.db' }).historyPath).toBe('~bob/h.db');
    expect(loadConfig({ HOME, DOM_HISTORY_PATH: '/data/~/h.db' }).historyPath).toBe('/data/~/h.db');
    expect(loadConfig({ HOME, DOM_HISTORY_PATH: ':memory:' }).historyPath).toBe(':memory:');
  });
});
