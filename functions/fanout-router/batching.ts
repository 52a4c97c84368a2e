/**
 * Packing records into PutRecordBatch calls. Pure.
 */
import { MAX_BATCH_BYTES, MAX_BATCH_RECORDS } from './limits';

export interface Sized {
  readonly data: Uint8Array;
}

export interface BatchLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export const FIREHOSE_BATCH_LIMITS: BatchLimits = { maxRecords: MAX_BATCH_RECORDS, maxBytes: MAX_BATCH_BYTES };

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

/** PutRecordBatch calls for one stream: at most 500 records and 4 MiB of data each. */
export function packBatches<T extends Sized>(items: readonly T[], limits: BatchLimits = FIREHOSE_BATCH_LIMITS): T[][] {
  return packBy(items, limits, (item) => item.data.byteLength);
}

/** Lower bound of calls for one stream: no packing can use fewer. */
export function minimumBatches(records: number, bytes: number, limits: BatchLimits = FIREHOSE_BATCH_LIMITS): number {
  return Math.max(Math.ceil(records / limits.maxRecords), Math.ceil(bytes / limits.maxBytes));
}
