/**
 * Retry timing of the router: exponential backoff with full jitter, bounded by a deadline and a
 * number of attempts. Pure apart from the injected clock and random source. Which errors are
 * retried, and the backoff formula, are the project's shared rules (lib/retry.ts).
 */
import { backoffDelay } from '../../lib/retry';

export interface RetryPolicy {
  /** First backoff ceiling, in ms. */
  readonly baseDelayMs: number;
  /** Largest backoff ceiling, in ms. */
  readonly maxDelayMs: number;
  /** Attempts per entry including the first (bounds every loop even with a far deadline). */
  readonly maxAttempts: number;
}

/** @see docs/root-stream.md "Retries" */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 2_000, maxAttempts: 8 };

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/**
 * Waits before retry number `attempt` (from 0) if that still leaves time before `deadline`:
 * uniform in [0, min(max, base * 2^attempt)). Returns false, without waiting, when there is no
 * time (or attempts) left.
 */
export async function waitBeforeRetry(attempt: number, deadline: number, policy: RetryPolicy, clock: Clock): Promise<boolean> {
  if (attempt + 1 >= policy.maxAttempts) return false;
  // The shared backoffDelay counts retries from 1.
  const delay = backoffDelay(attempt + 1, policy.baseDelayMs, policy.maxDelayMs, () => clock.random());
  if (clock.now() + delay >= deadline) return false;
  if (delay > 0) await clock.sleep(delay);
  return true;
}
