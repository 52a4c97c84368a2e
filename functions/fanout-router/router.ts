/**
 * The fan-out router's logic, without any global state: classify each record of a Kinesis batch,
 * look its event type up in the environment's catalog (lib/catalog.ts), deliver the routable ones
 * to the delivery stream the catalog names, dead-letter the unroutable ones, and report every record
 * that is neither delivered nor dead-lettered as a batch item failure.
 *
 * Invariant (tested, including a property test): every input record ends in exactly one of
 *   delivered (once, to the stream the catalog gives its app/event_type) | dead-lettered (with its reason) | reported failed.
 * A record is never acknowledged (left out of batchItemFailures) before it was delivered or dead-lettered.
 *
 * What the catalog's state means (docs/root-stream.md, "Catalog"):
 * - declared pair: routed to its stream, whatever else the catalog's state;
 * - pair not in a catalog read successfully (after one rate-limited re-read): dead-lettered,
 *   `unknown-event-type`, even when a stream of the name a `-` join would give exists;
 * - pair not in a stale catalog (its last re-read failed): reported failed (`catalog-stale`), so
 *   Lambda retries it: the type may have been added since the copy in use was read;
 * - no catalog at all (never read, or no object published): the read is retried within the
 *   invocation until its deadline; records that still need it are reported failed
 *   (`catalog-unavailable`). Envelope problems are dead-lettered either way.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { compareSequenceNumbers } from '../../lib/sequence';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { DeadLetter, DeadLetterSink } from './deadletter';
import { deliverAll, errorName, type OutboundRecord } from './deliver';
import { classify, type UnroutableReason } from './envelope';
import { createLimiter } from './limiter';
import type { RouterCounts } from './metrics';
import { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy } from './retry';

/** What the router reads of a catalog: the declared event types and the stream of each. */
export interface CatalogView {
  readonly entries: ReadonlyMap<string, { readonly deliveryStream: string }>;
}

/** The environment's catalog of declared event types (lib/catalog.ts CatalogCache). */
export interface RouterCatalog {
  /** The catalog; rejects when none could ever be read. */
  current(): Promise<CatalogView>;
  /** Reads again for a pair the catalog does not know (rate-limited by the cache). */
  refreshForMiss(): Promise<CatalogView>;
  /** Set while the catalog in use is stale because its last read failed. */
  readonly staleBecause: unknown;
}

export interface RouterDeps {
  /** The declared event types and their delivery streams: the only source of a stream name. */
  readonly catalog: RouterCatalog;
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
  /** Wait between two reads of a catalog that could not be read at all. @default 1000 */
  readonly catalogRetryMs?: number;
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
  /** The catalog as this batch saw it: `stale` when a pair it lacked could not be checked again. */
  readonly catalog: 'current' | 'stale' | 'unavailable';
  /** Why the catalog could not be read (an error name), when it was unavailable. */
  readonly catalogError?: string;
}

export const DEFAULT_CONCURRENCY = 16;

/** A record's failure codes when the catalog cannot decide where it goes. */
export const CATALOG_UNAVAILABLE = 'catalog-unavailable';
export const CATALOG_STALE = 'catalog-stale';

/**
 * The catalog, read again every `retryMs` until `deadline` while it cannot be read at all (a cold
 * start during an S3 error, or an environment whose stacks have not published one yet).
 */
async function readCatalog(deps: RouterDeps, deadline: number): Promise<{ catalog?: CatalogView; error?: string }> {
  const retryMs = deps.catalogRetryMs ?? 1_000;
  for (;;) {
    try {
      return { catalog: await deps.catalog.current() };
    } catch (err) {
      const wait = Math.min(retryMs, deadline - deps.clock.now());
      if (wait <= 0) return { error: errorName(err) };
      await deps.clock.sleep(wait);
    }
  }
}

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
  /** Records the catalog could not place: reported failed (retried by Lambda), with the code. */
  const undecided = new Map<number, string>();
  const route = (id: number, stream: string, data: Buffer): void => {
    let group = groups.get(stream);
    if (!group) groups.set(stream, (group = []));
    group.push({ id, data });
  };

  const pairs: { id: number; key: string; app: string; eventType: string; data: Buffer }[] = [];
  records.forEach((record, id) => {
    const data = Buffer.from(record.kinesis.data ?? '', 'base64');
    const c = classify(data);
    if (c.kind === 'pair') pairs.push({ id, key: c.key, app: c.app, eventType: c.eventType, data });
    else {
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

  // Only the catalog names a record's stream; a pair it does not declare is never sent anywhere.
  let catalogState: RouterResult['catalog'] = 'current';
  let catalogError: string | undefined;
  if (pairs.length > 0) {
    const read = await readCatalog(deps, deadline);
    if (read.catalog === undefined) {
      catalogState = 'unavailable';
      catalogError = read.error;
      for (const p of pairs) undecided.set(p.id, CATALOG_UNAVAILABLE);
    } else {
      const misses = pairs.filter((p) => {
        const entry = read.catalog!.entries.get(p.key);
        if (entry !== undefined) route(p.id, entry.deliveryStream, p.data);
        return entry === undefined;
      });
      if (misses.length > 0) {
        // Types added since the catalog was read: read it again (rate-limited) before refusing. Only
        // a catalog read successfully may refuse a pair; with a stale one, Lambda retries the record.
        let fresh: CatalogView | undefined;
        try {
          fresh = await deps.catalog.refreshForMiss();
        } catch {
          fresh = undefined;
        }
        const trusted = fresh !== undefined && deps.catalog.staleBecause === undefined;
        if (!trusted) catalogState = 'stale';
        for (const p of misses) {
          const entry = fresh?.entries.get(p.key);
          if (entry !== undefined) route(p.id, entry.deliveryStream, p.data);
          else if (!trusted) undecided.set(p.id, CATALOG_STALE);
          else {
            letters.push({
              id: p.id,
              reason: 'unknown-event-type',
              detail: `${p.key} is not an event type of this environment (not in its catalog)`,
              app: p.app,
              eventType: p.eventType,
              record: records[p.id]!,
              data: p.data,
            });
          }
        }
      }
    }
  }

  // Deliver first: a declared stream Firehose does not know (ResourceNotFoundException: the type
  // was just removed, or its stack is not applied) makes its records unroutable, and they are
  // dead-lettered with the others. A record ends in exactly one place either way.
  const delivery = await deliverAll(groups, { firehose: deps.firehose, limit, clock: deps.clock, policy, deadline });
  const pairById = new Map(pairs.map((p) => [p.id, p] as const));
  for (const f of delivery.failed) {
    if (f.error !== STREAM_NOT_FOUND) continue;
    const p = pairById.get(f.id)!;
    letters.push({
      id: f.id,
      reason: 'unknown-event-type',
      detail: `the catalog names delivery stream ${f.stream} for ${p.key}, which does not exist (${STREAM_NOT_FOUND})`,
      app: p.app,
      eventType: p.eventType,
      record: records[f.id]!,
      data: p.data,
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
  for (const [id, error] of undecided) outcomes[id] = { kind: 'failed', error };

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
    catalog: catalogState,
    ...(catalogError !== undefined ? { catalogError } : {}),
  };
}

export { compareSequenceNumbers };

/** The error Firehose returns for a delivery stream that does not exist. */
export const STREAM_NOT_FOUND = 'ResourceNotFoundException';
