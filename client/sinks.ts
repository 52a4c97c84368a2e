/**
 * The two destinations: Firehose `PutRecordBatch` (direct mode) and Kinesis `PutRecords`
 * (root-stream mode), behind one interface that returns a per-record outcome.
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { FIREHOSE_LIMITS, KINESIS_LIMITS } from './limits';

/** A record ready to send. */
export interface OutRecord {
  readonly data: Uint8Array;
  /** Kinesis only. */
  readonly partitionKey?: string;
}

/** `undefined` for an accepted record, else its entry error. */
export type EntryOutcome = { readonly code: string; readonly message: string } | undefined;

export interface CallLimits {
  readonly maxRecordsPerCall: number;
  /** Bytes per call, counted as `recordCost` sums. */
  readonly maxBytesPerCall: number;
  /** Bytes per record, counted as `recordCost`. */
  readonly maxRecordBytes: number;
}

export interface Sink {
  readonly limits: CallLimits;
  /** Whether partition keys count towards the limits (Kinesis). */
  readonly countsPartitionKey: boolean;
  /** Sends one call; throws on a whole-call error; returns one outcome per record, in order. */
  send(destination: string, records: readonly OutRecord[]): Promise<EntryOutcome[]>;
}

/** The service answered, but not with one response entry per record: treated as a transient failure. */
export class MalformedResponseError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

interface ResponseEntry {
  readonly ErrorCode?: string | undefined;
  readonly ErrorMessage?: string | undefined;
}

function outcomes(entries: readonly ResponseEntry[] | undefined, expected: number, failedCount: number | undefined): EntryOutcome[] {
  if (entries === undefined || entries.length !== expected) {
    throw new MalformedResponseError(`expected ${expected} response entries, got ${entries?.length ?? 'none'}`);
  }
  let failed = 0;
  const out = entries.map((e): EntryOutcome => {
    if (e.ErrorCode === undefined || e.ErrorCode === '') return undefined;
    failed++;
    return { code: e.ErrorCode, message: e.ErrorMessage ?? '' };
  });
  // The entries are the source of truth; a count that says more failed than the entries show
  // leaves us unable to tell which ones: resend them all rather than guess.
  if ((failedCount ?? 0) > failed) {
    throw new MalformedResponseError(`failed count ${failedCount} but ${failed} entries carry an ErrorCode`);
  }
  return out;
}

export function firehoseSink(client: FirehoseClient): Sink {
  return {
    limits: FIREHOSE_LIMITS,
    countsPartitionKey: false,
    async send(destination, records) {
      const out = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: destination, Records: records.map((r) => ({ Data: r.data })) }),
      );
      return outcomes(out.RequestResponses, records.length, out.FailedPutCount);
    },
  };
}

export function kinesisSink(client: KinesisClient): Sink {
  return {
    limits: KINESIS_LIMITS,
    countsPartitionKey: true,
    async send(destination, records) {
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: destination,
          Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
      );
      return outcomes(out.Records, records.length, out.FailedRecordCount);
    },
  };
}
