/**
 * The local delivery stream against the Firehose developer guide's rules, with a processor whose
 * answers the test chooses (the real transform runs in pipeline.test.ts):
 * - the status model: Ok records are delivered with their new data, Dropped ones are gone,
 *   ProcessingFailed ones are written under the error prefix in AWS's error-record format;
 * - an answer outside the status model fails the whole invocation's records, without a retry;
 * - a failed invocation is retried NumberOfRetries times, then its records are processing failures;
 * - buffering by size and interval, GZIP, object names, `!{timestamp:…}` of the oldest record;
 * - AppendDelimiterToRecord; the PutRecordBatch limits through the real SDK client.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { dispatcher, listen } from '../../cli/dev/endpoint';
import { checkResponse, DeliveryStream, LocalFirehose, type Invoke } from '../../cli/dev/firehose';
import type { InvokeResult } from '../../cli/dev/lambda';
import { dataLayout } from '../../cli/dev/layout';
import type { InvokeTarget, LocalDeliveryStream, LocalFunction } from '../../cli/dev/resources';
import { FolderS3 } from '../../cli/dev/s3';

const BUCKET = 'acme-dev-tracking-events';
const FN: LocalFunction = {
  address: 'aws_lambda_function.t',
  name: 'acme-dev-jsonl-transform',
  arn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-jsonl-transform',
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  timeoutSeconds: 60,
  memoryMiB: 512,
  environment: {},
  zipFile: '/nonexistent.zip',
  sourceCodeHash: 'x',
  logGroup: '/aws/lambda/x',
};
const TARGET: InvokeTarget = { function: FN, invokedArn: `${FN.arn}:$LATEST`, qualifier: '$LATEST', executedVersion: '$LATEST' };

function spec(over: Partial<LocalDeliveryStream> = {}): LocalDeliveryStream {
  return {
    address: 'aws_kinesis_firehose_delivery_stream.s',
    name: 'acme-dev-web-shop-page_view',
    arn: 'arn:aws:firehose:eu-central-1:123456789012:deliverystream/acme-dev-web-shop-page_view',
    bucket: { address: 'aws_s3_bucket.b', name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
    bufferingSizeMiB: 64,
    bufferingIntervalSeconds: 300,
    compression: 'GZIP',
    prefix: 'events/application=web-shop/event_type=page_view/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    errorOutputPrefix: 'errors/application=web-shop/event_type=page_view/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    processors: [{ type: 'Lambda', target: TARGET, bufferSizeMiB: 0.5, bufferIntervalSeconds: 60, numberOfRetries: 3 }],
    ...over,
  };
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function setup(): { root: string; s3: FolderS3 } {
  const root = mkdtempSync(path.join(tmpdir(), 'local-firehose-'));
  roots.push(root);
  return { root, s3: new FolderS3(dataLayout(root), [BUCKET]) };
}

/** Every object of the bucket: key -> body (gunzipped when .gz). */
function objects(root: string): Map<string, string> {
  const base = path.join(root, 's3', BUCKET);
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const raw = readFileSync(file);
        out.set(path.relative(base, file).split(path.sep).join('/'), (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
      }
    }
  };
  walk(base);
  return out;
}

const ok = (payload: unknown): InvokeResult => ({ ok: true, payload, durationMs: 1, requestId: 'r' });
const failed: InvokeResult = { ok: false, errorType: 'Error', errorMessage: 'boom', durationMs: 1, requestId: 'r' };

/** A processor answering each record by its data: "drop", "fail", else Ok with the data upper-cased. */
const byData: Invoke = (_t, event) => {
  const e = event as { records: { recordId: string; data: string }[] };
  return Promise.resolve(
    ok({
      records: e.records.map((r) => {
        const text = Buffer.from(r.data, 'base64').toString('utf8');
        if (text === 'drop') return { recordId: r.recordId, result: 'Dropped' };
        if (text === 'fail') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
        return { recordId: r.recordId, result: 'Ok', data: Buffer.from(`${text.toUpperCase()}\n`).toString('base64') };
      }),
    }),
  );
};

const ARRIVAL = Date.UTC(2026, 10, 21, 9, 15, 7);

describe('local delivery stream: the status model', () => {
  it('delivers Ok records transformed, drops Dropped ones, writes ProcessingFailed ones as error records', async () => {
    // Prepare
    const { root, s3 } = setup();
    const stream = new DeliveryStream(spec(), { s3, invoke: byData, region: 'eu-central-1', account: '123456789012', log: () => undefined, now: () => ARRIVAL });
    // Act
    stream.put(['a', 'drop', 'fail', 'b'].map((t) => Buffer.from(t)));
    await stream.flush();
    // Assess
    const all = objects(root);
    const events = [...all].filter(([k]) => k.startsWith('events/'));
    const errors = [...all].filter(([k]) => k.startsWith('errors/'));
    expect(events).toHaveLength(1);
    expect(events[0]![0]).toMatch(/^events\/application=web-shop\/event_type=page_view\/year=2026\/month=11\/day=21\/hour=09\/acme-dev-web-shop-page_view-1-2026-11-21-09-15-07-[0-9a-f-]{36}\.gz$/);
    expect(events[0]![1]).toBe('A\nB\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toMatch(/^errors\/application=web-shop\/event_type=page_view\/processing-failed\/year=2026\/month=11\/day=21\/hour=09\/acme-dev-web-shop-page_view-1-2026-11-21-09-15-07-[0-9a-f-]{36}\.gz$/);
    const doc = JSON.parse(errors[0]![1].trim()) as Record<string, unknown>;
    expect(doc).toEqual({
      attemptsMade: 1,
      arrivalTimestamp: ARRIVAL,
      errorCode: 'Lambda.ProcessingFailed',
      errorMessage: expect.any(String),
      attemptEndingTimestamp: ARRIVAL,
      rawData: Buffer.from('fail').toString('base64'),
      lambdaArn: TARGET.invokedArn,
    });
    expect(stream.counts).toMatchObject({ accepted: 4, delivered: 2, dropped: 1, failed: 1 });
    expect(stream.pending).toBe(0);
  });

  it('fails every record of an answer outside the status model, without retrying it', async () => {
    const cases: [string, (ids: string[]) => unknown, string][] = [
      ['a record id missing', (ids) => ({ records: ids.slice(1).map((recordId) => ({ recordId, result: 'Ok', data: 'eA==' })) }), 'Lambda.MissingRecordId'],
      ['a record id twice', (ids) => ({ records: [...ids, ids[0]].map((recordId) => ({ recordId, result: 'Ok', data: 'eA==' })) }), 'Lambda.DuplicatedRecordId'],
      ['an unknown result', (ids) => ({ records: ids.map((recordId) => ({ recordId, result: 'Maybe', data: 'eA==' })) }), 'Lambda.JsonProcessingException'],
      ['no records list', () => ({ nothing: true }), 'Lambda.JsonProcessingException'],
      ['data that is not base64', (ids) => ({ records: ids.map((recordId) => ({ recordId, result: 'Ok', data: '***' })) }), 'Lambda.JsonProcessingException'],
    ];
    for (const [, answer, code] of cases) {
      const { root, s3 } = setup();
      let calls = 0;
      const invoke: Invoke = (_t, event) => {
        calls++;
        return Promise.resolve(ok(answer((event as { records: { recordId: string }[] }).records.map((r) => r.recordId))));
      };
      const stream = new DeliveryStream(spec(), { s3, invoke, region: 'eu-central-1', account: '123456789012', log: () => undefined });
      stream.put([Buffer.from('x'), Buffer.from('y')]);
      await stream.flush();
      expect(calls).toBe(1);
      const docs = [...objects(root).values()].flatMap((b) => b.trim().split('\n')).map((l) => JSON.parse(l) as { errorCode: string });
      expect(docs.map((d) => d.errorCode)).toEqual([code, code]);
    }
  });

  it('retries a failed invocation NumberOfRetries times, then writes its records as Lambda.FunctionError', async () => {
    const { root, s3 } = setup();
    let calls = 0;
    const stream = new DeliveryStream(spec(), { s3, invoke: () => (calls++, Promise.resolve(failed)), region: 'eu-central-1', account: '123456789012', log: () => undefined });
    stream.put([Buffer.from('x')]);
    await stream.flush();
    expect(calls).toBe(4);
    const [doc] = [...objects(root).values()].map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(doc).toMatchObject({ attemptsMade: 4, errorCode: 'Lambda.FunctionError', errorMessage: 'The Lambda function was successfully invoked but it returned an error result.' });
  });

  it('succeeds after transient invocation failures with nothing lost', async () => {
    const { root, s3 } = setup();
    let calls = 0;
    const invoke: Invoke = (t, e) => (++calls <= 2 ? Promise.resolve(failed) : byData(t, e));
    const stream = new DeliveryStream(spec(), { s3, invoke, region: 'eu-central-1', account: '123456789012', log: () => undefined });
    stream.put([Buffer.from('x'), Buffer.from('y')]);
    await stream.flush();
    expect(calls).toBe(3);
    expect([...objects(root).values()]).toEqual(['X\nY\n']);
  });
});

describe('local delivery stream: buffering, compression, delimiter', () => {
  it('writes an object when the buffered size reaches the buffering size, and another at the interval', async () => {
    const { root, s3 } = setup();
    const stream = new DeliveryStream(spec({ processors: [], bufferingSizeMiB: 1, compression: 'UNCOMPRESSED' }), {
      s3,
      invoke: byData,
      region: 'eu-central-1',
      account: '123456789012',
      log: () => undefined,
      flushSeconds: 0.2,
    });
    const record = Buffer.alloc(300 * 1024, 'a');
    stream.put([record, record, record, record]); // 1.2 MiB: the fourth record opens a second buffer
    await new Promise((r) => setTimeout(r, 50));
    expect(objects(root).size).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    const sizes = [...objects(root).values()].map((b) => b.length).sort((a, b) => a - b);
    expect(sizes).toEqual([record.length, 3 * record.length]);
  });

  it('appends the delimiter of AppendDelimiterToRecord (a new line by default) and names UNCOMPRESSED objects without extension', async () => {
    const { root, s3 } = setup();
    const stream = new DeliveryStream(spec({ processors: [{ type: 'AppendDelimiterToRecord', delimiter: Buffer.from('\n') }], compression: 'UNCOMPRESSED' }), {
      s3,
      invoke: byData,
      region: 'eu-central-1',
      account: '123456789012',
      log: () => undefined,
    });
    stream.put([Buffer.from('{"a":1}'), Buffer.from('{"a":2}')]);
    await stream.flush();
    const [key, body] = [...objects(root)][0]!;
    expect(key).toMatch(/-[0-9a-f-]{36}$/);
    expect(body).toBe('{"a":1}\n{"a":2}\n');
  });

  it('evaluates !{timestamp:…} with the arrival of the oldest record in the object', async () => {
    const { root, s3 } = setup();
    let now = Date.UTC(2026, 0, 31, 23, 59, 59);
    const stream = new DeliveryStream(spec({ processors: [], compression: 'UNCOMPRESSED' }), { s3, invoke: byData, region: 'eu-central-1', account: '123456789012', log: () => undefined, now: () => now });
    stream.put([Buffer.from('old\n')]);
    now = Date.UTC(2026, 1, 1, 0, 0, 1);
    stream.put([Buffer.from('new\n')]);
    await stream.flush();
    const [key, body] = [...objects(root)][0]!;
    expect(key).toContain('/year=2026/month=01/day=31/hour=23/');
    expect(body).toBe('old\nnew\n');
  });
});

describe('the status-model check', () => {
  it('accepts a complete answer and reads Dropped records without data', () => {
    const r = checkResponse({ records: [{ recordId: '1', result: 'Dropped' }, { recordId: '2', result: 'Ok', data: 'eA==' }] }, [{ recordId: '1' }, { recordId: '2' }]);
    expect('byId' in r && [...r.byId.values()].map((v) => v.result)).toEqual(['Dropped', 'Ok']);
  });
});

describe('the Firehose API through the real SDK', () => {
  it('accepts PutRecord and PutRecordBatch, refuses an unknown stream and the batch limits', async () => {
    const { s3 } = setup();
    const firehose = new LocalFirehose([spec()], { s3, invoke: byData, region: 'eu-central-1', account: '123456789012', log: () => undefined });
    const endpoint = await listen(0, dispatcher({ services: { firehose: (q, s) => firehose.handle(q, s) }, onError: () => undefined }));
    const client = new FirehoseClient({ endpoint: endpoint.url, region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    try {
      const one = await client.send(new PutRecordCommand({ DeliveryStreamName: spec().name, Record: { Data: Buffer.from('a') } }));
      expect(one.RecordId).toMatch(/^\d+$/);
      const batch = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: spec().name, Records: [{ Data: Buffer.from('a') }, { Data: Buffer.from('b') }] }));
      expect(batch.FailedPutCount).toBe(0);
      expect(new Set(batch.RequestResponses!.map((r) => r.RecordId)).size).toBe(2);
      await expect(client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'nope', Records: [{ Data: Buffer.from('a') }] }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(client.send(new PutRecordBatchCommand({ DeliveryStreamName: spec().name, Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('a') })) }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(client.send(new PutRecordCommand({ DeliveryStreamName: spec().name, Record: { Data: Buffer.alloc(1_024_001) } }))).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(client.send(new PutRecordBatchCommand({ DeliveryStreamName: spec().name, Records: Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(1_000_000) })) }))).rejects.toMatchObject({ name: 'InvalidArgumentException' });
      expect(firehose.streams.get(spec().name)!.counts.accepted).toBe(3);
    } finally {
      client.destroy();
      await endpoint.close();
    }
  });
});
