/**
 * A match, as plain data, and its two renderings: the SNS notification and the DynamoDB item.
 * A notification carries the event's identifiers and the fields the rule names; the whole event
 * only when the rule sets `includePayload` (and it fits SNS's and DynamoDB's size limits).
 *
 * Pure: no I/O.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { HotPathRuleSpec } from '../../config/hot-path';
import { pickFields, type JsonObject } from './evaluate';
import { eventIdOf, type DecodedRecord } from './records';

/** SNS message limit: 256 KiB for body and attributes together. */
export const SNS_MAX_BYTES = 262_144;
/** Kept below DynamoDB's 400 KB item limit for the key, attribute names and the other attributes. */
export const ITEM_PAYLOAD_BUDGET_BYTES = 350_000;
/** SNS subjects (email) are limited to 100 characters. */
export const SUBJECT_MAX = 100;
export const MESSAGE_TYPE = 'tracking.hot-path-match';
export const MESSAGE_VERSION = 1;

export interface WindowInfo {
  readonly start: string;
  readonly end: string;
  readonly count: number;
  readonly threshold: number;
  readonly comparison: 'moreThan' | 'fewerThan';
  /** The groupBy value (display form), when the rule groups. */
  readonly group?: string;
}

export interface Match {
  readonly rule: HotPathRuleSpec;
  /** Sort key in the table, unique per rule: the event id, or `rate:<window start>[:<group>]`. */
  readonly matchId: string;
  /** Who owns the match: only its retries may publish a pending match again (see docs/hot-path.md). */
  readonly source: string;
  readonly matchedAt: string;
  readonly eventId?: string;
  readonly sentAt?: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly payload?: JsonObject;
  readonly kinesis?: {
    readonly shardId: string;
    readonly sequenceNumber: string;
    readonly partitionKey: string;
    readonly approximateArrivalTimestamp: number;
  };
  readonly window?: WindowInfo;
}

/** The match of a match rule on one record. */
export function eventMatch(rule: HotPathRuleSpec, r: DecodedRecord, now: Date): Match {
  const event = r.event ?? {};
  const eventId = eventIdOf(r);
  const sentAt = typeof event.sent_at === 'string' ? event.sent_at : undefined;
  return {
    rule,
    matchId: eventId,
    source: `record:${r.shardId}:${r.sequenceNumber}`,
    matchedAt: now.toISOString(),
    eventId,
    ...(sentAt !== undefined ? { sentAt } : {}),
    fields: pickFields(event, rule.fields),
    ...(rule.includePayload ? { payload: event } : {}),
    kinesis: { shardId: r.shardId, sequenceNumber: r.sequenceNumber, partitionKey: r.partitionKey, approximateArrivalTimestamp: r.arrival },
  };
}

/** Match id of a rate rule's window (and group). */
export function windowMatchId(windowStart: string, groupKey: string | undefined): string {
  return groupKey === undefined ? `rate:${windowStart}` : `rate:${windowStart}:${groupKey}`;
}

// ---------------------------------------------------------------------------------------------
// SNS
// ---------------------------------------------------------------------------------------------

export interface Notification {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

function notificationBody(environment: string, m: Match, withPayload: boolean, withFields: boolean): Record<string, unknown> {
  const rule = m.rule;
  return {
    type: MESSAGE_TYPE,
    version: MESSAGE_VERSION,
    environment,
    rule: rule.name,
    kind: rule.kind,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
    matchId: m.matchId,
    app: rule.eventType.app,
    eventType: rule.eventType.type,
    matchedAt: m.matchedAt,
    ...(m.eventId !== undefined ? { eventId: m.eventId } : {}),
    ...(m.sentAt !== undefined ? { sentAt: m.sentAt } : {}),
    ...(m.window !== undefined ? { window: m.window } : {}),
    ...(withFields ? { fields: m.fields } : { fieldsOmitted: 'too-large-for-sns' }),
    ...(m.payload !== undefined ? (withPayload ? { payload: m.payload } : { payloadOmitted: 'too-large-for-sns' }) : {}),
    ...(m.kinesis !== undefined ? { kinesis: m.kinesis } : {}),
  };
}

const stringAttr = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** The SNS message of a match: JSON body, a subject for email, and attributes subscribers can filter on. */
export function notification(environment: string, m: Match): Notification {
  const rule = m.rule;
  const attributes: Record<string, MessageAttributeValue> = {
    rule: stringAttr(rule.name),
    event_type: stringAttr(rule.eventType.key),
    app: stringAttr(rule.eventType.app),
    kind: stringAttr(rule.kind),
    environment: stringAttr(environment),
  };
  const attrBytes = Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.StringValue ?? '') + 16, 0);
  let body = JSON.stringify(notificationBody(environment, m, true, true));
  if (Buffer.byteLength(body) + attrBytes > SNS_MAX_BYTES) body = JSON.stringify(notificationBody(environment, m, false, true));
  if (Buffer.byteLength(body) + attrBytes > SNS_MAX_BYTES) body = JSON.stringify(notificationBody(environment, m, false, false));
  const what = m.window !== undefined ? `${m.window.comparison === 'moreThan' ? 'more than' : 'fewer than'} ${m.window.threshold}` : 'matched';
  // Subjects: printable ASCII, no line breaks, at most 100 characters.
  const subject = `[hot-path ${environment}] ${rule.name} ${what} ${rule.eventType.key}`.replace(/[^\x20-\x7e]/g, '?').slice(0, SUBJECT_MAX);
  return { subject, message: body, attributes };
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

export type MatchStatus = 'pending' | 'stored' | 'notified';

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });

/**
 * The item of a match. With `store`, everything a reviewer needs; without it, only the
 * deduplication marker (key, status, owner, TTL). `expiresAt` is epoch seconds.
 */
export function matchItem(m: Match, status: MatchStatus, expiresAt: number): Record<string, AttributeValue> {
  const rule = m.rule;
  const item: Record<string, AttributeValue> = {
    rule: S(rule.name),
    event_id: S(m.matchId),
    kind: S(rule.kind),
    status: S(status),
    source: S(m.source),
    matched_at: S(m.matchedAt),
    expires_at: N(expiresAt),
    stored: { BOOL: rule.actions.store },
  };
  if (!rule.actions.store) return item;
  item.app = S(rule.eventType.app);
  item.event_type = S(rule.eventType.type);
  if (m.eventId !== undefined) item.event_ref = S(m.eventId);
  if (m.sentAt !== undefined) item.sent_at = S(m.sentAt);
  if (m.kinesis !== undefined) {
    item.shard_id = S(m.kinesis.shardId);
    item.sequence_number = S(m.kinesis.sequenceNumber);
    item.arrived_at = S(new Date(m.kinesis.approximateArrivalTimestamp * 1000).toISOString());
  }
  if (m.window !== undefined) {
    item.window_start = S(m.window.start);
    item.window_end = S(m.window.end);
    item.count = N(m.window.count);
    item.threshold = N(m.window.threshold);
    item.comparison = S(m.window.comparison);
    if (m.window.group !== undefined) item.group_value = S(m.window.group);
  }
  // JSON text: exact values of any JSON type (DynamoDB numbers and empty values have their own rules).
  const fields = JSON.stringify(m.fields);
  if (Buffer.byteLength(fields) <= ITEM_PAYLOAD_BUDGET_BYTES) item.fields_json = S(fields);
  else item.fields_omitted = S('too-large-for-dynamodb');
  if (m.payload !== undefined) {
    const payload = JSON.stringify(m.payload);
    if (Buffer.byteLength(payload) + Buffer.byteLength(fields) <= ITEM_PAYLOAD_BUDGET_BYTES) item.payload_json = S(payload);
    else item.payload_omitted = S('too-large-for-dynamodb');
  }
  return item;
}
