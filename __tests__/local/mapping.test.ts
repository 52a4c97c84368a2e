/**
 * The local Kinesis event source mapping against the Lambda developer guide, on kinesalite behind
 * the runtime's endpoint, with a function whose answers the test chooses: batch size and order,
 * filter criteria, ReportBatchItemFailures (resume at the lowest failed record; an invalid
 * identifier fails the batch), bisect on error with retries and the on-failure invocation record,
 * and tumbling windows with their state and final invocation.
 */
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createStreams, startKinesalite, type Emulator } from '../../cli/dev/emulators';
import { dispatcher, listen, type RunningEndpoint } from '../../cli/dev/endpoint';
import type { InvokeResult } from '../../cli/dev/lambda';
import { KinesisMapping, type MappingDeps } from '../../cli/dev/mapping';
import type { InvokeTarget, LocalFunction, LocalMapping, LocalStream } from '../../cli/dev/resources';

let kinesalite: Emulator;
let endpoint: RunningEndpoint;
let kinesis: KinesisClient;
let streamNo = 0;

beforeAll(async () => {
  kinesalite = startKinesalite(20);
  endpoint = await listen(0, dispatcher({ services: { kinesis: (q, r) => kinesalite.handle(q, r) }, onError: () => undefined }));
  kinesis = new KinesisClient({ endpoint: endpoint.url, region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
});

afterAll(async () => {
  kinesis.destroy();
  await endpoint.close();
  await kinesalite.close();
});

const FN: LocalFunction = {
  address: 'aws_lambda_function.f',
  name: 'acme-dev-consumer',
  arn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-consumer',
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  timeoutSeconds: 60,
  memoryMiB: 128,
  environment: {},
  zipFile: '',
  sourceCodeHash: '',
  logGroup: 'g',
};
const TARGET: InvokeTarget = { function: FN, qualifier: 'live', invokedArn: `${FN.arn}:live`, executedVersion: '$LATEST' };

interface KinesisEventShape {
  readonly Records: { kinesis: { data: string; sequenceNumber: string; partitionKey: string }; eventSourceARN: string; eventID: string }[];
  readonly window?: { start: string; end: string };
  readonly state?: { count?: number };
  readonly isFinalInvokeForWindow?: boolean;
}

const dataOf = (e: KinesisEventShape): string[] => e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

/** A new one-shard stream holding `records` (JSON texts), and the mapping's spec. */
async function streamWith(records: readonly string[], over: Partial<LocalMapping> = {}): Promise<LocalMapping> {
  const name = `local-mapping-test-${++streamNo}`;
  const stream: LocalStream = { address: `aws_kinesis_stream.s${streamNo}`, name, arn: `arn:aws:kinesis:eu-central-1:123456789012:stream/${name}`, shardCount: 1, retentionHours: 24 };
  await createStreams(kinesis, [stream]);
  for (let i = 0; i < records.length; i += 500) {
    await kinesis.send(new PutRecordsCommand({ StreamName: name, Records: records.slice(i, i + 500).map((d, j) => ({ Data: Buffer.from(d), PartitionKey: `k${i + j}` })) }));
  }
  return {
    address: `aws_lambda_event_source_mapping.m${streamNo}`,
    uuid: `uuid-${streamNo}`,
    stream,
    target: TARGET,
    batchSize: 10,
    batchingWindowSeconds: 0,
    startingPosition: 'TRIM_HORIZON',
    reportBatchItemFailures: false,
    bisectOnError: false,
    maximumRetryAttempts: -1,
    maximumRecordAgeSeconds: -1,
    parallelizationFactor: 1,
    enabled: true,
    ...over,
  };
}

const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload, durationMs: 1, requestId: 'req-ok' });
const err: InvokeResult = { ok: false, errorType: 'Error', errorMessage: 'poison', durationMs: 1, requestId: 'req-failed' };

async function run(spec: LocalMapping, invoke: (e: KinesisEventShape) => InvokeResult, extra: Partial<MappingDeps> = {}): Promise<{ events: KinesisEventShape[]; failures: unknown[]; mapping: KinesisMapping }> {
  const events: KinesisEventShape[] = [];
  const failures: unknown[] = [];
  const mapping = new KinesisMapping(spec, {
    kinesis,
    invoke: (_t, e) => {
      events.push(e as KinesisEventShape);
      return Promise.resolve(invoke(e as KinesisEventShape));
    },
    onFailure: (_d, record) => {
      failures.push(record);
      return Promise.resolve();
    },
    region: 'eu-central-1',
    roleArn: 'arn:aws:iam::123456789012:role/consumer',
    log: () => undefined,
    idlePollMs: 50,
    retryBaseMs: 5,
    ...extra,
  });
  await mapping.start();
  expect(await mapping.drain(20_000)).toBe(true);
  await mapping.stop();
  return { events, failures, mapping };
}

const numbered = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ i, kind: i % 2 === 0 ? 'even' : 'odd' }));

describe('local Kinesis event source mapping', () => {
  it('invokes with batches of at most BatchSize records, in shard order, each record once, in the Kinesis event shape', async () => {
    const spec = await streamWith(numbered(25), { batchSize: 10 });
    const { events } = await run(spec, () => ok());
    expect(events.every((e) => e.Records.length <= 10)).toBe(true);
    expect(events.flatMap(dataOf)).toEqual(numbered(25));
    expect(events[0]!.Records[0]).toMatchObject({ eventSourceARN: spec.stream.arn, eventID: expect.stringMatching(/^shardId-000000000000:\d+$/), kinesis: { partitionKey: 'k0' } });
  });

  it('drops records no filter pattern matches, without an invocation', async () => {
    const spec = await streamWith([...numbered(6), 'not json'], { filters: ['{"data":{"kind":["even"]}}'] });
    const { events, mapping } = await run(spec, () => ok());
    expect(events.flatMap(dataOf).map((d) => (JSON.parse(d) as { i: number }).i)).toEqual([0, 2, 4]);
    expect(mapping.counts.filteredOut).toBe(4);
  });

  it('with ReportBatchItemFailures, retries from the lowest reported record, and the whole batch when an identifier is not one of its records', async () => {
    const spec = await streamWith(numbered(6), { reportBatchItemFailures: true, batchSize: 6 });
    let calls = 0;
    const { events } = await run(spec, (e) => {
      calls++;
      if (calls === 1) return ok({ batchItemFailures: [{ itemIdentifier: e.Records[4]!.kinesis.sequenceNumber }, { itemIdentifier: e.Records[2]!.kinesis.sequenceNumber }] });
      if (calls === 2) return ok({ batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] });
      return ok({ batchItemFailures: [] });
    });
    expect(events.map((e) => dataOf(e).map((d) => (JSON.parse(d) as { i: number }).i))).toEqual([
      [0, 1, 2, 3, 4, 5],
      [2, 3, 4, 5],
      [2, 3, 4, 5],
    ]);
  });

  it('bisects a failing batch, gives up on the poison record after its retries, and sends the invocation record to the on-failure destination', async () => {
    const records = numbered(8);
    const spec = await streamWith(records, { bisectOnError: true, batchSize: 8, maximumRetryAttempts: 2, onFailure: { kind: 'sqs', arn: 'arn:aws:sqs:eu-central-1:123456789012:dlq' } });
    const delivered: string[] = [];
    const { failures } = await run(spec, (e) => {
      const data = dataOf(e);
      if (data.includes(records[5]!)) return err;
      delivered.push(...data);
      return ok();
    });
    expect(delivered.sort()).toEqual(records.filter((_, i) => i !== 5).sort());
    expect(failures).toEqual([
      {
        requestContext: { requestId: 'req-failed', functionArn: TARGET.invokedArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: expect.any(Number) },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.any(String),
        KinesisBatchInfo: {
          shardId: 'shardId-000000000000',
          startSequenceNumber: expect.any(String),
          endSequenceNumber: expect.any(String),
          approximateArrivalOfFirstRecord: expect.any(String),
          approximateArrivalOfLastRecord: expect.any(String),
          batchSize: 1,
          streamArn: spec.stream.arn,
        },
      },
    ]);
    const info = (failures[0] as { KinesisBatchInfo: { startSequenceNumber: string; endSequenceNumber: string } }).KinesisBatchInfo;
    expect(info.startSequenceNumber).toBe(info.endSequenceNumber);
  });

  it('carries a tumbling window’s state from invocation to invocation and ends with a final invocation', async () => {
    const spec = await streamWith(numbered(12), { tumblingWindowSeconds: 2, batchSize: 5 });
    const { events } = await run(
      spec,
      (e) => ok({ state: { count: (e.state?.count ?? 0) + e.Records.length }, batchItemFailures: [] }),
      // The window closes with time: drain waits for it.
    );
    // Wait for the window to end and its final invocation (the drain above returns when idle).
    const windows = new Set(events.map((e) => `${e.window!.start}/${e.window!.end}`));
    for (const w of windows) {
      const [start, end] = w.split('/');
      expect(Date.parse(end!) - Date.parse(start!)).toBe(2000);
      expect(Date.parse(start!) % 2000).toBe(0);
    }
    const data = events.flatMap(dataOf);
    expect(data.sort()).toEqual(numbered(12).sort());
    const first = events.filter((e) => `${e.window!.start}/${e.window!.end}` === [...windows][0]);
    // State grows within the window: each invocation sees what the previous returned.
    let expected = 0;
    for (const e of first) {
      expect(e.state?.count ?? 0).toBe(expected);
      expected += e.Records.length;
    }
  });

  it('counts a tumbling-window answer without a state as a failed invocation, and retries the batch', async () => {
    const spec = await streamWith(numbered(3), { tumblingWindowSeconds: 60, batchSize: 10 });
    let calls = 0;
    const { events, mapping } = await run(spec, (e) => (++calls === 1 ? ok({ batchItemFailures: [] }) : ok({ state: { count: (e.state?.count ?? 0) + e.Records.length } })));
    expect(events.slice(0, 2).map((e) => dataOf(e))).toEqual([numbered(3), numbered(3)]);
    expect(mapping.counts.failedInvocations).toBe(1);
  });

  it('sends the final invocation of a window once the window has closed', async () => {
    const spec = await streamWith(numbered(3), { tumblingWindowSeconds: 1, batchSize: 10 });
    const events: KinesisEventShape[] = [];
    const mapping = new KinesisMapping(spec, {
      kinesis,
      invoke: (_t, e) => {
        events.push(e as KinesisEventShape);
        const ev = e as KinesisEventShape;
        return Promise.resolve(ok({ state: { count: (ev.state?.count ?? 0) + ev.Records.length } }));
      },
      onFailure: () => Promise.resolve(),
      region: 'eu-central-1',
      roleArn: 'r',
      log: () => undefined,
      idlePollMs: 50,
    });
    await mapping.start();
    for (let i = 0; i < 60 && !events.some((e) => e.isFinalInvokeForWindow === true); i++) await new Promise((r) => setTimeout(r, 100));
    await mapping.stop();
    const final = events.find((e) => e.isFinalInvokeForWindow === true);
    expect(final).toBeDefined();
    expect(final!.Records).toEqual([]);
    expect(final!.state).toEqual({ count: 3 });
  });
});
