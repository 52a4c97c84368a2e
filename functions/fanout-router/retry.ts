/**
 * Retry timing: exponential backoff with full jitter, bounded by a deadline. Pure apart from the
 * injected clock and random source.
 */

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

/** Full jitter: uniform in [0, min(max, base * 2^attempt)). `attempt` counts from 0. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Waits before retry number `attempt` (from 0) if that still leaves time before `deadline`.
 * Returns false, without waiting, when there is no time (or attempts) left.
 */
export async function waitBeforeRetry(attempt: number, deadline: number, policy: RetryPolicy, clock: Clock): Promise<boolean> {
  if (attempt + 1 >= policy.maxAttempts) return false;
  const delay = backoffDelay(attempt, policy, clock.random);
  if (clock.now() + delay >= deadline) return false;
  if (delay > 0) await clock.sleep(delay);
  return true;
}

/** Error names the SDKs use for throttling and transient faults; anything else is not retried in-call. */
const RETRYABLE = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'NetworkingError',
]);
const RETRYABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

/** Whether a whole-call error is worth retrying within this invocation. */
export function isRetryable(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e.$retryable) return true;
  if (typeof e.name === 'string' && RETRYABLE.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_NODE_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** Per-entry error codes of PutRecordBatch / SendMessageBatch that are worth retrying. */
export function isRetryableEntryCode(code: string | undefined): boolean {
  return code === undefined || /Throttl|ServiceUnavailable|InternalFailure|InternalError|LimitExceeded|Timeout/i.test(code);
}
