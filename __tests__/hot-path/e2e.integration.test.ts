/**
 * End to end on local emulators: events are written to kinesalite with the real Kinesis client,
 * read back with GetShardIterator/GetRecords and turned into Lambda's event shapes, passed
 * through each mapping's compiled filter (as Lambda would, by the filter model), and handed to
 * the hot-path handler through each mapping's alias, whose matches go to dynalite (DynamoDB) and an
 * SNS stand-in speaking the Query API's Publish. Lambda's at-least-once behaviour is replayed: a reported failure resumes at
 * the lowest reported sequence number, a failed window batch is retried from the last state, and
 * every shard is delivered a second time. Each expected match is stored and published exactly once.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { HotPathSpec } from '../../config/hot-path';
import { recordPasses } from '../../functions/hot-path/filter-model';
import { compileMappingFilter, mappingGroups } from '../../functions/hot-path/filter-pattern';
import { createHandler, type HotPathResponse } from '../../functions/hot-path/handler';
import { systemClock } from '../../functions/hot-path/processor';
import { AwsHotPathStore } from '../../functions/hot-path/store';
import { createMatchesTable, LOCAL_CREDENTIALS, scanAll, startDynalite, type Dynalite } from './emulators';
import { context, envelope, indexOf, specOf } from './factories';
import { SnsStandIn } from './sns-standin';

// kinesalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (options: { createStreamMs?: number; shardLimit?: number }) => Server;

const STREAM = 'acme-dev-root';
const REGION = 'eu-central-1';
const TABLE = 'acme-dev-hot-path-matches';
const TOPIC_ARN = `arn:aws:sns:${REGION}:123456789012:acme-dev-hot-path`;
const WINDOW = 60;

const SPEC: HotPathSpec = specOf({
  rules: [
    {
      name: 'large-checkout',
      eventType: 'web-shop/checkout_completed',
      match: { all: [{ field: 'order.total', op: '>', value: 1000 }, { field: 'shop_id', op: '!=', value: 'test-shop' }] },
    },
    { name: 'debug-events', eventType: 'web-shop/page_view', match: { field: 'path', op: 'prefix', value: '/internal/' }, actions: ['notify'] },
    { name: 'refund-without-order', eventType: 'web-shop/refund_requested', match: { field: 'order_id', op: 'exists', value: false }, actions: ['store'] },
    {
      name: 'payment-failure-spike',
      eventType: 'payments/payment_failed',
      rate: { moreThan: 2, windowSeconds: WINDOW, groupBy: 'merchant_id', where: { field: 'error_code', op: '!=', value: 'card_declined' } },
    },
  ],
});

let server: Server;
let kinesis: KinesisClient;
let db: Dynalite;
const sns = new SnsStandIn([TOPIC_ARN]);
let snsEndpoint: { endpoint: string; close: () => Promise<void> };

beforeAll(async () => {
  server = kinesalite({ createStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kinesis = new KinesisClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: LOCAL_CREDENTIALS, requestHandler: new NodeHttpHandler() });
  db = await startDynalite(REGION);
  snsEndpoint = await sns.start();
  await createMatchesTable(db.client, TABLE);
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  for (let i = 0; i < 100; i++) {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('stream did not become ACTIVE');
});

afterAll(async () => {
  kinesis?.destroy();
  await db?.close();
  await snsEndpoint?.close();
  await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
});

/** Reads one shard like the Lambda poller and returns its records in the Lambda event shape. */
async function readShard(shardId: string, type: ShardIteratorType, sequenceNumber?: string): Promise<KinesisStreamRecord[]> {
  const it = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber ? { StartingSequenceNumber: sequenceNumber } : {}) }),
  );
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 10_000 }));
  return (out.Records ?? []).map((r) => ({
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
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/acme-dev-hot-path',
    awsRegion: REGION,
    eventSourceARN: `arn:aws:kinesis:${REGION}:123456789012:stream/${STREAM}`,
  }));
}

const passes = (patterns: readonly string[] | undefined) => (r: KinesisStreamRecord): boolean => recordPasses(patterns, Buffer.from(r.kinesis.data, 'base64'));
const decoded = (r: KinesisStreamRecord): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

describe('root stream -> hot path -> DynamoDB + SNS (kinesalite, dynalite, SNS stand-in)', () => {
  it('stores and publishes exactly the expected matches, once each, through failures and redelivery', async () => {
    // Prepare: the producer's events, one per record, partition key event_id (root-stream mode).
    const events = [
      envelope('web-shop', 'checkout_completed', { shop_id: 'berlin-1', order: { total: 1250.5 } }, 'c-1'),
      envelope('web-shop', 'checkout_completed', { shop_id: 'berlin-1', order: { total: 1250.5 } }, 'c-1'), // a producer retry
      envelope('web-shop', 'checkout_completed', { shop_id: 'berlin-1', order: { total: 80 } }, 'c-2'),
      envelope('web-shop', 'checkout_completed', { shop_id: 'test-shop', order: { total: 9000 } }, 'c-3'),
      envelope('web-shop', 'checkout_completed', { shop_id: 'hamburg-2', order: { total: 1000.01 } }, 'c-4'),
      envelope('web-shop', 'page_view', { path: '/internal/admin' }, 'p-1'),
      envelope('web-shop', 'page_view', { path: '/cart' }, 'p-2'),
      envelope('web-shop', 'refund_requested', { amount: 30 }, 'r-1'),
      envelope('web-shop', 'refund_requested', { amount: 30, order_id: 'o-9' }, 'r-2'),
      ...['insufficient_funds', 'card_declined', 'expired_card', 'insufficient_funds'].map((code, i) => envelope('payments', 'payment_failed', { merchant_id: 'm-1', error_code: code }, `f-1-${i}`)),
      ...['insufficient_funds', 'expired_card'].map((code, i) => envelope('payments', 'payment_failed', { merchant_id: 'm-2', error_code: code }, `f-2-${i}`)),
      ...Array.from({ length: 40 }, (_, i) => envelope('web-shop', 'page_view', { path: `/product/${i}` }, `noise-${i}`)),
    ];
    const data = [...events.map((e) => JSON.stringify(e)), 'not json', '[1,2,3]'];
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: data.map((d, i) => ({ Data: Buffer.from(d), PartitionKey: (JSON.parse(d.startsWith('{') ? d : '{}') as { event_id?: string }).event_id ?? `pk-${i}` })) }),
    );
    expect(put.FailedRecordCount ?? 0).toBe(0);
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards!.map((s) => s.ShardId!);
    expect(shards).toHaveLength(2);

    const store = new AwsHotPathStore({
      dynamodb: db.client,
      sns: new SNSClient({ endpoint: snsEndpoint.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, requestHandler: new NodeHttpHandler(), maxAttempts: 1 }),
      tableName: TABLE,
      topicArn: TOPIC_ARN,
    });
    const handler = createHandler(() => ({ rules: indexOf(SPEC), store, clock: systemClock }));
    const [matchGroup, rateGroup] = mappingGroups(SPEC);
    // Each mapping invokes its own alias of the function, as deployed.
    const functionArn = `arn:aws:lambda:${REGION}:123456789012:function:acme-dev-hot-path`;
    const invoke = (event: unknown, alias: string): Promise<HotPathResponse> => handler(event as KinesisStreamEvent, context(60_000, `${functionArn}:${alias}`));
    const matchFilter = compileMappingFilter(matchGroup!.rules, SPEC.filterPatternQuota);
    const rateFilter = compileMappingFilter(rateGroup!.rules, SPEC.filterPatternQuota);
    // One failure of each kind on the way: SNS rejects the first Publish of the debug rule, and the
    // first Publish of a rate match.
    const failedOnce = new Set<string>();
    sns.setFault((params) => {
      const rule = Object.keys(params).find((k) => params[k] === 'rule' && k.endsWith('.Name'));
      const value = rule ? params[rule.replace('.Name', '.Value.StringValue')] : undefined;
      if ((value === 'debug-events' || value === 'payment-failure-spike') && !failedOnce.has(value)) {
        failedOnce.add(value);
        return { status: 500, code: 'InternalError' };
      }
      return undefined;
    });
    const silence = [jest.spyOn(process.stdout, 'write').mockImplementation(() => true), jest.spyOn(console, 'log').mockImplementation(() => undefined)];

    // Act: the match mapping, per shard, resuming at reported failures; then everything once more.
    let invocations = 0;
    let reported = 0;
    for (const shardId of shards) {
      for (let delivery = 0; delivery < 2; delivery++) {
        let records = (await readShard(shardId, 'TRIM_HORIZON')).filter(passes(matchFilter.patterns));
        for (let attempt = 0; records.length > 0 && attempt < 5; attempt++) {
          invocations++;
          const response = (await invoke({ Records: records }, matchGroup!.alias)) as { batchItemFailures: { itemIdentifier: string }[] };
          if (response.batchItemFailures.length === 0) break;
          reported += response.batchItemFailures.length;
          records = (await readShard(shardId, 'AT_SEQUENCE_NUMBER', response.batchItemFailures[0]!.itemIdentifier)).filter(passes(matchFilter.patterns));
        }
      }
    }
    // Act: the rate mapping, per shard and window, in batches of 2 with the state carried; a
    // failed invocation is retried with the same state; then the final invocation of each window.
    for (const shardId of shards) {
      const records = (await readShard(shardId, 'TRIM_HORIZON')).filter(passes(rateFilter.patterns));
      const windows = new Map<number, KinesisStreamRecord[]>();
      for (const r of records) {
        const start = Math.floor(r.kinesis.approximateArrivalTimestamp / WINDOW) * WINDOW;
        windows.set(start, [...(windows.get(start) ?? []), r]);
      }
      for (const [start, inWindow] of windows) {
        let state: unknown = {};
        const window = { start: new Date(start * 1000).toISOString(), end: new Date((start + WINDOW) * 1000).toISOString() };
        const batches = [...Array.from({ length: Math.ceil(inWindow.length / 2) }, (_, i) => inWindow.slice(i * 2, i * 2 + 2)), []];
        for (const [i, b] of batches.entries()) {
          const event = { Records: b, window, state, shardId, eventSourceARN: `arn:aws:kinesis:${REGION}:123456789012:stream/${STREAM}`, isFinalInvokeForWindow: i === batches.length - 1, isWindowTerminatedEarly: false };
          let response: HotPathResponse | undefined;
          for (let attempt = 0; response === undefined && attempt < 5; attempt++) {
            invocations++;
            response = await invoke(event, rateGroup!.alias).catch(() => undefined);
          }
          state = (response as { state: unknown }).state;
        }
      }
    }
    silence.forEach((s) => s.mockRestore());

    // Assess: the expected matches, computed from what was read back (arrival times decide windows).
    const all = [...(await readShard(shards[0]!, 'TRIM_HORIZON')), ...(await readShard(shards[1]!, 'TRIM_HORIZON'))];
    const counted = new Map<string, number>();
    for (const r of all) {
      const e = decoded(r);
      if (e?.event_type !== 'payment_failed' || e.error_code === 'card_declined') continue;
      const key = `rate:${new Date(Math.floor(r.kinesis.approximateArrivalTimestamp / WINDOW) * WINDOW * 1000).toISOString()}:s:${String(e.merchant_id)}`;
      counted.set(key, (counted.get(key) ?? 0) + 1);
    }
    const rateMatches = [...counted].filter(([, n]) => n > 2).map(([k]) => `payment-failure-spike/${k}`);
    expect(rateMatches.length).toBeGreaterThanOrEqual(1);
    const expectedStored = ['large-checkout/c-1', 'large-checkout/c-4', 'refund-without-order/r-1', ...rateMatches].sort();
    const expectedPublished = ['debug-events/p-1', 'large-checkout/c-1', 'large-checkout/c-4', ...rateMatches].sort();

    const items = (await scanAll(db.client, TABLE)).filter((i) => !String(i.rule).endsWith('#windows'));
    expect(items.filter((i) => i.stored === true).map((i) => `${i.rule}/${i.event_id}`).sort()).toEqual(expectedStored);
    expect(items.map((i) => `${i.rule}/${i.event_id}`).sort()).toEqual([...expectedStored, 'debug-events/p-1'].sort());
    expect(items.filter((i) => i.rule !== 'refund-without-order').every((i) => i.status === 'notified')).toBe(true);
    // Exactly once each: no (rule, matchId) published twice, none missing.
    const publishedKeys = sns.messages.map((m) => `${m.attributes.rule!.stringValue}/${(JSON.parse(m.message) as { matchId: string }).matchId}`);
    expect(publishedKeys.sort()).toEqual(expectedPublished);
    for (const m of sns.messages) {
      expect(m.attributes.event_type!.stringValue).toMatch(/^(web-shop|payments)\/[a-z_]+$/);
      expect(m.topicArn).toBe(TOPIC_ARN);
    }
    // The failures happened and were recovered; the filters kept noise away from the function.
    expect([...failedOnce].sort()).toEqual(['debug-events', 'payment-failure-spike']);
    expect(sns.rejected.map((r) => r.code)).toEqual(['InternalError', 'InternalError']);
    expect(reported).toBe(1);
    // exists:false (refund-without-order) has no exact pattern: that rule's filter is its event type.
    expect([matchFilter.exact, rateFilter.exact]).toEqual([false, true]);
    const noise = all.filter((r) => String(decoded(r)?.event_id ?? '').startsWith('noise-'));
    expect(noise.some(passes(matchFilter.patterns)) || noise.some(passes(rateFilter.patterns))).toBe(false);
    expect(invocations).toBeGreaterThan(0);
  });
});
