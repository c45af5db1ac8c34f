import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorKind,
  errorText,
  startClient,
  uniqueName,
  type CallResult,
  type TestClient,
} from '../integration/mcpClient.js';

/**
 * Files the server reads for a tool (a Compose `file`, its `.env`, `env_file`) come only from the
 * configured roots, only regular files under the size cap, and never show up in an answer.
 * Each case goes through a real MCP client to the built server.
 */

const TOKEN = `tok-${uniqueName('secret')}`;
const SECRET_LINE = 'sk-live-DO-NOT-ECHO-4242';
let base: string;
let root: string;
let mcp: TestClient;
let readOnly: TestClient;
let everything: TestClient;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'dom-files-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'withenv'));
  mkdirSync(join(root, 'badenv'));
  writeFileSync(
    join(base, 'outside.yml'),
    `services:\n  web:\n    image: dom-test/busybox:1\n    environment:\n      KEY: ${SECRET_LINE}\n`,
  );
  writeFileSync(join(base, 'outside.env'), `API_KEY=${SECRET_LINE}\n`);
  symlinkSync(join(base, 'outside.yml'), join(root, 'escape.yml'));
  symlinkSync('/dev/zero', join(root, 'zero.yml'));
  execFileSync('mkfifo', [join(root, 'fifo.yml')]);
  // 13 MB of plausible YAML.
  writeFileSync(
    join(root, 'huge.yml'),
    `services:\n${'  # padding padding padding padding padding padding padding padding\n'.repeat(200_000)}`,
  );
  writeFileSync(
    join(root, 'syntax.yml'),
    [
      'services:',
      '  web:',
      '    image: dom-test/busybox:1',
      '    environment:',
      `      TOKEN: "${SECRET_LINE}`,
      '      OTHER: x',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'interp.yml'),
    [
      'services:',
      '  web:',
      '    image: dom-test/busybox:1',
      `    command: ["echo", "${SECRET_LINE}\${BROKEN"]`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'envfile-out.yml'),
    ['services:', '  web:', '    image: dom-test/busybox:1', '    env_file: ../outside.env', ''].join('\n'),
  );
  writeFileSync(
    join(root, 'envfile-bad.yml'),
    ['services:', '  web:', '    image: dom-test/busybox:1', '    env_file: bad.env', ''].join('\n'),
  );
  writeFileSync(join(root, 'bad.env'), `GOOD=1\nthis line holds ${SECRET_LINE}\n`);
  writeFileSync(join(root, 'withenv', 'compose.yml'), ['services:', '  web:', '    image: ${IMAGE}', ''].join('\n'));
  writeFileSync(join(root, 'withenv', '.env'), 'IMAGE=dom-test/busybox:1\n');
  writeFileSync(
    join(root, 'badenv', 'compose.yml'),
    ['services:', '  web:', '    image: dom-test/busybox:1', ''].join('\n'),
  );
  symlinkSync(join(base, 'outside.env'), join(root, 'badenv', '.env'));

  const env = { DOM_HTTP_TOKEN: TOKEN };
  [mcp, readOnly, everything] = await Promise.all([
    startClient({ env, args: ['--file-root', root, '--history-path', ':memory:'] }),
    startClient({ env, args: ['--file-root', root, '--read-only', '--history-path', ':memory:'] }),
    startClient({ env, args: ['--file-root', '/', '--history-path', ':memory:'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([mcp?.close(), readOnly?.close(), everything?.close()]);
  rmSync(base, { recursive: true, force: true });
});

const validate = (client: TestClient, file: string) =>
  client.call('configuration_validation', { stack: { name: 'files', file } });

/** The whole answer, as a client would see it. */
const whole = (r: CallResult) => JSON.stringify(r);

function expectRefused(r: CallResult, kind: string, pattern: RegExp): string {
  expect(r.isError, whole(r).slice(0, 300)).toBe(true);
  expect(errorKind(r)).toBe(kind);
  expect(errorText(r)).toMatch(pattern);
  expect(whole(r)).not.toContain(TOKEN);
  expect(whole(r)).not.toContain(SECRET_LINE);
  expect(whole(r)).not.toMatch(/root:x:0:0/);
  return errorText(r);
}

/** The server still answers other calls at once. */
async function stillResponsive(client: TestClient): Promise<void> {
  const started = Date.now();
  await client.ok('list_containers', { limit: 1 });
  expect(Date.now() - started).toBeLessThan(3000);
}

describe('files outside the roots', () => {
  it('refuses /proc/self/environ and /etc/passwd without echoing them, naming the setting', async () => {
    expectRefused(await validate(mcp, '/proc/self/environ'), 'denied', /DOM_FILE_ROOTS/);
    expectRefused(await validate(mcp, '/etc/passwd'), 'denied', /DOM_FILE_ROOTS/);
    expectRefused(
      await mcp.call('deploy_application_stack', { name: 'files', file: '/etc/passwd', dry_run: true }),
      'denied',
      /--file-root/,
    );
  });

  it('refuses a symlink inside a root that points outside, and a ".." escape', async () => {
    expectRefused(await validate(mcp, join(root, 'escape.yml')), 'denied', /configured folders/);
    expectRefused(await validate(mcp, `${root}/sub/../../outside.yml`), 'denied', /configured folders/);
    expectRefused(await validate(mcp, '../outside.yml'), 'denied', /configured folders/);
  });

  it('refuses them in read-only mode too', async () => {
    expectRefused(await validate(readOnly, '/etc/passwd'), 'denied', /DOM_FILE_ROOTS/);
    expectRefused(await validate(readOnly, join(root, 'escape.yml')), 'denied', /configured folders/);
  });

  it('never reads kernel pseudo files or devices, even with "/" as the root', async () => {
    expectRefused(await validate(everything, '/proc/self/environ'), 'denied', /configured folders/);
    expectRefused(await validate(everything, '/dev/zero'), 'denied', /configured folders/);
  });

  it('refuses an env_file outside the roots and a .env beside the file that leads outside', async () => {
    expectRefused(await validate(mcp, join(root, 'envfile-out.yml')), 'denied', /env_file/);
    expectRefused(await validate(mcp, join(root, 'badenv', 'compose.yml')), 'denied', /\.env file/);
  });

  it('reads a .env beside a Compose file inside a root', async () => {
    const r = await mcp.ok<{ services: string[]; source: string }>('configuration_validation', {
      stack: { name: 'files', file: join(root, 'withenv', 'compose.yml') },
    });
    expect(r.services).toEqual(['web']);
    expect(r.source).toBe(`file:${join(root, 'withenv', 'compose.yml')}`);
  });
});

describe('files that are not regular or too large', () => {
  it('fails fast on a FIFO and keeps answering other calls', async () => {
    const started = Date.now();
    expectRefused(await validate(mcp, join(root, 'fifo.yml')), 'denied', /FIFO/);
    expect(Date.now() - started).toBeLessThan(3000);
    await stillResponsive(mcp);
  });

  it('refuses /dev/zero through a symlink, and a directory', async () => {
    expectRefused(await validate(mcp, join(root, 'zero.yml')), 'denied', /configured folders/);
    expectRefused(await validate(mcp, join(root, 'sub')), 'denied', /directory/);
  });

  it('refuses a 13 MB file before reading it, naming the size setting', async () => {
    const started = Date.now();
    expectRefused(
      await validate(mcp, join(root, 'huge.yml')),
      'invalid_input',
      /over the limit of 1048576 bytes.*DOM_MAX_FILE_BYTES/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    await stillResponsive(mcp);
  });
});

describe('errors about a file name lines and keys, never its text', () => {
  /** configuration_validation reports Compose problems as findings; their messages are what we check. */
  async function findings(file: string): Promise<string> {
    const r = await validate(mcp, file);
    expect(r.isError, whole(r).slice(0, 300)).toBeFalsy();
    expect(whole(r)).not.toContain(SECRET_LINE);
    expect(whole(r)).not.toContain(TOKEN);
    return (r.structuredContent?.findings as { message: string }[]).map((f) => f.message).join('\n');
  }

  it('a YAML syntax error names the line, not its text', async () => {
    expect(await findings(join(root, 'syntax.yml'))).toMatch(/line \d+/);
  });

  it('an interpolation error names the key path, not the value', async () => {
    expect(await findings(join(root, 'interp.yml'))).toMatch(/line 4: unterminated/);
  });

  it('an env_file that does not parse names the file and line, not the text', async () => {
    expect(await findings(join(root, 'envfile-bad.yml'))).toMatch(/bad\.env line 2: expected NAME=VALUE/);
  });
});
