/** Per-tool counts of a fuzz run: how far the calls got, and how they ended. */

export interface ToolTally {
  calls: number;
  /** Refused by the schema check before the handler ran. */
  rejected: number;
  /** Past the schema check: a success or a domain error. */
  reached: number;
  ok: number;
  /** Domain errors by kind (invalid_input here is the handler's, not the schema's). */
  errors: Record<string, number>;
  /** The first message seen for each error kind (for the report). */
  examples: Record<string, string>;
  /** Calls whose arguments the safety guard had to rewrite. */
  rewritten: number;
  totalMs: number;
  maxMs: number;
}

export type Outcome =
  | { type: 'rejected' }
  | { type: 'ok' }
  | { type: 'error'; kind: string; message: string }
  /** No clean answer: protocol error, timeout, or a tool error without a stable kind. */
  | { type: 'broken'; what: string };

export class Tally {
  readonly tools = new Map<string, ToolTally>();
  readonly broken: { tool: string; args: string; what: string }[] = [];

  constructor(toolNames: string[]) {
    for (const t of toolNames)
      this.tools.set(t, {
        calls: 0,
        rejected: 0,
        reached: 0,
        ok: 0,
        errors: {},
        examples: {},
        rewritten: 0,
        totalMs: 0,
        maxMs: 0,
      });
  }

  record(tool: string, args: unknown, outcome: Outcome, ms: number, rewritten: boolean): void {
    const t = this.tools.get(tool);
    if (!t) throw new Error(`unknown tool ${tool}`);
    t.calls++;
    t.totalMs += ms;
    t.maxMs = Math.max(t.maxMs, ms);
    if (rewritten) t.rewritten++;
    if (outcome.type === 'rejected') t.rejected++;
    else t.reached++;
    if (outcome.type === 'ok') t.ok++;
    if (outcome.type === 'error') {
      t.errors[outcome.kind] = (t.errors[outcome.kind] ?? 0) + 1;
      t.examples[outcome.kind] ??= outcome.message.slice(0, 240);
    }
    if (outcome.type === 'broken') {
      t.errors.BROKEN = (t.errors.BROKEN ?? 0) + 1;
      this.broken.push({ tool, args: JSON.stringify(args)?.slice(0, 600) ?? String(args), what: outcome.what });
    }
  }

  totals(): { calls: number; rejected: number; reached: number; ok: number } {
    const all = [...this.tools.values()];
    const sum = (f: (t: ToolTally) => number) => all.reduce((n, t) => n + f(t), 0);
    return {
      calls: sum((t) => t.calls),
      rejected: sum((t) => t.rejected),
      reached: sum((t) => t.reached),
      ok: sum((t) => t.ok),
    };
  }

  table(): string {
    const rows = [...this.tools.entries()].map(([name, t]) => [
      name,
      String(t.calls),
      String(t.rejected),
      String(t.reached),
      String(t.ok),
      Object.entries(t.errors)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', '),
      String(t.rewritten),
      t.calls ? String(Math.round(t.totalMs / t.calls)) : '-',
      String(Math.round(t.maxMs)),
    ]);
    const total = this.totals();
    rows.push([
      'TOTAL',
      String(total.calls),
      String(total.rejected),
      String(total.reached),
      String(total.ok),
      '',
      '',
      '',
      '',
    ]);
    const head = ['tool', 'calls', 'rejected', 'reached', 'ok', 'errors by kind', 'guarded', 'avg ms', 'max ms'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (r: string[]) =>
      r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    return [line(head), ...rows.map(line)].join('\n');
  }

  toJSON(): unknown {
    return { totals: this.totals(), tools: Object.fromEntries(this.tools), broken: this.broken };
  }
}
