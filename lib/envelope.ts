/**
 * The envelope: every event is ONE JSON object (UTF-8) carrying
 *   { "app": "<application>", "event_type": "<eventType>", "event_id": "<unique>", "sent_at": "<ISO 8601>", ... }
 * Producers (the tracker client, the collector) build it with `buildEnvelope`; the router reads it
 * back with `inspectRecord`. Pure apart from `randomUUID` and the clock. Dependency-free.
 *
 * Serialize exactly what was checked: `plainSnapshot` reads the event once (its `toJSON()`, its
 * getters, a Proxy's traps: each once) into a plain object; the reserved fields are checked on that
 * snapshot, and the snapshot is what is serialized. A hostile `toJSON` or getter therefore cannot
 * make the record say another app or event type than the one checked, nor add a duplicate key.
 */
import { randomUUID } from 'node:crypto';
import { KINESIS_LIMITS } from './limits';

/** Reserved top-level fields. */
export const ENVELOPE_FIELDS = {
  app: 'app',
  eventType: 'event_type',
  eventId: 'event_id',
  sentAt: 'sent_at',
} as const;

/** Longest `event_id`: it is the Kinesis partition key in root-stream mode. */
export const MAX_EVENT_ID_CHARS = KINESIS_LIMITS.maxPartitionKeyChars;

/** Why an event cannot be enveloped. Fixed codes, never derived from the payload. */
export type EnvelopeProblem = 'not-an-object' | 'not-serializable' | 'app-mismatch' | 'event-type-mismatch' | 'bad-event-id' | 'bad-sent-at';

export type EnvelopeResult =
  | { readonly ok: true; readonly eventId: string; readonly json: string }
  | { readonly ok: false; readonly problem: EnvelopeProblem; readonly message: string; readonly cause?: unknown };

export type SnapshotResult =
  | { readonly ok: true; readonly snapshot: Record<string, unknown> }
  | { readonly ok: false; readonly problem: EnvelopeProblem; readonly message: string; readonly cause?: unknown };

/**
 * A plain-data copy of the event's top level, read once: what `JSON.stringify(event)` would see
 * (`toJSON('')` if present, then each own enumerable string key read once). Nested values are kept
 * by reference and serialized once, by `buildEnvelope`. The copy has no prototype, so a key
 * `__proto__` stays an ordinary member.
 */
export function plainSnapshot(event: unknown): SnapshotResult {
  if (event === null || typeof event !== 'object') return notAnObject(`got ${describe(event)}`);
  let value: unknown = event;
  const snapshot: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  try {
    const toJSON = (event as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(event, '');
    if (value === null || typeof value !== 'object' || Array.isArray(value) || isBoxed(value)) {
      return notAnObject(value === event ? `got ${describe(value)}` : `its toJSON() returned ${describe(value)}`);
    }
    const source = value as Record<string, unknown>;
    for (const key of Object.keys(source)) snapshot[key] = source[key];
  } catch (err) {
    return { ok: false, problem: 'not-serializable', message: `cannot be read: ${errorText(err)}`, cause: err };
  }
  return { ok: true, snapshot };
}

export interface BuildOptions {
  /** Precomputed `envelopeHead(app, eventType)` (hot path). @default computed */
  readonly head?: string;
  /** New event ids. @default crypto.randomUUID */
  readonly newId?: () => string;
  /** The current time as ISO 8601, for `sent_at`. @default now, cached per millisecond */
  readonly now?: () => string;
  /**
   * Fields set by the producer whatever the event holds (the collector's `received_at`).
   * @default none
   */
  readonly set?: Readonly<Record<string, string>>;
}

/** `"app":"...","event_type":"...",` of one event type, computed once per type. */
export function envelopeHead(app: string, eventType: string): string {
  return `"app":${JSON.stringify(app)},"event_type":${JSON.stringify(eventType)},`;
}

/**
 * Envelopes `event` for `app/eventType`: snapshot, check, serialize the snapshot once, and write
 * the missing `app`, `event_type`, `event_id` and `sent_at` in front of its members. The caller's
 * object is neither copied deeply nor mutated.
 */
export function buildEnvelope(app: string, eventType: string, event: unknown, options: BuildOptions = {}): EnvelopeResult {
  const snap = plainSnapshot(event);
  if (!snap.ok) return snap;
  return envelopeSnapshot(app, eventType, snap.snapshot, options);
}

/** `buildEnvelope` for a snapshot already taken (or plain data, as parsed from JSON). May change `snapshot`. */
export function envelopeSnapshot(app: string, eventType: string, snapshot: Record<string, unknown>, options: BuildOptions = {}): EnvelopeResult {
  const givenApp = snapshot[ENVELOPE_FIELDS.app];
  const givenType = snapshot[ENVELOPE_FIELDS.eventType];
  const givenId = snapshot[ENVELOPE_FIELDS.eventId];
  let givenSentAt = snapshot[ENVELOPE_FIELDS.sentAt];
  if (givenApp !== undefined && givenApp !== app) {
    return { ok: false, problem: 'app-mismatch', message: `has app ${shorten(givenApp)} but was tracked for application "${app}"` };
  }
  if (givenType !== undefined && givenType !== eventType) {
    return { ok: false, problem: 'event-type-mismatch', message: `has event_type ${shorten(givenType)} but was tracked for event type "${eventType}"` };
  }
  if (givenId !== undefined && (typeof givenId !== 'string' || givenId === '' || givenId.length > MAX_EVENT_ID_CHARS)) {
    return { ok: false, problem: 'bad-event-id', message: `has event_id ${shorten(givenId)}: it must be a non-empty string of at most ${MAX_EVENT_ID_CHARS} characters` };
  }
  if (givenSentAt instanceof Date) {
    givenSentAt = Number.isNaN(givenSentAt.getTime()) ? null : givenSentAt.toISOString();
    snapshot[ENVELOPE_FIELDS.sentAt] = givenSentAt;
  }
  if (givenSentAt !== undefined && typeof givenSentAt !== 'string') {
    return { ok: false, problem: 'bad-sent-at', message: `has sent_at ${shorten(givenSentAt)}: it must be an ISO 8601 string or a valid Date` };
  }
  const set = options.set;
  if (set !== undefined) for (const key of Object.keys(set)) delete snapshot[key];
  let body: string | undefined;
  try {
    body = JSON.stringify(snapshot);
  } catch (err) {
    return { ok: false, problem: 'not-serializable', message: `cannot be serialized to JSON: ${errorText(err)}`, cause: err };
  }
  // A snapshot is a plain object: JSON.stringify gives "{...}". (Kept as a guard, never expected.)
  if (body === undefined || body.charCodeAt(0) !== 0x7b) return notAnObject('it does not serialize to a JSON object');
  const eventId = givenId === undefined ? (options.newId ?? randomUUID)() : (givenId as string);
  let prefix =
    givenApp === undefined && givenType === undefined
      ? (options.head ?? envelopeHead(app, eventType))
      : (givenApp === undefined ? `"app":${JSON.stringify(app)},` : '') + (givenType === undefined ? `"event_type":${JSON.stringify(eventType)},` : '');
  if (givenId === undefined) prefix += `"event_id":${JSON.stringify(eventId)},`;
  if (givenSentAt === undefined) prefix += `"sent_at":"${(options.now ?? isoNow)()}",`;
  if (set !== undefined) for (const key of Object.keys(set)) prefix += `${JSON.stringify(key)}:${JSON.stringify(set[key])},`;
  if (prefix === '') return { ok: true, eventId, json: body };
  // `{` + added members + the event's own members (or nothing for `{}`).
  const json = body.length === 2 ? `{${prefix.slice(0, -1)}}` : `{${prefix}${body.slice(1)}`;
  return { ok: true, eventId, json };
}

let lastMs = -1;
let lastIso = '';

/** `new Date().toISOString()`, computed once per millisecond. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

// ---------------------------------------------------------------------------------------------
// Reading an envelope back (the router; the redrive tool).

/** Why a record cannot be routed by its envelope. Fixed codes, never derived from the payload. */
export type EnvelopeReadProblem = 'oversized' | 'empty' | 'not-json' | 'not-an-object' | 'missing-app' | 'missing-event-type';

export type InspectResult =
  | { readonly ok: true; readonly app: string; readonly eventType: string }
  | {
      readonly ok: false;
      readonly reason: EnvelopeReadProblem;
      readonly detail: string;
      /** `app` and `event_type` when they were readable strings (for diagnosis). */
      readonly app?: string;
      readonly eventType?: string;
    };

/** Reads `app` and `event_type` of one record (one JSON object); `maxBytes` is the destination's record limit. */
export function inspectRecord(data: Buffer, maxBytes: number): InspectResult {
  if (data.length > maxBytes) {
    return { ok: false, reason: 'oversized', detail: `record is ${data.length} bytes; Firehose accepts at most ${maxBytes}` };
  }
  if (data.length === 0) return { ok: false, reason: 'empty', detail: 'record has no data' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json', detail: 'record is not one JSON value' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'not-an-object', detail: 'record is JSON but not an object' };
  }
  const o = parsed as Record<string, unknown>;
  const app = o[ENVELOPE_FIELDS.app];
  const eventType = o[ENVELOPE_FIELDS.eventType];
  const seen = {
    ...(typeof app === 'string' ? { app } : {}),
    ...(typeof eventType === 'string' ? { eventType } : {}),
  };
  if (typeof app !== 'string' || app.length === 0) {
    return { ok: false, reason: 'missing-app', detail: 'field "app" is missing or not a non-empty string', ...seen };
  }
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return { ok: false, reason: 'missing-event-type', detail: 'field "event_type" is missing or not a non-empty string', ...seen };
  }
  return { ok: true, app, eventType };
}

// ---------------------------------------------------------------------------------------------

function notAnObject(why: string): SnapshotResult & { ok: false } {
  return { ok: false, problem: 'not-an-object', message: `must be a JSON object; ${why}` };
}

function isBoxed(v: object): boolean {
  return v instanceof String || v instanceof Number || v instanceof Boolean;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a Date';
  if (typeof v === 'object') return isBoxed(v) ? 'a boxed primitive' : 'an object';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

/** A value for a message: JSON of a short string, else its kind (never a long or nested payload). */
function shorten(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 61)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return describe(v);
}

function errorText(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  const text = typeof m === 'string' ? m : String(err);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
