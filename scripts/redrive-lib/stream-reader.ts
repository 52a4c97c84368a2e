/**
 * Reads records back from the root stream by sequence number, while the stream retains them
 * (`retentionHours`): the record of a dead letter whose data the router omitted (over SQS's size
 * limit), and the records of a batch Lambda gave up on (its on-failure record names the shard and
 * the first and last sequence numbers, not the data).
 *
 * GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords. A record the stream no longer holds is
 * reported as missing: when the first record returned is not the one asked for (it expired, or
 * the iterator starts at the trim horizon), or the call says the sequence number is not valid.
 * Reads share the shard's 5 GetRecords calls per second with the router: throttling is retried.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { compareSequenceNumbers, sha256, streamNameFromArn, type BatchFailure, type DeadLetterRecord } from './records';
import { callWithRetries, type CallPolicy } from './retry-call';
import { AwsCallError } from './types';

export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  /** Epoch ms. */
  readonly arrival?: number;
}

/** Errors that mean "the stream does not hold this any more" (or never did): not retried. */
const GONE = new Set(['ResourceNotFoundException', 'InvalidArgumentException']);

/** Largest number of empty GetRecords pages followed before giving up on a range (Kinesis may return empty pages mid-shard). */
const MAX_EMPTY_PAGES = 20;

export class StreamReader {
  public constructor(
    private readonly kinesis: Pick<KinesisClient, 'send'>,
    private readonly policy?: CallPolicy,
  ) {}

  /** The record of a dead letter (checked against its SHA-256), or undefined when the stream no longer has it. */
  public async readDeadLetter(letter: DeadLetterRecord, signal: AbortSignal): Promise<Buffer | undefined> {
    const stream = streamNameFromArn(letter.doc.kinesis.eventSourceARN);
    if (stream === undefined || letter.shardId === '') return undefined;
    const seq = letter.doc.kinesis.sequenceNumber;
    const r = await this.readRange(stream, letter.shardId, seq, seq, signal);
    const rec = r.records[0];
    if (rec === undefined || rec.sequenceNumber !== seq || sha256(rec.data) !== letter.doc.sha256) return undefined;
    return rec.data;
  }

  /** The records of a failed batch: `complete` is false when the stream no longer holds the first ones. */
  public async readBatch(b: BatchFailure, signal: AbortSignal): Promise<{ records: StreamRecord[]; complete: boolean; stream?: string }> {
    const stream = streamNameFromArn(b.streamArn);
    if (stream === undefined) return { records: [], complete: false };
    return { ...(await this.readRange(stream, b.shardId, b.startSequenceNumber, b.endSequenceNumber, signal)), stream };
  }

  /** Records from `first` to `last` (inclusive) of one shard. */
  public async readRange(stream: string, shardId: string, first: string, last: string, signal: AbortSignal): Promise<{ records: StreamRecord[]; complete: boolean }> {
    let iterator: string | undefined;
    try {
      const it = await callWithRetries(
        `GetShardIterator ${stream}/${shardId} at ${first}`,
        (s) => this.kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: first }), { abortSignal: s }),
        { signal, ...(this.policy !== undefined ? { policy: this.policy } : {}), isFinal: (e) => GONE.has(e.code) },
      );
      iterator = it.ShardIterator;
    } catch (err) {
      if (err instanceof AwsCallError && GONE.has(err.code)) return { records: [], complete: false };
      throw err;
    }
    const records: StreamRecord[] = [];
    let empty = 0;
    while (iterator !== undefined && !signal.aborted) {
      const current: string = iterator;
      const page = await callWithRetries(
        `GetRecords ${stream}/${shardId}`,
        (s) => this.kinesis.send(new GetRecordsCommand({ ShardIterator: current, Limit: 1_000 }), { abortSignal: s }),
        { signal, ...(this.policy !== undefined ? { policy: this.policy } : {}) },
      );
      const got: _Record[] = page.Records ?? [];
      for (const r of got) {
        const seq = r.SequenceNumber ?? '';
        if (compareSequenceNumbers(seq, last) > 0) return { records, complete: startsAt(records, first) };
        records.push({
          sequenceNumber: seq,
          partitionKey: r.PartitionKey ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()),
          ...(r.ApproximateArrivalTimestamp !== undefined ? { arrival: r.ApproximateArrivalTimestamp.getTime() } : {}),
        });
        if (seq === last) return { records, complete: startsAt(records, first) };
      }
      if (got.length === 0) {
        empty++;
        // At the tip of the shard (or after enough empty pages): nothing more to read.
        if (page.MillisBehindLatest === 0 || empty >= MAX_EMPTY_PAGES) break;
      } else empty = 0;
      iterator = page.NextShardIterator;
    }
    // The shard ended (or the run was interrupted) before the last record: not complete.
    return { records, complete: false };
  }
}

function startsAt(records: readonly StreamRecord[], first: string): boolean {
  return records.length > 0 && records[0]!.sequenceNumber === first;
}
