/**
 * Upper bounds on what one tool answer may cost a client. Tools summarise their own lists
 * (capList, capText); boundAnswer is the last line of defence for every answer: it keeps the
 * serialised answer under MAX_ANSWER_BYTES (a stdio client closes the session on a message over
 * its limit, 10 MiB for the SDK) while keeping the JSON valid and saying that it cut.
 */

/** The largest answer (structuredContent plus text) sent to a client. */
export const MAX_ANSWER_BYTES = 256 * 1024;
/** Where a cut answer says so. */
export const TRUNCATED_META_KEY = 'io.docker-orchestration-mcp/truncated';

const ELLIPSIS = '…';

/** `text` cut to `max` characters, with a marker saying how much was left out. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return `${cut}${ELLIPSIS} [${text.length - max} more characters]`;
}

/** The first `max` items, and how many were left out. */
export function capList<T>(items: readonly T[], max: number): { shown: T[]; more: number } {
  return items.length <= max
    ? { shown: [...items], more: 0 }
    : { shown: items.slice(0, max), more: items.length - max };
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/** A copy of `value` with every array cut to `maxItems` and every string to `maxChars`. */
function shrink(value: unknown, maxItems: number, maxChars: number): unknown {
  if (typeof value === 'string') return value.length > maxChars ? `${value.slice(0, maxChars)}${ELLIPSIS}` : value;
  if (Array.isArray(value)) return value.slice(0, maxItems).map((v) => shrink(v, maxItems, maxChars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v, maxItems, maxChars)]));
  }
  return value;
}

export interface BoundedAnswer {
  text: string;
  data: Record<string, unknown>;
  /** Set when something was cut: the serialised size before. */
  truncatedFrom?: number;
}

/**
 * Keeps an answer under `limit` bytes. Structured data shrinks step by step (fewer items per list,
 * shorter strings: both keep it valid against its schema, whose enums and ids are short); the text
 * keeps its head. Returns undefined when even the smallest form does not fit (an object with very
 * many keys), so the caller can answer with an error instead.
 */
export function boundAnswer(
  text: string,
  data: Record<string, unknown>,
  limit = MAX_ANSWER_BYTES,
): BoundedAnswer | undefined {
  const dataBytes = byteSize(data);
  const textBytes = Buffer.byteLength(text);
  if (dataBytes + textBytes <= limit) return { text, data };
  const total = dataBytes + textBytes;
  // The data carries the answer; the text gets at most a quarter of the budget.
  const textBudget = Math.floor(limit / 4);
  const notice = `\n[Answer cut from ${total} bytes to fit ${limit}: lists and long texts were shortened. Narrow the request (limit, filters, tail) to see the rest.]`;
  const head = (s: string, bytes: number) => Buffer.from(s).subarray(0, Math.max(0, bytes)).toString('utf8');
  const cutText =
    textBytes + notice.length > textBudget
      ? `${head(text, textBudget - notice.length - 64)}${ELLIPSIS}${notice}`
      : `${text}${notice}`;
  const dataBudget = limit - Buffer.byteLength(cutText);
  let maxItems = 200;
  let maxChars = 4096;
  for (;;) {
    const candidate = shrink(data, maxItems, maxChars) as Record<string, unknown>;
    if (byteSize(candidate) <= dataBudget) return { text: cutText, data: candidate, truncatedFrom: total };
    if (maxItems === 1 && maxChars === 128) return undefined;
    maxItems = Math.max(1, Math.floor(maxItems / 2));
    maxChars = Math.max(128, Math.floor(maxChars / 2));
  }
}
