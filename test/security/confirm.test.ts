import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupByLabel, docker, sleeperArgs, TEST_LABEL } from '../integration/engine.js';
import { CLI, startClient, TEST_INSTANCE, uniqueName, type TestClient } from '../integration/mcpClient.js';
import {
  connectClient,
  startHttpServer,
  textOf,
  type AnyClient,
  type ElicitReply,
  type Era,
  type HttpServer,
} from './helpers.js';

const run = uniqueName('confirm');
let admin: TestClient;
let http: HttpServer;

beforeAll(async () => {
  admin = await startClient({ env: { DOM_HISTORY_PATH: ':memory:' } });
  http = await startHttpServer();
});

afterAll(async () => {
  await admin?.close();
  await http?.stop();
  await cleanupByLabel(run);
});

async function victim(): Promise<string> {
  const name = uniqueName('victim');
  await admin.ok('deploy_container', sleeperArgs(name, { [TEST_LABEL]: run }));
  return name;
}

async function exists(name: string): Promise<boolean> {
  return docker
    .getContainer(name)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

type Where = 'stdio' | 'http';
const COMBOS: [Where, Era][] = [
  ['stdio', '2025'],
  ['stdio', '2026'],
  ['http', '2025'],
  ['http', '2026'],
];

function connect(
  where: Where,
  era: Era,
  reply?: () => ElicitReply,
  stdio: { env?: Record<string, string>; args?: string[] } = {},
): Promise<AnyClient> {
  return connectClient(where === 'stdio' ? { stdio } : { http: http.url }, era, reply);
}

describe.each(COMBOS)('a client that can ask its user (%s, %s era)', (where, era) => {
  it('a declined question stays refused even with confirm: true, and says the user declined', async () => {
    const name = await victim();
    const c = await connect(where, era, () => ({ action: 'decline' }));
    try {
      for (const args of [
        { id: name, force: true },
        { id: name, force: true, confirm: true },
      ]) {
        const r = await c.call('remove_container', args);
        expect(r.isError).toBeFalsy();
        const out = r.structuredContent as { done: boolean; message: string };
        expect(out.done).toBe(false);
        expect(out.message).toMatch(/^The user declined; nothing changed/);
        expect(out.message).not.toMatch(/confirm: true/);
        expect(textOf(r)).not.toMatch(/confirm: true/);
      }
      // The user was asked both times: confirm: true did not skip the question.
      expect(c.asked.length).toBe(2);
      expect(c.asked[1]).toMatch(new RegExp(`Remove container "${name}"`));
      expect(await exists(name)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('a cancelled question stays refused even with confirm: true', async () => {
    const name = await victim();
    const c = await connect(where, era, () => ({ action: 'cancel' }));
    try {
      const r = await c.call('remove_container', { id: name, force: true, confirm: true });
      const out = r.structuredContent as { done: boolean; message: string };
      expect(out.done).toBe(false);
      expect(out.message).toMatch(/^The user cancelled/);
      expect(out.message).not.toMatch(/confirm: true/);
      expect(await exists(name)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('an accepted form with confirm unticked is a no', async () => {
    const name = await victim();
    const c = await connect(where, era, () => ({ action: 'accept', content: { confirm: false } }));
    try {
      const out = (await c.call('remove_container', { id: name, force: true, confirm: true })).structuredContent as {
        done: boolean;
        message: string;
      };
      expect(out.done).toBe(false);
      expect(out.message).toMatch(/declined/);
      expect(await exists(name)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("the user's yes confirms (without confirm: true)", async () => {
    const name = await victim();
    const c = await connect(where, era, () => ({ action: 'accept', content: { confirm: true } }));
    try {
      const out = (await c.call('remove_container', { id: name, force: true })).structuredContent as { done: boolean };
      expect(out.done).toBe(true);
      expect(c.asked).toHaveLength(1);
      expect(await exists(name)).toBe(false);
    } finally {
      await c.close();
    }
  });
});

describe('exec_in_container follows the same rule', () => {
  it('a declined exec with confirm: true runs nothing', async () => {
    const name = await victim();
    const c = await connect('http', '2026', () => ({ action: 'decline' }));
    try {
      const out = (await c.call('exec_in_container', { id: name, command: ['touch', '/tmp/ran'], confirm: true }))
        .structuredContent as {
        done: boolean;
        message: string;
      };
      expect(out.done).toBe(false);
      expect(out.message).toMatch(/^The user declined; nothing ran/);
      const check = await admin.ok<{ exitCode: number }>('exec_in_container', {
        id: name,
        command: ['ls', '/tmp/ran'],
        confirm: true,
      });
      expect(check.exitCode).not.toBe(0);
    } finally {
      await c.close();
    }
  });
});

describe('clients that cannot ask', () => {
  it.each([['stdio', '2025'] as const, ['stdio', '2026'] as const, ['http', '2026'] as const])(
    'confirm: true confirms (%s, %s era); without it the answer says how',
    async (where, era) => {
      const name = await victim();
      const c = await connect(where, era);
      try {
        const preview = (await c.call('remove_container', { id: name, force: true })).structuredContent as {
          done: boolean;
          message: string;
        };
        expect(preview.done).toBe(false);
        expect(preview.message).toMatch(/^Not confirmed; nothing changed.*Call again with confirm: true/);
        const out = (await c.call('remove_container', { id: name, force: true, confirm: true })).structuredContent as {
          done: boolean;
        };
        expect(out.done).toBe(true);
        expect(await exists(name)).toBe(false);
      } finally {
        await c.close();
      }
    },
  );
});

describe('the server setting DOM_CONFIRM_ARGUMENT', () => {
  it('always: confirm: true counts even when the client could ask (documented opt-in)', async () => {
    const name = await victim();
    const c = await connect('stdio', '2025', () => ({ action: 'decline' }), {
      env: { DOM_CONFIRM_ARGUMENT: 'always' },
    });
    try {
      const out = (await c.call('remove_container', { id: name, force: true, confirm: true })).structuredContent as {
        done: boolean;
      };
      expect(out.done).toBe(true);
      expect(c.asked).toHaveLength(0);
    } finally {
      await c.close();
    }
  });

  it('never: confirm: true from a client that cannot ask is refused', async () => {
    const name = await victim();
    const c = await connect('stdio', '2025', undefined, { args: ['--confirm-argument', 'never'] });
    try {
      const out = (await c.call('remove_container', { id: name, force: true, confirm: true })).structuredContent as {
        done: boolean;
        message: string;
      };
      expect(out.done).toBe(false);
      expect(out.message).toMatch(/only the user can confirm/);
      expect(out.message).not.toMatch(/Call again with confirm: true/);
      expect(await exists(name)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('a bad value is a start-up error (exit 2)', async () => {
    const bad = await promisify(execFile)(process.execPath, [CLI, 'tools'], {
      env: { PATH: process.env.PATH ?? '', DOM_CONFIRM_ARGUMENT: 'sometimes' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/DOM_CONFIRM_ARGUMENT.*fallback, always, never/);
  });
});

describe('the shell', () => {
  it('`call` has no one to ask: confirm: true confirms', async () => {
    const name = await victim();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOM_LOG_LEVEL: 'warn',
      DOM_INSTANCE: TEST_INSTANCE,
      DOM_HISTORY_PATH: ':memory:',
    };
    const out = await promisify(execFile)(
      process.execPath,
      [CLI, 'call', 'remove_container', JSON.stringify({ id: name, force: true, confirm: true })],
      { env },
    );
    expect(JSON.parse(out.stdout)).toMatchObject({ done: true });
    expect(await exists(name)).toBe(false);
  });
});
