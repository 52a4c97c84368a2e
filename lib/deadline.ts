/**
 * Time bounds for I/O: a clock, an abortable sleep, a call that cannot outlive its time whatever the
 * other side does, and concurrency slots whose waiting is bounded too. Dependency-free.
 */
import { ERROR_CODES } from './retry';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableSleep(ms, signal),
  random: () => Math.random(),
};

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = timerFor(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A call stopped by its time limit or by its caller's signal; `code` says which. */
export class CallCutOffError extends Error {
  public constructor(
    public readonly code: typeof ERROR_CODES.timeout | typeof ERROR_CODES.deadline,
    ms: number,
  ) {
    super(
      code === ERROR_CODES.timeout
        ? `no answer within the ${ms} ms request timeout`
        : `stopped at the deadline${ms > 0 ? ` (${ms} ms after the call started)` : ''}`,
    );
    this.name = code;
  }
}

const noop = (): void => undefined;

/** Longest delay setTimeout honours (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer for `ms`, or none when `ms` is too far away to matter (about 25 days). */
function timerFor(fn: () => void, ms: number): NodeJS.Timeout | undefined {
  return ms > MAX_TIMER_MS ? undefined : setTimeout(fn, ms);
}

/**
 * Runs `call(signal)` for at most `ms` milliseconds, or until `cutoff` aborts, whichever comes first.
 * At that moment `signal` aborts (the SDK destroys the HTTP request) and the returned promise
 * rejects with CallCutOffError at once, without waiting for `call` to notice: a server that
 * trickles bytes, hangs, or never reads cannot hold it. `ms` is the smaller of the request timeout
 * and the time left before the deadline; `isRequestTimeout` says which one it is (for the code).
 */
export function callWithin<T>(
  call: (signal: AbortSignal) => Promise<T>,
  ms: number,
  isRequestTimeout: boolean,
  cutoff?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  if (cutoff?.aborted === true || ms <= 0) {
    return Promise.reject(new CallCutOffError(ERROR_CODES.deadline, 0));
  }
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let onCutoff: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    const stop = (err: CallCutOffError): void => {
      reject(err);
      controller.abort(err);
    };
    timer = timerFor(() => stop(new CallCutOffError(isRequestTimeout ? ERROR_CODES.timeout : ERROR_CODES.deadline, ms)), ms);
    onCutoff = () => stop(new CallCutOffError(ERROR_CODES.deadline, Date.now() - started));
    cutoff?.addEventListener('abort', onCutoff, { once: true });
  });
  let pending: Promise<T>;
  try {
    pending = call(controller.signal);
  } catch (err) {
    pending = Promise.reject(err);
  }
  // The losing side of the race must never become an unhandled rejection.
  pending.catch(noop);
  guard.catch(noop);
  return Promise.race([pending, guard]).finally(() => {
    clearTimeout(timer);
    if (onCutoff !== undefined) cutoff?.removeEventListener('abort', onCutoff);
  });
}

/**
 * A counting semaphore whose waiters give up at a deadline or when their signal aborts.
 * Slots are handed over FIFO; `max` is never exceeded.
 */
export class Slots {
  private active = 0;
  private readonly waiting: { grant: () => void }[] = [];

  public constructor(public readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer, got ${max}`);
  }

  /** Slots in use. */
  public get inUse(): number {
    return this.active;
  }

  /** Callers waiting for a slot. */
  public get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves to true with a slot (call `release()` once), or to false at `deadline` (epoch ms) or
   * when `signal` aborts, whichever comes first, without a slot.
   */
  public acquire(deadline: number, signal?: AbortSignal, clock: Pick<Clock, 'now'> = systemClock): Promise<boolean> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(true);
    }
    const ms = deadline - clock.now();
    if (ms <= 0 || signal?.aborted === true) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const entry = {
        grant: (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', giveUp);
          resolve(true);
        },
      };
      const giveUp = (): void => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        resolve(false);
      };
      const timer = timerFor(giveUp, ms);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiting.push(entry);
    });
  }

  /** Returns a slot: handed to the first waiter, if any. */
  public release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next.grant();
    else this.active--;
  }
}
