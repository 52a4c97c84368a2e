/**
 * Rate rules on the mapping's tumbling window.
 *
 * Lambda keeps a window's state per shard and hands it to each invocation of the window; the
 * function returns the new state (at most 1 MB per shard, or Lambda ends the window early).
 * Counting per shard is not enough (events spread over shards by partition key), so each
 * invocation writes its shard's CUMULATIVE counts to the window's counter item in DynamoDB,
 * one attribute per shard segment, and a window's count is the sum of its segments:
 *
 * - a retried or bisected batch starts again from the state of the last successful invocation,
 *   recomputes the same or a smaller cumulative count, and the write keeps the larger: counting
 *   is idempotent without remembering event ids;
 * - a segment is named after the first record that opened it (shard + sequence number), which
 *   is the same on every retry;
 * - windows are buckets of `windowSeconds` aligned to the Unix epoch, computed from each record's
 *   approximate arrival time (the same clock Lambda's windows use), so the schedule that
 *   evaluates `fewerThan` rules knows every window, even one without events.
 *
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { RateRuleSpec } from '../../config/hot-path';
import { evaluate, isScalar, lookup } from './evaluate';
import type { DecodedRecord } from './records';

export const STATE_VERSION = 1;
/** State above this size starts a new segment (Lambda's limit is 1 MB per shard). */
export const STATE_BUDGET_BYTES = 786_432;
/** Longest group key kept as is; longer values are hashed (DynamoDB sort keys are at most 1 KB). */
export const MAX_GROUP_KEY = 200;

export interface WindowState {
  readonly v: typeof STATE_VERSION;
  /** Segment attribute of this shard's counts (`c_<hash>`); set by the first record counted. */
  readonly seg?: string;
  /** `<rule>|<window start>|<group key>` -> cumulative count in this segment. */
  readonly c: Readonly<Record<string, number>>;
  /** Counter keys whose `moreThan` match was emitted (skips repeated conditional puts). */
  readonly f: readonly string[];
}

export const emptyState = (): WindowState => ({ v: STATE_VERSION, c: {}, f: [] });

/** The state Lambda passed in, or a fresh one when it is empty or not ours. */
export function readState(raw: unknown): WindowState {
  if (raw === null || typeof raw !== 'object') return emptyState();
  const s = raw as Partial<WindowState>;
  if (s.v !== STATE_VERSION || s.c === null || typeof s.c !== 'object' || !Array.isArray(s.f)) return emptyState();
  return { v: STATE_VERSION, ...(typeof s.seg === 'string' ? { seg: s.seg } : {}), c: { ...s.c }, f: [...s.f] };
}

export function segmentId(shardId: string, sequenceNumber: string): string {
  return `c_${createHash('sha256').update(`${shardId}:${sequenceNumber}`).digest('hex').slice(0, 20)}`;
}

/** Start of the epoch-aligned window holding `seconds`. */
export function windowStartOf(seconds: number, windowSeconds: number): number {
  return Math.floor(seconds / windowSeconds) * windowSeconds;
}

/** Group key (sort-key safe, type-tagged) and display value of an event for a rule. */
export function groupOf(rule: RateRuleSpec, event: Readonly<Record<string, unknown>>): { key: string; value?: string } {
  if (rule.groupBy === undefined) return { key: '' };
  const v = lookup(event, rule.groupBy);
  if (!isScalar(v)) return { key: 'none', value: '(none)' };
  const tag = typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b';
  const text = String(v);
  const key = `${tag}:${text}`;
  return { key: key.length <= MAX_GROUP_KEY ? key : `h:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`, value: text };
}

export interface CounterChange {
  readonly key: string;
  readonly rule: RateRuleSpec;
  readonly windowStart: number;
  readonly groupKey: string;
  readonly groupValue?: string;
  /** Cumulative count of this segment. */
  readonly count: number;
}

/** Counts the records of one invocation into the state; returns the counters that changed. */
export function foldRecords(
  state: WindowState,
  records: readonly DecodedRecord[],
  rules: readonly RateRuleSpec[],
): { state: WindowState; changed: CounterChange[] } {
  const counts: Record<string, number> = { ...state.c };
  const changed = new Map<string, Omit<CounterChange, 'count'>>();
  let seg = state.seg;
  for (const r of records) {
    if (r.event === undefined) continue;
    for (const rule of rules) {
      if (rule.eventType.key !== r.typeKey) continue;
      if (rule.condition !== undefined && !evaluate(rule.condition, r.event)) continue;
      seg ??= segmentId(r.shardId, r.sequenceNumber);
      const windowStart = windowStartOf(r.arrival, rule.windowSeconds);
      const group = groupOf(rule, r.event);
      const key = `${rule.name}|${windowStart}|${group.key}`;
      counts[key] = (counts[key] ?? 0) + 1;
      changed.set(key, { key, rule, windowStart, groupKey: group.key, ...(group.value !== undefined ? { groupValue: group.value } : {}) });
    }
  }
  const next: WindowState = { v: STATE_VERSION, ...(seg !== undefined ? { seg } : {}), c: counts, f: [...state.f] };
  return {
    state: next,
    changed: [...changed.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((c) => ({ ...c, count: counts[c.key]! })),
  };
}

/** The state to hand back: the same one, or a fresh segment when it grew past the budget. */
export function stateToReturn(state: WindowState): WindowState {
  return Buffer.byteLength(JSON.stringify(state)) > STATE_BUDGET_BYTES ? emptyState() : state;
}

export function withFired(state: WindowState, keys: readonly string[]): WindowState {
  if (keys.length === 0) return state;
  return { ...state, f: [...new Set([...state.f, ...keys])] };
}
