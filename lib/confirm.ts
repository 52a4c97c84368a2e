/**
 * THE rule for what counts as delivered, shared by every producer of this project:
 *
 *   an entry counts as delivered only when the service confirmed it: with a `RecordId`
 *   (Firehose `PutRecordBatch`) or a `SequenceNumber` (Kinesis `PutRecords`).
 *
 * Everything else is a failure with a code: the entry's `ErrorCode`, `MissingRecordId` /
 * `MissingSequenceNumber` for an entry with neither, and `MalformedResponse` for every record
 * when the response does not hold exactly one entry per record sent (AWS documents one entry per
 * record, in request order; a response that breaks this cannot be matched to records, so none of
 * it is trusted). `FailedPutCount` / `FailedRecordCount` are not used: the entries decide.
 *
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatchResponseEntry.html
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsResultEntry.html
 *
 * Dependency-free (structural types), so the router's bundle does not pull in the Kinesis client.
 */
import { ERROR_CODES, isRetryableEntryError } from './retry';

/** Outcome of one record of one call. */
export type EntryResult =
  | {
      readonly ok: true;
      /** Firehose `RecordId`, or Kinesis `SequenceNumber`. */
      readonly id: string;
      /** Kinesis only: the shard that holds the record. */
      readonly shardId?: string;
    }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly retryable: boolean;
    };

/** A `PutRecordBatchResponseEntry`. */
export interface FirehoseResponseEntry {
  readonly RecordId?: string | null;
  readonly ErrorCode?: string | null;
  readonly ErrorMessage?: string | null;
}

/** A `PutRecordsResultEntry`. */
export interface KinesisResultEntry {
  readonly SequenceNumber?: string | null;
  readonly ShardId?: string | null;
  readonly ErrorCode?: string | null;
  readonly ErrorMessage?: string | null;
}

const present = (s: string | null | undefined): s is string => typeof s === 'string' && s !== '';

function failure(code: string, message: string): EntryResult {
  return { ok: false, code, message, retryable: isRetryableEntryError(code) };
}

function malformed(entries: readonly unknown[] | undefined, expected: number): EntryResult[] {
  const r = failure(ERROR_CODES.malformedResponse, `expected ${expected} response entries, got ${entries?.length ?? 'none'}`);
  return Array.from({ length: expected }, () => r);
}

/** One result per record sent, in order, from `PutRecordBatch`'s `RequestResponses`. */
export function firehoseEntryResults(entries: readonly FirehoseResponseEntry[] | undefined, expected: number): EntryResult[] {
  if (entries === undefined || entries.length !== expected) return malformed(entries, expected);
  return entries.map((e): EntryResult => {
    if (present(e.ErrorCode)) return failure(e.ErrorCode, e.ErrorMessage ?? '');
    if (present(e.RecordId)) return { ok: true, id: e.RecordId };
    return failure(ERROR_CODES.missingRecordId, 'response entry has neither RecordId nor ErrorCode');
  });
}

/** One result per record sent, in order, from `PutRecords`' `Records`. */
export function kinesisEntryResults(entries: readonly KinesisResultEntry[] | undefined, expected: number): EntryResult[] {
  if (entries === undefined || entries.length !== expected) return malformed(entries, expected);
  return entries.map((e): EntryResult => {
    if (present(e.ErrorCode)) return failure(e.ErrorCode, e.ErrorMessage ?? '');
    if (present(e.SequenceNumber)) return present(e.ShardId) ? { ok: true, id: e.SequenceNumber, shardId: e.ShardId } : { ok: true, id: e.SequenceNumber };
    return failure(ERROR_CODES.missingSequenceNumber, 'result entry has neither SequenceNumber nor ErrorCode');
  });
}
