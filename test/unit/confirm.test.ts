import { describe, expect, it } from 'vitest';
import type { ConfirmArgumentMode } from '../../src/config.js';
import {
  createConfirmer,
  explicitOnly,
  notConfirmedMessage,
  type Confirmation,
  type ElicitAnswer,
} from '../../src/tools/confirm.js';

function confirmer(canAsk: boolean, answer: ElicitAnswer | Error, mode?: ConfirmArgumentMode) {
  const asked: string[] = [];
  const confirm = createConfirmer({
    clientCanElicit: () => canAsk,
    elicit: async (summary) => {
      asked.push(summary);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    ...(mode ? { confirmArgument: mode } : {}),
  });
  return { confirm, asked };
}

const refused = (c: Confirmation) => (c.confirmed ? undefined : c.reason);

describe('the confirmation rule', () => {
  it('a client that can ask: the user decides, whatever confirm says', async () => {
    for (const explicit of [undefined, true]) {
      const no = confirmer(true, 'decline');
      expect(refused(await no.confirm(explicit, 'Remove x.'))).toBe('declined');
      expect(no.asked).toEqual(['Remove x.']);
      expect(refused(await confirmer(true, 'cancel').confirm(explicit, 's'))).toBe('cancelled');
      expect(await confirmer(true, 'accept').confirm(explicit, 's')).toEqual({ confirmed: true, by: 'user' });
    }
  });

  it('confirm: false from a client that can ask is a preview, without asking', async () => {
    const c = confirmer(true, 'accept');
    expect(refused(await c.confirm(false, 's'))).toBe('preview');
    expect(c.asked).toHaveLength(0);
  });

  it('a question that fails is a refusal, never a yes', async () => {
    expect(refused(await confirmer(true, new Error('client went away')).confirm(true, 's'))).toBe('unavailable');
  });

  it('a client that cannot ask: confirm: true confirms (fallback), not with never', async () => {
    expect(await confirmer(false, 'decline').confirm(true, 's')).toEqual({ confirmed: true, by: 'argument' });
    expect(refused(await confirmer(false, 'accept').confirm(undefined, 's'))).toBe('preview');
    expect(refused(await confirmer(false, 'accept', 'never').confirm(true, 's'))).toBe('argument_refused');
  });

  it('always: confirm: true counts even when the client could ask', async () => {
    const c = confirmer(true, 'decline', 'always');
    expect(await c.confirm(true, 's')).toEqual({ confirmed: true, by: 'argument' });
    expect(c.asked).toHaveLength(0);
    expect(refused(await c.confirm(undefined, 's'))).toBe('declined');
  });

  it('the shell trusts confirm: true', async () => {
    expect((await explicitOnly(true, 's')).confirmed).toBe(true);
    expect((await explicitOnly(undefined, 's')).confirmed).toBe(false);
  });
});

describe('messages', () => {
  it('a decline says so and does not suggest confirm: true', async () => {
    const c = await confirmer(true, 'decline').confirm(true, 'Remove container "x".');
    if (c.confirmed) throw new Error('confirmed');
    const m = notConfirmedMessage(c, 'Remove container "x".');
    expect(m).toMatch(/^The user declined; nothing changed\. Would: Remove container "x"\./);
    expect(m).not.toMatch(/confirm: true/);
  });

  it('a preview tells how to confirm, with the tool-specific retry', async () => {
    const c = await explicitOnly(undefined, 's');
    if (c.confirmed) throw new Error('confirmed');
    expect(notConfirmedMessage(c, 'Heal: x.', { retry: 'heal: true and confirm: true' })).toBe(
      'Not confirmed; nothing changed. Would: Heal: x. Call again with heal: true and confirm: true to do it.',
    );
    expect(notConfirmedMessage(c, 'Run `ls`.', { nothing: 'nothing ran' })).toMatch(/^Not confirmed; nothing ran\./);
  });
});
