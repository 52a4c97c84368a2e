/**
 * The redrive loop, the same for every source:
 *
 * 1. Take the next unit from the source and load its items.
 * 2. Per item: already confirmed in an earlier run (checkpoint) -> skipped; outside --type,
 *    --since, --until -> skipped, and the unit stays as it is; not sendable now -> skipped and kept;
 *    unreadable -> failed; otherwise queued for its destination.
 * 3. A destination's queue is sent as one batch of at most `batchSize` records through
 *    lib/send.ts `sendRecords` (the tracker client's sinks, call limits, confirmation rule and
 *    retries, within a time window). One batch is in flight at a time. The items the service
 *    confirmed are written to the checkpoint as soon as the batch returns: after a crash, at most
 *    the batch in flight is sent again.
 * 4. A unit whose every sendable item is confirmed is finished: marked (tag or move), deleted
 *    (--delete; dlq messages always), or split when it also holds items that cannot be sent now
 *    (for dlq messages, each written-back item is checkpointed before the message is deleted, so
 *    a split cut short is finished later without writing anything back twice). A unit with a
 *    failed or filtered item is left as it is, for a later run.
 *
 * A dry run does steps 1-2 only, and counts per event type and failure reason.
 */
import { sendRecords, windowFor, type SendPolicy } from '../../lib/send';
import type { OutRecord, Sink } from '../../lib/sink';
import { systemClock, type Clock } from '../../lib/deadline';
import type { Journal } from './journal';
import type { Progress } from './progress';
import type { Destination, Item, Source, Unit, UnitDone } from './types';

export interface EngineOptions<U extends Unit> {
  readonly source: Source<U>;
  readonly journal: Journal;
  /** Firehose (PutRecordBatch) and, for `--to root`, Kinesis (PutRecords). */
  readonly sinks: { readonly firehose?: Sink; readonly kinesis?: Sink };
  readonly dryRun: boolean;
  /** `app/type` keys. @default all */
  readonly types?: ReadonlySet<string>;
  /** Epoch ms, inclusive. @default none */
  readonly since?: number;
  /** Epoch ms, exclusive. @default none */
  readonly until?: number;
  /** Records per batch (the most that can be sent twice after a crash): 1-500. */
  readonly batchSize: number;
  /** Records per second across the run. @default unlimited */
  readonly ratePerSecond?: number;
  /** How long a batch's failed records are retried. */
  readonly retryWindowMs: number;
  readonly requestTimeoutMs: number;
  /** Send what is queued once its oldest record waited this long (dlq messages stay invisible meanwhile). @default 60000 */
  readonly maxHoldMs?: number;
  readonly signal: AbortSignal;
  readonly progress?: Progress;
  /** @default systemClock */
  readonly clock?: Clock;
  /** After each batch's checkpoint entry is written (tests). */
  readonly afterBatch?: (info: { destination: string; records: number; confirmed: number }) => void;
}

export interface TypeCounts {
  read: number;
  sent: number;
  skipped: number;
  failed: number;
}

/** One row of a dry run: records of one event type and failure reason. */
export interface DryRow {
  readonly eventType: string;
  readonly reason: string;
  records: number;
  wouldSend: number;
  wouldSkip: number;
  wouldFail: number;
}

export interface RedriveSummary {
  readonly source: string;
  readonly location: string;
  readonly unitNoun: string;
  readonly dryRun: boolean;
  interrupted: boolean;
  readonly byType: Map<string, TypeCounts>;
  /** Why records were skipped / failed, with counts. */
  readonly skippedWhy: Map<string, number>;
  readonly failedWhy: Map<string, number>;
  readonly units: {
    seen: number;
    /** Skipped before loading, by why. */
    readonly skipped: Map<string, number>;
    readonly done: Map<UnitDone | string, number>;
    /** Left as they are: a record failed, or was outside the filters. */
    pending: number;
    /** Nothing sendable in them (every record kept): left as they are. */
    untouched: number;
    failed: number;
  };
  readonly dry: Map<string, DryRow>;
  /** Unit-level errors (load, mark, delete, split), with the unit. */
  readonly errors: string[];
}

interface OpenUnit<U extends Unit> {
  readonly unit: U;
  outstanding: number;
  failed: number;
  filtered: number;
  readonly kept: Item[];
  /** Kept items an earlier run already wrote back (a split cut short before its unit was finished). */
  requeuedBefore: number;
  sentBefore: number;
  sentNow: number;
}

interface Entry<U extends Unit> {
  readonly open: OpenUnit<U>;
  readonly item: Item;
  readonly record: OutRecord;
  readonly queuedAt: number;
}

const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
const NOT_SENT = 'not sent: the run was interrupted';

export function newSummary(source: Source<Unit>, dryRun: boolean): RedriveSummary {
  return {
    source: source.name,
    location: source.location,
    unitNoun: source.unitNoun,
    dryRun,
    interrupted: false,
    byType: new Map(),
    skippedWhy: new Map(),
    failedWhy: new Map(),
    units: { seen: 0, skipped: new Map(), done: new Map(), pending: 0, untouched: 0, failed: 0 },
    dry: new Map(),
    errors: [],
  };
}

/** Runs the redrive; resolves with the summary (it never rejects for a failed record or unit, only for a source that cannot be listed). */
export async function runEngine<U extends Unit>(o: EngineOptions<U>): Promise<RedriveSummary> {
  const { source, journal, signal } = o;
  const clock = o.clock ?? systemClock;
  const summary = newSummary(source as unknown as Source<Unit>, o.dryRun);
  const open = new Map<string, OpenUnit<U>>();
  const queues = new Map<string, { destination: Destination; entries: Entry<U>[] }>();
  const toFinish: OpenUnit<U>[] = [];
  const toRelease: U[] = [];
  let queuedBytes = 0;
  let lastBatchAt = 0;
  const policy: SendPolicy = { requestTimeoutMs: o.requestTimeoutMs, baseDelayMs: 200, maxDelayMs: 5_000 };

  const counts = (type: string): TypeCounts => {
    let c = summary.byType.get(type);
    if (c === undefined) summary.byType.set(type, (c = { read: 0, sent: 0, skipped: 0, failed: 0 }));
    return c;
  };
  const bump = (m: Map<string, number>, key: string, n = 1): void => {
    m.set(key, (m.get(key) ?? 0) + n);
  };
  const skip = (item: Item, why: string): void => {
    counts(item.eventType).skipped++;
    bump(summary.skippedWhy, why);
  };
  const fail = (item: Item, why: string): void => {
    counts(item.eventType).failed++;
    bump(summary.failedWhy, why);
  };
  const dryRow = (item: Item): DryRow => {
    const key = `${item.eventType}\u0000${item.reason}`;
    let r = summary.dry.get(key);
    if (r === undefined) summary.dry.set(key, (r = { eventType: item.eventType, reason: item.reason, records: 0, wouldSend: 0, wouldSkip: 0, wouldFail: 0 }));
    return r;
  };
  const unitError = (unit: Unit, what: string, err: unknown): void => {
    const msg = err instanceof Error ? err.message : String(err);
    if (summary.errors.length < 50) summary.errors.push(`${unit.label}: ${what}: ${msg}`);
  };
  const progress = (): void => o.progress?.update(summary);

  const inFilter = (item: Item): boolean => {
    if (o.types !== undefined && !o.types.has(item.eventType)) return false;
    if (o.since !== undefined || o.until !== undefined) {
      if (item.time === undefined) return false;
      if (o.since !== undefined && item.time < o.since) return false;
      if (o.until !== undefined && item.time >= o.until) return false;
    }
    return true;
  };

  const sinkFor = (d: Destination): Sink => {
    const sink = d.service === 'firehose' ? o.sinks.firehose : o.sinks.kinesis;
    if (sink === undefined) throw new Error(`no ${d.service} sink configured`);
    return sink;
  };

  const settle = async (u: OpenUnit<U>): Promise<void> => {
    open.delete(u.unit.id);
    if (o.dryRun) {
      toRelease.push(u.unit);
      return;
    }
    if (u.failed > 0 || u.filtered > 0) {
      summary.units.pending++;
      toRelease.push(u.unit);
      return;
    }
    if (u.sentBefore + u.sentNow === 0 && u.kept.length > 0) {
      summary.units.untouched++;
      toRelease.push(u.unit);
      return;
    }
    if (u.kept.length === 0 && u.requeuedBefore === 0) {
      toFinish.push(u);
      return;
    }
    // A split: the kept items not yet written back are written back (checkpointed as they are
    // confirmed), then the unit is finished. A split an earlier run cut short after its write-back
    // writes nothing again: it only finishes the unit.

    try {
      const how = await source.split(u.unit, u.kept, signal);
      journal.recordDone(u.unit.id, how);
      bump(summary.units.done, how);
    } catch (err) {
      summary.units.failed++;
      unitError(u.unit, 'writing back the records that cannot be sent, then marking', err);
      toRelease.push(u.unit);
    }
  };

  const finishPending = async (): Promise<void> => {
    if (toFinish.length === 0 || o.dryRun) return;
    const batch = toFinish.splice(0, toFinish.length);
    const results = await source.finish(
      batch.map((u) => u.unit),
      signal,
    );
    for (const u of batch) {
      const r = results.get(u.unit.id);
      if (r === undefined || r instanceof Error) {
        summary.units.failed++;
        unitError(u.unit, 'marking', r ?? new Error('no result'));
        toRelease.push(u.unit);
      } else {
        journal.recordDone(u.unit.id, r);
        bump(summary.units.done, r);
      }
    }
  };

  const flush = async (key: string): Promise<void> => {
    const q = queues.get(key);
    if (q === undefined || q.entries.length === 0) return;
    const batch = q.entries.splice(0, o.batchSize);
    if (q.entries.length === 0) queues.delete(key);
    for (const e of batch) queuedBytes -= e.record.data.byteLength;
    if (signal.aborted) {
      // Interrupted: nothing more is sent; the items stay unconfirmed for the next run.
      for (const e of batch) {
        e.open.failed++;
        fail(e.item, NOT_SENT);
      }
      return;
    }
    if (o.ratePerSecond !== undefined) {
      const wait = lastBatchAt + (batch.length / o.ratePerSecond) * 1_000 - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
    }
    lastBatchAt = clock.now();
    const outcomes = await sendRecords(
      q.destination.name,
      batch.map((e) => e.record),
      { sink: sinkFor(q.destination), policy, window: windowFor(o.retryWindowMs, o.requestTimeoutMs, clock.now(), signal), clock },
    );
    const confirmed = new Map<OpenUnit<U>, string[]>();
    outcomes.forEach((out, i) => {
      const e = batch[i]!;
      if (out.status === 'confirmed') {
        let ids = confirmed.get(e.open);
        if (ids === undefined) confirmed.set(e.open, (ids = []));
        ids.push(e.item.id);
        counts(e.item.eventType).sent++;
      } else {
        e.open.failed++;
        fail(e.item, `${out.code}${out.retryable ? ' (transient: run again)' : ''}`);
      }
    });
    // The checkpoint first: from here on, these records are never sent again by a later run.
    let n = 0;
    for (const [u, ids] of confirmed) {
      journal.recordSent(u.unit.id, ids);
      u.sentNow += ids.length;
      n += ids.length;
    }
    o.afterBatch?.({ destination: q.destination.name, records: batch.length, confirmed: n });
    const touched = new Set(batch.map((e) => e.open));
    for (const u of touched) {
      u.outstanding -= batch.filter((e) => e.open === u).length;
      if (u.outstanding === 0) await settle(u);
    }
    await finishPending();
    progress();
  };

  const flushDue = async (): Promise<void> => {
    for (;;) {
      const full = [...queues.entries()].find(([, q]) => q.entries.length >= o.batchSize);
      if (full !== undefined) {
        await flush(full[0]);
        continue;
      }
      let queued = 0;
      let oldest = Infinity;
      for (const q of queues.values()) {
        queued += q.entries.length;
        if (q.entries[0] !== undefined) oldest = Math.min(oldest, q.entries[0].queuedAt);
      }
      const tooOld = clock.now() - oldest >= (o.maxHoldMs ?? 60_000);
      if (queued >= 4 * o.batchSize || queuedBytes >= MAX_QUEUED_BYTES || (queued > 0 && tooOld)) {
        const largest = [...queues.entries()].sort((a, b) => b[1].entries.length - a[1].entries.length)[0]!;
        await flush(largest[0]);
        continue;
      }
      return;
    }
  };

  const ctx = {
    signal,
    onSkipUnit: (_unit: Unit, why: string): void => {
      bump(summary.units.skipped, why);
      progress();
    },
  };

  try {
    for await (const unit of source.units(ctx)) {
      if (signal.aborted) break;
      summary.units.seen++;
      let items: Item[];
      try {
        items = await source.load(unit, signal);
      } catch (err) {
        summary.units.failed++;
        unitError(unit, 'reading', err);
        toRelease.push(unit);
        progress();
        continue;
      }
      const u: OpenUnit<U> = { unit, outstanding: 0, failed: 0, filtered: 0, kept: [], requeuedBefore: 0, sentBefore: 0, sentNow: 0 };
      const before = journal.sent(unit.id);
      const requeued = journal.requeued(unit.id);
      for (const item of items) {
        counts(item.eventType).read++;
        const row = o.dryRun ? dryRow(item) : undefined;
        if (row !== undefined) row.records++;
        if (before.has(item.id)) {
          u.sentBefore++;
          skip(item, 'already sent (checkpoint)');
          if (row !== undefined) row.wouldSkip++;
          continue;
        }
        if (requeued.has(item.id)) {
          u.requeuedBefore++;
          skip(item, 'already written back to the queue (checkpoint)');
          if (row !== undefined) row.wouldSkip++;
          continue;
        }
        if (!inFilter(item)) {
          u.filtered++;
          skip(item, 'outside --type/--since/--until');
          if (row !== undefined) row.wouldSkip++;
          continue;
        }
        const a = item.action;
        if (a.kind === 'keep') {
          u.kept.push(item);
          skip(item, a.why);
          if (row !== undefined) row.wouldSkip++;
        } else if (a.kind === 'fail') {
          u.failed++;
          fail(item, a.why);
          if (row !== undefined) row.wouldFail++;
        } else if (row !== undefined) {
          row.wouldSend++;
        } else {
          const key = `${a.destination.service}:${a.destination.name}`;
          let q = queues.get(key);
          if (q === undefined) queues.set(key, (q = { destination: a.destination, entries: [] }));
          const record: OutRecord = a.partitionKey !== undefined ? { data: a.data, partitionKey: a.partitionKey } : { data: a.data };
          q.entries.push({ open: u, item, record, queuedAt: clock.now() });
          queuedBytes += a.data.byteLength;
          u.outstanding++;
        }
      }
      open.set(unit.id, u);
      if (u.outstanding === 0) await settle(u);
      await flushDue();
      await finishPending();
      progress();
    }
    while (queues.size > 0 && !signal.aborted) await flush([...queues.keys()][0]!);
    await finishPending();
  } finally {
    if (signal.aborted) summary.interrupted = true;
    // Records still queued (interrupted) were not sent; their units stay as they are.
    for (const q of queues.values()) for (const e of q.entries) fail(e.item, NOT_SENT);
    for (const u of open.values()) {
      toRelease.push(u.unit);
      if (!o.dryRun) summary.units.pending++;
    }
    for (const u of toFinish) toRelease.push(u.unit);
    await source.release(toRelease);
    o.progress?.done(summary);
  }
  return summary;
}

/** Total of a summary's per-type counts. */
export function totals(s: RedriveSummary): TypeCounts {
  const t: TypeCounts = { read: 0, sent: 0, skipped: 0, failed: 0 };
  for (const c of s.byType.values()) {
    t.read += c.read;
    t.sent += c.sent;
    t.skipped += c.skipped;
    t.failed += c.failed;
  }
  return t;
}

/** Whether anything failed: a record, a unit that could not be read or marked, or an interruption. */
export function anythingFailed(s: RedriveSummary): boolean {
  return totals(s).failed > 0 || s.units.failed > 0 || s.interrupted;
}
