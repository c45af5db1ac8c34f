import type { Readable } from 'node:stream';

/**
 * Keeps only the last `max` bytes written, counting what it dropped. Memory stays
 * bounded however large the input is.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.max;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** The kept text; when bytes were dropped, starts at the next whole line. */
  text(): string {
    let s = Buffer.concat(this.chunks).toString('utf8');
    if (this.dropped > 0) {
      const nl = s.indexOf('\n');
      if (nl >= 0 && nl < s.length - 1) {
        this.dropped += Buffer.byteLength(s.slice(0, nl + 1));
        s = s.slice(nl + 1);
      }
    }
    return s;
  }
}

/**
 * Demultiplexes the Engine's stdout/stderr stream format (8-byte frame headers) as it
 * arrives, handing each payload to `onFrame`. For TTY containers the stream is raw stdout.
 */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {}

  write(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const type = this.pending[0];
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      const payload = this.pending.subarray(8, 8 + len);
      this.pending = this.pending.subarray(8 + len);
      if (type === 2) this.onFrame('stderr', payload);
      else if (type === 1 || type === 0) this.onFrame('stdout', payload);
    }
  }
}

export interface SplitOutput {
  stdout: string;
  stderr: string;
  truncated: boolean;
  droppedBytes: number;
}

/** Reads a (possibly multiplexed) stream into two bounded tails, each at most `maxBytes`. */
export function readSplitOutput(
  stream: Readable,
  tty: boolean,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<SplitOutput> {
  const out = new TailBuffer(maxBytes);
  const err = new TailBuffer(maxBytes);
  const demux = new Demuxer((s, p) => (s === 'stderr' ? err : out).push(p));
  return new Promise((resolve, reject) => {
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => (tty ? out.push(chunk) : demux.write(chunk)));
    stream.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      const stdout = out.text();
      const stderr = err.text();
      const droppedBytes = out.dropped + err.dropped;
      resolve({ stdout, stderr, truncated: droppedBytes > 0, droppedBytes });
    };
    stream.on('end', finish);
    stream.on('close', finish);
  });
}

/**
 * Parses a stream of newline-delimited JSON objects, calling `onObject` for each line that
 * parses (others are skipped: progress and event streams are advisory). Resolves when the
 * stream ends or closes, rejects when it fails.
 */
export function forEachJsonLine<T = Record<string, unknown>>(
  stream: Readable,
  onObject: (obj: T) => void,
): Promise<'ended' | 'closed'> {
  let rest = '';
  const emit = (line: string) => {
    if (!line) return;
    let obj: T;
    try {
      obj = JSON.parse(line) as T;
    } catch {
      return;
    }
    onObject(obj);
  };
  return new Promise((resolve, reject) => {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        emit(line);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      emit(rest.trim());
      rest = '';
      resolve('ended');
    });
    stream.on('close', () => resolve('closed'));
  });
}
