/**
 * The router as it ships: `npm run synth`'s entry point (dist/main.js) writes the stacks of a config
 * into cdktf.out; the router's Lambda asset (the zip under cdktf.out/stacks/<stack>/assets/) is
 * unzipped and its `index.handler` invoked with the environment the stack gives the function, its
 * SDK clients pointed at local stand-ins: the catalog objects the stacks publish in s3rver (their
 * synthesized `content_base64`), Firehose and SQS stand-ins, and records written to and read back
 * from kinesalite.
 *
 * The attack records of an untrusted producer on acme/prod's root stream:
 * - `{"app":"eu-billing","event_type":"invoice_paid"}` joins to `acme-prod-eu-billing-invoice_paid`,
 *   a stream of project `acme-prod` (environment `eu`);
 * - `{"app":"web","event_type":"shop-page_view"}` joins to `acme-prod-web-shop-page_view`, the
 *   stream of web-shop/page_view, which would get records with the wrong labels.
 * Both streams exist in Firehose. Neither pair is declared, so both are dead-lettered with their
 * reason and nothing reaches either stream.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { DeadLetterDocument } from '../../functions/fanout-router/deadletter';
import { FirehoseStandIn, type StartedStandIn } from '../helpers/firehose-standin';
import { SqsStandIn } from '../helpers/sqs-standin';
import { unzipEntries } from '../helpers/zip';
import { envelope, readAsLambdaEvent } from './factories';
import { startKinesalite, type StartedKinesalite } from './kinesalite';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

const ROOT = path.resolve(__dirname, '..', '..');
const REGION = 'eu-central-1';
const BUCKET = 'acme-prod-tracking-events';
const ROOT_STREAM = 'acme-prod-root';
/** A stream of project `acme-prod`, environment `eu`: what acme/prod's prefix also matches. */
const OTHER_PROJECT_STREAM = 'acme-prod-eu-billing-invoice_paid';

const CONFIG = `
project: acme
environments:
  prod:
    region: ${REGION}
    rootStream:
      enabled: true
applications:
  - name: web-shop
    eventTypes: [page_view, checkout_completed]
  - name: mobile-app
    eventTypes: [app_open]
`;

type Handler = (event: KinesisStreamEvent, context: { getRemainingTimeInMillis(): number }) => Promise<KinesisStreamBatchResponse>;

interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
}

let dir: string;
let stacks: Map<string, StackJson>;
let handler: Handler;
let routerVariables: Record<string, string>;
let s3rver: S3rverInstance;
let s3Endpoint: string;
let kinesalite: StartedKinesalite;
let firehose: FirehoseStandIn;
let firehoseStarted: StartedStandIn;
const sqs = new SqsStandIn();
let sqsStarted: { endpoint: string; close: () => Promise<void> };

const resources = (type: string): Record<string, unknown>[] => [...stacks.values()].flatMap((s) => Object.values(s.resource?.[type] ?? {}));

beforeAll(async () => {
  // Synthesize as `npm run synth` does, in a project folder of its own.
  dir = mkdtempSync(path.join(tmpdir(), 'router-asset-'));
  writeFileSync(path.join(dir, 'tracking.yaml'), CONFIG);
  const synth = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TRACKING_CONFIG: 'tracking.yaml', CDKTF_OUTDIR: 'cdktf.out' },
  });
  if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
  const stacksDir = path.join(dir, 'cdktf.out', 'stacks');
  stacks = new Map(readdirSync(stacksDir).map((id) => [id, JSON.parse(readFileSync(path.join(stacksDir, id, 'cdk.tf.json'), 'utf8')) as StackJson]));

  // The router's asset, unzipped from where synth wrote it.
  const [stackId, fn] = [...stacks].flatMap(([id, s]) => Object.values(s.resource?.aws_lambda_function ?? {}).map((f) => [id, f] as const)).find(([, f]) => f.function_name === 'acme-prod-fanout-router')!;
  const zip = readFileSync(path.join(stacksDir, stackId, fn.filename as string));
  const assetDir = path.join(dir, 'router-asset');
  mkdirSync(assetDir);
  for (const [name, bytes] of unzipEntries(zip)) {
    mkdirSync(path.dirname(path.join(assetDir, name)), { recursive: true });
    writeFileSync(path.join(assetDir, name), bytes);
  }
  routerVariables = (fn.environment as { variables: Record<string, string> }).variables;

  // s3rver holds the bucket and the catalog objects exactly as the stacks publish them.
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3rver'), configureBuckets: [{ name: BUCKET }] });
  s3Endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
  const s3 = new S3Client({ endpoint: s3Endpoint, region: REGION, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  for (const o of resources('aws_s3_object').filter((o) => (o.key as string).startsWith('catalog/'))) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key as string, Body: Buffer.from(o.content_base64 as string, 'base64'), ContentType: 'application/gzip' }));
  }
  s3.destroy();

  // Firehose knows every synthesized stream, and the other project's.
  const streams = resources('aws_kinesis_firehose_delivery_stream').map((s) => s.name as string);
  firehose = new FirehoseStandIn({ streams: [...streams, OTHER_PROJECT_STREAM] });
  firehoseStarted = await firehose.start();
  sqsStarted = await sqs.start();
  kinesalite = await startKinesalite([ROOT_STREAM]);

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path.join(assetDir, 'index.js')) as { handler?: unknown };
  if (typeof loaded.handler !== 'function') throw new Error('the router asset exports no handler');
  handler = loaded.handler as Handler;
}, 180_000);

afterAll(async () => {
  await kinesalite?.close();
  await firehoseStarted?.close();
  await sqsStarted?.close();
  s3rver?.httpServer?.closeAllConnections();
  await s3rver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the asset's handler with the stack's variables (references resolved to the stand-ins) and local endpoints. */
async function invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const dlqUrl = sqs.createQueue('acme-prod-fanout-router-dlq');
  const resolved = Object.fromEntries(
    Object.entries(routerVariables).map(([k, v]) => [k, v.includes('aws_s3_bucket.') ? BUCKET : v.includes('aws_sqs_queue.') ? dlqUrl : v]),
  );
  const saved = { ...process.env };
  Object.assign(process.env, resolved, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_FIREHOSE: firehoseStarted.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsStarted.endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  });
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await handler(event, { getRemainingTimeInMillis: () => 60_000 });
  } finally {
    stdout.mockRestore();
    log.mockRestore();
    process.env = saved;
  }
}

describe('the synthesized router asset on stand-ins (s3rver catalog, Firehose, SQS, kinesalite)', () => {
  it('dead-letters undeclared pairs whose joined names are an existing stream, and delivers the declared one', async () => {
    // Prepare: the two attack records and one declared event, written to and read back from the root stream
    const attacks = [
      JSON.stringify({ app: 'eu-billing', event_type: 'invoice_paid', event_id: 'attack-1', sent_at: '2026-12-01T10:00:00.000Z' }),
      JSON.stringify({ app: 'web', event_type: 'shop-page_view', event_id: 'attack-2', sent_at: '2026-12-01T10:00:00.000Z' }),
    ];
    const declared = envelope('web-shop', 'page_view', 3);
    const put = await kinesalite.client.send(
      new PutRecordsCommand({ StreamName: ROOT_STREAM, Records: [...attacks, declared].map((d, i) => ({ Data: Buffer.from(d), PartitionKey: `pk-${i}` })) }),
    );
    expect(put.FailedRecordCount ?? 0).toBe(0);
    const event = await readAsLambdaEvent(kinesalite.client, ROOT_STREAM, 'TRIM_HORIZON');

    // Act
    const response = await invoke(event);

    // Assess: nothing reached the attacked streams; the declared record reached its own
    expect(response).toEqual({ batchItemFailures: [] });
    expect(firehose.records(OTHER_PROJECT_STREAM).map((r) => r.data.toString('utf8'))).toEqual([]);
    expect(firehose.records('acme-prod-web-shop-page_view').map((r) => r.data.toString('utf8'))).toEqual([declared]);
    expect(firehose.allRecords()).toHaveLength(1);
    // Both attack records are dead letters, with their reason, names and unchanged bytes.
    const letters = sqs.messages(sqs.createQueue('acme-prod-fanout-router-dlq')).map((m) => JSON.parse(m.body) as DeadLetterDocument);
    expect(letters.map((l) => ({ reason: l.reason, app: l.app, eventType: l.eventType, data: Buffer.from(l.data!, 'base64').toString('utf8') }))).toEqual([
      { reason: 'unknown-event-type', app: 'eu-billing', eventType: 'invoice_paid', data: attacks[0] },
      { reason: 'unknown-event-type', app: 'web', eventType: 'shop-page_view', data: attacks[1] },
    ]);
    expect(letters.map((l) => l.detail)).toEqual([
      'eu-billing/invoice_paid is not an event type of this environment (not in its catalog)',
      'web/shop-page_view is not an event type of this environment (not in its catalog)',
    ]);
  });
});
