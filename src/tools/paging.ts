import { z } from 'zod';
import { ToolError } from '../kernel/errors.js';

export const pagingInput = {
  limit: z.number().int().min(1).max(1000).optional().describe('Default 50.'),
  cursor: z.string().max(512).optional().describe('nextCursor of the previous page.'),
};

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor?: string;
}

function encode(key: string): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

function decode(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'string') return v.after;
  } catch {
    /* fall through */
  }
  throw new ToolError(
    'invalid_input',
    'cursor is not one this server gave out: pass nextCursor from a previous answer, or omit it.',
  );
}

/** Key-based paging over rows sorted by `key`: stable when objects come and go between pages. */
export function paginate<T>(rows: T[], key: (row: T) => string, limit = 50, cursor?: string): Page<T> {
  const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const after = cursor ? decode(cursor) : undefined;
  const rest = after === undefined ? sorted : sorted.filter((r) => key(r) > after);
  const items = rest.slice(0, limit);
  const page: Page<T> = { items, total: rows.length };
  const last = items.at(-1);
  if (rest.length > limit && last) page.nextCursor = encode(key(last));
  return page;
}
