/**
 * End to end on local stand-ins, for `unroutableDestination: s3`: the router handler with the
 * production S3ObjectStore (real `@aws-sdk/client-s3`) writing to s3rver, and Firehose on the
 * HTTP stand-in. The dead letters are read back with the real SDK (ListObjectsV2 + GetObject).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { S3DeadLetterSink, type DeadLetterDocument } from '../../functions/fanout-router/deadletter';
import type { UnroutableReason } from '../../functions/fanout-router/envelope';
import { createHandler } from '../../functions/fanout-router/handler';
import { createS3Client, S3ObjectStore } from '../../functions/fanout-router/object-store';
import { DEFAULT_RETRY_POLICY, systemClock, type Clock } from '../../functions/fanout-router/retry';
import { FirehoseStandIn, standInFirehoseClient, type StartedStandIn } from '../helpers/firehose-standin';
import { DEV_STREAMS, envelope, fakeClock, kinesisEvent, devCatalog, streamOf } from './factories';

interface S3rverOptions {
  readonly address: string;
  readonly port: number;
  readonly silent: boolean;
  readonly directory: string;
  readonly configureBuckets: readonly { readonly name: string }[];
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer?: Server;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: S3rverOptions) => S3rverInstance;

const BUCKET = 'acme-dev-tracking-events';
const PREFIX = 'unroutable/';

let directory: string;
let s3rver: S3rverInstance;
let s3: S3Client;
let firehose: FirehoseStandIn;
let started: StartedStandIn;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));
  // The bucket is created before the server starts (s3rver's configureBuckets).
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  // The router's own client factory (SDK retries off), pointed at s3rver. Without
  // requestChecksumCalculation 'WHEN_REQUIRED', s3rver stores streamed bodies with their chunk framing.
  s3 = createS3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  firehose = new FirehoseStandIn({ streams: [...DEV_STREAMS] });
  started = await firehose.start();
});

afterAll(async () => {
  s3?.destroy();
  await started?.close();
  s3rver?.httpServer?.closeAllConnections();
  await s3rver?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

beforeEach(() => firehose.reset());

/** The router handler over s3rver and the Firehose stand-in, with stdout/console silenced. */
async function invoke(event: KinesisStreamEvent, bucket = BUCKET, clock: Clock = systemClock): Promise<KinesisStreamBatchResponse> {
  const handler = createHandler(() => ({
    environment: 'dev',
    catalog: devCatalog(),
    firehose: standInFirehoseClient(started.endpoint),
    deadLetters: new S3DeadLetterSink({ store: new S3ObjectStore(bucket, s3), environment: 'dev', clock, policy: DEFAULT_RETRY_POLICY }),
    clock,
  }));
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return await handler(event, { getRemainingTimeInMillis: () => 30_000 });
  } finally {
    stdout.mockRestore();
    log.mockRestore();
  }
}

/** Every object under `unroutable/`, read back with the SDK: key, content type and its JSON lines. */
async function readUnroutable(): Promise<{ key: string; contentType: string | undefined; documents: DeadLetterDocument[] }[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
  const objects = [];
  for (const { Key } of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: Key! }));
    const text = await got.Body!.transformToString('utf8');
    const documents = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as DeadLetterDocument);
    objects.push({ key: Key!, contentType: got.ContentType, documents });
  }
  return objects;
}

async function emptyBucket(): Promise<void> {
  // s3rver keeps objects between tests: each test starts from an empty prefix.
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
  for (const { Key } of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: Key! }));
}

const ROUTABLE = [
  { app: 'web-shop', type: 'page_view', data: envelope('web-shop', 'page_view', 1) },
  { app: 'mobile-app', type: 'app_open', data: envelope('mobile-app', 'app_open', 2) },
  { app: 'web-shop', type: 'checkout_completed', data: envelope('web-shop', 'checkout_completed', 3) },
] as const;

const UNROUTABLE: readonly { readonly reason: UnroutableReason; readonly data: Buffer }[] = [
  { reason: 'not-json', data: Buffer.from('this is not json', 'utf8') },
  { reason: 'unknown-event-type', data: Buffer.from(envelope('web-shop', 'no_such_type', 4), 'utf8') },
  // Bytes that are not UTF-8: must come back byte for byte.
  { reason: 'not-json', data: Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]) },
  { reason: 'unknown-event-type', data: Buffer.from(envelope('wéb-shöp ✓', 'page_view', 5), 'utf8') },
  // Two events joined by a newline are not one envelope.
  { reason: 'not-json', data: Buffer.from(`${envelope('web-shop', 'page_view', 6)}\n${envelope('web-shop', 'page_view', 7)}`, 'utf8') },
];

/** Routable and unroutable records interleaved; returns the event and each record's role. */
function mixedEvent(): { event: KinesisStreamEvent; roles: ({ kind: 'routable'; stream: string; data: Buffer } | { kind: 'unroutable'; reason: UnroutableReason; data: Buffer })[] } {
  const roles = [
    { kind: 'routable' as const, stream: streamOf(ROUTABLE[0].app, ROUTABLE[0].type), data: Buffer.from(ROUTABLE[0].data) },
    { kind: 'unroutable' as const, ...UNROUTABLE[0]! },
    { kind: 'unroutable' as const, ...UNROUTABLE[1]! },
    { kind: 'routable' as const, stream: streamOf(ROUTABLE[1].app, ROUTABLE[1].type), data: Buffer.from(ROUTABLE[1].data) },
    { kind: 'unroutable' as const, ...UNROUTABLE[2]! },
    { kind: 'unroutable' as const, ...UNROUTABLE[3]! },
    { kind: 'routable' as const, stream: streamOf(ROUTABLE[2].app, ROUTABLE[2].type), data: Buffer.from(ROUTABLE[2].data) },
    { kind: 'unroutable' as const, ...UNROUTABLE[4]! },
  ];
  return { event: kinesisEvent(roles.map((r) => r.data)), roles };
}

describe('S3 dead letters on s3rver', () => {
  beforeEach(() => emptyBucket());

  it('stores each unroutable record exactly once under unroutable/, with its reason and original bytes, and delivers the routable ones', async () => {
    // Prepare
    const { event, roles } = mixedEvent();
    // Act
    const response = await invoke(event);
    const objects = await readUnroutable();
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(objects).toHaveLength(1);
    const [object] = objects;
    expect(object!.key).toMatch(/^unroutable\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/shardId-000000000000-\d+\.jsonl$/);
    expect(object!.contentType).toBe('application/x-ndjson');
    const bySequence = new Map<string, DeadLetterDocument[]>();
    for (const doc of object!.documents) bySequence.set(doc.kinesis.sequenceNumber, [...(bySequence.get(doc.kinesis.sequenceNumber) ?? []), doc]);
    roles.forEach((role, i) => {
      const seq = event.Records[i]!.kinesis.sequenceNumber;
      const docs = bySequence.get(seq) ?? [];
      if (role.kind === 'routable') {
        expect(docs).toHaveLength(0);
        expect(firehose.records(role.stream).filter((r) => r.data.equals(role.data))).toHaveLength(1);
      } else {
        expect(docs).toHaveLength(1);
        const doc = docs[0]!;
        expect(doc).toMatchObject({ type: 'tracking.unroutable-record', version: 1, environment: 'dev', reason: role.reason, sizeBytes: role.data.length });
        expect(Buffer.from(doc.data!, 'base64').equals(role.data)).toBe(true);
        expect(doc.sha256).toBe(createHash('sha256').update(role.data).digest('hex'));
      }
    });
    expect(object!.documents).toHaveLength(UNROUTABLE.length);
    expect(firehose.allRecords()).toHaveLength(ROUTABLE.length);
  });

  it('overwrites its own object when the same batch is delivered again, keeping each record once', async () => {
    // Prepare
    const { event } = mixedEvent();
    await invoke(event, BUCKET, fakeClock());
    // Act
    await invoke(event, BUCKET, fakeClock());
    const objects = await readUnroutable();
    // Assess
    expect(objects).toHaveLength(1);
    const sequences = objects[0]!.documents.map((d) => d.kinesis.sequenceNumber);
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(sequences).toHaveLength(UNROUTABLE.length);
  });

  it('reports the unroutable records as batch item failures when the bucket does not exist', async () => {
    // Prepare
    const { event, roles } = mixedEvent();
    // Act
    const response = await invoke(event, 'no-such-bucket');
    const objects = await readUnroutable();
    // Assess
    const unroutableSequences = roles.flatMap((r, i) => (r.kind === 'unroutable' ? [event.Records[i]!.kinesis.sequenceNumber] : []));
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([...unroutableSequences].sort());
    expect(objects).toHaveLength(0);
    expect(firehose.allRecords()).toHaveLength(ROUTABLE.length);
  });
});
