/**
 * The deadline-bounded send engine: records to one destination, packed into calls under the
 * destination's limits, sent through bounded concurrency, with only the failed entries retried
 * (exponential backoff, full jitter), until every record is confirmed or its time is up.
 *
 * Guarantees, whatever the server does (answers, throttles, trickles bytes, hangs, resets, never
 * reads):
 * - Every record ends with exactly one outcome: `confirmed` (with the RecordId / SequenceNumber the
 *   service returned, see ./confirm.ts) or `failed` (with the last error code seen). A record over
 *   the destination's record limit fails at once (`RecordTooLarge`) without being sent.
 * - No call starts after `window.deadline`; a call in flight is cut off at
 *   min(start + requestTimeoutMs, window.deadline), and at once when `window.signal` aborts.
 *   Waiting for a concurrency slot and backoff sleeps end at the same bounds. So `sendRecords`
 *   settles by `window.deadline` (plus event-loop latency), and at once after an abort.
 * - A record is never reported confirmed unless the service confirmed it. A `failed` record may
 *   still have been stored (a timed-out call may have succeeded): delivery is at least once.
 *
 * Used by the tracker client (client/), and meant for the collector Lambda and the redrive tool:
 * they call `sendRecords` with their own records and read the per-record outcomes.
 */
import { batchLimits, joinLines, packBy, packLines } from './batching';
import type { EntryResult } from './confirm';
import { CallCutOffError, callWithin, systemClock, type Clock, type Slots } from './deadline';
import { backoffDelay, classifyCallError, ERROR_CODES, type ClassifiedError } from './retry';
import type { OutRecord, Sink } from './sink';

export interface SendPolicy {
  /** Longest time of one call. */
  readonly requestTimeoutMs: number;
  /** First backoff ceiling. */
  readonly baseDelayMs: number;
  /** Largest backoff ceiling. */
  readonly maxDelayMs: number;
  /**
   * Attempts per record, the first included.
   * @default unlimited: the window bounds them
   */
  readonly maxAttempts?: number;
}

/** When the records' time is up. Epoch milliseconds. */
export interface SendWindow {
  /** No retry starts after this moment (the first attempt may start until `deadline`). */
  readonly retryUntil: number;
  /** Nothing runs after this moment: no call starts, a call in flight is cut off. */
  readonly deadline: number;
  /**
   * Ends everything at once when it aborts (a `flush()` / `close()` deadline): the call in flight
   * is cut off and the records not confirmed fail with `DeadlineExceeded` (or their last error).
   * @default none
   */
  readonly signal?: AbortSignal;
}

/** The final outcome of one record. */
export type RecordOutcome<R> =
  | {
      readonly status: 'confirmed';
      readonly record: R;
      /** RecordId (Firehose) or SequenceNumber (Kinesis). */
      readonly id: string;
      readonly shardId?: string;
      /** Calls that carried the record. */
      readonly attempts: number;
    }
  | {
      readonly status: 'failed';
      readonly record: R;
      /** The last error seen: an entry ErrorCode, a call error name, TimeoutError or DeadlineExceeded. */
      readonly code: string;
      readonly message: string;
      /** Whether that error was transient: a caller may send the record again later. */
      readonly retryable: boolean;
      readonly attempts: number;
    };

/** One call, as reported to `onCall`. */
export interface CallReport<R> {
  readonly destination: string;
  /** 1 for the first round, 2+ for retries. */
  readonly attempt: number;
  readonly records: readonly R[];
  /** One result per record when the service answered. */
  readonly results?: readonly EntryResult[];
  /** The whole-call error otherwise (a cut-off call has code TimeoutError or DeadlineExceeded). */
  readonly error?: ClassifiedError;
}

export interface SendOptions<R> {
  readonly sink: Sink;
  readonly policy: SendPolicy;
  readonly window: SendWindow;
  /**
   * Concurrency shared with other sends (the tracker: all streams together).
   * @default none: every call of a round at once
   */
  readonly slots?: Slots;
  /** @default systemClock (`now` and `sleep` must follow real time: calls are timed with setTimeout) */
  readonly clock?: Clock;
  /** After every call. Must not throw. @default none */
  readonly onCall?: (report: CallReport<R>) => void;
  /** As soon as a record's outcome is final (before `sendRecords` resolves). Must not throw. @default none */
  readonly onOutcome?: (outcome: RecordOutcome<R>, index: number) => void;
}

type CallResult = { readonly results: readonly EntryResult[] } | { readonly error: ClassifiedError; readonly called: boolean };

/**
 * Sends `records` to `destination` (order kept within each call). Resolves with one outcome per
 * record, in input order. Never rejects.
 */
export async function sendRecords<R extends OutRecord>(destination: string, records: readonly R[], options: SendOptions<R>): Promise<RecordOutcome<R>[]> {
  const { sink, policy, window, slots } = options;
  const clock = options.clock ?? systemClock;
  const signal = window.signal;
  const n = records.length;
  const outcomes: (RecordOutcome<R> | undefined)[] = new Array<RecordOutcome<R> | undefined>(n);
  const attempts = new Array<number>(n).fill(0);
  const last = new Array<ClassifiedError | undefined>(n);
  const limits = batchLimits(sink.limits);

  const finish = (i: number, outcome: RecordOutcome<R>): void => {
    if (outcomes[i] !== undefined) return; // final is final (matters only after an unexpected throw)
    outcomes[i] = outcome;
    options.onOutcome?.(outcome, i);
  };
  const fail = (i: number, e: ClassifiedError): void =>
    finish(i, { status: 'failed', record: records[i]!, code: e.code, message: e.message, retryable: e.retryable, attempts: attempts[i]! });

  const call = async (indexes: readonly number[], round: number): Promise<CallResult> => {
    // The first round may start until the deadline; retries only until retryUntil.
    const startBy = round === 1 ? window.deadline : Math.min(window.retryUntil, window.deadline);
    if (slots !== undefined) {
      if (!(await slots.acquire(startBy, signal, clock))) return { error: cutOff(), called: false };
    } else if (clock.now() >= startBy || signal?.aborted === true) {
      return { error: cutOff(), called: false };
    }
    const batch = indexes.map((i) => records[i]!);
    try {
      const left = window.deadline - clock.now();
      if (left <= 0 || signal?.aborted === true) return { error: cutOff(), called: false };
      const ms = Math.min(policy.requestTimeoutMs, left);
      for (const i of indexes) attempts[i]!++;
      let result: CallResult;
      try {
        result = { results: await callWithin((s) => sink.send(destination, batch, s), ms, ms === policy.requestTimeoutMs, signal) };
      } catch (err) {
        const error: ClassifiedError =
          err instanceof CallCutOffError ? { code: err.code, message: err.message, retryable: true } : classifyCallError(err);
        result = { error, called: true };
      }
      options.onCall?.({ destination, attempt: round, records: batch, ...('results' in result ? { results: result.results } : { error: result.error }) });
      return result;
    } finally {
      slots?.release();
    }
  };

  // A record over the record limit would fail its whole call: set it aside, unsent.
  let pending: number[] = [];
  for (let i = 0; i < n; i++) {
    const cost = sink.cost(records[i]!);
    if (cost <= sink.limits.maxRecordBytes) pending.push(i);
    else {
      fail(i, {
        code: ERROR_CODES.recordTooLarge,
        message: `record of ${cost} bytes exceeds the ${sink.limits.maxRecordBytes}-byte record limit of ${destination}`,
        retryable: false,
      });
    }
  }
  try {
    for (let round = 1; pending.length > 0; round++) {
      if (round > 1) {
        if (policy.maxAttempts !== undefined && round > policy.maxAttempts) break;
        const delay = backoffDelay(round - 1, policy.baseDelayMs, policy.maxDelayMs, () => clock.random());
        if (signal?.aborted === true || clock.now() + delay >= Math.min(window.retryUntil, window.deadline)) break;
        await clock.sleep(delay, signal);
        if (aborted(signal)) break;
      }
      const next: number[] = [];
      const calls = packBy(pending, limits, (i) => sink.cost(records[i]!));
      await Promise.all(
        calls.map(async (indexes) => {
          const r = await call(indexes, round);
          if ('error' in r) {
            for (const i of indexes) {
              // A call that never started keeps the record's previous error, if it had one.
              if (r.called || last[i] === undefined) last[i] = r.error;
              if (r.error.retryable && r.called) next.push(i);
              else fail(i, last[i]!);
            }
            return;
          }
          indexes.forEach((i, k) => {
            const e = r.results[k]!;
            if (e.ok) finish(i, { status: 'confirmed', record: records[i]!, id: e.id, ...(e.shardId !== undefined ? { shardId: e.shardId } : {}), attempts: attempts[i]! });
            else {
              last[i] = { code: e.code, message: e.message, retryable: e.retryable };
              if (e.retryable) next.push(i);
              else fail(i, last[i]!);
            }
          });
        }),
      );
      pending = next.sort((a, b) => a - b);
    }
  } catch (err) {
    // A bug or a throwing callback: still give every record an outcome rather than lose it.
    const e = classifyCallError(err);
    for (let i = 0; i < n; i++) if (outcomes[i] === undefined && !pending.includes(i)) pending.push(i);
    for (const i of pending) if (last[i] === undefined) last[i] = e;
  }
  for (const i of pending) if (outcomes[i] === undefined) fail(i, last[i] ?? cutOff());
  return outcomes as RecordOutcome<R>[];
}

/**
 * A window of `totalMs` from `now`: retries may start until `requestTimeoutMs` before its end, so
 * that the last call still has its full time; nothing runs after its end. For a Lambda, pass the
 * remaining time minus what the response needs.
 */
export function windowFor(totalMs: number, requestTimeoutMs: number, now: number = Date.now(), signal?: AbortSignal): SendWindow {
  const deadline = now + Math.max(0, totalMs);
  return { retryUntil: Math.max(now, deadline - requestTimeoutMs), deadline, ...(signal !== undefined ? { signal } : {}) };
}

/** One serialized event (one JSON line, see ./envelope.ts). */
export interface Line {
  readonly json: string;
  /** UTF-8 bytes of `json`. @default computed */
  readonly bytes?: number;
  /** Kinesis partition key (the event_id). Required with a Kinesis sink. */
  readonly partitionKey?: string;
}

/** A record built from lines, and which lines it carries. */
export interface LinesRecord<L extends Line> extends OutRecord {
  readonly lines: readonly L[];
}

/** The outcome of one line: the outcome of the record that carried it. */
export interface LineOutcome<L extends Line> {
  readonly line: L;
  readonly outcome: RecordOutcome<LinesRecord<L>>;
}

/**
 * Sends events as lines: packed into records of at most `packedRecordBytes` (joined with '\n', as
 * the tracker does; Firehose only, the JSONL transform splits them back) or one record per line,
 * then through `sendRecords`. Resolves with one outcome per line, in input order. For a collector
 * that answers per event, or a tool that re-sends events. A line must fit the destination's record
 * limit (check with `sink.limits.maxRecordBytes` first).
 */
export async function sendLines<L extends Line>(
  destination: string,
  lines: readonly L[],
  options: SendOptions<LinesRecord<L>> & {
    /** Pack lines into records of at most this many bytes (Firehose only). @default no packing */
    readonly packedRecordBytes?: number;
  },
): Promise<LineOutcome<L>[]> {
  if (options.packedRecordBytes !== undefined && options.sink.service !== 'firehose') {
    throw new RangeError('packing is for Firehose only: a Kinesis record must hold exactly one envelope');
  }
  const sizeOf = (l: L): number => l.bytes ?? Buffer.byteLength(l.json);
  const groups = options.packedRecordBytes !== undefined ? packLines(lines, sizeOf, options.packedRecordBytes) : lines.map((l) => [l]);
  const records: LinesRecord<L>[] = groups.map((group) => {
    const data = joinLines(
      group.map((l) => l.json),
      group.reduce((n, l) => n + sizeOf(l), 0),
    );
    const key = group[0]!.partitionKey;
    return key !== undefined && options.sink.service === 'kinesis' ? { data, partitionKey: key, lines: group } : { data, lines: group };
  });
  const outcomes = await sendRecords(destination, records, options);
  const byLine = new Map<L, RecordOutcome<LinesRecord<L>>>();
  for (const o of outcomes) for (const l of o.record.lines) byLine.set(l, o);
  return lines.map((line) => ({ line, outcome: byLine.get(line)! }));
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function cutOff(): ClassifiedError {
  return { code: ERROR_CODES.deadline, message: 'the deadline passed before the record could be sent (again)', retryable: true };
}
