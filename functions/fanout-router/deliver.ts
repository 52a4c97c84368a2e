/**
 * Delivery to Firehose: PutRecordBatch per stream, packed under the call limits, all streams
 * concurrently (bounded), retrying only the entries that failed until the deadline.
 */
import { PutRecordBatchCommand, type FirehoseClient, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { firehoseEntryResults } from '../../lib/confirm';
import { errorName, isRetryableCallError } from '../../lib/retry';
import { packBatches } from './batching';
import type { Limiter } from './limiter';
import { waitBeforeRetry, type Clock, type RetryPolicy } from './retry';

/** One record to deliver; `id` is its index in the Lambda event. */
export interface OutboundRecord {
  readonly id: number;
  readonly data: Uint8Array;
}

export interface DeliveryFailure {
  readonly id: number;
  readonly stream: string;
  /** Last error code seen for the entry (per-entry ErrorCode or whole-call error name). */
  readonly error: string;
}

export interface DeliveryResult {
  /** Ids delivered, per stream. */
  readonly delivered: ReadonlyMap<string, readonly number[]>;
  readonly failed: readonly DeliveryFailure[];
  /** PutRecordBatch calls made. */
  readonly calls: number;
  /** Entries sent again after a failure. */
  readonly retried: number;
}

export interface DeliveryDeps {
  readonly firehose: Pick<FirehoseClient, 'send'>;
  readonly limit: Limiter;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** Epoch ms after which no call is started and no retry is waited for. */
  readonly deadline: number;
}

interface Failed {
  readonly record: OutboundRecord;
  readonly error: string;
  readonly retryable: boolean;
}

interface BatchResult {
  readonly ok: OutboundRecord[];
  readonly failed: Failed[];
  readonly called: boolean;
}

/** Delivers every group (stream -> records); each record ends delivered or in `failed`. */
export async function deliverAll(groups: ReadonlyMap<string, readonly OutboundRecord[]>, deps: DeliveryDeps): Promise<DeliveryResult> {
  const delivered = new Map<string, number[]>();
  const failed: DeliveryFailure[] = [];
  let calls = 0;
  let retried = 0;

  const deliverStream = async (stream: string, records: readonly OutboundRecord[]): Promise<void> => {
    const ok: number[] = [];
    let pending: readonly OutboundRecord[] = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const results = await Promise.all(packBatches(pending).map((batch) => deps.limit(() => sendBatch(stream, batch, deps))));
      const again: Failed[] = [];
      for (const r of results) {
        if (r.called) calls++;
        for (const rec of r.ok) ok.push(rec.id);
        for (const f of r.failed) {
          if (f.retryable) again.push(f);
          else failed.push({ id: f.record.id, stream, error: f.error });
        }
      }
      if (again.length === 0) break;
      if (!(await waitBeforeRetry(attempt, deps.deadline, deps.policy, deps.clock))) {
        for (const f of again) failed.push({ id: f.record.id, stream, error: f.error });
        break;
      }
      retried += again.length;
      pending = again.map((f) => f.record);
    }
    delivered.set(stream, ok);
  };

  await Promise.all([...groups].map(([stream, records]) => deliverStream(stream, records)));
  return { delivered, failed, calls, retried };
}

async function sendBatch(stream: string, batch: readonly OutboundRecord[], deps: DeliveryDeps): Promise<BatchResult> {
  const remaining = deps.deadline - deps.clock.now();
  if (remaining <= 0) {
    return { ok: [], failed: batch.map((record) => ({ record, error: 'DeadlineExceeded', retryable: false })), called: false };
  }
  let out: PutRecordBatchCommandOutput;
  try {
    out = await deps.firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: batch.map((r) => ({ Data: r.data })) }),
      { abortSignal: AbortSignal.timeout(remaining) },
    );
  } catch (err) {
    const error = errorName(err);
    const retryable = isRetryableCallError(err);
    return { ok: [], failed: batch.map((record) => ({ record, error, retryable })), called: true };
  }
  // The project's one rule (lib/confirm.ts): delivered only with a RecordId; an entry with neither
  // RecordId nor ErrorCode, or a response without one entry per record, is a retryable failure.
  const results = firehoseEntryResults(out.RequestResponses, batch.length);
  const ok: OutboundRecord[] = [];
  const failed: Failed[] = [];
  batch.forEach((record, i) => {
    const r = results[i]!;
    if (r.ok) ok.push(record);
    else failed.push({ record, error: r.code, retryable: r.retryable });
  });
  return { ok, failed, called: true };
}

/** Name of an error for logs and dead letters (never its message, which may quote payloads). */
export { errorName };
