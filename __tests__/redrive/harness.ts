/**
 * The redrive tests' world, all on 127.0.0.1: s3rver (the events bucket), kinesalite (the root
 * stream), the Firehose stand-in and the SQS stand-in, plus builders for the records that land
 * in each source, in the formats AWS and the router write them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseConfig } from '../../config/loader';
import type { TrackingConfig } from '../../config/model';
import type { RedriveOptions } from '../../scripts/redrive-lib/options';
import type { RedriveClients } from '../../scripts/redrive-lib/run';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { SqsStandIn, standInSqsClient } from '../helpers/sqs-standin';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'redrive');
export const CONFIG_FILE = path.join(FIXTURES, 'config.yaml');
export const BUCKET = 'acme-dev-tracking-events';
export const ROOT_STREAM = 'acme-dev-root';
export const DLQ = 'acme-dev-fanout-router-dlq';
export const STREAM_ARN = `arn:aws:kinesis:eu-central-1:123456789012:stream/${ROOT_STREAM}`;
export const PAGE_VIEW_STREAM = 'acme-dev-web-shop-page_view';
export const APP_OPEN_STREAM = 'acme-dev-mobile-app-app_open';
export const ERROR_DIR = 'errors/application=web-shop/event_type=page_view/processing-failed/year=2026/month=11/day=20/hour=10/';

export function testConfig(): TrackingConfig {
  return parseConfig(readFileSync(CONFIG_FILE, 'utf8'), CONFIG_FILE);
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
type KinesaliteFactory = (options: { createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number }) => Server;
const kinesalite = createRequire(__filename)('kinesalite') as KinesaliteFactory;

export interface World {
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly firehose: FirehoseStandIn;
  readonly sqs: SqsStandIn;
  readonly endpoints: { readonly s3: string; readonly kinesis: string; readonly firehose: string; readonly sqs: string };
  readonly clients: () => RedriveClients;
  readonly dir: string;
  readonly dlqUrl: string;
  close(): Promise<void>;
}

/** Starts every emulator; the bucket, the root stream (1 shard) and the DLQ exist. */
export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redrive-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: BUCKET }] });
  const { port: s3Port } = await s3rver.run();
  const kinesisServer = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10 });
  await new Promise<void>((resolve) => kinesisServer.listen(0, '127.0.0.1', resolve));
  const kinesisPort = (kinesisServer.address() as AddressInfo).port;
  const firehose = new FirehoseStandIn();
  const fh: StartedStandIn = await firehose.start();
  const sqs = new SqsStandIn();
  const sq = await sqs.start();
  const dlqUrl = sqs.createQueue(DLQ);
  const endpoints = { s3: `http://127.0.0.1:${s3Port}`, kinesis: `http://127.0.0.1:${kinesisPort}`, firehose: fh.endpoint, sqs: sq.endpoint };
  const s3 = new S3Client({ endpoint: endpoints.s3, region: 'eu-central-1', credentials: CREDENTIALS, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', maxAttempts: 1 });
  const kinesis = new KinesisClient({ endpoint: endpoints.kinesis, region: 'eu-central-1', credentials: CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
  await kinesis.send(new CreateStreamCommand({ StreamName: ROOT_STREAM, ShardCount: 1 }));
  for (let i = 0; i < 100; i++) {
    const d = await kinesis.send(new DescribeStreamCommand({ StreamName: ROOT_STREAM }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const made: { destroy(): void }[] = [];
  return {
    s3,
    kinesis,
    firehose,
    sqs,
    endpoints,
    dir,
    dlqUrl,
    clients: () => {
      const c = { s3, kinesis, firehose: standInFirehoseClient(fh.endpoint), sqs: standInSqsClient(sq.endpoint) };
      made.push(c.firehose, c.sqs);
      return c;
    },
    async close() {
      for (const c of made) c.destroy();
      s3.destroy();
      kinesis.destroy();
      await fh.close();
      await sq.close();
      await new Promise<void>((resolve) => kinesisServer.close(() => resolve()));
      s3rver.httpServer?.closeAllConnections();
      await s3rver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Options as the command line would give them, for one test (its own checkpoint file). */
export function options(world: World, o: Partial<RedriveOptions> & Pick<RedriveOptions, 'source'>, name = 'run'): RedriveOptions {
  return {
    environment: 'dev',
    dryRun: false,
    to: 'delivery',
    mark: 'tag',
    deleteObjects: false,
    checkpoint: path.join(world.dir, `${name}.checkpoint.jsonl`),
    config: CONFIG_FILE,
    batchSize: 500,
    retrySeconds: 5,
    visibilityTimeoutSeconds: 300,
    waitSeconds: 1,
    progress: 'none',
    endpoints: {},
    ...o,
  };
}

/** Fast retries for the tests' S3/SQS/Kinesis control calls. */
export const FAST_CALLS = { requestTimeoutMs: 5_000, baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 } as const;

// ---------------------------------------------------------------------------------------------
// What lands in each source

let counter = 0;

/** An envelope of `app/type` with a unique event_id. */
export function envelope(app: string, type: string, extra: Record<string, unknown> = {}): string {
  counter++;
  return JSON.stringify({ app, event_type: type, event_id: `evt-${process.pid}-${counter}`, sent_at: '2026-11-20T10:15:30.000Z', ...extra });
}

/** One line of Firehose's processing-failed output for `record`. */
export function errorLine(record: string | Buffer, at = 1_795_602_991_456): string {
  const data = typeof record === 'string' ? Buffer.from(record) : record;
  return JSON.stringify({
    attemptsMade: '4',
    arrivalTimestamp: String(at - 60_000),
    errorCode: 'Lambda.ProcessingFailed',
    errorMessage: 'The Lambda function was successfully invoked but it returned an error result.',
    attemptEndingTimestamp: String(at),
    rawData: data.toString('base64'),
    lambdaArn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-jsonl-transform:$LATEST',
  });
}

/** A router dead letter for `data` (as functions/fanout-router/deadletter.ts writes it). */
export function deadLetter(data: string | Buffer, o: { reason?: string; seq?: string; partitionKey?: string; omitData?: boolean; app?: string; eventType?: string } = {}): string {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const seq = o.seq ?? `4965692639511703551942658581283948354928347081124406${String(++counter).padStart(4, '0')}`;
  return JSON.stringify({
    type: 'tracking.unroutable-record',
    version: 1,
    environment: 'dev',
    reason: o.reason ?? 'unknown-event-type',
    detail: 'no delivery stream for this app/event_type',
    ...(o.app !== undefined ? { app: o.app } : {}),
    ...(o.eventType !== undefined ? { eventType: o.eventType } : {}),
    kinesis: { eventSourceARN: STREAM_ARN, eventID: `shardId-000000000000:${seq}`, partitionKey: o.partitionKey ?? 'pk-1', sequenceNumber: seq, approximateArrivalTimestamp: 1_795_602_930.5 },
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(o.omitData === true ? { dataOmitted: 'too-large-for-sqs' } : { data: bytes.toString('base64') }),
  });
}

/** Lambda's on-failure record for a batch of the root stream's shard 0. */
export function batchFailure(first: string, last: string, size: number): string {
  const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'kinesis-on-failure.json'), 'utf8')) as { KinesisBatchInfo: Record<string, unknown> };
  fixture.KinesisBatchInfo.startSequenceNumber = first;
  fixture.KinesisBatchInfo.endSequenceNumber = last;
  fixture.KinesisBatchInfo.batchSize = size;
  return JSON.stringify(fixture);
}

/** Writes a record to the root stream (kinesalite); returns its sequence number. */
export async function putToStream(world: World, data: string, partitionKey = 'pk-1'): Promise<string> {
  const r = await world.kinesis.send(new PutRecordCommand({ StreamName: ROOT_STREAM, Data: Buffer.from(data), PartitionKey: partitionKey }));
  return r.SequenceNumber!;
}

export async function putObject(world: World, key: string, lines: readonly string[], o: { gzip?: boolean } = {}): Promise<void> {
  const body = Buffer.from(`${lines.join('\n')}\n`);
  await world.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: o.gzip === true ? gzipSync(body) : body }));
}

export async function listKeys(world: World, prefix: string): Promise<string[]> {
  const r = await world.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((c) => c.Key!).sort();
}

export async function objectText(world: World, key: string): Promise<string> {
  const r = await world.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray()).toString('utf8');
}

export async function tagsOf(world: World, key: string): Promise<Record<string, string>> {
  const r = await world.s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
  return Object.fromEntries((r.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
}

/** Removes every object of the bucket (between tests). */
export async function emptyBucket(world: World): Promise<void> {
  for (const key of await listKeys(world, '')) await world.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}

/** Event ids of the records a delivery stream received (a record that is not JSON lines counts by its text), with how often each arrived. */
export function arrivals(world: World, stream: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (id: string): void => {
    out.set(id, (out.get(id) ?? 0) + 1);
  };
  for (const r of world.firehose.records(stream)) {
    const text = r.data.toString('utf8');
    try {
      for (const line of text.split('\n')) add((JSON.parse(line) as { event_id?: string }).event_id ?? line);
    } catch {
      add(text);
    }
  }
  return out;
}
