/**
 * The root-stream envelope: each Kinesis record is ONE JSON object (UTF-8) carrying at least
 *   { "app": "<application>", "event_type": "<eventType>", ... }
 * The tracker client also writes `event_id` (consumers dedupe on it) and `sent_at`. The router
 * reads only `app` and `event_type`, and forwards the record bytes unchanged.
 *
 * Pure: no I/O.
 */
import { eventTypeKey } from '../../config/naming';
import { MAX_RECORD_BYTES } from './limits';
import type { RouteTable } from './routes';

/** Why a record cannot be routed. Fixed codes, never derived from the payload. */
export type UnroutableReason =
  | 'oversized'
  | 'empty'
  | 'not-json'
  | 'not-an-object'
  | 'missing-app'
  | 'missing-event-type'
  | 'unknown-event-type';

export type Classification =
  | { readonly kind: 'route'; readonly stream: string; readonly key: string }
  | {
      readonly kind: 'unroutable';
      readonly reason: UnroutableReason;
      readonly detail: string;
      /** `app` and `event_type` when they were readable strings (for diagnosis). */
      readonly app?: string;
      readonly eventType?: string;
    };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Classifies one record's decoded bytes against the routing table. */
export function classify(data: Buffer, routes: RouteTable): Classification {
  if (data.length > MAX_RECORD_BYTES) {
    return {
      kind: 'unroutable',
      reason: 'oversized',
      detail: `record is ${data.length} bytes; Firehose accepts at most ${MAX_RECORD_BYTES}`,
    };
  }
  if (data.length === 0) return { kind: 'unroutable', reason: 'empty', detail: 'record has no data' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return { kind: 'unroutable', reason: 'not-json', detail: 'record is not one JSON value' };
  }
  if (!isObject(parsed)) return { kind: 'unroutable', reason: 'not-an-object', detail: 'record is JSON but not an object' };
  const app = parsed.app;
  const eventType = parsed.event_type;
  const seen = {
    ...(typeof app === 'string' ? { app } : {}),
    ...(typeof eventType === 'string' ? { eventType } : {}),
  };
  if (typeof app !== 'string' || app.length === 0) {
    return { kind: 'unroutable', reason: 'missing-app', detail: 'field "app" is missing or not a non-empty string', ...seen };
  }
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return {
      kind: 'unroutable',
      reason: 'missing-event-type',
      detail: 'field "event_type" is missing or not a non-empty string',
      ...seen,
    };
  }
  const key = eventTypeKey(app, eventType);
  const stream = routes.get(key);
  if (stream === undefined) {
    return { kind: 'unroutable', reason: 'unknown-event-type', detail: 'no delivery stream for this app/event_type', ...seen };
  }
  return { kind: 'route', stream, key };
}
