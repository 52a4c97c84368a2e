/**
 * Kinesis records of the root stream, decoded for the hot path. One record is one JSON envelope
 * `{ app, event_type, event_id, sent_at, ... }` (root-stream mode of the tracker client). Records
 * that are not such an envelope cannot match a rule: they are skipped and counted (the router
 * dead-letters them), never reported as failures, which would block the shard.
 *
 * Pure: no I/O.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { isJsonObject, type JsonObject } from './evaluate';

export interface DecodedRecord {
  /** Kinesis sequence number: the batch item identifier. */
  readonly sequenceNumber: string;
  readonly shardId: string;
  readonly partitionKey: string;
  /** Approximate arrival time, seconds since the epoch (what tumbling windows use). */
  readonly arrival: number;
  /** The envelope, when the record is one. */
  readonly event?: JsonObject;
  /** `<app>/<event_type>` of the envelope. */
  readonly typeKey?: string;
}

/** `shardId-000000000006:4959...` -> `shardId-000000000006`. */
export function shardOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'unknown-shard';
}

export function decodeRecord(record: KinesisStreamRecord): DecodedRecord {
  const base = {
    sequenceNumber: record.kinesis.sequenceNumber,
    shardId: shardOf(record),
    partitionKey: record.kinesis.partitionKey,
    arrival: record.kinesis.approximateArrivalTimestamp,
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
  } catch {
    return base;
  }
  if (!isJsonObject(parsed) || typeof parsed.app !== 'string' || typeof parsed.event_type !== 'string') return base;
  return { ...base, event: parsed, typeKey: `${parsed.app}/${parsed.event_type}` };
}

/** The event's own id when it has one; otherwise the record's position, which is stable across redeliveries. */
export function eventIdOf(r: DecodedRecord): string {
  const id = r.event?.event_id;
  if (typeof id === 'string' && id.length > 0 && id.length <= 512) return id;
  return `seq:${r.shardId}:${r.sequenceNumber}`;
}
