import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  TEST_INSTANCE,
  errorKind,
  errorText,
  startClient,
  uniqueName,
  type TestClient,
} from '../integration/mcpClient.js';
import { removeProject } from '../integration/stacksHelpers.js';

/**
 * Answers stay small enough for a client, and oversized input never ends a session: a 1 MB
 * Compose text gets a bounded answer, alias bombs and over-cap texts are refused, and an 11 MiB
 * stdio message is answered with an error while the session (and a deploy in flight) goes on.
 */

const MAX_ANSWER_BYTES = 256 * 1024;

/** About 1 MB of Compose: 25,000 services, each worth three good-practice warnings. */
function hugeCompose(): string {
  let text = 'services:\n';
  for (let i = 0; text.length < 990_000; i++) text += `  s${i}:\n    image: dom-test/busybox:1\n`;
  return text;
}

const LAUGHS = [
  'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((c, i) => `x-${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  'services:',
  '  web:',
  '    image: dom-test/busybox:1',
  '    command: *i',
  '',
].join('\n');

let mcp: TestClient;

beforeAll(async () => {
  mcp = await startClient({ args: ['--history-path', ':memory:'] });
});

afterAll(async () => {
  await mcp?.close();
});

describe('bounded answers', () => {
  it('refuses a 1 MB Compose text of 25,000 services by the stack size policy right after parsing', async () => {
    const started = Date.now();
    const r = await mcp.ok<{ valid: boolean; findings: { code: string; message: string; fix: string }[] }>(
      'configuration_validation',
      { stack: { name: 'huge', compose: hugeCompose() } },
    );
    expect(r.valid).toBe(false);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      code: 'policy',
      message: expect.stringMatching(/defines 25\d{3} services, more than 100/),
      fix: expect.stringMatching(/DOM_MAX_STACK_CONTAINERS/),
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    await mcp.ok('list_containers', { limit: 1 });
  });

  it('answers a 1 MB Compose text with a bounded summary and keeps the session when the policy allows that many services', async () => {
    const roomy = await startClient({
      env: { DOM_MAX_STACK_CONTAINERS: '100000' },
      args: ['--history-path', ':memory:'],
    });
    try {
      const r = await roomy.call('configuration_validation', { stack: { name: 'huge', compose: hugeCompose() } });
      expect(r.isError).toBeFalsy();
      expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(MAX_ANSWER_BYTES);
      const data = r.structuredContent as {
        counts: { error: number; warning: number };
        findings: { message: string }[];
        moreFindings?: number;
        services: string[];
        moreServices?: number;
      };
      expect(data.counts.warning).toBeGreaterThan(1000);
      expect(data.findings.length).toBeLessThanOrEqual(50);
      expect(data.moreFindings).toBe(data.counts.error + data.counts.warning - data.findings.length);
      expect(data.services.length + (data.moreServices ?? 0)).toBeGreaterThan(20_000);
      expect(r.content[0]?.text).toContain(`"moreFindings":${data.moreFindings}`);
      // Minutes and a closed session before; the test's own timeout bounds it now (speed is the bench's job).
      await roomy.ok('list_containers', { limit: 1 });
    } finally {
      await roomy.close();
    }
  });

  it('refuses a 1 MB stack for deploy by the stack size policy, quickly', async () => {
    const r = await mcp.call('deploy_application_stack', { name: 'huge', compose: hugeCompose(), dry_run: true });
    expect(errorKind(r)).toBe('denied');
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(16 * 1024);
  });

  it('refuses an alias bomb ("billion laughs") at once', async () => {
    const started = Date.now();
    const r = await mcp.ok<{ valid: boolean; findings: { message: string }[] }>('configuration_validation', {
      stack: { name: 'lol', compose: LAUGHS },
    });
    expect(r.valid).toBe(false);
    expect(r.findings[0]?.message).toMatch(/alias/i);
    const deploy = await mcp.call('deploy_application_stack', { name: 'lol', compose: LAUGHS, dry_run: true });
    expect(errorKind(deploy)).toBe('invalid_input');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('caps inline Compose text with the file size setting', async () => {
    const small = await startClient({ env: { DOM_MAX_FILE_BYTES: '2048' }, args: ['--history-path', ':memory:'] });
    try {
      const compose = `services:\n  web:\n    image: dom-test/busybox:1\n${'# pad\n'.repeat(400)}`;
      const r = await small.call('configuration_validation', { stack: { name: 'capped', compose } });
      expect(errorKind(r)).toBe('invalid_input');
      expect(errorText(r)).toMatch(/over the limit of 2048 bytes.*DOM_MAX_FILE_BYTES/);
    } finally {
      await small.close();
    }
  });
});

/** The server over a raw pipe, for messages no SDK client would send. */
class RawServer {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly answers = new Map<string, Record<string, unknown>>();
  private readonly waiting = new Map<string, (m: Record<string, unknown>) => void>();
  stderr = '';
  exitCode: number | null = null;

  constructor() {
    this.child = spawn(process.execPath, [CLI, 'serve', '--history-path', ':memory:'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DOM_LOG_LEVEL: 'info',
        DOM_INSTANCE: TEST_INSTANCE,
      },
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(nl + 1);
        const key = JSON.stringify(msg.id ?? null);
        this.answers.set(key, msg);
        this.waiting.get(key)?.(msg);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  send(msg: Record<string, unknown>): void {
    this.write(JSON.stringify({ jsonrpc: '2.0', ...msg }));
  }

  answer(id: number | null, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const key = JSON.stringify(id);
    const got = this.answers.get(key);
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no answer for id ${key}; exit code ${this.exitCode}; stderr: ${this.stderr.slice(-500)}`)),
        timeoutMs,
      );
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  async initialize(): Promise<void> {
    this.send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '1' } },
    });
    await this.answer(1);
    this.send({ method: 'notifications/initialized' });
  }

  stop(): void {
    this.child.kill();
  }
}

describe('oversized stdio messages', () => {
  const stack = uniqueName('dom-sec').toLowerCase();
  afterAll(() => removeProject(stack));

  it('answers an 11 MiB line with an error, keeps the session, and still answers a deploy in flight', async () => {
    const raw = new RawServer();
    try {
      await raw.initialize();
      const compose = [
        'services:',
        '  app:',
        '    image: dom-test/busybox:1',
        '    command: ["sleep", "600"]',
        '    init: true',
        '',
      ].join('\n');
      raw.send({
        id: 10,
        method: 'tools/call',
        params: { name: 'deploy_application_stack', arguments: { name: stack, compose, wait: 'running', timeout: 90 } },
      });
      // The SDK client writes the id last; the server reads it from the tail of the discarded line.
      raw.write(
        JSON.stringify({
          method: 'tools/call',
          params: { name: 'list_containers', arguments: { filler: 'x'.repeat(11 * 1024 * 1024) } },
          jsonrpc: '2.0',
          id: 11,
        }),
      );
      raw.send({ id: 12, method: 'tools/list' });

      const rejected = await raw.answer(11);
      expect(rejected.error).toMatchObject({
        code: -32600,
        message: expect.stringMatching(/over the limit of 10485760 bytes/),
      });
      const list = await raw.answer(12);
      expect((list.result as { tools: unknown[] }).tools.length).toBeGreaterThan(10);
      const deployed = await raw.answer(10, 120_000);
      expect((deployed.result as { isError?: boolean }).isError, JSON.stringify(deployed).slice(0, 500)).toBeFalsy();
      expect(raw.stderr).toMatch(/"reason":"too_large".*stdio message discarded/);

      raw.write('this is not JSON');
      expect((await raw.answer(null)).error).toMatchObject({ code: -32700 });
      expect(raw.exitCode).toBeNull();
    } finally {
      raw.stop();
    }
  });
});
