import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, NoSuchBucket, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3DeadLetterSink, type ObjectStore } from '../../functions/fanout-router/deadletter';
import { createDependencies, createHandler, readEnvironment, RouterConfigError } from '../../functions/fanout-router/handler';
import { emfLine } from '../../functions/fanout-router/metrics';
import { S3ObjectStore } from '../../functions/fanout-router/object-store';
import { devCatalog, devCatalogObjects, FakeFirehose, fakeClock, MIXED_EVENT } from './factories';

const firehoseMock = mockClient(FirehoseClient);
const s3Mock = mockClient(S3Client);
beforeEach(() => {
  firehoseMock.reset();
  s3Mock.reset();
});

class MemoryStore implements ObjectStore {
  public readonly objects = new Map<string, Buffer>();
  public constructor(private failures = 0) {}
  public async putObject(key: string, body: Buffer): Promise<void> {
    if (this.failures-- > 0) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    this.objects.set(key, body);
  }
}

describe('handler', () => {
  it('returns the batch response and writes one EMF line with the four metrics for the Environment dimension', async () => {
    // Prepare
    new FakeFirehose(firehoseMock);
    const store = new MemoryStore();
    const clock = fakeClock();
    const handler = createHandler(() => ({
      environment: 'dev',
      catalog: devCatalog(),
      firehose: new FirehoseClient({ region: 'eu-central-1' }),
      deadLetters: new S3DeadLetterSink({ store, environment: 'dev', clock, policy: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } }),
      clock,
    }));
    const writes: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Act
    const response = await handler(MIXED_EVENT, { getRemainingTimeInMillis: () => 60_000 });
    stdout.mockRestore();
    log.mockRestore();
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const emf = writes.map((w) => JSON.parse(w) as Record<string, unknown>).find((w) => '_aws' in w)!;
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'TrackingPipeline', Dimensions: [['Environment']] }] },
      Environment: 'dev',
      DeliveredRecords: 4,
      UnroutableRecords: 5,
      RetriedRecords: 0,
      FailedRecords: 0,
    });
    // S3 destination: one JSON-lines object under unroutable/, every line with its reason and original data.
    expect(store.objects.size).toBe(1);
    const [key, body] = [...store.objects][0]!;
    expect(key).toMatch(/^unroutable\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/shardId-000000000000-\d+\.jsonl$/);
    const lines = body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; data: string });
    expect(lines.map((l) => l.reason)).toEqual(['unknown-event-type', 'not-json', 'not-an-object', 'missing-app', 'missing-event-type']);
    expect(lines.map((l) => l.data)).toEqual(MIXED_EVENT.Records.slice(4).map((r) => r.kinesis.data));
  });

  it('reports the unroutable records as failures when the bucket keeps refusing them', async () => {
    // Prepare
    new FakeFirehose(firehoseMock);
    const clock = fakeClock();
    const sink = new S3DeadLetterSink({ store: new MemoryStore(99), environment: 'dev', clock, policy: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const handler = createHandler(() => ({ environment: 'dev', catalog: devCatalog(), firehose: new FirehoseClient({ region: 'eu-central-1' }), deadLetters: sink, clock }));
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Act
    const response = await handler(MIXED_EVENT, { getRemainingTimeInMillis: () => 60_000 });
    stdout.mockRestore();
    log.mockRestore();
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(MIXED_EVENT.Records.slice(4).map((r) => r.kinesis.sequenceNumber));
  });
});

describe('environment', () => {
  it.each([
    [{ ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 'sqs', BUCKET_NAME: 'b' }, 'DLQ_URL'],
    [{ ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 's3' }, 'BUCKET_NAME'],
    [{ ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 'sqs', DLQ_URL: 'u' }, 'BUCKET_NAME'],
    [{ UNROUTABLE_DESTINATION: 'sqs', DLQ_URL: 'u', BUCKET_NAME: 'b' }, 'ENVIRONMENT'],
    [{ ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 'kafka', BUCKET_NAME: 'b' }, '"sqs" or "s3"'],
  ])('rejects %j, naming %s', (env, missing) => {
    // Act / Assess
    expect(() => readEnvironment(env)).toThrow(RouterConfigError);
    expect(() => readEnvironment(env)).toThrow(missing);
  });

  it('builds the dependencies once from the environment, with the catalog of the bucket it names', () => {
    // Act
    const deps = createDependencies({ ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 'sqs', DLQ_URL: 'https://sqs/q', BUCKET_NAME: 'acme-dev-tracking-events', AWS_REGION: 'eu-central-1' });
    // Assess
    expect(deps.environment).toBe('dev');
    expect(deps.catalog.staleBecause).toBeUndefined();
  });

  it('with the s3 destination, dead-letters through the S3 client to BUCKET_NAME under unroutable/', async () => {
    // Prepare
    new FakeFirehose(firehoseMock);
    s3Mock.on(PutObjectCommand).resolves({});
    // The catalog object the dev stack publishes, listed and read through the same S3 client.
    const [[catalogKey, catalogBody]] = [...devCatalogObjects()] as [[string, Buffer]];
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: catalogKey, ETag: '"1"' }], IsTruncated: false });
    s3Mock.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new Uint8Array(catalogBody) }, ETag: '"1"' } as unknown as GetObjectCommandOutput);
    const env = { ENVIRONMENT: 'dev', UNROUTABLE_DESTINATION: 's3', BUCKET_NAME: 'acme-dev-tracking-events', AWS_REGION: 'eu-central-1' };
    const handler = createHandler(() => createDependencies(env));
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Act
    const response = await handler(MIXED_EVENT, { getRemainingTimeInMillis: () => 60_000 });
    stdout.mockRestore();
    log.mockRestore();
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ Bucket: 'acme-dev-tracking-events', ContentType: 'application/x-ndjson' });
    expect(puts[0]!.Key).toMatch(/^unroutable\//);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([expect.objectContaining({ Bucket: 'acme-dev-tracking-events', Prefix: 'catalog/' })]);
  });
});

describe('EMF', () => {
  it('declares exactly the metrics it carries', () => {
    // Act
    const line = JSON.parse(emfLine('prod', { DeliveredRecords: 1, UnroutableRecords: 2, RetriedRecords: 3, FailedRecords: 4 }, 0)) as {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    } & Record<string, unknown>;
    // Assess
    for (const m of line._aws.CloudWatchMetrics[0]!.Metrics) expect(typeof line[m.Name]).toBe('number');
    expect(line.Environment).toBe('prod');
  });
});

describe('S3ObjectStore', () => {
  const KEY = 'unroutable/year=2026/month=11/day=22/hour=10/shardId-000000000000-1.jsonl';

  it('puts the body under the key with its content type, in its bucket, passing the abort signal', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    const store = new S3ObjectStore('acme-dev-tracking-events', new S3Client({ region: 'eu-central-1' }));
    const body = Buffer.from('{"reason":"not-json"}\n');
    const signal = new AbortController().signal;
    // Act
    await store.putObject(KEY, body, 'application/x-ndjson', signal);
    // Assess
    const calls = s3Mock.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    // The stub records every argument of send(); its typings only declare the command.
    const [command, options] = calls[0]!.args as unknown as [PutObjectCommand, { abortSignal?: AbortSignal }];
    expect(command.input).toEqual({ Bucket: 'acme-dev-tracking-events', Key: KEY, ContentType: 'application/x-ndjson', Body: body });
    expect(options.abortSignal).toBe(signal);
  });

  it('propagates the SDK error unchanged', async () => {
    // Prepare
    const error = new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } });
    s3Mock.on(PutObjectCommand).rejects(error);
    const store = new S3ObjectStore('missing-bucket', new S3Client({ region: 'eu-central-1' }));
    // Act
    const put = store.putObject(KEY, Buffer.from('{}\n'), 'application/x-ndjson', new AbortController().signal);
    // Assess
    await expect(put).rejects.toBe(error);
  });

  it('lets the dead-letter sink retry a throttled put and give up on a refused one', async () => {
    // Prepare
    const slowDown = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    s3Mock.on(PutObjectCommand).rejectsOnce(slowDown).resolvesOnce({}).rejects(denied);
    const clock = fakeClock();
    const sink = new S3DeadLetterSink({
      store: new S3ObjectStore('acme-dev-tracking-events', new S3Client({ region: 'eu-central-1' })),
      environment: 'dev',
      clock,
      policy: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 },
    });
    const letter = { id: 0, reason: 'not-json' as const, detail: 'x', record: MIXED_EVENT.Records[5]!, data: Buffer.from('x') };
    // Act
    const first = await sink.store([letter], clock.now() + 60_000);
    const second = await sink.store([letter], clock.now() + 60_000);
    // Assess
    expect(first).toEqual({ stored: [0], failed: [], dataOmitted: [] });
    expect(second).toEqual({ stored: [], failed: [{ id: 0, error: 'AccessDenied' }], dataOmitted: [] });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);
  });
});
