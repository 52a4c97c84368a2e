/**
 * One AWS control call (S3, SQS, Kinesis reads) with the project's retry rules: the error
 * classification and the full-jitter backoff of lib/retry.ts, each attempt bounded by
 * lib/deadline.ts's `callWithin`. Records themselves are sent through lib/send.ts.
 */
import { abortableSleep, callWithin, CallCutOffError } from '../../lib/deadline';
import { backoffDelay, classifyCallError, type ClassifiedError } from '../../lib/retry';
import { AwsCallError } from './types';

export interface CallPolicy {
  /** Longest time of one attempt. */
  readonly requestTimeoutMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts, the first included. */
  readonly maxAttempts: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = { requestTimeoutMs: 30_000, baseDelayMs: 200, maxDelayMs: 5_000, maxAttempts: 6 };

/**
 * Runs `fn` until it succeeds, a non-retryable error, `maxAttempts`, or `signal` aborts. Throws
 * AwsCallError with the last error's code. `isFinal` may declare more errors final (a missing
 * object is not worth retrying).
 */
export async function callWithRetries<T>(
  operation: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: { readonly policy?: CallPolicy; readonly signal?: AbortSignal; readonly isFinal?: (e: ClassifiedError) => boolean } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_CALL_POLICY;
  let last: ClassifiedError | undefined;
  let cause: unknown;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) await abortableSleep(backoffDelay(attempt - 1, policy.baseDelayMs, policy.maxDelayMs), options.signal);
    if (options.signal?.aborted === true) break;
    try {
      return await callWithin(fn, policy.requestTimeoutMs, true, options.signal);
    } catch (err) {
      cause = err;
      last = err instanceof CallCutOffError ? { code: err.code, message: err.message, retryable: true } : classifyCallError(err);
      if (!last.retryable || options.isFinal?.(last) === true) break;
    }
  }
  if (last === undefined) throw new AwsCallError(operation, 'Aborted', 'interrupted before the call', { cause });
  throw new AwsCallError(operation, last.code, last.message, { cause });
}
