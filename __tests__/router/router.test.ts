import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsDeadLetterSink, type DeadLetterSink } from '../../functions/fanout-router/deadletter';
import { createLimiter } from '../../functions/fanout-router/limiter';
import { MAX_RECORD_BYTES } from '../../functions/fanout-router/limits';
import { routeBatch, compareSequenceNumbers, type CatalogView, type RouterCatalog, type RouterDeps } from '../../functions/fanout-router/router';
import type { RetryPolicy } from '../../functions/fanout-router/retry';
import {
  assertEveryRecordAccountedFor,
  envelope,
  FakeFirehose,
  FakeSqs,
  fakeClock,
  kinesisEvent,
  MIXED_EVENT,
  devCatalog,
  DEV,
  DEV_STREAMS,
  streamOf,
  type CallFault,
  type Expected,
} from './factories';

const firehoseMock = mockClient(FirehoseClient);
const sqsMock = mockClient(SQSClient);
const POLICY: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 2_000, maxAttempts: 8 };
const REMAINING_MS = 60_000;

beforeEach(() => {
  firehoseMock.reset();
  sqsMock.reset();
});

function makeDeps(overrides: Partial<Omit<RouterDeps, 'clock'>> = {}): RouterDeps & { clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock();
  const deadLetters: DeadLetterSink = new SqsDeadLetterSink({
    sqs: new SQSClient({ region: 'eu-central-1' }),
    queueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/acme-dev-fanout-router-dlq',
    environment: 'dev',
    limit: createLimiter(4),
    clock,
    policy: POLICY,
  });
  return { catalog: devCatalog(), firehose: new FirehoseClient({ region: 'eu-central-1' }), deadLetters, clock, policy: POLICY, ...overrides };
}

const ok = (): CallFault => ({ kind: 'ok' });

describe('routing the fixture batch (real Kinesis event shape)', () => {
  const expected: Expected[] = [
    { stream: streamOf('web-shop', 'page_view') },
    { stream: streamOf('web-shop', 'add_to_cart') },
    { stream: streamOf('mobile-app', 'app_open') },
    { stream: streamOf('web-shop', 'page_view') },
    { reason: 'unknown-event-type' },
    { reason: 'not-json' },
    { reason: 'not-an-object' },
    { reason: 'missing-app' },
    { reason: 'missing-event-type' },
  ];

  it('delivers routable records unchanged, dead-letters the rest with their reason, reports nothing failed', async () => {
    // Prepare
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    // Act
    const result = await routeBatch(MIXED_EVENT, REMAINING_MS, makeDeps());
    // Assess
    assertEveryRecordAccountedFor(MIXED_EVENT, expected, result, firehose, sqs.accepted);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.counts).toEqual({ DeliveredRecords: 4, UnroutableRecords: 5, RetriedRecords: 0, FailedRecords: 0 });
    // One call per declared stream: page_view (2 records), add_to_cart, app_open. The undeclared
    // type is never sent anywhere (no call to the stream its names would give).
    expect(firehose.calls.map((c) => [c.stream, c.records]).sort()).toEqual(
      [
        [streamOf('mobile-app', 'app_open'), 1],
        [streamOf('web-shop', 'add_to_cart'), 1],
        [streamOf('web-shop', 'page_view'), 2],
      ].sort(),
    );
  });

  it('forwards the bytes exactly, including non-ASCII text and number spellings', async () => {
    // Prepare
    const firehose = new FakeFirehose(firehoseMock, ok);
    new FakeSqs(sqsMock);
    const original = Buffer.from(MIXED_EVENT.Records[3]!.kinesis.data, 'base64');
    // Act
    await routeBatch(MIXED_EVENT, REMAINING_MS, makeDeps());
    // Assess
    expect(original.toString('utf8')).toContain('1.0e2');
    expect(firehose.count(streamOf('web-shop', 'page_view'), original)).toBe(1);
  });

  it('dead letters carry the Kinesis metadata, the reason and the original data', async () => {
    // Prepare
    new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    const record = MIXED_EVENT.Records[5]!;
    // Act
    await routeBatch(MIXED_EVENT, REMAINING_MS, makeDeps());
    // Assess
    const letter = sqs.accepted.find((d) => d.kinesis.sequenceNumber === record.kinesis.sequenceNumber);
    expect(letter).toMatchObject({
      type: 'tracking.unroutable-record',
      environment: 'dev',
      reason: 'not-json',
      data: record.kinesis.data,
      kinesis: {
        eventSourceARN: record.eventSourceARN,
        eventID: record.eventID,
        partitionKey: record.kinesis.partitionKey,
        approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
      },
    });
    expect(sqs.bodies.every((b) => /^[\x20-\x7e]*$/.test(b))).toBe(true);
  });
});

describe('partial failures and throttling', () => {
  const payloads = Array.from({ length: 40 }, (_, n) => envelope(n % 2 ? 'web-shop' : 'mobile-app', n % 2 ? 'page_view' : 'app_open', n));
  const expected: Expected[] = payloads.map((_, n) => ({ stream: n % 2 ? streamOf('web-shop', 'page_view') : streamOf('mobile-app', 'app_open') }));

  describe.each([
    ['ServiceUnavailableException', 'ServiceUnavailableException'],
    ['throttling (per-entry)', 'ThrottlingException'],
    ['internal failure', 'InternalFailure'],
  ])('%s on some entries of the first attempt', (_label, code) => {
    it('retries only the failed entries and delivers every record once', async () => {
      // Prepare
      const event = kinesisEvent(payloads);
      const firehose = new FakeFirehose(firehoseMock, (call) => ({
        kind: 'partial',
        failed: (i) => (call < 2 && i % 3 === 0 ? code : undefined),
      }));
      const sqs = new FakeSqs(sqsMock);
      const deps = makeDeps();
      // Act
      const result = await routeBatch(event, REMAINING_MS, deps);
      // Assess
      assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
      expect(result.response.batchItemFailures).toEqual([]);
      expect(result.counts.RetriedRecords).toBe(14); // ceil(20 / 3) entries failed in each of the 2 first calls
      expect(firehose.calls.slice(2).every((c) => c.records === 7)).toBe(true);
      expect(deps.clock.slept.length).toBeGreaterThan(0);
    });
  });

  it('reports records of a stream that keeps throttling as batch item failures, sorted, and delivers the others', async () => {
    // Prepare
    const event = kinesisEvent(payloads);
    const hot = streamOf('web-shop', 'page_view');
    const firehose = new FakeFirehose(firehoseMock, (_call, stream) =>
      stream === hot ? { kind: 'partial', failed: () => 'ServiceUnavailableException' } : { kind: 'ok' },
    );
    const sqs = new FakeSqs(sqsMock);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess
    assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
    const reported = result.response.batchItemFailures.map((f) => f.itemIdentifier);
    const hotSeqs = event.Records.filter((_, n) => n % 2 === 1).map((r) => r.kinesis.sequenceNumber);
    expect(reported).toEqual([...hotSeqs].sort(compareSequenceNumbers));
    expect(firehose.calls.filter((c) => c.stream === hot)).toHaveLength(POLICY.maxAttempts);
  });

  it('stops retrying at the deadline: remaining time minus the safety margin', async () => {
    // Prepare
    const event = kinesisEvent(payloads);
    const firehose = new FakeFirehose(firehoseMock, () => ({ kind: 'partial', failed: () => 'ServiceUnavailableException' }));
    const sqs = new FakeSqs(sqsMock);
    const deps = makeDeps({ policy: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 1_000 }, safetyMarginMs: 1_000 });
    const start = deps.clock.now();
    // Act
    const result = await routeBatch(event, 5_000, deps);
    // Assess
    assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
    expect(result.counts.FailedRecords).toBe(40);
    expect(deps.clock.now() - start).toBeLessThan(4_000);
  });
});

describe('whole-call errors', () => {
  const payloads = Array.from({ length: 10 }, (_, n) => envelope('web-shop', 'checkout_completed', n));
  const expected: Expected[] = payloads.map(() => ({ stream: streamOf('web-shop', 'checkout_completed') }));

  describe.each([
    ['ServiceUnavailableException', 500],
    ['ThrottlingException', 400],
    ['InternalFailure', 500],
  ])('retryable %s (HTTP %i) on the first call', (name, status) => {
    it('retries the whole batch and delivers every record once', async () => {
      // Prepare
      const event = kinesisEvent(payloads);
      const firehose = new FakeFirehose(firehoseMock, (call) => (call === 0 ? { kind: 'throw', name, status } : { kind: 'ok' }));
      const sqs = new FakeSqs(sqsMock);
      // Act
      const result = await routeBatch(event, REMAINING_MS, makeDeps());
      // Assess
      assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
      expect(result.response.batchItemFailures).toEqual([]);
      expect(firehose.calls).toHaveLength(2);
      expect(result.counts.RetriedRecords).toBe(10);
    });
  });

  it('dead-letters the records of a stream Firehose does not know (ResourceNotFoundException), once, as an unknown event type', async () => {
    // Prepare: the catalog declares the event types, but their streams do not exist (a type just
    // removed, or a stack not applied yet)
    const event = kinesisEvent(payloads);
    const firehose = new FakeFirehose(firehoseMock, () => ({ kind: 'ok' }), new Set());
    const sqs = new FakeSqs(sqsMock);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess: not retried, not failed, each dead-lettered with its bytes and reason
    assertEveryRecordAccountedFor(event, payloads.map(() => ({ reason: 'unknown-event-type' as const })), result, firehose, sqs.accepted);
    expect(firehose.calls).toHaveLength(1);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.counts).toMatchObject({ DeliveredRecords: 0, UnroutableRecords: 10, FailedRecords: 0 });
  });

  describe.each([['AccessDeniedException', 400]])('non-retryable %s', (name, status) => {
    it('reports every record of the call as failed without retrying in this invocation', async () => {
      // Prepare
      const event = kinesisEvent(payloads);
      const firehose = new FakeFirehose(firehoseMock, () => ({ kind: 'throw', name, status }));
      const sqs = new FakeSqs(sqsMock);
      // Act
      const result = await routeBatch(event, REMAINING_MS, makeDeps());
      // Assess
      assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
      expect(firehose.calls).toHaveLength(1);
      expect(result.response.batchItemFailures).toHaveLength(10);
    });
  });
});

describe('oversized records and call limits', () => {
  it(`delivers a record of exactly ${MAX_RECORD_BYTES} bytes and dead-letters one byte more, metadata only in SQS`, async () => {
    // Prepare
    const fits = envelope('web-shop', 'page_view', 1, MAX_RECORD_BYTES);
    const tooBig = envelope('web-shop', 'page_view', 2, MAX_RECORD_BYTES + 1);
    const event = kinesisEvent([fits, tooBig]);
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess
    expect([Buffer.byteLength(fits), Buffer.byteLength(tooBig)]).toEqual([MAX_RECORD_BYTES, MAX_RECORD_BYTES + 1]);
    assertEveryRecordAccountedFor(event, [{ stream: streamOf('web-shop', 'page_view') }, { reason: 'oversized' }], result, firehose, sqs.accepted);
    expect(result.outcomes[1]).toEqual({ kind: 'dead-lettered', reason: 'oversized', dataOmitted: true });
    expect(sqs.accepted[0]).toMatchObject({ dataOmitted: 'too-large-for-sqs', sizeBytes: MAX_RECORD_BYTES + 1 });
    expect(sqs.accepted[0]!.data).toBeUndefined();
  });

  describe.each([
    ['500-record limit', 1_201, 200, 3],
    ['4 MiB limit', 9, 1_000_000, 3],
    ['both below the limits', 300, 1_000, 1],
  ])('%s', (_label, count, bytes, calls) => {
    it(`sends ${count} records of ~${bytes} bytes in ${calls} call(s)`, async () => {
      // Prepare
      const payloads = Array.from({ length: count }, (_, n) => envelope('web-shop', 'product_view', n, bytes));
      const event = kinesisEvent(payloads);
      const firehose = new FakeFirehose(firehoseMock, ok);
      const sqs = new FakeSqs(sqsMock);
      // Act
      const result = await routeBatch(event, REMAINING_MS, makeDeps());
      // Assess
      assertEveryRecordAccountedFor(event, payloads.map(() => ({ stream: streamOf('web-shop', 'product_view') })), result, firehose, sqs.accepted);
      expect(firehose.calls).toHaveLength(calls);
      expect(firehose.calls.every((c) => c.records <= 500 && c.bytes <= 4 * 1024 * 1024)).toBe(true);
    });
  });
});

describe('dead-lettering failures', () => {
  const payloads = [envelope('web-shop', 'page_view', 1), 'not json 2', envelope('nope', 'page_view', 3), envelope('web-shop', 'page_view', 4)];
  const expected: Expected[] = [
    { stream: streamOf('web-shop', 'page_view') },
    { reason: 'not-json' },
    { reason: 'unknown-event-type' },
    { stream: streamOf('web-shop', 'page_view') },
  ];

  it('reports unroutable records as batch item failures when SQS refuses them (never lost)', async () => {
    // Prepare
    const event = kinesisEvent(payloads);
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock, () => ({ kind: 'throw', name: 'AccessDenied', status: 403 }));
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess
    assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
    expect(result.response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      event.Records[1]!.kinesis.sequenceNumber,
      event.Records[2]!.kinesis.sequenceNumber,
    ]);
    expect(result.counts).toMatchObject({ UnroutableRecords: 2, FailedRecords: 2, DeliveredRecords: 2 });
  });

  it('retries SQS entries that failed and dead-letters every unroutable record once', async () => {
    // Prepare
    const event = kinesisEvent(payloads);
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock, (call) => (call === 0 ? { kind: 'partial', failed: (i) => (i === 0 ? 'InternalError' : undefined) } : { kind: 'ok' }));
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess
    assertEveryRecordAccountedFor(event, expected, result, firehose, sqs.accepted);
    expect(result.response.batchItemFailures).toEqual([]);
    expect(sqs.calls).toBe(2);
  });
});

describe('compareSequenceNumbers', () => {
  it.each([
    ['9', '10', -1],
    ['49590338271490256608559692538361571095921575989136588898', '49590338271490256608559692538361571095921575989136588899', -1],
    ['100', '100', 0],
    ['1000', '999', 1],
  ])('compares %s and %s numerically', (a, b, sign) => {
    // Act / Assess
    expect(Math.sign(compareSequenceNumbers(a, b))).toBe(sign);
  });
});

describe('the shared confirmation rule (lib/confirm.ts)', () => {
  it('never acknowledges a record whose response entry has neither RecordId nor ErrorCode', async () => {
    // Prepare: every entry of every answer is {} (FailedPutCount 0).
    const calls: number[] = [];
    firehoseMock.on(PutRecordBatchCommand).callsFake(async (input: { Records?: unknown[] }) => {
      calls.push(input.Records?.length ?? 0);
      return { FailedPutCount: 0, Encrypted: false, RequestResponses: (input.Records ?? []).map(() => ({})) };
    });
    const event = kinesisEvent([envelope('web-shop', 'page_view', 1), envelope('mobile-app', 'app_open', 2)]);

    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());

    // Assess: both reported as batch item failures, after retries, with the shared code.
    expect(result.outcomes).toEqual([
      { kind: 'failed', error: 'MissingRecordId' },
      { kind: 'failed', error: 'MissingRecordId' },
    ]);
    expect(result.response.batchItemFailures).toHaveLength(2);
    expect(result.counts.DeliveredRecords).toBe(0);
    expect(calls.length).toBeGreaterThan(2);
  });
});

describe('only declared (application, event type) pairs are routed', () => {
  /** A catalog whose answers the test sets: `current` may fail, `refreshForMiss` may bring new types or fail. */
  function scriptedCatalog(script: { current: () => CatalogView; refresh?: () => CatalogView; stale?: unknown }): RouterCatalog & { reads: number } {
    const c = {
      reads: 0,
      staleBecause: script.stale,
      current: async () => {
        c.reads++;
        return script.current();
      },
      refreshForMiss: async () => (script.refresh ?? script.current)(),
    };
    return c;
  }
  const viewOf = (types: readonly { key: string; deliveryStreamName: string }[]): CatalogView => ({
    entries: new Map(types.map((t) => [t.key, { deliveryStream: t.deliveryStreamName }])),
  });
  const unavailable = (): never => {
    throw Object.assign(new Error('no catalog object under catalog/'), { name: 'RouterCatalogUnavailableError' });
  };

  it('dead-letters pairs whose joined names are another declared stream or another project\'s stream, and never calls Firehose for them', async () => {
    // Prepare: streams of those names exist; `acme`/`dev` + `eu-billing`/`invoice_paid` joins to the
    // stream of project `acme-dev`, environment `eu`; `web` + `shop-page_view` to web-shop/page_view's.
    const attacks = [envelope('eu-billing', 'invoice_paid', 1), envelope('web', 'shop-page_view', 2)];
    const firehose = new FakeFirehose(firehoseMock, ok, new Set([...DEV_STREAMS, 'acme-dev-eu-billing-invoice_paid']));
    const sqs = new FakeSqs(sqsMock);
    const event = kinesisEvent([...attacks, envelope('web-shop', 'page_view', 3)]);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps());
    // Assess
    assertEveryRecordAccountedFor(event, [{ reason: 'unknown-event-type' }, { reason: 'unknown-event-type' }, { stream: streamOf('web-shop', 'page_view') }], result, firehose, sqs.accepted);
    expect(firehose.calls.map((c) => c.stream)).toEqual([streamOf('web-shop', 'page_view')]);
    expect(sqs.accepted.map((d) => [d.app, d.eventType, d.detail])).toEqual([
      ['eu-billing', 'invoice_paid', 'eu-billing/invoice_paid is not an event type of this environment (not in its catalog)'],
      ['web', 'shop-page_view', 'web/shop-page_view is not an event type of this environment (not in its catalog)'],
    ]);
  });

  it('routes a type added since the catalog was read, after one re-read', async () => {
    // Prepare
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    const catalog = scriptedCatalog({ current: () => viewOf(DEV.eventTypes.filter((t) => t.key !== 'mobile-app/push_opened')), refresh: () => viewOf(DEV.eventTypes) });
    const event = kinesisEvent([envelope('mobile-app', 'push_opened', 1)]);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps({ catalog }));
    // Assess
    assertEveryRecordAccountedFor(event, [{ stream: streamOf('mobile-app', 'push_opened') }], result, firehose, sqs.accepted);
  });

  it('with a stale catalog, delivers declared pairs and reports the others failed (retried), never dead-lettered', async () => {
    // Prepare: the last re-read failed, so a missing pair may have been added since
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    const catalog = scriptedCatalog({ current: () => viewOf(DEV.eventTypes), stale: new Error('SlowDown') });
    const event = kinesisEvent([envelope('web-shop', 'page_view', 1), envelope('web-shop', 'new_type', 2), 'not json']);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps({ catalog }));
    // Assess
    assertEveryRecordAccountedFor(event, [{ stream: streamOf('web-shop', 'page_view') }, { reason: 'unknown-event-type' }, { reason: 'not-json' }], result, firehose, sqs.accepted);
    expect(result.outcomes[1]).toEqual({ kind: 'failed', error: 'catalog-stale' });
    expect(result.response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }]);
    expect(result.catalog).toBe('stale');
  });

  it('with no catalog at all, reads again until the deadline, then reports the records failed (retried); envelope problems are still dead-lettered', async () => {
    // Prepare
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    const catalog = scriptedCatalog({ current: unavailable });
    const deps = makeDeps({ catalog, catalogRetryMs: 1_000 });
    const event = kinesisEvent([envelope('web-shop', 'page_view', 1), '[1]']);
    const start = deps.clock.now();
    // Act
    const result = await routeBatch(event, REMAINING_MS, deps);
    // Assess: waited until the deadline (remaining - min(5 s, remaining / 5)), one read per second
    assertEveryRecordAccountedFor(event, [{ reason: 'unknown-event-type' }, { reason: 'not-an-object' }], result, firehose, sqs.accepted);
    expect(result.outcomes[0]).toEqual({ kind: 'failed', error: 'catalog-unavailable' });
    expect(result.catalog).toBe('unavailable');
    expect(result.catalogError).toBe('RouterCatalogUnavailableError');
    expect(deps.clock.now() - start).toBe(REMAINING_MS - 5_000);
    expect(catalog.reads).toBe(56);
    expect(firehose.calls).toEqual([]);
  });

  it('with no catalog at first, routes the records once a read succeeds within the invocation', async () => {
    // Prepare
    const firehose = new FakeFirehose(firehoseMock, ok);
    const sqs = new FakeSqs(sqsMock);
    let failures = 3;
    const catalog = scriptedCatalog({ current: () => (failures-- > 0 ? unavailable() : viewOf(DEV.eventTypes)) });
    const event = kinesisEvent([envelope('web-shop', 'page_view', 1)]);
    // Act
    const result = await routeBatch(event, REMAINING_MS, makeDeps({ catalog }));
    // Assess
    assertEveryRecordAccountedFor(event, [{ stream: streamOf('web-shop', 'page_view') }], result, firehose, sqs.accepted);
    expect(catalog.reads).toBe(4);
  });
});
