/**
 * What one invocation of the hot-path Lambda does, over injected dependencies (handler.ts builds
 * them once per container):
 *
 * - a batch from the match mapping (no `window`): evaluate every match rule of each record's event
 *   type, emit the matches; a record whose emit failed is reported by sequence number in
 *   `batchItemFailures`, and records the deadline did not leave time for too. Never dropped.
 * - a batch from a rate mapping (`window` and `state`): count into the state, add the shard's
 *   cumulative counts to the window counters, emit `moreThan` matches that crossed their
 *   threshold. Any failure fails the whole invocation (Lambda retries the batch from the last
 *   returned state, bisecting it); partial batch responses are not used here because the state
 *   must describe exactly the records Lambda will not send again.
 * - a scheduled tick: evaluate `fewerThan` rules on every window that ended at least
 *   `rateEvaluationDelaySeconds` ago and has not been evaluated yet (a cursor per rule).
 *
 * Which path a batch takes is decided by its consumer (the alias its event source mapping
 * invokes, read by handler.ts from the invoked ARN): the match consumer's batches are match
 * batches, a rate consumer's are window batches of exactly its window length. A batch whose shape
 * contradicts its consumer is refused (a deployment fault, retried and then dead-lettered by
 * Lambda, never silently skipped). Without a consumer (the unqualified function invoked, as an
 * old mapping does during an upgrade, or a version number), the path follows the event's shape.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import type { HotPathConsumer, MatchRuleSpec, RateRuleSpec } from '../../config/hot-path';
import { TrackingPipelineError } from '../../config/errors';
import { emitMatch, type EmitDeps, type EmitOutcome } from './emit';
import { evaluate } from './evaluate';
import { eventMatch, windowMatchId, type Match } from './match';
import { decodeRecord, type DecodedRecord } from './records';
import type { RuleIndex } from './rules';
import type { HotPathStore } from './store';
import { foldRecords, readState, stateToReturn, withFired, type CounterChange, type WindowState } from './windows';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface ProcessorDeps {
  readonly rules: RuleIndex;
  readonly store: HotPathStore;
  readonly clock: Clock;
  /** Calls in flight at once. */
  readonly concurrency?: number;
  readonly onMarkFailure?: EmitDeps['onMarkFailure'];
}

export interface Counts {
  readonly Records: number;
  /** Records that are not a JSON envelope with app and event_type (skipped: they cannot match). */
  readonly UndecodableRecords: number;
  readonly Matches: number;
  readonly Notified: number;
  readonly Stored: number;
  readonly Duplicates: number;
  /** Records reported as batch item failures (or the batch, for a window). */
  readonly FailedRecords: number;
}

export interface BatchResult {
  readonly response: KinesisStreamBatchResponse & { state?: WindowState };
  readonly counts: Counts;
  /** The first error, for the log line (never the payload). */
  readonly error?: string;
}

/** A batch does not have the shape its consumer receives (window events on the match alias, or the reverse). */
export class ConsumerMismatchError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'ConsumerMismatchError';
  }
}

/** The window batch could not be processed; Lambda retries it from the last returned state. */
export class WindowBatchError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WindowBatchError';
  }
}

export const DEFAULT_CONCURRENCY = 16;
/** Time kept back from Lambda's deadline for the response. */
export const DEADLINE_MARGIN_MS = 2_000;

/** Runs tasks with at most `limit` in flight; resolves with every result in input order. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const emptyCounts = (records: number): Counts => ({ Records: records, UndecodableRecords: 0, Matches: 0, Notified: 0, Stored: 0, Duplicates: 0, FailedRecords: 0 });

function tally(outcomes: readonly EmitOutcome[]): Pick<Counts, 'Notified' | 'Stored' | 'Duplicates'> {
  return {
    Notified: outcomes.filter((o) => o === 'notified').length,
    Stored: outcomes.filter((o) => o === 'stored').length,
    Duplicates: outcomes.filter((o) => o === 'duplicate').length,
  };
}

const isWindowEvent = (e: KinesisStreamEvent): e is KinesisStreamTumblingWindowEvent =>
  typeof (e as Partial<KinesisStreamTumblingWindowEvent>).window === 'object' && (e as Partial<KinesisStreamTumblingWindowEvent>).window !== null;

/**
 * Dispatches a Kinesis batch to the match or the window path: by its consumer when known (see the
 * file header), else by the event's shape.
 */
export async function processBatch(event: KinesisStreamEvent, remainingMs: number, deps: ProcessorDeps, consumer?: HotPathConsumer): Promise<BatchResult> {
  const windowed = isWindowEvent(event);
  if (consumer === undefined) return windowed ? processWindowBatch(event, remainingMs, deps) : processMatchBatch(event, remainingMs, deps);
  if (consumer.kind === 'match') {
    if (windowed) throw new ConsumerMismatchError(`the match consumer (alias "${consumer.alias}") received a tumbling-window batch; its event source mapping must have no tumbling window`);
    return processMatchBatch(event, remainingMs, deps);
  }
  if (!windowed) {
    throw new ConsumerMismatchError(
      `the rate consumer "${consumer.alias}" received a batch without a tumbling window; its event source mapping must have tumbling_window_in_seconds = ${consumer.windowSeconds}`,
    );
  }
  return processWindowBatch(event, remainingMs, deps, deps.rules.rateByWindow.get(consumer.windowSeconds) ?? []);
}

// ---------------------------------------------------------------------------------------------
// Match rules
// ---------------------------------------------------------------------------------------------

export async function processMatchBatch(event: KinesisStreamEvent, remainingMs: number, deps: ProcessorDeps): Promise<BatchResult> {
  const started = deps.clock.now();
  const deadline = started + remainingMs - DEADLINE_MARGIN_MS;
  const records = (event.Records ?? []).map(decodeRecord);
  const emitDeps: EmitDeps = { store: deps.store, doc: deps.rules.doc, ...(deps.onMarkFailure ? { onMarkFailure: deps.onMarkFailure } : {}) };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - started));
  timer.unref?.();

  let undecodable = 0;
  const work: { record: DecodedRecord; matches: Match[] }[] = [];
  const now = new Date(started);
  for (const r of records) {
    if (r.event === undefined || r.typeKey === undefined) {
      undecodable++;
      continue;
    }
    const rules: readonly MatchRuleSpec[] = deps.rules.matchByType.get(r.typeKey) ?? [];
    const matches = rules.filter((rule) => evaluate(rule.condition, r.event!)).map((rule) => eventMatch(rule, r, now));
    if (matches.length > 0) work.push({ record: r, matches });
  }

  const failed = new Set<string>();
  const outcomes: EmitOutcome[] = [];
  let firstError: string | undefined;
  const flat = work.flatMap((w) => w.matches.map((m) => ({ record: w.record, match: m })));
  try {
    await pool(flat, deps.concurrency ?? DEFAULT_CONCURRENCY, async ({ record, match }) => {
      if (failed.has(record.sequenceNumber)) return;
      if (deps.clock.now() >= deadline) {
        // No time left to emit: Lambda sends the record again.
        failed.add(record.sequenceNumber);
        firstError ??= 'deadline reached before emitting every match';
        return;
      }
      try {
        outcomes.push(await emitMatch(match, emitDeps, deps.clock.now() / 1000, controller.signal));
      } catch (err) {
        failed.add(record.sequenceNumber);
        firstError ??= (err as Error).message;
      }
    });
  } finally {
    clearTimeout(timer);
  }

  // Report in record order; Lambda resumes from the lowest sequence number reported.
  const batchItemFailures = records.filter((r) => failed.has(r.sequenceNumber)).map((r) => ({ itemIdentifier: r.sequenceNumber }));
  return {
    response: { batchItemFailures },
    counts: { ...emptyCounts(records.length), UndecodableRecords: undecodable, Matches: flat.length, ...tally(outcomes), FailedRecords: batchItemFailures.length },
    ...(firstError !== undefined ? { error: firstError } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Rate rules: tumbling window batches
// ---------------------------------------------------------------------------------------------

/**
 * The rate rules a window batch counts when its consumer is unknown: those whose window has the
 * batch's length. (With a consumer, its window length decides exactly.)
 */
export function rulesOfWindow(event: KinesisStreamTumblingWindowEvent, index: RuleIndex): readonly RateRuleSpec[] {
  const length = Math.round((Date.parse(event.window.end) - Date.parse(event.window.start)) / 1000);
  const exact = index.rateByWindow.get(length);
  if (exact !== undefined) return exact;
  // A window cut short (resharding) is shorter than configured: take the shortest window not shorter.
  const longer = [...index.rateByWindow.keys()].filter((w) => w >= length).sort((a, b) => a - b);
  return longer.length > 0 ? index.rateByWindow.get(longer[0]!)! : [];
}

function rateMatch(rule: RateRuleSpec, change: CounterChange, total: number, shardId: string, now: Date): Match {
  const start = new Date(change.windowStart * 1000).toISOString();
  const end = new Date((change.windowStart + rule.windowSeconds) * 1000).toISOString();
  return {
    rule,
    matchId: windowMatchId(start, rule.groupBy !== undefined ? change.groupKey : undefined),
    source: `shard:${shardId}`,
    matchedAt: now.toISOString(),
    fields: change.groupValue !== undefined && rule.groupBy !== undefined ? { [rule.groupBy.join('.')]: change.groupValue } : {},
    window: {
      start,
      end,
      count: total,
      threshold: rule.threshold,
      comparison: rule.comparison,
      ...(change.groupValue !== undefined ? { group: change.groupValue } : {}),
    },
  };
}

/** A window batch; `rules` are the consumer's rate rules (default: inferred from the window's length). */
export async function processWindowBatch(
  event: KinesisStreamTumblingWindowEvent,
  remainingMs: number,
  deps: ProcessorDeps,
  rules: readonly RateRuleSpec[] = rulesOfWindow(event, deps.rules),
): Promise<BatchResult> {
  const started = deps.clock.now();
  const records = (event.Records ?? []).map(decodeRecord);
  const undecodable = records.filter((r) => r.event === undefined).length;
  const { state, changed } = foldRecords(readState(event.state), records, rules);
  // Lambda adds shardId to window events (not in @types/aws-lambda).
  const shardId = (event as { shardId?: string }).shardId ?? records[0]?.shardId ?? 'unknown-shard';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, remainingMs - DEADLINE_MARGIN_MS));
  timer.unref?.();
  const emitDeps: EmitDeps = { store: deps.store, doc: deps.rules.doc, ...(deps.onMarkFailure ? { onMarkFailure: deps.onMarkFailure } : {}) };
  const ttl = Math.floor(started / 1000) + deps.rules.doc.dedupeTtlSeconds;
  const fired: string[] = [];
  const outcomes: EmitOutcome[] = [];
  try {
    await pool(changed, deps.concurrency ?? DEFAULT_CONCURRENCY, async (change) => {
      const rule = change.rule;
      const total = await deps.store.addToWindow(
        {
          rule: rule.name,
          windowStart: change.windowStart,
          groupKey: change.groupKey,
          segment: state.seg!,
          count: change.count,
          windowStartIso: new Date(change.windowStart * 1000).toISOString(),
          windowEndIso: new Date((change.windowStart + rule.windowSeconds) * 1000).toISOString(),
          ...(change.groupValue !== undefined ? { groupValue: change.groupValue } : {}),
          expiresAt: ttl,
        },
        controller.signal,
      );
      if (rule.comparison !== 'moreThan' || total <= rule.threshold || state.f.includes(change.key)) return;
      outcomes.push(await emitMatch(rateMatch(rule, change, total, shardId, new Date(deps.clock.now())), emitDeps, deps.clock.now() / 1000, controller.signal));
      fired.push(change.key);
    });
  } catch (err) {
    throw new WindowBatchError(`window batch of ${shardId} (${event.window.start}) failed: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  return {
    response: { state: stateToReturn(withFired(state, fired)), batchItemFailures: [] },
    counts: { ...emptyCounts(records.length), UndecodableRecords: undecodable, Matches: outcomes.length, ...tally(outcomes) },
  };
}

// ---------------------------------------------------------------------------------------------
// fewerThan rules: the schedule
// ---------------------------------------------------------------------------------------------

/** Windows evaluated per rule and tick at most (a long outage catches up over several ticks). */
export const MAX_WINDOWS_PER_TICK = 60;

export interface TickResult {
  readonly evaluatedWindows: number;
  readonly counts: Counts;
  readonly errors: readonly string[];
}

/** The start of the latest window that ended at least `delay` seconds before `nowSeconds`. */
export function latestDueWindow(nowSeconds: number, windowSeconds: number, delaySeconds: number): number {
  return Math.floor((nowSeconds - delaySeconds) / windowSeconds) * windowSeconds - windowSeconds;
}

export async function processSchedule(deps: ProcessorDeps): Promise<TickResult> {
  const nowSeconds = Math.floor(deps.clock.now() / 1000);
  const doc = deps.rules.doc;
  const emitDeps: EmitDeps = { store: deps.store, doc, ...(deps.onMarkFailure ? { onMarkFailure: deps.onMarkFailure } : {}) };
  const errors: string[] = [];
  const outcomes: EmitOutcome[] = [];
  let evaluated = 0;
  let matches = 0;
  for (const rule of deps.rules.fewerThan) {
    try {
      const w = rule.windowSeconds;
      const due = latestDueWindow(nowSeconds, w, doc.rateEvaluationDelaySeconds);
      const cursorTtl = nowSeconds + doc.dedupeTtlSeconds;
      let next = await deps.store.getCursor(rule.name);
      if (next === undefined) {
        // First tick: start with the next window; earlier ones began before the rule existed.
        await deps.store.setCursor(rule.name, due + w, undefined, cursorTtl);
        continue;
      }
      // Counters expire with the dedupe TTL: a window older than that would read as empty.
      const oldest = nowSeconds - doc.dedupeTtlSeconds + 86_400;
      if (next < oldest) next = Math.ceil(oldest / w) * w;
      for (let n = 0; next <= due && n < MAX_WINDOWS_PER_TICK; n++, next += w) {
        const totals = await deps.store.windowTotals(rule.name, next);
        const groups: [string | undefined, { total: number; groupValue?: string }][] =
          rule.groupBy === undefined ? [[undefined, { total: [...totals.values()].reduce((s, g) => s + g.total, 0) }]] : [...totals.entries()];
        for (const [groupKey, g] of groups) {
          if (g.total >= rule.threshold) continue;
          const start = new Date(next * 1000).toISOString();
          const m: Match = {
            rule,
            matchId: windowMatchId(start, groupKey),
            source: 'schedule',
            matchedAt: new Date(nowSeconds * 1000).toISOString(),
            fields: g.groupValue !== undefined && rule.groupBy !== undefined ? { [rule.groupBy.join('.')]: g.groupValue } : {},
            window: {
              start,
              end: new Date((next + w) * 1000).toISOString(),
              count: g.total,
              threshold: rule.threshold,
              comparison: 'fewerThan',
              ...(g.groupValue !== undefined ? { group: g.groupValue } : {}),
            },
          };
          matches++;
          outcomes.push(await emitMatch(m, emitDeps, nowSeconds));
        }
        evaluated++;
        if (!(await deps.store.setCursor(rule.name, next + w, next, cursorTtl))) break; // another tick moved it
      }
    } catch (err) {
      errors.push(`${rule.name}: ${(err as Error).message}`);
    }
  }
  return { evaluatedWindows: evaluated, counts: { ...emptyCounts(0), Matches: matches, ...tally(outcomes) }, errors };
}
