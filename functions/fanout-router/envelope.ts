/**
 * The root-stream envelope: each Kinesis record is ONE JSON object (UTF-8) carrying at least
 *   { "app": "<application>", "event_type": "<eventType>", ... }
 * The tracker client also writes `event_id` (consumers dedupe on it) and `sent_at`. The router
 * reads only `app` and `event_type`, and forwards the record bytes unchanged.
 *
 * The delivery stream is derived from them with config/naming, as synth names it: the router
 * ships no routing table, so adding an event type never changes the router (issue #11). A name
 * that no event type could have is unroutable here; a well-formed name whose stream does not exist
 * is found out by Firehose (ResourceNotFoundException) and dead-lettered by the router.
 *
 * Pure: no I/O.
 */
import { checkName, deliveryStreamName, eventTypeKey, LOWER_NAME, type NamePrefix } from '../../config/naming';
import { inspectRecord, type EnvelopeReadProblem } from '../../lib/envelope';
import { MAX_RECORD_BYTES } from './limits';

/** Why a record cannot be routed. Fixed codes, never derived from the payload. */
export type UnroutableReason = EnvelopeReadProblem | 'unknown-event-type';

export type Classification =
  | { readonly kind: 'route'; readonly stream: string; readonly key: string; readonly app: string; readonly eventType: string }
  | {
      readonly kind: 'unroutable';
      readonly reason: UnroutableReason;
      readonly detail: string;
      /** `app` and `event_type` when they were readable strings (for diagnosis). */
      readonly app?: string;
      readonly eventType?: string;
    };

/** Classifies one record's decoded bytes: the envelope rules (lib/envelope.ts), then the stream its names give. */
export function classify(data: Buffer, prefix: NamePrefix): Classification {
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
  const unknown = (detail: string): Classification => ({ kind: 'unroutable', reason: 'unknown-event-type', detail, app: r.app, eventType: r.eventType });
  // Names the config could never declare (characters, length) have no stream: no call needed.
  if (!LOWER_NAME.test(r.app) || !LOWER_NAME.test(r.eventType)) return unknown('"app" or "event_type" is not a name the config allows');
  const stream = deliveryStreamName(prefix, r.app, r.eventType);
  if (checkName('deliveryStream', stream) !== undefined) return unknown('the delivery stream name would exceed what Firehose allows');
  return { kind: 'route', stream, key: eventTypeKey(r.app, r.eventType), app: r.app, eventType: r.eventType };
}
