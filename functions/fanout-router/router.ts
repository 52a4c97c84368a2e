/**
 * The fan-out router's logic, without any global state: classify each record of a Kinesis batch,
 * deliver the routable ones to their Firehose streams, dead-letter the unroutable ones, and report
 * every record that is neither delivered nor dead-lettered as a batch item failure.
 *
 * Invariant (tested, including a property test): every input record ends in exactly one of
 *   delivered (once, to the stream of its app/event_type) | dead-lettered (with its reason) | reported failed.
 * A record is never acknowledged (left out of batchItemFailures) before it was delivered or dead-lettered.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { NamePrefix } from '../../config/naming';
import { compareSequenceNumbers } from '../../lib/sequence';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { DeadLetter, DeadLetterSink } from './deadletter';
import { deliverAll, type OutboundRecord } from './deliver';
import { classify, type UnroutableReason } from './envelope';
import { createLimiter } from './limiter';
import type { RouterCounts } from './metrics';
import { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy } from './retry';

export interface RouterDeps {
  /** The environment's name prefix: delivery stream names are derived from it (config/naming). */
  readonly prefix: NamePrefix;
  readonly firehose: Pick<FirehoseClient, 'send'>;
  readonly deadLetters: DeadLetterSink;
  readonly clock: Clock;
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  /** Concurrent PutRecordBatch / SendMessageBatch calls. @default 16 */
  readonly concurrency?: number;
  /**
   * Time kept back from the invocation's remaining time, for the response and in-flight calls.
   * @default min(5000, remaining / 5)
   */
  readonly safetyMarginMs?: number;
}

export type RecordOutcome =
  | { readonly kind: 'delivered'; readonly stream: string }
  | { readonly kind: 'dead-lettered'; readonly reason: UnroutableReason; readonly dataOmitted: boolean }
  | { readonly kind: 'failed'; readonly error: string };

export interface RouterResult {
  readonly response: KinesisStreamBatchResponse;
  /** One outcome per input record, in input order. */
  readonly outcomes: readonly RecordOutcome[];
  readonly counts: RouterCounts;
  /** PutRecordBatch calls made. */
  readonly putRecordBatchCalls: number;
}

export const DEFAULT_CONCURRENCY = 16;

/** Routes one Kinesis batch. `remainingMs` is `context.getRemainingTimeInMillis()`. */
export async function routeBatch(event: KinesisStreamEvent, remainingMs: number, deps: RouterDeps): Promise<RouterResult> {
  const start = deps.clock.now();
  const margin = deps.safetyMarginMs ?? Math.min(5_000, Math.floor(remainingMs / 5));
  const deadline = start + remainingMs - margin;
  const policy = deps.policy ?? DEFAULT_RETRY_POLICY;
  const limit = createLimiter(deps.concurrency ?? DEFAULT_CONCURRENCY);

  const records = event.Records ?? [];
  const groups = new Map<string, OutboundRecord[]>();
  const letters: DeadLetter[] = [];
  records.forEach((record, id) => {
    const data = Buffer.from(record.kinesis.data ?? '', 'base64');
    const c = classify(data, deps.prefix);
    if (c.kind === 'route') {
      let group = groups.get(c.stream);
      if (!group) groups.set(c.stream, (group = []));
      group.push({ id, data });
    } else {
      letters.push({
        id,
        reason: c.reason,
        detail: c.detail,
        ...(c.app !== undefined ? { app: c.app } : {}),
        ...(c.eventType !== undefined ? { eventType: c.eventType } : {}),
        record,
        data,
      });
    }
  });

  // Deliver first: a stream Firehose does not know (ResourceNotFoundException, an event type the
  // config does not declare in this environment) makes its records unroutable, and they are
  // dead-lettered with the others. A record ends in exactly one place either way.
  const delivery = await deliverAll(groups, { firehose: deps.firehose, limit, clock: deps.clock, policy, deadline });
  const recordsById = new Map([...groups.values()].flat().map((r) => [r.id, r] as const));
  for (const f of delivery.failed) {
    if (f.error !== STREAM_NOT_FOUND) continue;
    const record = records[f.id]!;
    const c = classify(recordsById.get(f.id)!.data as Buffer, deps.prefix);
    letters.push({
      id: f.id,
      reason: 'unknown-event-type',
      detail: `no delivery stream ${f.stream} in this environment (${STREAM_NOT_FOUND}): the event type is not in the config`,
      ...(c.app !== undefined ? { app: c.app } : {}),
      ...(c.eventType !== undefined ? { eventType: c.eventType } : {}),
      record,
      data: recordsById.get(f.id)!.data as Buffer,
    });
  }
  letters.sort((a, b) => a.id - b.id);
  const dead = letters.length > 0 ? await deps.deadLetters.store(letters, deadline) : { stored: [], failed: [], dataOmitted: [] };

  const outcomes: (RecordOutcome | undefined)[] = new Array(records.length);
  for (const [stream, ids] of delivery.delivered) for (const id of ids) outcomes[id] = { kind: 'delivered', stream };
  for (const f of delivery.failed) if (f.error !== STREAM_NOT_FOUND) outcomes[f.id] = { kind: 'failed', error: f.error };
  const omitted = new Set(dead.dataOmitted);
  const reasonOf = new Map(letters.map((l) => [l.id, l.reason]));
  for (const id of dead.stored) outcomes[id] = { kind: 'dead-lettered', reason: reasonOf.get(id)!, dataOmitted: omitted.has(id) };
  for (const f of dead.failed) outcomes[f.id] = { kind: 'failed', error: `dead-letter:${f.error}` };

  // Anything without an outcome would be silently acknowledged: report it instead (defensive).
  const final: RecordOutcome[] = records.map((_, id) => outcomes[id] ?? { kind: 'failed', error: 'NoOutcome' });

  const failures = records
    .map((r, id) => ({ seq: r.kinesis.sequenceNumber, outcome: final[id]! }))
    .filter((x) => x.outcome.kind === 'failed')
    .map((x) => x.seq)
    .sort(compareSequenceNumbers);
  const batchItemFailures = [...new Set(failures)].map((itemIdentifier) => ({ itemIdentifier }));

  const count = (kind: RecordOutcome['kind']): number => final.filter((o) => o.kind === kind).length;
  return {
    response: { batchItemFailures },
    outcomes: final,
    counts: {
      DeliveredRecords: count('delivered'),
      UnroutableRecords: letters.length,
      RetriedRecords: delivery.retried,
      FailedRecords: count('failed'),
    },
    putRecordBatchCalls: delivery.calls,
  };
}

export { compareSequenceNumbers };

/** The error Firehose returns for a delivery stream that does not exist. */
export const STREAM_NOT_FOUND = 'ResourceNotFoundException';
