import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_INSTANCE } from './mcpClient.js';

/**
 * The package as users get it: `npm pack` of the built checkout, installed with
 * --ignore-scripts into an empty prefix, its bin started over stdio. The install needs no
 * registry when the package has no runtime dependencies; with some it would fetch them.
 */
const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'dom-package-it-'));
const prefix = join(work, 'prefix');
const bin = join(prefix, 'node_modules', '.bin', pkg.name);
let tarball = '';

beforeAll(async () => {
  // --ignore-scripts: the prepack build would rewrite dist/ under the integration tests running beside this one.
  const packed = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    timeout: 120_000,
  });
  const [info] = JSON.parse(packed.stdout) as { filename: string }[];
  tarball = join(work, info?.filename ?? '');
  mkdirSync(prefix);
  await exec('npm', ['install', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', tarball], {
    cwd: work,
    timeout: 600_000,
  });
}, 720_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships what runs and nothing else: the bundle, its schemas, templates, README, LICENSE', async () => {
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files.filter((f) => !f.startsWith('package/templates/'))).toEqual(
      [
        'package/LICENSE',
        'package/README.md',
        'package/dist/cli.js',
        'package/dist/tool-schemas.json',
        'package/package.json',
      ].sort(),
    );
    expect(files.some((f) => f.endsWith('.yml'))).toBe(true);
  });

  it('installs no runtime dependency (everything is bundled; node:sqlite is built in)', () => {
    const installed = readdirSync(join(prefix, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed).toEqual([pkg.name]);
  });

  it('prints the version of package.json', async () => {
    const { stdout } = await exec(bin, ['--version'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('starts from the installed bin over stdio and answers tools/list, list_containers and list_stack_templates', async () => {
    const history = join(work, 'state', 'history.db');
    let stderr = '';
    const transport = new StdioClientTransport({
      command: bin,
      args: ['serve'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DOM_INSTANCE: TEST_INSTANCE,
        DOM_HISTORY_PATH: history,
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'dom-package-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: pkg.name, version: pkg.version });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_containers');
      const answer = (await client.callTool({ name: 'list_containers', arguments: { all: true, limit: 5 } })) as {
        isError?: boolean;
        structuredContent?: { containers?: unknown[] };
      };
      expect(answer.isError ?? false).toBe(false);
      expect(Array.isArray(answer.structuredContent?.containers)).toBe(true);
      // The templates are found beside the installed bundle.
      const templates = (await client.callTool({ name: 'list_stack_templates', arguments: {} })) as {
        structuredContent?: { templates?: { name: string }[] };
      };
      expect(templates.structuredContent?.templates?.map((t) => t.name)).toContain('web-stack');
    } finally {
      await client.close();
    }
    // The history file was opened with node:sqlite, and Node printed no warning about it.
    expect(existsSync(history)).toBe(true);
    expect(stderr).not.toMatch(/Warning/);
  });
});
