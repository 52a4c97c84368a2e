/**
 * The collector's HTTP protocol, shared by the collector (functions/collector), its API
 * (modules/collector.ts), the browser tracker (client/browser) and the local collector
 * (scripts/collector-dev.ts). Constants and types only: the browser bundle imports it.
 * docs/collector.md, "Protocol".
 */

/** Routes of the collector's HTTP API, as API Gateway route keys. */
export const COLLECTOR_ROUTES = {
  /** Events with a write key. */
  events: 'POST /v1/events',
  /** The same, behind the JWT authorizer (only when `collector.jwtAuthorizer` is configured). */
  authenticatedEvents: 'POST /v1/auth/events',
  /** CORS preflights of the two. */
  preflight: 'OPTIONS /v1/events',
  authenticatedPreflight: 'OPTIONS /v1/auth/events',
  health: 'GET /health',
} as const;

export const EVENTS_PATH = '/v1/events';
export const AUTHENTICATED_EVENTS_PATH = '/v1/auth/events';

/** Header carrying the write key. */
export const WRITE_KEY_HEADER = 'x-write-key';
/** Body field carrying the write key, for browsers' simple requests (sendBeacon cannot set headers). */
export const WRITE_KEY_FIELD = 'writeKey';
/**
 * Query argument carrying the write key: what a request that cannot set headers (a beacon) sends
 * so that the edge's per-application rate rules can count it (AWS WAF cannot read a JSON body).
 */
export const WRITE_KEY_QUERY = 'key';
/**
 * Query argument naming the key's application: picks that application's own rate limit at the
 * edge. Optional; the collector refuses a request whose key belongs to another application.
 */
export const APPLICATION_QUERY = 'app';
/** Envelope field the collector always sets itself (a client's value is replaced). */
export const RECEIVED_AT_FIELD = 'received_at';
/** Seconds a client should wait before sending events again after a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** Why an event was rejected: sending it again cannot help (fixed codes, never derived from the payload). */
export type RejectCode =
  | 'not-an-object'
  | 'missing-event-type'
  | 'app-mismatch'
  | 'event-type-mismatch'
  | 'unknown-event-type'
  | 'bad-event-id'
  | 'bad-sent-at'
  | 'not-serializable'
  | 'event-too-large'
  | 'schema-violation';

/** Why a whole request was refused (nothing of it was written). */
export type RequestErrorCode =
  | 'body-too-large'
  | 'invalid-json'
  | 'invalid-body'
  | 'no-events'
  | 'too-many-events'
  | 'missing-write-key'
  | 'conflicting-write-keys'
  | 'unknown-write-key'
  | 'origin-not-allowed'
  | 'jwt-required'
  | 'not-found'
  | 'application-mismatch'
  | 'edge-required'
  | 'write-keys-unavailable'
  | 'internal-error';

export interface RejectedEvent {
  /** Position in the request's `events`. */
  readonly index: number;
  readonly eventId?: string;
  readonly code: RejectCode;
  readonly message: string;
}

export interface RetryEvent {
  readonly index: number;
  readonly eventId?: string;
  /** The last error: an AWS error code, TimeoutError, DeadlineExceeded, or catalog-unavailable. */
  readonly code: string;
}

/**
 * The answer to `POST /v1/events` (status 200, 422 or 503): every event of the request is either
 * written (counted in `accepted`), rejected, or to be sent again.
 */
export interface EventsAnswer {
  readonly accepted: number;
  readonly rejected: readonly RejectedEvent[];
  readonly retry: readonly RetryEvent[];
}

/** The answer when the whole request was refused. */
export interface RequestErrorAnswer {
  readonly error: { readonly code: RequestErrorCode; readonly message: string };
}
