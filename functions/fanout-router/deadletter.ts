/**
 * Dead letters: unroutable records, kept with their reason, their original bytes (base64) and
 * their Kinesis metadata, in the SQS dead-letter queue or under the bucket's `unroutable/` prefix.
 */
import { packBy } from './batching';
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { UNROUTABLE_ROOT } from '../../config/naming';
import { isRetryableCallError, isRetryableEntryError } from '../../lib/retry';
import { errorName } from './deliver';
import type { UnroutableReason } from './envelope';
import type { Limiter } from './limiter';
import { MAX_SQS_BATCH_ENTRIES, MAX_SQS_MESSAGE_BYTES } from './limits';
import { waitBeforeRetry, type Clock, type RetryPolicy } from './retry';

/** One unroutable record; `id` is its index in the Lambda event. */
export interface DeadLetter {
  readonly id: number;
  readonly reason: UnroutableReason;
  readonly detail: string;
  readonly app?: string;
  readonly eventType?: string;
  readonly record: KinesisStreamRecord;
  readonly data: Buffer;
}

/** The JSON document written per dead letter (one SQS message, or one line of the S3 object). */
export interface DeadLetterDocument {
  readonly type: 'tracking.unroutable-record';
  readonly version: 1;
  readonly environment: string;
  readonly reason: UnroutableReason;
  readonly detail: string;
  /** First 256 characters of the record's `app` / `event_type`, when they were strings. */
  readonly app?: string;
  readonly eventType?: string;
  readonly kinesis: {
    readonly eventSourceARN: string;
    readonly eventID: string;
    readonly partitionKey: string;
    readonly sequenceNumber: string;
    readonly approximateArrivalTimestamp: number;
  };
  readonly sizeBytes: number;
  /** Hex SHA-256 of the record bytes: identifies the record even when `data` is omitted. */
  readonly sha256: string;
  /** The record bytes, base64, unchanged. Absent when `dataOmitted` is set. */
  readonly data?: string;
  /** Set when the message would exceed SQS's size limit with the data: fetch it from the stream by sequence number. */
  readonly dataOmitted?: 'too-large-for-sqs';
}

export interface DeadLetterResult {
  readonly stored: readonly number[];
  readonly failed: readonly { readonly id: number; readonly error: string }[];
  /** Ids stored without their bytes (SQS size limit). */
  readonly dataOmitted: readonly number[];
}

export interface DeadLetterSink {
  store(letters: readonly DeadLetter[], deadline: number): Promise<DeadLetterResult>;
}

const clip = (s: string | undefined): string | undefined => (s === undefined ? undefined : s.slice(0, 256));

export function deadLetterDocument(letter: DeadLetter, environment: string, withData = true): DeadLetterDocument {
  const app = clip(letter.app);
  const eventType = clip(letter.eventType);
  const k = letter.record.kinesis;
  return {
    type: 'tracking.unroutable-record',
    version: 1,
    environment,
    reason: letter.reason,
    detail: letter.detail,
    ...(app !== undefined ? { app } : {}),
    ...(eventType !== undefined ? { eventType } : {}),
    kinesis: {
      eventSourceARN: letter.record.eventSourceARN,
      eventID: letter.record.eventID,
      partitionKey: k.partitionKey,
      sequenceNumber: k.sequenceNumber,
      approximateArrivalTimestamp: k.approximateArrivalTimestamp,
    },
    sizeBytes: letter.data.length,
    sha256: createHash('sha256').update(letter.data).digest('hex'),
    ...(withData ? { data: letter.data.toString('base64') } : { dataOmitted: 'too-large-for-sqs' as const }),
  };
}

/**
 * JSON with every non-ASCII character escaped: SQS rejects some code points (U+FFFE, U+FFFF...),
 * and a payload's `app` value may contain anything. Escaping keeps the body 7-bit and valid JSON.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** SQS message body of a dead letter: with the data when it fits, else metadata only. */
export function sqsBody(letter: DeadLetter, environment: string, maxBytes = MAX_SQS_MESSAGE_BYTES): { body: string; dataOmitted: boolean } {
  const full = asciiJson(deadLetterDocument(letter, environment, true));
  if (full.length <= maxBytes) return { body: full, dataOmitted: false };
  return { body: asciiJson(deadLetterDocument(letter, environment, false)), dataOmitted: true };
}

/** Groups messages into SendMessageBatch calls: at most 10 entries and `maxBytes` in total. */
export function packSqsBatches<T extends { readonly body: string }>(items: readonly T[], maxBytes = MAX_SQS_MESSAGE_BYTES): T[][] {
  // ASCII bodies (see asciiJson): characters = bytes.
  return packBy(items, { maxRecords: MAX_SQS_BATCH_ENTRIES, maxBytes }, (item) => item.body.length);
}

export interface SqsSinkDeps {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly environment: string;
  readonly limit: Limiter;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
}

interface Pending {
  readonly id: number;
  readonly body: string;
}

/** Dead letters to the SQS queue, one message each, retrying failed entries until the deadline. */
export class SqsDeadLetterSink implements DeadLetterSink {
  public constructor(private readonly deps: SqsSinkDeps) {}

  public async store(letters: readonly DeadLetter[], deadline: number): Promise<DeadLetterResult> {
    const stored: number[] = [];
    const failed: { id: number; error: string }[] = [];
    const dataOmitted: number[] = [];
    let pending: Pending[] = letters.map((l) => {
      const { body, dataOmitted: omitted } = sqsBody(l, this.deps.environment);
      if (omitted) dataOmitted.push(l.id);
      return { id: l.id, body };
    });
    for (let attempt = 0; pending.length > 0; attempt++) {
      const again: { p: Pending; error: string }[] = [];
      await Promise.all(
        packSqsBatches(pending).map((batch) =>
          this.deps.limit(async () => {
            const r = await this.sendBatch(batch, deadline);
            stored.push(...r.ok);
            for (const f of r.failed) {
              if (f.retryable) again.push({ p: f.p, error: f.error });
              else failed.push({ id: f.p.id, error: f.error });
            }
          }),
        ),
      );
      if (again.length === 0) break;
      if (!(await waitBeforeRetry(attempt, deadline, this.deps.policy, this.deps.clock))) {
        for (const a of again) failed.push({ id: a.p.id, error: a.error });
        break;
      }
      pending = again.map((a) => a.p);
    }
    return { stored, failed, dataOmitted: dataOmitted.filter((id) => stored.includes(id)) };
  }

  private async sendBatch(
    batch: readonly Pending[],
    deadline: number,
  ): Promise<{ ok: number[]; failed: { p: Pending; error: string; retryable: boolean }[] }> {
    const remaining = deadline - this.deps.clock.now();
    if (remaining <= 0) return { ok: [], failed: batch.map((p) => ({ p, error: 'DeadlineExceeded', retryable: false })) };
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.deps.queueUrl,
          Entries: batch.map((p, i) => ({ Id: String(i), MessageBody: p.body })),
        }),
        { abortSignal: AbortSignal.timeout(remaining) },
      );
    } catch (err) {
      const error = errorName(err);
      const retryable = isRetryableCallError(err);
      return { ok: [], failed: batch.map((p) => ({ p, error, retryable })) };
    }
    const okIds = new Set((out.Successful ?? []).map((s) => s.Id));
    const failedById = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    const ok: number[] = [];
    const failed: { p: Pending; error: string; retryable: boolean }[] = [];
    batch.forEach((p, i) => {
      const f = failedById.get(String(i));
      if (f) failed.push({ p, error: f.Code ?? 'SendFailed', retryable: !f.SenderFault && isRetryableEntryError(f.Code) });
      else if (okIds.has(String(i))) ok.push(p.id);
      else failed.push({ p, error: 'MissingResponseEntry', retryable: true });
    });
    return { ok, failed };
  }
}

/** Writes one object. Implemented with @aws-sdk/client-s3 in ./object-store.ts; injectable for tests. */
export interface ObjectStore {
  putObject(key: string, body: Buffer, contentType: string, signal: AbortSignal): Promise<void>;
}

export interface S3SinkDeps {
  readonly store: ObjectStore;
  readonly environment: string;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
}

/**
 * S3 object key of one invocation's dead letters: `unroutable/` + Hive-style hour partitions +
 * `<shard>-<first sequence number>.jsonl`. Deterministic for a given batch, so a retried
 * invocation overwrites its own object instead of adding a copy.
 */
export function unroutableObjectKey(letters: readonly DeadLetter[], now: number): string {
  const first = letters[0];
  const d = new Date(now);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const shard = (first?.record.eventID.split(':')[0] ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '_');
  const seq = first?.record.kinesis.sequenceNumber ?? '0';
  return (
    `${UNROUTABLE_ROOT}year=${d.getUTCFullYear()}/month=${p2(d.getUTCMonth() + 1)}/day=${p2(d.getUTCDate())}/hour=${p2(d.getUTCHours())}/` +
    `${shard}-${seq}.jsonl`
  );
}

/** Dead letters to the bucket: one JSON-lines object per invocation, always with the data. */
export class S3DeadLetterSink implements DeadLetterSink {
  public constructor(private readonly deps: S3SinkDeps) {}

  public async store(letters: readonly DeadLetter[], deadline: number): Promise<DeadLetterResult> {
    if (letters.length === 0) return { stored: [], failed: [], dataOmitted: [] };
    const body = Buffer.from(letters.map((l) => `${asciiJson(deadLetterDocument(l, this.deps.environment))}\n`).join(''), 'utf8');
    const key = unroutableObjectKey(letters, this.deps.clock.now());
    let error = 'DeadlineExceeded';
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - this.deps.clock.now();
      if (remaining <= 0) break;
      try {
        await this.deps.store.putObject(key, body, 'application/x-ndjson', AbortSignal.timeout(remaining));
        return { stored: letters.map((l) => l.id), failed: [], dataOmitted: [] };
      } catch (err) {
        error = errorName(err);
        if (!isRetryableCallError(err)) break;
      }
      if (!(await waitBeforeRetry(attempt, deadline, this.deps.policy, this.deps.clock))) break;
    }
    return { stored: [], failed: letters.map((l) => ({ id: l.id, error })), dataOmitted: [] };
  }
}
