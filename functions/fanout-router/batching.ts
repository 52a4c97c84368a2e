/**
 * Packing records into PutRecordBatch calls: the project's greedy packer (lib/batching.ts) with
 * Firehose's call limits. Pure.
 */
import { minimumBatches as minimumBatchesBy, packBy, type BatchLimits } from '../../lib/batching';
import { MAX_BATCH_BYTES, MAX_BATCH_RECORDS } from './limits';

export { packBy, type BatchLimits } from '../../lib/batching';

export interface Sized {
  readonly data: Uint8Array;
}

export const FIREHOSE_BATCH_LIMITS: BatchLimits = { maxRecords: MAX_BATCH_RECORDS, maxBytes: MAX_BATCH_BYTES };

/** PutRecordBatch calls for one stream: at most 500 records and 4 MiB of data each. */
export function packBatches<T extends Sized>(items: readonly T[], limits: BatchLimits = FIREHOSE_BATCH_LIMITS): T[][] {
  return packBy(items, limits, (item) => item.data.byteLength);
}

/** Lower bound of calls for one stream: no packing can use fewer. */
export function minimumBatches(records: number, bytes: number, limits: BatchLimits = FIREHOSE_BATCH_LIMITS): number {
  return minimumBatchesBy(records, bytes, limits);
}
