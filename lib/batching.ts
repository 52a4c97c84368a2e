/**
 * Greedy, order-preserving packing, pure and dependency-free:
 * - events into records (`LinePacker`, `packLines`): small JSON lines joined with '\n' into
 *   records of at most N bytes, which the JSONL transform splits back (Firehose bills per record);
 * - records into calls (`packBy`, `packCalls`): at most the call's record count and bytes.
 */
import type { CallLimits } from './limits';
import type { OutRecord, Sink } from './sink';

export interface BatchLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * Splits items, in order, into batches of at most `maxRecords` items and `maxBytes` bytes as
 * measured by `sizeOf` (next fit). Each item must fit alone (callers set oversized items aside).
 */
export function packBy<T>(items: readonly T[], limits: BatchLimits, sizeOf: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The batch limits of a destination's calls. */
export function batchLimits(limits: CallLimits): BatchLimits {
  return { maxRecords: limits.maxRecordsPerCall, maxBytes: limits.maxBytesPerCall };
}

/** Calls for one destination: records packed under the sink's call limits, in order. */
export function packCalls<R extends OutRecord>(records: readonly R[], sink: Pick<Sink, 'limits' | 'cost'>): R[][] {
  return packBy(records, batchLimits(sink.limits), (r) => sink.cost(r));
}

/** Lower bound of calls for one destination: no packing can use fewer. */
export function minimumBatches(records: number, bytes: number, limits: BatchLimits): number {
  return Math.max(Math.ceil(records / limits.maxRecords), Math.ceil(bytes / limits.maxBytes));
}

/**
 * Packs lines into records of at most `maxBytes` bytes, lines joined with '\n', greedily and in
 * order. A line longer than `maxBytes` becomes a record of its own and leaves the open record as
 * it is. Incremental (the tracker adds events as they arrive); `packLines` does a whole list.
 */
export class LinePacker<T> {
  private open: T[] = [];
  private openBytes = 0;

  public constructor(private readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }

  /** Lines in the open record. */
  public get size(): number {
    return this.open.length;
  }

  /** Adds a line of `bytes` bytes; returns the record this closed, if any. */
  public add(item: T, bytes: number): T[] | undefined {
    if (bytes > this.maxBytes) return [item];
    let sealed: T[] | undefined;
    if (this.open.length > 0 && this.openBytes + 1 + bytes > this.maxBytes) sealed = this.seal();
    this.openBytes += this.open.length > 0 ? bytes + 1 : bytes;
    this.open.push(item);
    return sealed;
  }

  /** Closes the open record (undefined when empty). */
  public seal(): T[] | undefined {
    if (this.open.length === 0) return undefined;
    const lines = this.open;
    this.open = [];
    this.openBytes = 0;
    return lines;
  }
}

/** Greedy record packing of a whole list (see LinePacker). */
export function packLines<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const packer = new LinePacker<T>(maxBytes);
  const records: T[][] = [];
  for (const item of items) {
    const sealed = packer.add(item, sizeOf(item));
    if (sealed !== undefined) records.push(sealed);
  }
  const last = packer.seal();
  if (last !== undefined) records.push(last);
  return records;
}

/** Joins UTF-8 lines with '\n' in one allocation; `bytes` is the sum of their UTF-8 lengths when known. */
export function joinLines(lines: readonly string[], bytes?: number): Buffer {
  if (lines.length === 0) return Buffer.alloc(0);
  if (lines.length === 1) return Buffer.from(lines[0]!);
  const total = (bytes ?? lines.reduce((n, l) => n + Buffer.byteLength(l), 0)) + lines.length - 1;
  const data = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const line of lines) {
    if (offset > 0) data[offset++] = 0x0a;
    offset += data.write(line, offset);
  }
  return data;
}
