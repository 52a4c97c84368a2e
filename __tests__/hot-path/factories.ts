/** Shared builders of the hot-path tests: specs from config text, Kinesis events in Lambda's shapes. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { KinesisStreamEvent, KinesisStreamRecord, KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { parse } from 'yaml';
import { hotPathConsumers, hotPathIssues, hotPathSchema, resolveHotPath, type HotPathSpec, type RawHotPath } from '../../config/hot-path';
import { indexRules, parseRules, buildRulesDocument, type RuleIndex } from '../../functions/hot-path/rules';

export const PREFIX = { project: 'acme', environment: 'dev' } as const;
export const REGION = 'eu-central-1';
export const STREAM_ARN = `arn:aws:kinesis:${REGION}:123456789012:stream/acme-dev-root`;

/** Event types declared by the test config's applications. */
export const EVENT_TYPES: ReadonlySet<string> = new Set([
  'web-shop/checkout_completed',
  'web-shop/refund_requested',
  'web-shop/page_view',
  'payments/payment_failed',
]);

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The every-option hotPath block of __tests__/fixtures/hot-path-config.yaml. */
export function everyOptionRaw(): unknown {
  return (parse(fixture('hot-path-config.yaml')) as { hotPath: unknown }).hotPath;
}

/** Parses, checks and resolves a hotPath value; throws with every problem when it is invalid. */
export function specOf(raw: unknown, streamRetentionHours = 168): HotPathSpec {
  const parsed = hotPathSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`schema: ${JSON.stringify(parsed.error.issues)}`);
  const issues = hotPathIssues('dev', raw, EVENT_TYPES);
  if (issues.length > 0) throw new Error(`checks: ${JSON.stringify(issues)}`);
  const spec = resolveHotPath(PREFIX, parsed.data as RawHotPath, { streamRetentionHours });
  if (spec === undefined) throw new Error('no rules');
  return spec;
}

/** The rule index the Lambda builds from its rules file (through the file's text, as in production). */
export function indexOf(spec: HotPathSpec): RuleIndex {
  return indexRules(parseRules(buildRulesDocument(PREFIX.environment, spec, hotPathConsumers(spec))));
}

export const SHARD = 'shardId-000000000000';

let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
/** A fresh, increasing 56-digit Kinesis sequence number. */
export function nextSequence(): string {
  sequence += 7n;
  return sequence.toString();
}

export interface RecordOptions {
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  /** Seconds since the epoch. */
  readonly arrival?: number;
  readonly partitionKey?: string;
}

/** One record in the Lambda Kinesis event shape (as in AWS's documented example event). */
export function kinesisRecord(data: unknown, opts: RecordOptions = {}): KinesisStreamRecord {
  const seq = opts.sequenceNumber ?? nextSequence();
  const shard = opts.shardId ?? SHARD;
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: opts.partitionKey ?? `pk-${seq.slice(-6)}`,
      sequenceNumber: seq,
      data: Buffer.from(text).toString('base64'),
      approximateArrivalTimestamp: opts.arrival ?? 1_795_342_530.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shard}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/acme-dev-hot-path',
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
  };
}

export const batch = (records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });

/** A tumbling-window event, with the fields Lambda adds (window, state, shardId, flags). */
export function windowEvent(
  records: KinesisStreamRecord[],
  window: { start: number; seconds: number },
  state: unknown,
  flags: { final?: boolean; terminatedEarly?: boolean; shardId?: string } = {},
): KinesisStreamTumblingWindowEvent & { shardId: string; eventSourceARN: string } {
  return {
    Records: records,
    window: { start: new Date(window.start * 1000).toISOString(), end: new Date((window.start + window.seconds) * 1000).toISOString() },
    state: (state ?? {}) as Record<string, unknown>,
    shardId: flags.shardId ?? SHARD,
    eventSourceARN: STREAM_ARN,
    isFinalInvokeForWindow: flags.final ?? false,
    isWindowTerminatedEarly: flags.terminatedEarly ?? false,
  };
}

let eventCounter = 0;
/** A root-stream envelope as the tracker client writes it. */
export function envelope(app: string, type: string, fields: Record<string, unknown> = {}, eventId?: string): Record<string, unknown> {
  eventCounter++;
  return {
    app,
    event_type: type,
    event_id: eventId ?? `0b9c${String(eventCounter).padStart(4, '0')}-7f2e-4c1a-9d3b-5e8f6a7b8c9d`,
    sent_at: '2026-11-22T10:15:30.123Z',
    ...fields,
  };
}

/** Lambda's context as the handler reads it; `invokedFunctionArn` names the alias a mapping invoked. */
export const context = (ms = 60_000, invokedFunctionArn?: string): { getRemainingTimeInMillis: () => number; invokedFunctionArn?: string } => ({
  getRemainingTimeInMillis: () => ms,
  ...(invokedFunctionArn !== undefined ? { invokedFunctionArn } : {}),
});
