import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Logger } from '../logger.js';

/**
 * stdio with a bound on incoming messages. The SDK's StdioServerTransport closes the whole session
 * when one message passes its buffer limit (the server then exits 0 with nothing logged, and calls
 * in flight are never answered), and drops lines that are not JSON without a word. Here stdin goes
 * through a line filter first: a line over the limit is discarded as it streams (never buffered
 * whole), a line that is not JSON is dropped, and each gets a JSON-RPC error answer and a log line,
 * while the session and its calls in flight go on.
 */

/** The largest incoming message (one line), as the SDK's own default. */
export const MAX_STDIO_MESSAGE_BYTES = 10 * 1024 * 1024;

/** JSON-RPC: the request is not a valid Request object (here: too large to accept). */
const INVALID_REQUEST = -32600;
/** JSON-RPC: invalid JSON was received. */
const PARSE_ERROR = -32700;

export type RequestId = string | number | null;

export interface RejectedLine {
  reason: 'too_large' | 'not_json';
  bytes: number;
  /** The request's id when it could be read from the start or the end of the line, else null. */
  id: RequestId;
}

const KEEP = 256;
const ID_VALUE = String.raw`(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")`;
const ID_FIRST = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}\s*[,}]`);
// The last key of the outermost object: exactly one closing brace follows its value.
const ID_LAST = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);

/** The top-level `id` of a JSON-RPC message known only by its first and last bytes; null when unsure. */
export function idFromFragments(head: string, tail: string): RequestId {
  const m = ID_FIRST.exec(head) ?? ID_LAST.exec(tail);
  if (!m?.[1]) return null;
  try {
    return JSON.parse(m[1]) as string | number;
  } catch {
    return null;
  }
}

/** Splits a byte stream into lines, passes on whole lines up to `maxBytes` and reports the others. */
export class BoundedLineFilter extends Transform {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  private head = '';
  private tail = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly onRejected: (line: RejectedLine) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      this.add(chunk.subarray(start, nl < 0 ? chunk.length : nl));
      if (nl < 0) break;
      this.endLine();
      start = nl + 1;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A last line without a newline is no message.
    this.reset();
    done();
  }

  private add(piece: Buffer): void {
    if (piece.length === 0) return;
    if (!this.discarding && this.size + piece.length > this.maxBytes) {
      this.discarding = true;
      this.head = Buffer.concat([...this.parts, piece.subarray(0, KEEP)])
        .subarray(0, KEEP)
        .toString('utf8');
      this.parts = [];
    }
    this.size += piece.length;
    if (this.discarding) this.tail = Buffer.concat([this.tail, piece.subarray(-KEEP)]).subarray(-KEEP);
    else this.parts.push(piece);
  }

  private endLine(): void {
    if (this.discarding) {
      this.onRejected({
        reason: 'too_large',
        bytes: this.size,
        id: idFromFragments(this.head, this.tail.toString('utf8')),
      });
    } else if (this.size > 0) {
      const line = Buffer.concat(this.parts, this.size);
      if (isJson(line)) this.push(Buffer.concat([line, NEWLINE]));
      else if (line.toString('utf8').trim()) this.onRejected({ reason: 'not_json', bytes: this.size, id: null });
    }
    this.reset();
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.discarding = false;
    this.head = '';
    this.tail = Buffer.alloc(0);
  }
}

const NEWLINE = Buffer.from('\n');

function isJson(line: Buffer): boolean {
  try {
    JSON.parse(line.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The error answer for a rejected line. */
export function rejectionAnswer(line: RejectedLine, maxBytes: number): JSONRPCMessage {
  const error =
    line.reason === 'too_large'
      ? {
          code: INVALID_REQUEST,
          message: `Message of ${line.bytes} bytes is over the limit of ${maxBytes} bytes and was discarded; send smaller arguments (a Compose file by path, for example).`,
        }
      : { code: PARSE_ERROR, message: `Message of ${line.bytes} bytes is not valid JSON and was discarded.` };
  return { jsonrpc: '2.0', id: line.id, error } as unknown as JSONRPCMessage;
}

/** The SDK's stdio transport reading through a BoundedLineFilter; rejected lines are logged and answered. */
export function boundedStdioTransport(
  log: Logger,
  opts: { stdin?: Readable; maxBytes?: number } = {},
): StdioServerTransport {
  const maxBytes = opts.maxBytes ?? MAX_STDIO_MESSAGE_BYTES;
  const stdin = opts.stdin ?? process.stdin;
  const filter = new BoundedLineFilter(maxBytes, (line) => {
    log.warn({ reason: line.reason, bytes: line.bytes, id: line.id, limit: maxBytes }, 'stdio message discarded');
    transport
      .send(rejectionAnswer(line, maxBytes))
      .catch((err: unknown) => log.warn({ err }, 'could not answer a discarded message'));
  });
  // Whole lines only reach the SDK's buffer, so its own limit must leave room for one of ours.
  const transport = new StdioServerTransport(filter, process.stdout, { maxBufferSize: maxBytes * 2 + 1024 });
  stdin.pipe(filter);
  return transport;
}
