/**
 * Which failures are retried, and how long to wait: exponential backoff with full jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 *
 * One set of rules for every producer of this project (the tracker client, the fan-out router,
 * the collector and the tools), whatever the service: Firehose, Kinesis, SQS or S3.
 * Dependency-free on purpose: Lambda bundles import it.
 */

/** Error codes this project assigns itself (never derived from a payload). */
export const ERROR_CODES = {
  /** A call ran out of its own time (`requestTimeoutMs`). */
  timeout: 'TimeoutError',
  /** The caller's deadline (a retry window, or `flush()` / `close()`) ended before the record was confirmed. */
  deadline: 'DeadlineExceeded',
  /** A Firehose response entry with neither `RecordId` nor `ErrorCode`. */
  missingRecordId: 'MissingRecordId',
  /** A Kinesis response entry with neither `SequenceNumber` nor `ErrorCode`. */
  missingSequenceNumber: 'MissingSequenceNumber',
  /** A response without exactly one entry per record sent: no entry of it can be trusted. */
  malformedResponse: 'MalformedResponse',
  /** A record over the destination's record limit: never sent (it would fail its whole call). */
  recordTooLarge: 'RecordTooLarge',
} as const;

/** Whole-call errors that retrying cannot fix: fail the batch at once. */
const NON_RETRYABLE_CALL_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'InvalidArgumentException',
  'ValidationException',
  'AccessDeniedException',
  'InvalidKMSResourceException',
  'InvalidSourceException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'SerializationException',
  'UnknownOperationException',
]);

/** Whole-call errors that are transient even though they may come with a 4xx status. */
const RETRYABLE_CALL_ERRORS: ReadonlySet<string> = new Set([
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'SlowDown',
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PriorRequestNotComplete',
  'ExpiredTokenException',
  'ExpiredToken',
  'AbortError',
  'NetworkingError',
  ERROR_CODES.deadline,
  ERROR_CODES.malformedResponse,
  // Node system errors (`code` of a socket / DNS failure).
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Entry error codes (FailedPutCount / FailedRecordCount) that retrying cannot fix. */
const NON_RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  ERROR_CODES.recordTooLarge,
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'InvalidKMSResourceException',
  'InvalidArgumentException',
  'ValidationException',
]);

export interface ClassifiedError {
  /** The error's name, or the Node system error code (ECONNRESET...) of a network failure. */
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Classifies an error thrown by a `send` call. */
export function classifyCallError(err: unknown): ClassifiedError {
  const e = (err ?? {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const sysCode = typeof e.code === 'string' ? e.code : undefined;
  // Node network errors (ECONNRESET, ECONNREFUSED, ...) keep the generic name and carry `code`.
  const code = (name === 'Error' || name === 'TypeError') && sysCode !== undefined ? sysCode : name;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  let retryable: boolean;
  if (NON_RETRYABLE_CALL_ERRORS.has(code)) retryable = false;
  else if (RETRYABLE_CALL_ERRORS.has(code) || (sysCode !== undefined && RETRYABLE_CALL_ERRORS.has(sysCode)) || e.$retryable !== undefined)
    retryable = true;
  else if (status === undefined) retryable = true; // no HTTP answer: network or timeout
  else retryable = status >= 500 || status === 408 || status === 429;
  return { code, message, retryable };
}

/** Whether a whole-call error (thrown by `send`) is worth retrying. */
export function isRetryableCallError(err: unknown): boolean {
  return classifyCallError(err).retryable;
}

/**
 * Whether a failed entry (`ErrorCode` of PutRecordBatch / PutRecords, `Code` of SendMessageBatch,
 * or one of ERROR_CODES) is worth sending again. A failure without a code is treated as transient.
 */
export function isRetryableEntryError(code: string | undefined): boolean {
  return code === undefined || !NON_RETRYABLE_ENTRY_ERRORS.has(code);
}

/** Full-jitter backoff before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * ceiling);
}

/** Name of an error for logs and reports: never its message, which may quote payloads. */
export function errorName(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return 'UnknownError';
}
