/**
 * A Kinesis event source mapping, run as Lambda runs one (AWS Lambda developer guide, "How Lambda
 * processes records from Amazon Kinesis Data Streams", "Kinesis event source mapping parameters",
 * "Configuring partial batch response with Kinesis", "Error handling", "Using tumbling windows",
 * "Control which events Lambda sends to your function" / "Filtering Kinesis events"):
 *
 * - each shard is read in order from the starting position (TRIM_HORIZON, LATEST, AT_TIMESTAMP),
 *   polled about once a second while it has nothing new, at once while it has a backlog;
 * - a batch holds up to BatchSize records and waits up to MaximumBatchingWindowInSeconds to fill,
 *   never more than 6 MB of event; one batch per shard is in flight at a time (parallelization
 *   factors above 1 are run as 1: order per shard is kept, concurrency is not);
 * - records that pass none of the filter criteria are consumed without an invocation (the filter
 *   model is lib/event-filter.ts: for Kinesis, patterns apply to `data` when it is JSON);
 * - a function error or timeout retries the batch (with backoff) until it succeeds, the retries
 *   run out (MaximumRetryAttempts) or its oldest record is older than MaximumRecordAgeInSeconds;
 *   BisectBatchOnFunctionError splits a failing batch in two and retries each half, and splitting
 *   does not count towards the retry quota (so a poison record ends up alone, and only it is given up);
 * - with ReportBatchItemFailures, `{ batchItemFailures: [{ itemIdentifier: <sequence number> }] }`
 *   checkpoints before the lowest reported record and retries from it; an identifier that is empty,
 *   not a string or not a sequence number of the batch fails the whole batch;
 * - a batch given up on is described, without its records, in an invocation record sent to the
 *   on-failure destination (SQS or SNS): requestContext, responseContext, version, timestamp and
 *   KinesisBatchInfo (shard, first and last sequence numbers, arrival times, batch size, stream);
 * - tumbling windows: records are grouped by the window their arrival time falls in (windows are
 *   aligned to the epoch); each invocation gets `window`, the `state` the previous invocation of the
 *   window returned, `shardId`, `eventSourceARN`, `isFinalInvokeForWindow` and
 *   `isWindowTerminatedEarly`; an answer without `state` is a failed invocation; when the window
 *   closes, a final invocation carries its state; a state above 1 MB ends the window early.
 *
 * The iterator position, the pending records and the window state live in memory.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { recordPasses } from '../../lib/event-filter';
import type { InvokeResult } from './lambda';
import type { InvokeTarget, LocalMapping } from './resources';

/** 6 MB: the largest synchronous invocation payload (Lambda quotas). */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** 1 MB: the largest tumbling-window state ("Using tumbling windows"). */
const MAX_STATE_BYTES = 1024 * 1024;

export interface MappingDeps {
  readonly kinesis: KinesisClient;
  readonly invoke: (target: InvokeTarget, event: unknown) => Promise<InvokeResult>;
  /** Sends an invocation record to the on-failure destination. */
  readonly onFailure: (destination: NonNullable<LocalMapping['onFailure']>, record: unknown) => Promise<void>;
  readonly region: string;
  /** The function's execution role (the records' invokeIdentityArn). */
  readonly roleArn: string;
  readonly log: (line: string) => void;
  /** Poll interval while a shard has nothing new. @default 1000 */
  readonly idlePollMs?: number;
  /** First retry delay; doubles per attempt up to 5 s. @default 200 */
  readonly retryBaseMs?: number;
}

export interface MappingCounts {
  read: number;
  filteredOut: number;
  invocations: number;
  failedInvocations: number;
  succeeded: number;
  sentToOnFailure: number;
}

interface Pending {
  readonly record: _Record;
  readonly bytes: number;
}

interface ShardState {
  readonly shardId: string;
  iterator: string | undefined;
  pending: Pending[];
  /** When the oldest pending record was read (for the batching window). */
  pendingSince: number;
  caughtUp: boolean;
  busy: boolean;
  window?: { start: number; end: number; state: unknown };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bytesOf = (r: _Record): number => (r.Data?.length ?? 0) * 1.34 + (r.PartitionKey?.length ?? 0) + 400;

export class KinesisMapping {
  public readonly counts: MappingCounts = { read: 0, filteredOut: 0, invocations: 0, failedInvocations: 0, succeeded: 0, sentToOnFailure: 0 };
  private readonly shards: ShardState[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  public constructor(
    public readonly spec: LocalMapping,
    private readonly deps: MappingDeps,
  ) {}

  public async start(): Promise<void> {
    if (!this.spec.enabled) return;
    const listed = await this.deps.kinesis.send(new ListShardsCommand({ StreamName: this.spec.stream.name }));
    for (const s of listed.Shards ?? []) {
      const type = this.spec.startingPosition;
      const it = await this.deps.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.spec.stream.name,
          ShardId: s.ShardId!,
          ShardIteratorType: type,
          ...(type === 'AT_TIMESTAMP' && this.spec.startingTimestamp !== undefined ? { Timestamp: new Date(this.spec.startingTimestamp) } : {}),
        }),
      );
      this.shards.push({ shardId: s.ShardId!, iterator: it.ShardIterator, pending: [], pendingSince: 0, caughtUp: false, busy: false });
    }
    this.running = true;
    this.loops = this.shards.map((s) => this.loop(s));
  }

  /** True when every shard has read up to the end of the stream and has nothing pending or in flight. */
  public get idle(): boolean {
    return this.shards.every((s) => s.caughtUp && s.pending.length === 0 && !s.busy);
  }

  /** Waits until every record written so far has been handled (or `timeoutMs` passes). */
  public async drain(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    // Two idle observations a poll apart: records written just before the call are read first.
    let seen = 0;
    while (Date.now() < until) {
      if (this.idle) {
        if (++seen >= 2) return true;
      } else seen = 0;
      await sleep(Math.min(200, this.deps.idlePollMs ?? 1000));
    }
    return false;
  }

  public async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async read(s: ShardState): Promise<number> {
    if (s.iterator === undefined) {
      s.caughtUp = true;
      return 0;
    }
    const out = await this.deps.kinesis.send(new GetRecordsCommand({ ShardIterator: s.iterator, Limit: 10_000 }));
    s.iterator = out.NextShardIterator;
    const records = out.Records ?? [];
    if (records.length > 0 && s.pending.length === 0) s.pendingSince = Date.now();
    for (const r of records) s.pending.push({ record: r, bytes: bytesOf(r) });
    this.counts.read += records.length;
    s.caughtUp = records.length === 0 && (out.MillisBehindLatest ?? 0) === 0;
    return records.length;
  }

  private async loop(s: ShardState): Promise<void> {
    const idlePoll = this.deps.idlePollMs ?? 1000;
    while (this.running) {
      try {
        const got = await this.read(s);
        if (s.pending.length === 0) {
          // Tumbling windows close with time, records or not.
          if (s.window !== undefined && Date.now() >= s.window.end) await this.closeWindow(s);
          if (got === 0) await sleep(idlePoll);
          continue;
        }
        const windowMs = this.spec.batchingWindowSeconds * 1000;
        const full = s.pending.length >= this.spec.batchSize || s.pending.reduce((n, p) => n + p.bytes, 0) >= MAX_EVENT_BYTES;
        if (!full && Date.now() - s.pendingSince < windowMs && !s.caughtUp) continue;
        if (!full && Date.now() - s.pendingSince < windowMs) {
          await sleep(Math.min(200, windowMs - (Date.now() - s.pendingSince)));
          continue;
        }
        s.busy = true;
        try {
          await this.nextBatch(s);
        } finally {
          s.busy = false;
        }
      } catch (err) {
        this.deps.log(`mapping ${this.spec.address} ${s.shardId}: ${(err as Error).message}`);
        await sleep(idlePoll);
      }
    }
  }

  /** Takes the next batch off the shard's pending records and processes it to completion. */
  private async nextBatch(s: ShardState): Promise<void> {
    const batch: Pending[] = [];
    let bytes = 0;
    const tumbling = this.spec.tumblingWindowSeconds;
    const windowOf = (r: _Record): number => {
      const t = r.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
      return Math.floor(t / (tumbling! * 1000)) * tumbling! * 1000;
    };
    const firstWindow = tumbling !== undefined ? windowOf(s.pending[0]!.record) : undefined;
    if (tumbling !== undefined && s.window !== undefined && firstWindow !== s.window.start) await this.closeWindow(s);
    while (s.pending.length > 0 && batch.length < this.spec.batchSize && (batch.length === 0 || bytes + s.pending[0]!.bytes <= MAX_EVENT_BYTES)) {
      // A batch never spans two tumbling windows.
      if (firstWindow !== undefined && windowOf(s.pending[0]!.record) !== firstWindow) break;
      const p = s.pending.shift()!;
      batch.push(p);
      bytes += p.bytes;
    }
    s.pendingSince = Date.now();
    const passing = batch.filter((p) => recordPasses(this.spec.filters, Buffer.from(p.record.Data ?? new Uint8Array())));
    this.counts.filteredOut += batch.length - passing.length;
    if (tumbling !== undefined) {
      if (s.window === undefined) s.window = { start: firstWindow!, end: firstWindow! + tumbling * 1000, state: {} };
      if (passing.length === 0) return;
      await this.process(s, passing.map((p) => p.record), 0);
      return;
    }
    if (passing.length === 0) return;
    await this.process(s, passing.map((p) => p.record), 0);
  }

  private kinesisEvent(s: ShardState, records: readonly _Record[]): Record<string, unknown> {
    return {
      Records: records.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey,
          sequenceNumber: r.SequenceNumber,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${s.shardId}:${r.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: this.deps.roleArn,
        awsRegion: this.deps.region,
        eventSourceARN: this.spec.stream.arn,
      })),
    };
  }

  private windowEvent(s: ShardState, records: readonly _Record[], final: boolean, early: boolean): Record<string, unknown> {
    const w = s.window!;
    return {
      ...this.kinesisEvent(s, records),
      window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() },
      state: w.state,
      shardId: s.shardId,
      eventSourceARN: this.spec.stream.arn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: early,
    };
  }

  /** The final invocation of the shard's open window. */
  private async closeWindow(s: ShardState): Promise<void> {
    if (s.window === undefined) return;
    await this.process(s, [], 0, true);
    s.window = undefined;
  }

  /**
   * Invokes the function with `records` until they are handled (success, retries or age run out),
   * following partial batch responses and bisecting on errors.
   */
  private async process(s: ShardState, records: readonly _Record[], attemptsSoFar: number, final = false): Promise<void> {
    let remaining = [...records];
    let attempts = attemptsSoFar;
    for (;;) {
      const tumbling = s.window !== undefined;
      const event = tumbling ? this.windowEvent(s, remaining, final, false) : this.kinesisEvent(s, remaining);
      this.counts.invocations++;
      const result = await this.deps.invoke(this.spec.target, event);
      let failedFrom: number | undefined;
      let wholeBatch = false;
      if (result.ok) {
        const payload = result.payload as { batchItemFailures?: unknown; state?: unknown } | null;
        // "When using tumbling windows, the Lambda function response must contain a state property. If the
        // response doesn't contain a state property, Lambda considers this a failed invocation"
        // ("Implement stateful Kinesis Data Streams processing in Lambda").
        if (tumbling && (payload === null || typeof payload !== 'object' || !('state' in payload))) {
          wholeBatch = true;
          this.deps.log(`mapping ${this.spec.address} ${s.shardId}: ${this.spec.target.function.name} answered a tumbling-window batch without a state; the invocation counts as failed`);
        } else if (tumbling && payload !== null && typeof payload === 'object' && 'state' in payload) {
          const stateText = JSON.stringify(payload.state ?? {});
          if (Buffer.byteLength(stateText) > MAX_STATE_BYTES) {
            this.deps.log(`mapping ${this.spec.address} ${s.shardId}: window state above 1 MB; the window ends early`);
            await this.deps.invoke(this.spec.target, this.windowEvent(s, [], true, true));
            s.window = undefined;
          } else if (s.window !== undefined) s.window.state = payload.state ?? {};
        }
        if (this.spec.reportBatchItemFailures && payload !== null && typeof payload === 'object' && Array.isArray(payload.batchItemFailures) && payload.batchItemFailures.length > 0) {
          const seqs = remaining.map((r) => r.SequenceNumber);
          let lowest = Number.POSITIVE_INFINITY;
          for (const f of payload.batchItemFailures as { itemIdentifier?: unknown }[]) {
            const id = f?.itemIdentifier;
            const at = typeof id === 'string' && id !== '' ? seqs.indexOf(id) : -1;
            if (at === -1) {
              wholeBatch = true;
              break;
            }
            lowest = Math.min(lowest, at);
          }
          if (!wholeBatch) failedFrom = lowest;
        }
        if (failedFrom === undefined && !wholeBatch) {
          this.counts.succeeded += remaining.length;
          return;
        }
        if (wholeBatch) this.counts.failedInvocations++;
      } else {
        wholeBatch = true;
        this.counts.failedInvocations++;
        this.deps.log(`mapping ${this.spec.address} ${s.shardId}: ${this.spec.target.function.name} failed on ${remaining.length} record(s) (${result.errorType}: ${result.errorMessage.slice(0, 300)})`);
      }
      if (failedFrom !== undefined) {
        this.counts.succeeded += failedFrom;
        remaining = remaining.slice(failedFrom);
      }
      // "Splitting a batch does not consume the retry quota" ("Retain discarded batch records for a
      // Kinesis Data Streams event source in Lambda",
      // https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html): a failing
      // batch of several records is halved until the failing record is alone; only then do retries count.
      if (!result.ok && this.spec.bisectOnError && remaining.length > 1) {
        const half = Math.ceil(remaining.length / 2);
        await this.process(s, remaining.slice(0, half), attempts);
        await this.process(s, remaining.slice(half), attempts);
        return;
      }
      attempts++;
      const oldest = remaining[0]?.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
      const tooOld = this.spec.maximumRecordAgeSeconds !== -1 && Date.now() - oldest > this.spec.maximumRecordAgeSeconds * 1000;
      const exhausted = this.spec.maximumRetryAttempts !== -1 && attempts > this.spec.maximumRetryAttempts;
      if (remaining.length === 0 && !final) return;
      if (remaining.length === 0 && exhausted) {
        this.deps.log(`mapping ${this.spec.address} ${s.shardId}: the final invocation of window ${new Date(s.window?.start ?? 0).toISOString()} failed ${attempts} time(s); its state is dropped`);
        return;
      }
      if (remaining.length > 0 && (tooOld || exhausted)) {
        await this.giveUp(s, remaining, tooOld ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted', attempts, result);
        return;
      }
      await sleep(Math.min(5_000, (this.deps.retryBaseMs ?? 200) * 2 ** Math.min(attempts - 1, 5)));
    }
  }

  private async giveUp(s: ShardState, records: readonly _Record[], condition: string, attempts: number, last: InvokeResult): Promise<void> {
    this.counts.sentToOnFailure += records.length;
    const first = records[0]!;
    const lastRecord = records[records.length - 1]!;
    const info = {
      requestContext: { requestId: last.requestId, functionArn: this.spec.target.invokedArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: this.spec.target.executedVersion, ...(last.ok ? {} : { functionError: 'Unhandled' }) },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: s.shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: lastRecord.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: lastRecord.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: records.length,
        streamArn: this.spec.stream.arn,
      },
    };
    this.deps.log(`mapping ${this.spec.address} ${s.shardId}: ${records.length} record(s) given up (${condition}) after ${attempts} attempt(s)`);
    if (this.spec.onFailure !== undefined) await this.deps.onFailure(this.spec.onFailure, info);
  }
}

