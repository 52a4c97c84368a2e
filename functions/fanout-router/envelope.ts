/**
 * The root-stream envelope: each Kinesis record is ONE JSON object (UTF-8) carrying at least
 *   { "app": "<application>", "event_type": "<eventType>", ... }
 * The tracker client also writes `event_id` (consumers dedupe on it) and `sent_at`. The router
 * reads only `app` and `event_type`, and forwards the record bytes unchanged.
 *
 * Pure: no I/O.
 */
import { eventTypeKey } from '../../config/naming';
import { inspectRecord, type EnvelopeReadProblem } from '../../lib/envelope';
import { MAX_RECORD_BYTES } from './limits';
import type { RouteTable } from './routes';

/** Why a record cannot be routed. Fixed codes, never derived from the payload. */
export type UnroutableReason = EnvelopeReadProblem | 'unknown-event-type';

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

/** Classifies one record's decoded bytes against the routing table (the envelope rules: lib/envelope.ts). */
export function classify(data: Buffer, routes: RouteTable): Classification {
  const r = inspectRecord(data, MAX_RECORD_BYTES);
  if (!r.ok) {
    return {
      kind: 'unroutable',
      reason: r.reason,
      detail: r.detail,
      ...(r.app !== undefined ? { app: r.app } : {}),
      ...(r.eventType !== undefined ? { eventType: r.eventType } : {}),
    };
  }
  const key = eventTypeKey(r.app, r.eventType);
  const stream = routes.get(key);
  if (stream === undefined) {
    return { kind: 'unroutable', reason: 'unknown-event-type', detail: 'no delivery stream for this app/event_type', app: r.app, eventType: r.eventType };
  }
  return { kind: 'route', stream, key };
}
