/**
 * Factories and checks shared by the router tests. Records are built on the shape of a real
 * Kinesis Lambda event (__tests__/fixtures/kinesis-router-mixed.json).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { PutRecordBatchCommand, type PutRecordBatchCommandInput, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';
import { catalogObjectKey, stackId } from '../../config/naming';
import { routerCatalog } from '../../functions/fanout-router/catalog';
import type { CatalogCache, CatalogStore } from '../../lib/catalog';
import { catalogContent } from '../../modules/catalog-content';
import type { DeadLetterDocument } from '../../functions/fanout-router/deadletter';
import type { UnroutableReason } from '../../functions/fanout-router/envelope';
import type { RouterResult } from '../../functions/fanout-router/router';
import type { NamePrefix } from '../../config/naming';
import type { Clock } from '../../functions/fanout-router/retry';
import fixture from '../fixtures/kinesis-router-mixed.json';

export const MIXED_EVENT = fixture as unknown as KinesisStreamEvent;

export const CONFIG_YAML = `
project: acme
environments:
  dev:
    region: eu-central-1
    rootStream:
      enabled: true
applications:
  - name: web-shop
    eventTypes: [page_view, product_view, add_to_cart, checkout_completed]
  - name: mobile-app
    eventTypes: [app_open, screen_view, push_opened]
`;

export function devEnvironment(yaml = CONFIG_YAML): EnvironmentSpec {
  const env = parseConfig(yaml).environments.find((e) => e.name === 'dev');
  if (!env) throw new Error('no dev environment');
  return env;
}

export const DEV = devEnvironment();
/** The dev environment's name prefix. */
export const PREFIX: NamePrefix = DEV.prefix;

/** Catalog objects held in memory (key -> bytes), listed and read like the bucket's `catalog/` prefix. */
export function memoryCatalogStore(objects: ReadonlyMap<string, Buffer>, failing: { list?: boolean } = {}): CatalogStore & { reads: number } {
  const store = {
    reads: 0,
    list: async (prefix: string) => {
      store.reads++;
      if (failing.list === true) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
      return [...objects.keys()].filter((k) => k.startsWith(prefix)).map((key) => ({ key, etag: String(objects.get(key)!.length) }));
    },
    get: async (key: string) => {
      const body = objects.get(key);
      if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { body, etag: String(body.length) };
    },
  };
  return store;
}

/** The catalog object the dev stack publishes (modules/catalog-content.ts: the same bytes). */
export function devCatalogObjects(eventTypes = DEV.eventTypes): Map<string, Buffer> {
  return new Map([[catalogObjectKey(stackId('dev')), catalogContent('dev', eventTypes).gzip]]);
}

/** The router's catalog of the dev environment, over the published object in memory. */
export function devCatalog(eventTypes = DEV.eventTypes): CatalogCache {
  return routerCatalog(memoryCatalogStore(devCatalogObjects(eventTypes)), 'dev');
}

/** Delivery stream name of an event type, from the resolved config (config/naming). */
export function streamOf(app: string, type: string): string {
  const t = DEV.eventTypes.find((e) => e.application === app && e.name === type);
  if (!t) throw new Error(`unknown ${app}/${type}`);
  return t.deliveryStreamName;
}

const TEMPLATE = MIXED_EVENT.Records[0]!;
const SEQ_BASE = '4959033827149025660855969253836157109592157598913658';

/** A Kinesis record around `data`; `index` orders the sequence numbers. */
export function kinesisRecord(data: Buffer | string, index: number): KinesisStreamRecord {
  const seq = `${SEQ_BASE}${String(index).padStart(6, '0')}`;
  return {
    ...TEMPLATE,
    eventID: `shardId-000000000000:${seq}`,
    kinesis: {
      ...TEMPLATE.kinesis,
      partitionKey: `pk-${index}`,
      sequenceNumber: seq,
      data: (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64'),
    },
  };
}

export function kinesisEvent(payloads: readonly (Buffer | string)[]): KinesisStreamEvent {
  return { Records: payloads.map((p, i) => kinesisRecord(p, i)) };
}

/** A tracker envelope, unique by `event_id`, padded to about `bytes` bytes. */
export function envelope(app: string, type: string, n: number, bytes = 0): string {
  const base = { app, event_type: type, event_id: `evt-${n}`, sent_at: '2026-11-22T10:15:30.123Z' };
  const json = JSON.stringify(base);
  if (bytes <= json.length) return json;
  return JSON.stringify({ ...base, pad: 'x'.repeat(bytes - json.length - ',"pad":""'.length) });
}

/** A clock whose sleep advances time instantly: retries are tested without real waiting. */
export function fakeClock(seed = 1): Clock & { slept: number[] } {
  let t = 1_795_342_530_000;
  let s = seed >>> 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    random: () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
  };
}

/** How a fake service answers one call. */
export type CallFault =
  | { readonly kind: 'ok' }
  | { readonly kind: 'throw'; readonly name: string; readonly status: number }
  | { readonly kind: 'partial'; readonly failed: (entry: number) => string | undefined };

/** Every delivery stream of the dev environment: Firehose answers ResourceNotFoundException for any other. */
export const DEV_STREAMS: ReadonlySet<string> = new Set(DEV.eventTypes.map((t) => t.deliveryStreamName));

/** Firehose through aws-sdk-client-mock, keeping a ledger of accepted records. */
export class FakeFirehose {
  public readonly accepted: { stream: string; data: Buffer }[] = [];
  public readonly calls: { stream: string; records: number; bytes: number }[] = [];

  public constructor(
    mock: AwsClientStub<FirehoseClient>,
    fault: (call: number, stream: string) => CallFault = () => ({ kind: 'ok' }),
    private readonly streams: ReadonlySet<string> = DEV_STREAMS,
  ) {
    mock.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommandInput): Promise<Partial<PutRecordBatchCommandOutput>> => {
      const stream = input.DeliveryStreamName!;
      const records = (input.Records ?? []).map((r) => Buffer.from(r.Data!));
      const index = this.calls.length;
      this.calls.push({ stream, records: records.length, bytes: records.reduce((n, r) => n + r.length, 0) });
      if (!this.streams.has(stream)) {
        // What Firehose answers for a stream that does not exist.
        throw Object.assign(new Error(`Firehose ${stream} under account 123456789012 not found.`), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
      }
      const f = fault(index, stream);
      if (f.kind === 'throw') throw Object.assign(new Error(f.name), { name: f.name, $metadata: { httpStatusCode: f.status } });
      let failedCount = 0;
      const RequestResponses = records.map((data, i) => {
        const code = f.kind === 'partial' ? f.failed(i) : undefined;
        if (code !== undefined) {
          failedCount++;
          return { ErrorCode: code, ErrorMessage: 'injected' };
        }
        this.accepted.push({ stream, data });
        return { RecordId: `rec-${index}-${i}` };
      });
      return { FailedPutCount: failedCount, Encrypted: false, RequestResponses };
    });
  }

  public count(stream: string, data: Buffer): number {
    return this.accepted.filter((a) => a.stream === stream && a.data.equals(data)).length;
  }
}

/** SQS through aws-sdk-client-mock, keeping the accepted dead-letter documents. */
export class FakeSqs {
  public readonly accepted: DeadLetterDocument[] = [];
  public readonly bodies: string[] = [];
  public calls = 0;

  public constructor(mock: AwsClientStub<SQSClient>, fault: (call: number) => CallFault = () => ({ kind: 'ok' })) {
    mock.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput): Promise<Partial<SendMessageBatchCommandOutput>> => {
      const index = this.calls++;
      const entries = input.Entries ?? [];
      const f = fault(index);
      if (f.kind === 'throw') throw Object.assign(new Error(f.name), { name: f.name, $metadata: { httpStatusCode: f.status } });
      const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
      const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
      entries.forEach((e, i) => {
        const code = f.kind === 'partial' ? f.failed(i) : undefined;
        if (code !== undefined) Failed.push({ Id: e.Id!, Code: code, SenderFault: false });
        else {
          this.bodies.push(e.MessageBody!);
          this.accepted.push(JSON.parse(e.MessageBody!) as DeadLetterDocument);
          Successful.push({ Id: e.Id!, MessageId: `m-${index}-${i}`, MD5OfMessageBody: '' });
        }
      });
      return { Successful, Failed };
    });
  }
}

/** What a record should become: delivered to a stream, or dead-lettered for a reason. */
export type Expected = { readonly stream: string } | { readonly reason: UnroutableReason };

/**
 * THE invariant: every input record ends in exactly one of delivered once to the right stream |
 * reported as a batch item failure | dead-lettered with its reason. None missing, none extra.
 */
export function assertEveryRecordAccountedFor(
  event: KinesisStreamEvent,
  expected: readonly Expected[],
  result: RouterResult,
  firehose: FakeFirehose,
  deadLetters: readonly DeadLetterDocument[],
): void {
  const failures = new Set(result.response.batchItemFailures.map((f) => f.itemIdentifier));
  expect(result.outcomes).toHaveLength(event.Records.length);
  let delivered = 0;
  event.Records.forEach((record, i) => {
    const seq = record.kinesis.sequenceNumber;
    const data = Buffer.from(record.kinesis.data, 'base64');
    const outcome = result.outcomes[i]!;
    const exp = expected[i]!;
    const letters = deadLetters.filter((d) => d.kinesis.sequenceNumber === seq);
    const where = `record ${i} (${outcome.kind})`;
    switch (outcome.kind) {
      case 'delivered':
        delivered++;
        expect({ where, stream: outcome.stream }).toEqual({ where, stream: 'stream' in exp ? exp.stream : '(dead-letter)' });
        expect({ where, copies: firehose.count(outcome.stream, data) }).toEqual({ where, copies: 1 });
        expect({ where, failed: failures.has(seq), letters: letters.length }).toEqual({ where, failed: false, letters: 0 });
        break;
      case 'dead-lettered':
        expect({ where, reason: outcome.reason }).toEqual({ where, reason: 'reason' in exp ? exp.reason : '(delivery)' });
        expect({ where, letters: letters.map((l) => l.reason) }).toEqual({ where, letters: [outcome.reason] });
        if (!outcome.dataOmitted) expect(Buffer.from(letters[0]!.data!, 'base64').equals(data)).toBe(true);
        expect({ where, failed: failures.has(seq), accepted: firehose.accepted.filter((a) => a.data.equals(data)).length }).toEqual({
          where,
          failed: false,
          accepted: 0,
        });
        break;
      case 'failed':
        expect({ where, failed: failures.has(seq), letters: letters.length }).toEqual({ where, failed: true, letters: 0 });
        expect({ where, accepted: firehose.accepted.filter((a) => a.data.equals(data)).length }).toEqual({ where, accepted: 0 });
        break;
    }
  });
  // Nothing extra: every accepted Firehose record and every dead letter belongs to exactly one outcome.
  expect(firehose.accepted).toHaveLength(delivered);
  expect(deadLetters).toHaveLength(result.outcomes.filter((o) => o.kind === 'dead-lettered').length);
  expect(failures.size).toBe(result.outcomes.filter((o) => o.kind === 'failed').length);
}

/** Region of the kinesalite streams the integration tests read (./kinesalite.ts). */
export const KINESALITE_REGION = 'eu-central-1';

/** Reads a stream's only shard like the Lambda poller does and returns the records in the Lambda event shape. */
export async function readAsLambdaEvent(kinesis: KinesisClient, stream: string, type: ShardIteratorType, startingSequenceNumber?: string): Promise<KinesisStreamEvent> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const shardId = shards.Shards![0]!.ShardId!;
  const it = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: shardId,
      ShardIteratorType: type,
      ...(startingSequenceNumber ? { StartingSequenceNumber: startingSequenceNumber } : {}),
    }),
  );
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 10_000 }));
  const Records: KinesisStreamRecord[] = (out.Records ?? []).map((r) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey!,
      sequenceNumber: r.SequenceNumber!,
      data: Buffer.from(r.Data!).toString('base64'),
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${r.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/fanout-router',
    awsRegion: KINESALITE_REGION,
    eventSourceARN: `arn:aws:kinesis:${KINESALITE_REGION}:123456789012:stream/${stream}`,
  }));
  return { Records };
}
