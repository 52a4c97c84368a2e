/**
 * The collector's core: one HTTP request in, one response out, every event accounted for.
 *
 * `POST /v1/events` with `{"events": [...]}` (and the write key in the `x-write-key` header, or as
 * `writeKey` in the body for browsers' simple requests, see docs/collector.md):
 *
 * 1. The request: body size, JSON, the `events` list and its length, the write key (by its hash),
 *    the Origin (must be allowed for the key's application), the JWT when the application needs one.
 *    A request that fails here writes nothing and says why (400, 401, 403, 413).
 * 2. Each event: a JSON object; its `event_type` (and `app`, when given, must be the key's) known to
 *    the catalog; the envelope completed (`event_id` and `sent_at` when absent; `received_at` always
 *    set by the collector); `sent_at` an RFC 3339 date-time; its size as written; its contract
 *    (enforce rejects, observe counts). A bad event is rejected with a reason; the others go on.
 * 3. The writes: to the root stream (`PutRecords`, one event per record, partition key
 *    `event_id`), or to each event type's delivery stream (`PutRecordBatch`, small events packed
 *    into records of up to 5 KB), through the shared send engine (lib/send.ts): batching, limits and
 *    retries of failed entries only, with exponential backoff and full jitter, within the write
 *    deadline. An event counts as written only when the service confirmed its record (lib/confirm.ts).
 *
 * The answer lists what was rejected (with the reason) and what must be sent again (`retry`);
 * everything else was written. Status: 200 when every event was written; 503 (with Retry-After)
 * when any event must be sent again; 422 when some were rejected and none must be sent again. So
 * a 2xx never covers an event that was not written, and a client that ignores the body but honours
 * the status (retry 5xx, drop 4xx) still loses nothing that could have been written.
 */
import { randomUUID } from 'node:crypto';
import { isDateTime } from '../../lib/contract-formats';
import { validateSerialized } from '../../lib/contract-validator';
import { Slots, systemClock, type Clock } from '../../lib/deadline';
import { ENVELOPE_FIELDS, envelopeSnapshot } from '../../lib/envelope';
import { errorName } from '../../lib/retry';
import { sendLines, windowFor, type Line, type SendPolicy } from '../../lib/send';
import type { Sink } from '../../lib/sink';
import type { Catalog, CatalogEntry } from './catalog';
import type { CollectorRequest, CollectorResponse } from './http';
import type { AppAccess, KeyIndex } from './keys';
import type { CollectorSettings } from './settings';
import {
  COLLECTOR_ROUTES,
  RECEIVED_AT_FIELD,
  RETRY_AFTER_SECONDS,
  WRITE_KEY_FIELD,
  WRITE_KEY_HEADER,
  type EventsAnswer,
  type RejectCode,
  type RejectedEvent,
  type RequestErrorCode,
  type RetryEvent,
} from '../../lib/collector-protocol';

/** Time kept for the answer after the writes. */
export const ANSWER_MARGIN_MS = 500;
/** Retry timing of the writes (lib/retry.ts rules; shorter than the tracker client's: a device is waiting). */
export const WRITE_RETRY = { baseDelayMs: 50, maxDelayMs: 1_000 } as const;
/** Writes in flight at once per request. */
export const WRITE_CONCURRENCY = 8;
/** Headers a preflight may ask for. */
export const ALLOWED_REQUEST_HEADERS = `content-type, ${WRITE_KEY_HEADER}, authorization`;
const ROUTES = COLLECTOR_ROUTES;

/** What one request did, for the log line and the metrics (counts and codes only, never payloads). */
export interface RequestSummary {
  readonly route: string;
  readonly status: number;
  readonly error?: RequestErrorCode | 'catalog-unavailable';
  /** Name of an unexpected error (a bug), never its message. */
  readonly internalError?: string;
  readonly app?: string;
  readonly received: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly retryable: number;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  readonly retryByCode: Readonly<Record<string, number>>;
  /** Events accepted in observe mode although they violate their contract. */
  readonly observedViolations: number;
  readonly bodyBytes: number;
  readonly writeCalls: number;
  /** Events that named an event type the catalog did not know at first (a refresh was tried). */
  readonly catalogMisses: number;
}

export interface CollectorDeps {
  readonly settings: CollectorSettings;
  readonly catalog: {
    current(): Promise<Catalog>;
    refreshForMiss(): Promise<Catalog>;
    /** Set while the catalog in use is stale because its last read failed (then unknown types are not rejected). */
    readonly staleBecause?: unknown;
  };
  readonly keys: { current(): Promise<KeyIndex>; lookup(key: string): Promise<AppAccess | undefined> };
  /** The destination's sink: Kinesis for the root stream, Firehose for delivery streams. */
  readonly sink: Sink;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

export interface HandledRequest {
  readonly response: CollectorResponse;
  readonly summary: RequestSummary;
}

const emptySummary = (route: string, status: number, bodyBytes: number): RequestSummary => ({
  route,
  status,
  received: 0,
  accepted: 0,
  rejected: 0,
  retryable: 0,
  rejectedByCode: {},
  retryByCode: {},
  observedViolations: 0,
  bodyBytes,
  writeCalls: 0,
  catalogMisses: 0,
});

function corsHeaders(origin: string | undefined, allowed: boolean): Record<string, string> {
  if (origin === undefined || !allowed) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after', vary: 'origin' };
}

/** Serves one request. Never rejects: an unexpected error becomes a 500 that covers nothing written. */
export async function handleRequest(req: CollectorRequest, deps: CollectorDeps, remainingMs: number): Promise<HandledRequest> {
  try {
    return await route(req, deps, remainingMs);
  } catch (err) {
    const summary: RequestSummary = { ...emptySummary(req.routeKey, 500, req.body.length), error: 'internal-error', internalError: errorName(err) };
    return { response: { status: 500, body: { error: { code: 'internal-error', message: 'the collector failed; send the events again later' } } }, summary };
  }
}

async function route(req: CollectorRequest, deps: CollectorDeps, remainingMs: number): Promise<HandledRequest> {
  switch (req.routeKey) {
    case ROUTES.health:
      return { response: { status: 200, body: { status: 'ok' } }, summary: emptySummary(req.routeKey, 200, 0) };
    case ROUTES.preflight:
    case ROUTES.authenticatedPreflight:
      return preflight(req, deps);
    case ROUTES.events:
    case ROUTES.authenticatedEvents:
      return ingest(req, deps, remainingMs);
    default:
      return refuse(req, 404, 'not-found', `no route ${req.routeKey}; send events with POST /v1/events`, {});
  }
}

function refuse(req: CollectorRequest, status: number, code: RequestErrorCode, message: string, headers: Record<string, string>, app?: string): HandledRequest {
  return {
    response: { status, headers, body: { error: { code, message } } },
    summary: { ...emptySummary(req.routeKey, status, req.body.length), error: code, ...(app !== undefined ? { app } : {}) },
  };
}

async function preflight(req: CollectorRequest, deps: CollectorDeps): Promise<HandledRequest> {
  let index: KeyIndex;
  try {
    index = await deps.keys.current();
  } catch {
    return refuse(req, 503, 'write-keys-unavailable', 'the collector cannot read its write keys; try again later', { 'retry-after': String(RETRY_AFTER_SECONDS) });
  }
  // A preflight names no application: allow an origin that some application allows (the POST checks its own).
  if (req.origin === undefined || !index.origins.has(req.origin)) {
    return refuse(req, 403, 'origin-not-allowed', 'this origin may not send events to this collector', {});
  }
  return {
    response: {
      status: 204,
      headers: {
        'access-control-allow-origin': req.origin,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
        'access-control-max-age': String(deps.settings.corsMaxAgeSeconds),
        vary: 'origin',
      },
    },
    summary: emptySummary(req.routeKey, 204, 0),
  };
}

interface Pending extends Line {
  readonly index: number;
  readonly eventId: string;
  readonly destination: string;
}

async function ingest(req: CollectorRequest, deps: CollectorDeps, remainingMs: number): Promise<HandledRequest> {
  const s = deps.settings;
  const clock = deps.clock ?? systemClock;
  const started = clock.now();

  // The union of allowed origins decides whether the page may read this answer at all.
  let index: KeyIndex | undefined;
  try {
    index = await deps.keys.current();
  } catch {
    index = undefined;
  }
  const readable = req.origin !== undefined && index !== undefined && index.origins.has(req.origin);
  const cors = corsHeaders(req.origin, readable);

  if (req.body.length > s.limits.maxBodyBytes) {
    return refuse(req, 413, 'body-too-large', `the body is ${req.body.length} bytes; the collector accepts at most ${s.limits.maxBodyBytes}: send fewer events per request`, cors);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    return refuse(req, 400, 'invalid-json', 'the body is not JSON; send {"events": [ ... ]}', cors);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray((parsed as { events?: unknown }).events)) {
    return refuse(req, 400, 'invalid-body', 'the body must be a JSON object with a list "events": {"events": [ ... ]}', cors);
  }
  const body = parsed as { events: unknown[]; writeKey?: unknown };
  const events = body.events;
  if (events.length === 0) return refuse(req, 400, 'no-events', 'the list "events" is empty', cors);
  if (events.length > s.limits.maxEventsPerRequest) {
    return refuse(req, 413, 'too-many-events', `${events.length} events in one request; the collector accepts at most ${s.limits.maxEventsPerRequest}: split the batch`, cors);
  }

  const headerKey = req.headers[WRITE_KEY_HEADER];
  const bodyKey = typeof body.writeKey === 'string' ? body.writeKey : undefined;
  if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
    return refuse(req, 400, 'conflicting-write-keys', `the ${WRITE_KEY_HEADER} header and the body's "${WRITE_KEY_FIELD}" differ; send one key`, cors);
  }
  const key = headerKey ?? bodyKey;
  if (key === undefined || key === '') {
    return refuse(req, 401, 'missing-write-key', `send the application's write key in the ${WRITE_KEY_HEADER} header (or "${WRITE_KEY_FIELD}" in the body)`, cors);
  }
  let access: AppAccess | undefined;
  try {
    access = await deps.keys.lookup(key);
  } catch {
    return refuse(req, 503, 'write-keys-unavailable', 'the collector cannot read its write keys; send the events again later', { ...cors, 'retry-after': String(RETRY_AFTER_SECONDS) });
  }
  if (access === undefined) return refuse(req, 401, 'unknown-write-key', 'the write key is not valid for this collector', cors);
  if (req.origin !== undefined && !access.origins.has(req.origin)) {
    // No CORS headers: the page may not read which application the key belongs to.
    return refuse(req, 403, 'origin-not-allowed', `origin ${JSON.stringify(req.origin.slice(0, 100))} may not send events of application "${access.app}"`, {}, access.app);
  }
  if (access.requireJwt && !(req.authenticated && req.routeKey === ROUTES.authenticatedEvents)) {
    return refuse(req, 401, 'jwt-required', `application "${access.app}" sends through POST /v1/auth/events with a valid token`, cors, access.app);
  }
  const app = access.app;

  // --- Each event -----------------------------------------------------------------------------
  let catalog: Catalog;
  try {
    catalog = await deps.catalog.current();
  } catch {
    return retryAll(req, events, 'catalog-unavailable', cors, app);
  }
  const receivedAt = new Date(clock.now()).toISOString();
  const newId = deps.newId ?? randomUUID;
  const rejected: RejectedEvent[] = [];
  const pending: Pending[] = [];
  let observedViolations = 0;
  const unknown: number[] = [];
  const retry: RetryEvent[] = [];

  /** `defer`: an unknown type waits for a fresh catalog; `reject`: the fresh catalog does not know it; `retry`: the catalog could not be read again. */
  const prepare = (i: number, entryOf: (type: string) => CatalogEntry | undefined, unknownType: 'defer' | 'reject' | 'retry'): void => {
    const raw = events[i];
    const givenId = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)[ENVELOPE_FIELDS.eventId] : undefined;
    const idOf = typeof givenId === 'string' && givenId !== '' ? { eventId: givenId } : {};
    const reject = (code: RejectCode, message: string): void => {
      rejected.push({ index: i, ...idOf, code, message });
    };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return reject('not-an-object', 'an event must be a JSON object');
    const o = raw as Record<string, unknown>;
    const type = o[ENVELOPE_FIELDS.eventType];
    if (typeof type !== 'string' || type === '') return reject('missing-event-type', 'the event has no "event_type" string');
    if (o[ENVELOPE_FIELDS.app] !== undefined && o[ENVELOPE_FIELDS.app] !== app) {
      return reject('app-mismatch', `"app" must be "${app}", the application of the write key (or be left out)`);
    }
    const entry = entryOf(type);
    if (entry === undefined) {
      if (unknownType === 'defer') unknown.push(i);
      else if (unknownType === 'retry') retry.push({ index: i, ...idOf, code: 'catalog-stale' });
      else reject('unknown-event-type', `application "${app}" has no event type ${JSON.stringify(type.slice(0, 100))}`);
      return;
    }
    const env = envelopeSnapshot(app, type, o, { newId, set: { [RECEIVED_AT_FIELD]: receivedAt } });
    if (!env.ok) return reject(env.problem as RejectCode, `the event ${env.message}`);
    const sentAt = o[ENVELOPE_FIELDS.sentAt];
    if (typeof sentAt === 'string' && !isDateTime(sentAt)) {
      return reject('bad-sent-at', '"sent_at" must be an RFC 3339 date-time, such as 2026-11-22T10:15:30.123Z');
    }
    const eventIdOf = { eventId: env.eventId };
    const data = Buffer.from(env.json, 'utf8');
    if (data.length > s.limits.maxEventBytes) {
      rejected.push({ index: i, ...eventIdOf, code: 'event-too-large', message: `the event is ${data.length} bytes as written; the collector accepts at most ${s.limits.maxEventBytes}` });
      return;
    }
    if (entry.mode !== 'none') {
      const root = entry.contract();
      if (root !== undefined) {
        const check = validateSerialized(data, root);
        if (check.first !== undefined) {
          if (entry.mode === 'enforce') {
            rejected.push({
              index: i,
              ...eventIdOf,
              code: 'schema-violation',
              message: `the event violates the contract of ${entry.key}: ${check.first.keyword} at ${check.first.schemaPath}`,
            });
            return;
          }
          observedViolations++;
        }
      }
    }
    const destination = s.destination.kind === 'root-stream' ? s.destination.streamName : entry.deliveryStream;
    // A random partition key: one the client chose (its event_id) would let a public key pin every event to one shard.
    pending.push({ index: i, eventId: env.eventId, destination, json: env.json, bytes: data.length, partitionKey: randomUUID() });
  };

  const typeKey = (type: string): string => `${app}/${type}`;
  for (let i = 0; i < events.length; i++) prepare(i, (t) => catalog.entries.get(typeKey(t)), 'defer');
  const catalogMisses = unknown.length;
  if (unknown.length > 0) {
    // Types added since the catalog was read: read it again (rate-limited) before rejecting. Only a
    // catalog read successfully may reject a type; if the read failed, the device sends them again.
    let fresh: Catalog | undefined;
    try {
      fresh = await deps.catalog.refreshForMiss();
    } catch {
      fresh = undefined;
    }
    const trusted = fresh !== undefined && deps.catalog.staleBecause === undefined;
    for (const i of unknown) prepare(i, (t) => fresh?.entries.get(typeKey(t)), trusted ? 'reject' : 'retry');
  }

  // --- Writes ---------------------------------------------------------------------------------
  let accepted = 0;
  let writeCalls = 0;
  if (pending.length > 0) {
    const budget = Math.max(0, Math.min(s.writeDeadlineMs, remainingMs - ANSWER_MARGIN_MS - (clock.now() - started)));
    const window = windowFor(budget, s.requestTimeoutMs, clock.now());
    const policy: SendPolicy = { requestTimeoutMs: s.requestTimeoutMs, ...WRITE_RETRY };
    const slots = new Slots(WRITE_CONCURRENCY);
    const groups = new Map<string, Pending[]>();
    for (const p of pending) groups.set(p.destination, [...(groups.get(p.destination) ?? []), p]);
    const packing = s.destination.kind === 'delivery-streams' ? { packedRecordBytes: s.destination.packedRecordBytes } : {};
    const outcomes = await Promise.all(
      [...groups].map(([destination, lines]) =>
        sendLines(destination, lines, {
          sink: deps.sink,
          policy,
          window,
          slots,
          clock,
          onCall: () => {
            writeCalls++;
          },
          ...packing,
        }),
      ),
    );
    for (const group of outcomes) {
      for (const { line, outcome } of group) {
        if (outcome.status === 'confirmed') accepted++;
        else retry.push({ index: line.index, eventId: line.eventId, code: outcome.code });
      }
    }
  }

  rejected.sort((a, b) => a.index - b.index);
  retry.sort((a, b) => a.index - b.index);
  const status = retry.length > 0 ? 503 : rejected.length > 0 ? 422 : 200;
  const headers: Record<string, string> = { ...cors, ...(status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}) };
  const answer: EventsAnswer = { accepted, rejected, retry };
  return {
    response: { status, headers, body: answer },
    summary: {
      route: req.routeKey,
      status,
      app,
      received: events.length,
      accepted,
      rejected: rejected.length,
      retryable: retry.length,
      rejectedByCode: countBy(rejected),
      retryByCode: countBy(retry),
      observedViolations,
      bodyBytes: req.body.length,
      writeCalls,
      catalogMisses,
    },
  };
}

function retryAll(req: CollectorRequest, events: readonly unknown[], code: string, cors: Record<string, string>, app: string): HandledRequest {
  const retry: RetryEvent[] = events.map((e, index) => {
    const id = e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[ENVELOPE_FIELDS.eventId] : undefined;
    return typeof id === 'string' && id !== '' ? { index, eventId: id, code } : { index, code };
  });
  const answer: EventsAnswer = { accepted: 0, rejected: [], retry };
  return {
    response: { status: 503, headers: { ...cors, 'retry-after': String(RETRY_AFTER_SECONDS) }, body: answer },
    summary: {
      ...emptySummary(req.routeKey, 503, req.body.length),
      error: 'catalog-unavailable',
      app,
      received: events.length,
      retryable: events.length,
      retryByCode: { [code]: events.length },
    },
  };
}

function countBy(items: readonly { readonly code: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) out[x.code] = (out[x.code] ?? 0) + 1;
  return out;
}
