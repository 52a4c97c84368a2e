import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
} from 'aws-lambda';
import { createHandler } from '../../functions/jsonl-transform/handler';
import { ContractRegistry, type ContractTable } from '../../functions/jsonl-transform/table';
import directPut from '../fixtures/firehose-direct-put.json';
import kinesisSource from '../fixtures/firehose-kinesis-source.json';

export const DELIVERY_STREAM_ARN =
  'arn:aws:firehose:eu-central-1:123456789012:deliverystream/acme-dev-web-shop-page_view';

export type Payload = string | Uint8Array;

/** The contract table of a function serving the fixtures' stream, which has no schema. */
export const NO_CONTRACT_TABLE: ContractTable = {
  version: 1,
  environment: 'dev',
  streams: { 'acme-dev-web-shop-page_view': { key: 'web-shop/page_view', mode: 'none' } },
  programs: [],
};

/** The handler as deployed for a stream without a contract (today's JSON-lines behaviour). */
export const handler = createHandler(() => new ContractRegistry(NO_CONTRACT_TABLE));

function toBase64(payload: Payload): string {
  return (typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload)).toString('base64');
}

/** A Firehose record as Direct PUT sends it; `kinesis: true` adds the Kinesis-stream metadata. */
export function firehoseRecord(
  payload: Payload,
  index = 0,
  options: { kinesis?: boolean } = {},
): FirehoseTransformationEventRecord {
  const recordId = `4965439339453001446127103649825457790622678793737483${String(5942 + index).padStart(4, '0')}`;
  const approximateArrivalTimestamp = 1795251310512 + index;
  const record: FirehoseTransformationEventRecord = { recordId, approximateArrivalTimestamp, data: toBase64(payload) };
  if (options.kinesis === true) {
    record.kinesisRecordMetadata = {
      shardId: 'shardId-000000000000',
      partitionKey: '4d1ad2b9-24f8-4b9d-a088-76e9947c317a',
      approximateArrivalTimestamp: approximateArrivalTimestamp - 40,
      sequenceNumber: recordId,
      subsequenceNumber: '',
    };
  }
  return record;
}

/** A Firehose transformation event holding one record per payload. */
export function firehoseEvent(payloads: readonly Payload[], options: { kinesis?: boolean } = {}): FirehoseTransformationEvent {
  const event: FirehoseTransformationEvent = {
    invocationId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    deliveryStreamArn: DELIVERY_STREAM_ARN,
    region: 'eu-central-1',
    records: payloads.map((p, k) => firehoseRecord(p, k, options)),
  };
  if (options.kinesis === true) {
    event.sourceKinesisStreamArn = 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-dev-tracking-root';
  }
  return event;
}

/** Fresh copies of the fixture events (tests must not share mutated objects). */
export function directPutFixture(): FirehoseTransformationEvent {
  return structuredClone(directPut) as FirehoseTransformationEvent;
}

export function kinesisSourceFixture(): FirehoseTransformationEvent {
  return structuredClone(kinesisSource) as FirehoseTransformationEvent;
}

export function decode(data: string | undefined): Buffer {
  return Buffer.from(data ?? '', 'base64');
}

export function decodeText(data: string | undefined): string {
  return decode(data).toString('utf8');
}

/**
 * True when `text` is valid, compact JSON lines: non-empty, every line a JSON object, no blank
 * line, no carriage return, no whitespace at either end of a line, and a final `\n`.
 */
export function isValidJsonl(text: string): boolean {
  if (!text.endsWith('\n')) return false;
  const lines = text.slice(0, -1).split('\n');
  return lines.every((line) => {
    if (line.length === 0 || line.trim() !== line) return false;
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return false;
    }
  });
}

/** The output lines of an `Ok` record (without the final empty string). */
export function linesOf(data: string | undefined): string[] {
  return decodeText(data).slice(0, -1).split('\n');
}

/** Captures the handler's console.log output as parsed JSON lines. */
export function captureLogs(): { lines: () => unknown[]; raw: () => string[]; restore: () => void } {
  const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const raw = (): string[] => spy.mock.calls.map((args) => args.map(String).join(' '));
  return {
    raw,
    lines: () => raw().map((line) => JSON.parse(line) as unknown),
    restore: () => spy.mockRestore(),
  };
}

export type Handler = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;

/** What each fixture record must become, in fixture order (see __tests__/fixtures/firehose-*.json). */
export const FIXTURE_EXPECTATIONS = [
  {
    name: 'Direct PUT',
    event: directPutFixture,
    // compact, compact + \n, pretty CRLF, packed x3, escapes/numbers, text, array, bad UTF-8, empty, packed with a bad line
    results: ['Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed', 'ProcessingFailed'],
    lines: [1, 1, 1, 3, 1, 0, 0, 0, 0, 0],
    failureReasons: { 'invalid-json': 2, 'not-an-object': 1, 'invalid-utf8': 1, empty: 1 },
  },
  {
    name: 'Kinesis stream source',
    event: kinesisSourceFixture,
    // compact, packed x2 with blank lines, number, truncated object
    results: ['Ok', 'Ok', 'ProcessingFailed', 'ProcessingFailed'],
    lines: [1, 2, 0, 0],
    failureReasons: { 'not-an-object': 1, 'invalid-json': 1 },
  },
] as const;

/** Every JSON value of a (valid) input record, parsed: what the output lines must parse to. */
export function expectedValues(data: string): unknown[] {
  const values: unknown[] = [];
  // Inputs here hold pretty objects or compact objects one per line: accumulate lines until they parse.
  let current = '';
  for (const line of decodeText(data).split(/\r?\n/)) {
    current += `${line}\n`;
    try {
      values.push(JSON.parse(current));
      current = '';
    } catch {
      // the value continues on the next line
    }
  }
  return values;
}
