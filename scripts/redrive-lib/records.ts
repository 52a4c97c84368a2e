/**
 * Reading what failed, and where each record goes back. Pure, no I/O.
 *
 * Three formats (sources in docs/redrive.md):
 * - **Firehose error output** (`errors/…/processing-failed/…`): JSON lines, one per failed record,
 *   `{"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage", "attemptEndingTimestamp",
 *   "rawData" (the record, base64), "lambdaArn"}` (AWS, "Handle failure in data transformation").
 *   Objects may be compressed like the stream's data: gzip is detected by its magic bytes.
 * - **The router's dead letters** (`DeadLetterDocument`, functions/fanout-router/deadletter.ts):
 *   one per SQS message, or one per line of an `unroutable/` object.
 * - **Lambda's on-failure records** for the router's Kinesis event source mapping: metadata of a
 *   batch it gave up on, `KinesisBatchInfo` {shardId, startSequenceNumber, endSequenceNumber, …},
 *   without the data (AWS, "Retain discarded batch records for a Kinesis Data Streams event source").
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { EnvironmentSpec } from '../../config/model';
import { ERROR_ROOT, eventTypeKey } from '../../config/naming';
import type { DeadLetterDocument } from '../../functions/fanout-router/deadletter';
import type { UnroutableReason } from '../../functions/fanout-router/envelope';
import { ENVELOPE_FIELDS, inspectRecord } from '../../lib/envelope';
import { FIREHOSE_LIMITS, KINESIS_LIMITS } from '../../lib/limits';
import { UNKNOWN_TYPE, type Destination, type ItemAction } from './types';

// ---------------------------------------------------------------------------------------------
// Object bodies

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The lines of an object body (gunzipped when it starts with gzip's magic bytes); a final empty line is dropped. */
export function objectLines(body: Buffer): string[] {
  const text = (body.length >= 2 && body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1] ? gunzipSync(body) : body).toString('utf8');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** `errors/application=<app>/event_type=<type>/<error-output-type>/…` (config/naming's errorPrefix). */
export function parseErrorKey(key: string): { app: string; eventType: string; errorType: string } | undefined {
  if (!key.startsWith(ERROR_ROOT)) return undefined;
  const m = /^application=([^/]+)\/event_type=([^/]+)\/([^/]+)\/.+/.exec(key.slice(ERROR_ROOT.length));
  if (m === null) return undefined;
  return { app: m[1]!, eventType: m[2]!, errorType: m[3]! };
}

// ---------------------------------------------------------------------------------------------
// Firehose error output

export interface FirehoseErrorRecord {
  readonly rawData: Buffer;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly attemptsMade?: number;
  readonly arrivalTimestamp?: number;
  readonly attemptEndingTimestamp?: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (Buffer.from ignores what it cannot decode, which would change the bytes silently). */
export function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !BASE64.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One line of a Firehose error-output object. Field names as AWS documents them (and `ErrorCode`/`lastErrorCode` of format conversion errors). */
export function parseFirehoseErrorLine(line: string): Parsed<FirehoseErrorRecord> {
  const o = parseObject(line);
  if (o === undefined) return { ok: false, why: 'malformed-line: not a JSON object' };
  if (typeof o.rawData !== 'string') return { ok: false, why: 'malformed-line: no rawData' };
  const rawData = decodeBase64(o.rawData);
  if (rawData === undefined) return { ok: false, why: 'malformed-line: rawData is not base64' };
  const errorCode = stringOf(o.errorCode ?? o.ErrorCode ?? o.lastErrorCode);
  const errorMessage = stringOf(o.errorMessage ?? o.ErrorMessage ?? o.lastErrorMessage);
  const attemptsMade = numberOf(o.attemptsMade);
  const arrivalTimestamp = numberOf(o.arrivalTimestamp);
  const attemptEndingTimestamp = numberOf(o.attemptEndingTimestamp);
  return {
    ok: true,
    value: {
      rawData,
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(errorMessage !== undefined ? { errorMessage } : {}),
      ...(attemptsMade !== undefined ? { attemptsMade } : {}),
      ...(arrivalTimestamp !== undefined ? { arrivalTimestamp } : {}),
      ...(attemptEndingTimestamp !== undefined ? { attemptEndingTimestamp } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Dead letters

export interface DeadLetterRecord {
  readonly doc: DeadLetterDocument;
  /** The record bytes; undefined when the router omitted them (`dataOmitted`). */
  readonly data?: Buffer;
  readonly shardId: string;
}

/** One dead-letter document (an SQS message body or a line of an `unroutable/` object). */
export function parseDeadLetter(text: string): Parsed<DeadLetterRecord> {
  const o = parseObject(text);
  if (o === undefined) return { ok: false, why: 'malformed-line: not a JSON object' };
  if (o.type !== 'tracking.unroutable-record') return { ok: false, why: 'malformed-line: not a tracking.unroutable-record document' };
  if (o.version !== 1) return { ok: false, why: `malformed-line: document version ${JSON.stringify(o.version)} (this tool reads version 1)` };
  const k = o.kinesis as Record<string, unknown> | undefined;
  if (k === undefined || typeof k !== 'object' || typeof k.sequenceNumber !== 'string' || typeof k.eventID !== 'string' || typeof k.eventSourceARN !== 'string') {
    return { ok: false, why: 'malformed-line: no kinesis.sequenceNumber / eventID / eventSourceARN' };
  }
  if (typeof o.sha256 !== 'string') return { ok: false, why: 'malformed-line: no sha256' };
  const shardId = k.eventID.split(':')[0] ?? '';
  const doc = o as unknown as DeadLetterDocument;
  if (o.data === undefined) {
    if (o.dataOmitted === undefined) return { ok: false, why: 'malformed-line: neither data nor dataOmitted' };
    return { ok: true, value: { doc, shardId } };
  }
  if (typeof o.data !== 'string') return { ok: false, why: 'malformed-line: data is not a string' };
  const data = decodeBase64(o.data);
  if (data === undefined) return { ok: false, why: 'malformed-line: data is not base64' };
  if (sha256(data) !== o.sha256) return { ok: false, why: 'malformed-line: data does not match its sha256' };
  return { ok: true, value: { doc, data, shardId } };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Lambda's on-failure record of a Kinesis batch (the router's event source mapping gave up on it). */
export interface BatchFailure {
  readonly condition: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize?: number;
  readonly streamArn: string;
  readonly approximateArrivalOfFirstRecord?: number;
}

export function parseBatchFailure(text: string): Parsed<BatchFailure> {
  const o = parseObject(text);
  const info = o?.KinesisBatchInfo as Record<string, unknown> | undefined;
  if (o === undefined || info === undefined || typeof info !== 'object' || info === null) return { ok: false, why: 'not a Kinesis on-failure record' };
  const { shardId, startSequenceNumber, endSequenceNumber, streamArn } = info;
  if (typeof shardId !== 'string' || typeof startSequenceNumber !== 'string' || typeof endSequenceNumber !== 'string' || typeof streamArn !== 'string') {
    return { ok: false, why: 'malformed-message: KinesisBatchInfo without shardId, sequence numbers or streamArn' };
  }
  const ctx = o.requestContext as Record<string, unknown> | undefined;
  const first = typeof info.approximateArrivalOfFirstRecord === 'string' ? Date.parse(info.approximateArrivalOfFirstRecord) : NaN;
  const batchSize = numberOf(info.batchSize);
  return {
    ok: true,
    value: {
      condition: typeof ctx?.condition === 'string' ? ctx.condition : 'unknown',
      shardId,
      startSequenceNumber,
      endSequenceNumber,
      streamArn,
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(Number.isFinite(first) ? { approximateArrivalOfFirstRecord: first } : {}),
    },
  };
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` -> `<name>`. */
export function streamNameFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([A-Za-z0-9_.-]+)$/.exec(arn);
  return m?.[1];
}

export { compareSequenceNumbers } from '../../lib/sequence';

// ---------------------------------------------------------------------------------------------
// Where a record goes back

export type RouteTarget = 'delivery' | 'root';

export type Route =
  | { readonly ok: true; readonly eventType: string; readonly destination: Destination; readonly partitionKey?: string }
  | {
      readonly ok: false;
      readonly eventType: string;
      readonly why: string;
      /** The router's code for it (what a dead letter written for it says). */
      readonly reason: UnroutableReason;
      readonly app?: string;
      readonly type?: string;
    };

/** What to do with a record `routeEnvelope` routed: send it where it goes, or keep it with the reason. */
export function routeAction(route: Route, data: Buffer): ItemAction {
  return route.ok
    ? { kind: 'send', data, destination: route.destination, ...(route.partitionKey !== undefined ? { partitionKey: route.partitionKey } : {}) }
    : { kind: 'keep', why: route.why };
}

/**
 * Where a root-stream record (one envelope) goes: its event type's delivery stream, or the root
 * stream again (`--to root`, with `partitionKey`, or the envelope's event_id). An event type not
 * in the config, or a record that is not an envelope, stays where it is.
 */
export function routeEnvelope(data: Buffer, env: Pick<EnvironmentSpec, 'eventTypes' | 'rootStream'>, to: RouteTarget, partitionKey?: string): Route {
  const limit = to === 'root' ? KINESIS_LIMITS.maxRecordBytes : FIREHOSE_LIMITS.maxRecordBytes;
  const r = inspectRecord(data, limit);
  if (!r.ok) {
    const eventType = r.app !== undefined && r.eventType !== undefined ? eventTypeKey(r.app, r.eventType) : UNKNOWN_TYPE;
    return {
      ok: false,
      eventType,
      why: `still unroutable: ${r.reason}`,
      reason: r.reason,
      ...(r.app !== undefined ? { app: r.app } : {}),
      ...(r.eventType !== undefined ? { type: r.eventType } : {}),
    };
  }
  const key = eventTypeKey(r.app, r.eventType);
  const spec = env.eventTypes.find((t) => t.key === key);
  if (spec === undefined) return { ok: false, eventType: key, why: 'still unroutable: event type not in the config', reason: 'unknown-event-type', app: r.app, type: r.eventType };
  if (to === 'delivery') return { ok: true, eventType: key, destination: { service: 'firehose', name: spec.deliveryStreamName } };
  let pk = partitionKey !== undefined && partitionKey.length >= 1 && partitionKey.length <= KINESIS_LIMITS.maxPartitionKeyChars ? partitionKey : undefined;
  if (pk === undefined) {
    const id = (JSON.parse(data.toString('utf8')) as Record<string, unknown>)[ENVELOPE_FIELDS.eventId];
    pk = typeof id === 'string' && id.length >= 1 && id.length <= KINESIS_LIMITS.maxPartitionKeyChars ? id : sha256(data).slice(0, 32);
  }
  return { ok: true, eventType: key, destination: { service: 'kinesis', name: env.rootStream.streamName }, partitionKey: pk };
}
