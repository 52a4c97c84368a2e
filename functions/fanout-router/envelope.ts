/**
 * The root-stream envelope: each Kinesis record is ONE JSON object (UTF-8) carrying at least
 *   { "app": "<application>", "event_type": "<eventType>", ... }
 * The tracker client also writes `event_id` (consumers dedupe on it) and `sent_at`. The router
 * reads only `app` and `event_type`, and forwards the record bytes unchanged.
 *
 * Where a record goes is never derived from the producer's fields: the pair (`app`, `event_type`)
 * is only a key, `<app>/<event_type>`, looked up in the environment's catalog of declared event
 * types (lib/catalog.ts), which names the delivery stream (./router.ts). `/` can be in neither
 * name, so the key of `web` + `shop-page_view` is not the key of `web-shop` + `page_view`, even
 * though a stream name joined with `-` would be the same.
 *
 * Pure: no I/O.
 */
import { eventTypeKey, LOWER_NAME } from '../../config/naming';
import { inspectRecord, type EnvelopeReadProblem } from '../../lib/envelope';
import { MAX_RECORD_BYTES } from './limits';

/** Why a record cannot be routed. Fixed codes, never derived from the payload. */
export type UnroutableReason = EnvelopeReadProblem | 'unknown-event-type';

/** Longest application or event type name worth a catalog lookup (no declared name is longer than a stream name). */
export const MAX_NAME_CHARS = 64;

export type Classification =
  /** A well-formed envelope: its event type key, to look up in the catalog. */
  | { readonly kind: 'pair'; readonly key: string; readonly app: string; readonly eventType: string }
  | {
      readonly kind: 'unroutable';
      readonly reason: UnroutableReason;
      readonly detail: string;
      /** `app` and `event_type` when they were readable strings (for diagnosis). */
      readonly app?: string;
      readonly eventType?: string;
    };

/** Classifies one record's decoded bytes: the envelope rules (lib/envelope.ts), then the names' form. */
export function classify(data: Buffer): Classification {
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
  // Names the config could never declare (characters, length) are in no catalog: no lookup, no refresh.
  const wellFormed = (name: string): boolean => name.length <= MAX_NAME_CHARS && LOWER_NAME.test(name);
  if (!wellFormed(r.app) || !wellFormed(r.eventType)) {
    return { kind: 'unroutable', reason: 'unknown-event-type', detail: '"app" or "event_type" is not a name the config allows', app: r.app, eventType: r.eventType };
  }
  return { kind: 'pair', key: eventTypeKey(r.app, r.eventType), app: r.app, eventType: r.eventType };
}
