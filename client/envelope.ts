/**
 * The envelope: every event is one JSON object carrying `app`, `event_type`, a unique `event_id`
 * and `sent_at`. Missing fields are added; present `app` / `event_type` must agree with the
 * `track` arguments. The event is serialized exactly once, and the missing fields are written in
 * front of its members, so the caller's object is never copied or mutated.
 */
import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors';
import { KINESIS_LIMITS } from './limits';

/** A serialized event. */
export interface Enveloped {
  readonly eventId: string;
  /** One line of compact JSON (JSON.stringify never emits a raw newline). */
  readonly json: string;
}

/** Precomputed `"app":"...","event_type":"...",` of one event type. */
export function envelopeHead(app: string, eventType: string): string {
  return `"app":${JSON.stringify(app)},"event_type":${JSON.stringify(eventType)},`;
}

/** Wraps `event` for `app/eventType`; throws InvalidEventError when it is not a serializable JSON object. */
export function envelope(app: string, eventType: string, head: string, event: unknown): Enveloped {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidEventError(`event of ${app}/${eventType} must be a JSON object, got ${describe(event)}`);
  }
  const e = event as Record<string, unknown>;
  const givenApp = e.app;
  const givenType = e.event_type;
  const givenId = e.event_id;
  const givenSentAt = e.sent_at;
  if (givenApp !== undefined && givenApp !== app) {
    throw new InvalidEventError(`event.app is ${JSON.stringify(givenApp)} but track() was called for application "${app}"`);
  }
  if (givenType !== undefined && givenType !== eventType) {
    throw new InvalidEventError(`event.event_type is ${JSON.stringify(givenType)} but track() was called for event type "${eventType}"`);
  }
  if (givenId !== undefined && (typeof givenId !== 'string' || givenId === '' || givenId.length > KINESIS_LIMITS.maxPartitionKeyChars)) {
    throw new InvalidEventError(`event.event_id must be a non-empty string of at most ${KINESIS_LIMITS.maxPartitionKeyChars} characters`);
  }
  let body: string | undefined;
  try {
    body = JSON.stringify(event);
  } catch (err) {
    throw new InvalidEventError(`event of ${app}/${eventType} cannot be serialized to JSON: ${(err as Error).message}`, { cause: err });
  }
  if (body === undefined || body.charCodeAt(0) !== 0x7b /* { */) {
    throw new InvalidEventError(`event of ${app}/${eventType} does not serialize to a JSON object (toJSON returned ${describe(body)})`);
  }
  const eventId = givenId === undefined ? randomUUID() : (givenId as string);
  let prefix =
    givenApp === undefined && givenType === undefined
      ? head
      : (givenApp === undefined ? `"app":${JSON.stringify(app)},` : '') +
        (givenType === undefined ? `"event_type":${JSON.stringify(eventType)},` : '');
  if (givenId === undefined) prefix += `"event_id":"${eventId}",`;
  if (givenSentAt === undefined) prefix += `"sent_at":"${isoNow()}",`;
  if (prefix === '') return { eventId, json: body };
  // `{` + added members + the event's own members (or nothing for `{}`).
  const json = body.length === 2 ? `{${prefix.slice(0, -1)}}` : `{${prefix}${body.slice(1)}`;
  return { eventId, json };
}

let lastMs = -1;
let lastIso = '';

/** `new Date().toISOString()`, computed once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}
