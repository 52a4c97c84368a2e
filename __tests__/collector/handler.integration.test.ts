/**
 * The collector handler with its production dependencies (functions/collector/sources.ts over the
 * real `@aws-sdk/client-s3` and `@aws-sdk/client-ssm`, lib/firehose.ts and lib/kinesis.ts over the
 * real Firehose and Kinesis clients) pointed at local stand-ins: s3rver holds the catalog object,
 * the SSM stand-in the write-key parameters, the Firehose stand-in (faults injected) the delivery
 * streams, kinesalite the root stream. Real API Gateway event shapes (__tests__/fixtures/collector/).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CatalogCache } from '../../functions/collector/catalog';
import { createHandler, type CollectorRuntime } from '../../functions/collector/handler';
import { WriteKeyCache } from '../../functions/collector/keys';
import type { CollectorSettings } from '../../functions/collector/settings';
import { S3CatalogStore, SsmParameterSource } from '../../functions/collector/sources';
import type { EventsAnswer } from '../../lib/collector-protocol';
import { firehoseSink } from '../../lib/firehose';
import { kinesisSink } from '../../lib/kinesis';
import postEvents from '../fixtures/collector/http-api-v2-post-events.json';
import postMobile from '../fixtures/collector/http-api-v2-post-events-mobile.json';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { SsmStandIn, standInSsmClient } from '../helpers/ssm-standin';
import { apiEvent, CATALOG_KEY, fixtureCatalogObject, fixtureEnvironment, fixtureParameters, goodWebEvents, settings, streamOf, WEB_KEY } from './factories';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
// s3rver and kinesalite ship no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (o: { address: string; port: number; silent: boolean; directory: string; configureBuckets: { name: string }[] }) => S3rverInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (options: { createStreamMs?: number }) => Server;

const BUCKET = 'acme-dev-tracking-events';
const ROOT_STREAM = 'acme-dev-root';
const CONTEXT = { getRemainingTimeInMillis: () => 10_000 };

let directory: string;
let s3rver: S3rverInstance;
let s3: S3Client;
let ssm: SsmStandIn;
let ssmEndpoint: { endpoint: string; close: () => Promise<void> };
let firehose: FirehoseStandIn;
let firehoseStarted: StartedStandIn;
let kinesisServer: Server;
let kinesis: KinesisClient;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'collector-s3rver-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  // What the stack's aws_s3_object writes.
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: CATALOG_KEY, Body: fixtureCatalogObject(), ContentType: 'application/gzip' }));
  ssm = new SsmStandIn();
  for (const p of fixtureParameters()) ssm.put(p.name, p.value);
  ssmEndpoint = await ssm.start();
  firehose = new FirehoseStandIn({ streams: fixtureEnvironment().eventTypes.map((t) => t.deliveryStreamName) });
  firehoseStarted = await firehose.start();
  kinesisServer = kinesalite({ createStreamMs: 0 });
  await new Promise<void>((resolve) => kinesisServer.listen(0, '127.0.0.1', resolve));
  kinesis = new KinesisClient({
    endpoint: `http://127.0.0.1:${(kinesisServer.address() as AddressInfo).port}`,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
  await kinesis.send(new CreateStreamCommand({ StreamName: ROOT_STREAM, ShardCount: 1 }));
  for (let i = 0; i < 100; i++) {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: ROOT_STREAM }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('root stream did not become ACTIVE');
});

afterAll(async () => {
  s3?.destroy();
  kinesis?.destroy();
  await ssmEndpoint?.close();
  await firehoseStarted?.close();
  await new Promise<void>((resolve) => kinesisServer?.close(() => resolve()));
  s3rver?.httpServer?.closeAllConnections();
  await s3rver?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

beforeEach(() => {
  firehose.reset();
  firehose.setFault(undefined);
  ssm.setFault(undefined);
});

/** The handler with production sources and sinks on the stand-ins. */
function runtime(overrides: Partial<CollectorSettings> = {}, firehoseClient: FirehoseClient = standInFirehoseClient(firehoseStarted.endpoint)): CollectorRuntime {
  const s = settings(overrides);
  return {
    settings: s,
    catalog: new CatalogCache({ store: new S3CatalogStore(BUCKET, s3), prefix: s.catalogPrefix, ttlMs: 60_000 }),
    keys: new WriteKeyCache({ source: new SsmParameterSource(standInSsmClient(ssmEndpoint.endpoint)), path: s.writeKeysPath, ttlMs: 60_000 }),
    sink: s.destination.kind === 'root-stream' ? kinesisSink(kinesis) : firehoseSink(firehoseClient),
  };
}

async function invoke(rt: CollectorRuntime, event: APIGatewayProxyEventV2): Promise<{ status: number; body: EventsAnswer & { error?: { code: string } } }> {
  const handler = createHandler(() => rt, { log: () => undefined });
  const r = await handler(event, CONTEXT);
  return { status: r.statusCode ?? 0, body: JSON.parse(r.body ?? '{}') as EventsAnswer & { error?: { code: string } } };
}

/** Event ids stored by the Firehose stand-in (records split into lines), with their counts. */
function storedIds(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of firehose.allRecords()) {
    for (const line of r.data.toString('utf8').split('\n')) {
      if (line === '') continue;
      const id = (JSON.parse(line) as { event_id: string }).event_id;
      m.set(id, (m.get(id) ?? 0) + 1);
    }
  }
  return m;
}

describe('collector on stand-ins (real SDK clients)', () => {
  it('reads the catalog from S3 and the keys from SSM, and writes the fixture events to their delivery streams', async () => {
    // Prepare
    const rt = runtime();

    // Act
    const browser = await invoke(rt, postEvents as unknown as APIGatewayProxyEventV2);
    const mobile = await invoke(rt, postMobile as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(browser).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(mobile).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(firehose.streams()).toEqual([streamOf('mobile-app', 'app_open'), streamOf('web-shop', 'page_view')]);
    expect(ssm.calls).toEqual(['/acme/dev/collector/write-keys']);
  });

  it('retries entries the stand-in failed (partial failures) and writes each event exactly once', async () => {
    // Prepare: the first two calls fail every third record.
    firehose.setFault((call) => (call.index < 2 ? { kind: 'partial', failed: (i) => i % 3 === 0 } : undefined));
    const events = goodWebEvents(300, 'pf');

    // Act
    const r = await invoke(runtime(), apiEvent({ writeKey: WEB_KEY, events }));

    // Assess
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(300);
    const ids = storedIds();
    expect(ids.size).toBe(300);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(firehose.violations).toEqual([]);
  });

  it('answers 503 with exactly the events Firehose kept throttling, and never stored them', async () => {
    // Prepare: checkout_completed's stream throttles every call.
    const checkout = streamOf('web-shop', 'checkout_completed');
    firehose.setFault((call) => (call.stream === checkout ? { kind: 'error', type: 'ThrottlingException', status: 400 } : undefined));
    const events = goodWebEvents(20, 'th');

    // Act
    const r = await invoke(runtime({ writeDeadlineMs: 700, requestTimeoutMs: 200 }), apiEvent({ writeKey: WEB_KEY, events }));

    // Assess: retried (more than one call to that stream), then reported.
    expect(firehose.calls.filter((c) => c.stream === checkout).length).toBeGreaterThan(1);
    expect(r.status).toBe(503);
    expect(r.body.retry.map((x) => x.index)).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i + 1));
    expect(r.body.accepted).toBe(10);
    expect([...storedIds().keys()].sort()).toEqual(events.filter((_, i) => i % 2 === 0).map((e) => e.event_id as string).sort());
  });

  it('answers "retry later" within its deadline when Firehose never answers', async () => {
    // Prepare
    firehose.setFault(() => ({ kind: 'hang' }));
    const started = Date.now();

    // Act
    const r = await invoke(runtime({ writeDeadlineMs: 600, requestTimeoutMs: 300 }, standInFirehoseClient(firehoseStarted.endpoint)), apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(4) }));

    // Assess: the deadline is the feature, so a generous bound.
    expect(r.status).toBe(503);
    expect(r.body.retry).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 503 "write-keys-unavailable" when SSM refuses (no earlier copy), and works once SSM answers again', async () => {
    // Prepare
    const rt = runtime();
    ssm.setFault({ kind: 'error', type: 'ThrottlingException', status: 400 });

    // Act
    const down = await invoke(rt, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1) }));
    ssm.setFault(undefined);
    const fresh = runtime();
    const up = await invoke(fresh, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1) }));

    // Assess
    expect(down).toMatchObject({ status: 503, body: { error: { code: 'write-keys-unavailable' } } });
    expect(up.status).toBe(200);
  });

  it('writes to the root stream (kinesalite) one record per event, under random partition keys', async () => {
    // Prepare
    const events = goodWebEvents(12, 'rs');

    // Act
    const r = await invoke(runtime({ destination: { kind: 'root-stream', streamName: ROOT_STREAM } }), apiEvent({ writeKey: WEB_KEY, events }));

    // Assess
    expect(r).toMatchObject({ status: 200, body: { accepted: 12 } });
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: ROOT_STREAM }));
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: ROOT_STREAM, ShardId: shards.Shards![0]!.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 1_000 }));
    const mine = (out.Records ?? []).map((x) => ({ key: x.PartitionKey, event: JSON.parse(Buffer.from(x.Data!).toString('utf8')) as { event_id: string; app: string } })).filter((x) => x.event.event_id.startsWith('rs-'));
    expect(mine).toHaveLength(12);
    expect(mine.every((x) => x.event.app === 'web-shop')).toBe(true);
    // Random partition keys: the client's event_id must not choose the shard.
    expect(mine.some((x) => x.key === x.event.event_id)).toBe(false);
    expect(new Set(mine.map((x) => x.key)).size).toBe(12);
  });
});
