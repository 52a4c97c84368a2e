/**
 * The hot-path handler on Lambda's real event shapes (fixtures hot-path-kinesis-batch.json,
 * hot-path-kinesis-window.json, hot-path-schedule-event.json): the matches table is dynalite,
 * SNS is aws-sdk-client-mock (so failures can be injected per call).
 */
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { HotPathSpec } from '../../config/hot-path';
import { createHandler, type HotPathResponse } from '../../functions/hot-path/handler';
import type { ProcessorDeps } from '../../functions/hot-path/processor';
import { AwsHotPathStore, type HotPathStore } from '../../functions/hot-path/store';
import { emptyState, STATE_BUDGET_BYTES, stateToReturn, type WindowState } from '../../functions/hot-path/windows';
import { createMatchesTable, scanAll, startDynalite, type Dynalite } from './emulators';
import { batch, context, envelope, everyOptionRaw, fixture, indexOf, kinesisRecord, specOf, windowEvent } from './factories';

const TOPIC_ARN = 'arn:aws:sns:eu-central-1:123456789012:acme-dev-hot-path';
const NOW = Date.parse('2026-11-22T10:16:00Z');
const sns = mockClient(SNSClient);

let db: Dynalite;
let tableCount = 0;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.close();
  sns.restore();
});
beforeEach(() => {
  sns.reset();
  let n = 0;
  sns.on(PublishCommand).callsFake(() => ({ MessageId: `msg-${++n}` }));
});

interface Harness {
  readonly table: string;
  readonly store: AwsHotPathStore;
  readonly clock: { value: number };
  /** Invokes like Lambda; `invokedFunctionArn` carries the alias of the consumer (unqualified when omitted). */
  readonly handle: (event: unknown, ms?: number, invokedFunctionArn?: string) => Promise<HotPathResponse>;
}

/** A fresh table and a handler over it; `wrap` decorates the store (failure injection). */
async function harness(spec: HotPathSpec, wrap: (s: HotPathStore) => HotPathStore = (s) => s): Promise<Harness> {
  const table = `matches-${++tableCount}`;
  await createMatchesTable(db.client, table);
  const store = new AwsHotPathStore({ dynamodb: db.client, sns: new SNSClient({ region: 'eu-central-1' }), tableName: table, topicArn: TOPIC_ARN });
  const clock = { value: NOW };
  const deps: ProcessorDeps = { rules: indexOf(spec), store: wrap(store), clock: { now: () => clock.value } };
  const handler = createHandler(() => deps);
  return { table, store, clock, handle: (event, ms = 60_000, arn?: string) => handler(event as KinesisStreamEvent, context(ms, arn)) };
}

const published = (): PublishCommandInput[] => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
const publishedKeys = (): string[] => published().map((p) => `${p.MessageAttributes!.rule!.StringValue}:${(JSON.parse(p.Message!) as { matchId: string }).matchId}`);
const matchBatch = (): KinesisStreamEvent => JSON.parse(fixture('hot-path-kinesis-batch.json')) as KinesisStreamEvent;
const seq = (event: KinesisStreamEvent, i: number): string => event.Records[i]!.kinesis.sequenceNumber;
const eventId = (i: number): string => `0b9c${String(i).padStart(4, '0')}-7f2e-4c1a-9d3b-5e8f6a7b8c9d`;
const from = (event: KinesisStreamEvent, sequenceNumber: string): KinesisStreamEvent => ({
  Records: event.Records.slice(event.Records.findIndex((r) => r.kinesis.sequenceNumber === sequenceNumber)),
});

/** Silences and captures stdout/console lines of the handler. */
function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  return { lines, restore: () => (write.mockRestore(), log.mockRestore()) };
}

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('match rules', () => {
  it('stores and notifies each match of a batch, with identifiers and the named fields only', async () => {
    // Prepare
    const h = await harness(specOf(everyOptionRaw()));
    const event = matchBatch();
    // Act
    const response = await h.handle(event);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(publishedKeys().sort()).toEqual([`debug-events:${eventId(3)}`, `large-checkout:${eventId(1)}`, `large-checkout:${eventId(7)}`]);
    const items = await scanAll(db.client, h.table);
    expect(items.map((i) => [i.rule, i.event_id, i.status, i.stored])).toEqual([
      ['debug-events', eventId(3), 'notified', false],
      ['large-checkout', eventId(1), 'notified', true],
      ['large-checkout', eventId(7), 'notified', true],
      ['refund-without-order', eventId(6), 'stored', true],
    ]);
    // Message attributes let subscribers filter by rule and event type.
    const debug = published().find((p) => p.MessageAttributes!.rule!.StringValue === 'debug-events')!;
    expect(debug.MessageAttributes).toMatchObject({ rule: { DataType: 'String', StringValue: 'debug-events' }, event_type: { DataType: 'String', StringValue: 'web-shop/page_view' } });
    expect(debug.TopicArn).toBe(TOPIC_ARN);
    expect(debug.Subject).toBe('[hot-path dev] debug-events matched web-shop/page_view');
    const body = JSON.parse(debug.Message!) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'tracking.hot-path-match', rule: 'debug-events', eventId: eventId(3), sentAt: '2026-11-22T10:15:30.123Z', fields: { path: '/internal/admin' } });
    expect(body).not.toHaveProperty('payload');
    // A rule without includePayload never carries fields it does not name.
    const refund = items.find((i) => i.rule === 'refund-without-order')!;
    expect(JSON.parse(refund.fields_json as string)).toEqual({ amount: 720 });
    expect(refund).not.toHaveProperty('payload_json');
    // includePayload: the whole event, in the message and the item.
    const large = published().find((p) => (JSON.parse(p.Message!) as { matchId: string }).matchId === eventId(1))!;
    expect(JSON.parse(large.Message!)).toMatchObject({ fields: { 'order.total': 1250.5, 'order.currency': 'EUR', shop_id: 'berlin-1', 'customer.segment': 'vip-gold' }, payload: { customer: { email: 'c1@example.com' } } });
    // Logs carry counts, never payloads.
    expect(logs.lines.join('\n')).not.toContain('c1@example.com');
    expect(logs.lines.some((l) => l.includes('"Matches":4') && l.includes('"UndecodableRecords":1'))).toBe(true);
  });

  it('does not store or notify twice when Lambda delivers the batch again', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    await h.handle(matchBatch());
    const itemsBefore = await scanAll(db.client, h.table);
    // Act
    const again = await h.handle(matchBatch());
    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    expect(published()).toHaveLength(3);
    expect(await scanAll(db.client, h.table)).toEqual(itemsBefore);
    expect(logs.lines.some((l) => l.includes('"Duplicates":4'))).toBe(true);
  });

  it('treats the same event id in another record (a producer retry) as the same match', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    const e = envelope('web-shop', 'page_view', { path: '/internal/x' }, 'evt-dup');
    await h.handle(batch([kinesisRecord(e), kinesisRecord(e, { shardId: 'shardId-000000000001' })]));
    expect(publishedKeys()).toEqual(['debug-events:evt-dup']);
  });

  it('reports the record as a batch item failure when SNS fails, and publishes it once on redelivery', async () => {
    // Prepare: Publish fails for event 7 only.
    const h = await harness(specOf(everyOptionRaw()));
    const event = matchBatch();
    sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (input.Message!.includes(eventId(7))) throw Object.assign(new Error('Service Unavailable'), { name: 'InternalErrorException' });
      return { MessageId: 'ok' };
    });
    // Act
    const first = await h.handle(event);
    // Assess: reported, stored as pending (owned by this record), not lost.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: seq(event, 6) }] });
    expect((await scanAll(db.client, h.table)).find((i) => i.event_id === eventId(7))).toMatchObject({ status: 'pending' });
    // Act: Lambda resumes at the reported record; SNS is back.
    sns.on(PublishCommand).resolves({ MessageId: 'ok' });
    const second = await h.handle(from(event, seq(event, 6)));
    // Assess
    expect(second).toEqual({ batchItemFailures: [] });
    expect(publishedKeys().filter((k) => k.endsWith(eventId(7)))).toHaveLength(2); // the failed attempt, then one that succeeded
    expect(publishedKeys().filter((k) => k.endsWith(eventId(1)))).toHaveLength(1);
    expect((await scanAll(db.client, h.table)).find((i) => i.event_id === eventId(7))).toMatchObject({ status: 'notified' });
  });

  it('reports the record when DynamoDB fails, before anything is published for it', async () => {
    // Prepare: PutItem fails once for event 1.
    let failNext = true;
    const h = await harness(specOf(everyOptionRaw()), (s) => ({
      ...bind(s),
      putMatch: async (item, signal) => {
        if (failNext && item.event_id?.S === eventId(1)) {
          failNext = false;
          throw new Error('ProvisionedThroughputExceededException');
        }
        return s.putMatch(item, signal);
      },
    }));
    const event = matchBatch();
    // Act
    const first = await h.handle(event);
    // Assess: the failed record is reported; later records were processed anyway.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: seq(event, 0) }] });
    expect(publishedKeys()).not.toContain(`large-checkout:${eventId(1)}`);
    // Act: Lambda resumes from the lowest reported sequence number: the whole batch again.
    const second = await h.handle(from(event, seq(event, 0)));
    // Assess: exactly once each.
    expect(second).toEqual({ batchItemFailures: [] });
    expect(publishedKeys().sort()).toEqual([`debug-events:${eventId(3)}`, `large-checkout:${eventId(1)}`, `large-checkout:${eventId(7)}`]);
  });

  it('a crash after Publish and before the notified mark publishes again on redelivery (the documented duplicate window)', async () => {
    const h = await harness(specOf(everyOptionRaw()), (s) => ({
      ...bind(s),
      markNotified: async () => {
        throw new Error('process died');
      },
    }));
    const e = envelope('web-shop', 'page_view', { path: '/internal/y' }, 'evt-crash');
    const record = kinesisRecord(e);
    // Act: the mark fails (logged, counted, the record is not reported), then the record comes back.
    expect(await h.handle(batch([record]))).toEqual({ batchItemFailures: [] });
    expect(logs.lines.some((l) => l.includes('published but not marked notified') && l.includes('evt-crash'))).toBe(true);
    expect(logs.lines.some((l) => l.includes('"MarkFailures":1'))).toBe(true);
    await h.handle(batch([record]));
    // Assess: two messages with the same matchId, for subscribers to drop.
    expect(publishedKeys()).toEqual(['debug-events:evt-crash', 'debug-events:evt-crash']);
  });

  it('reports every matched record when the deadline leaves no time to emit', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    const event = matchBatch();
    const response = (await h.handle(event, 1_000)) as { batchItemFailures: { itemIdentifier: string }[] };
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([0, 2, 5, 6].map((i) => seq(event, i)));
    expect(published()).toEqual([]);
  });
});

/** The store's methods bound to it (so a decorator can replace some). */
function bind(s: HotPathStore): HotPathStore {
  return {
    putMatch: s.putMatch.bind(s),
    markNotified: s.markNotified.bind(s),
    publish: s.publish.bind(s),
    addToWindow: s.addToWindow.bind(s),
    windowTotals: s.windowTotals.bind(s),
    getCursor: s.getCursor.bind(s),
    setCursor: s.setCursor.bind(s),
  };
}

// ---------------------------------------------------------------------------------------------
// Rate rules
// ---------------------------------------------------------------------------------------------

const WINDOW_START = Date.parse('2026-11-22T10:15:00Z') / 1000;
const spikeSpec = (): HotPathSpec =>
  specOf({
    rules: [
      {
        name: 'payment-failure-spike',
        eventType: 'payments/payment_failed',
        rate: { moreThan: 2, windowSeconds: 60, groupBy: 'merchant_id', where: { field: 'error_code', op: '!=', value: 'card_declined' } },
      },
    ],
  });
const failure = (merchant: string, code: string, arrival: number, shardId?: string): ReturnType<typeof kinesisRecord> =>
  kinesisRecord(envelope('payments', 'payment_failed', { merchant_id: merchant, error_code: code }), { arrival, ...(shardId ? { shardId } : {}) });
const stateOf = (r: HotPathResponse): WindowState => (r as { state: WindowState }).state;

describe('rate rules on the tumbling window', () => {
  it('counts across several invocations of a window and fires once when the count passes the threshold', async () => {
    // Prepare
    const h = await harness(spikeSpec());
    const first = JSON.parse(fixture('hot-path-kinesis-window.json')) as KinesisStreamEvent;
    // Act 1: m-1 twice (one card_declined is not counted), m-2 once: nothing passes 2.
    const r1 = await h.handle(first);
    // Assess 1: the state carries the shard's counts; the response has the state Lambda requires.
    expect(r1).toMatchObject({ batchItemFailures: [], state: { v: 1, c: { [`payment-failure-spike|${WINDOW_START}|s:m-1`]: 2, [`payment-failure-spike|${WINDOW_START}|s:m-2`]: 1 }, f: [] } });
    expect(published()).toEqual([]);
    // Act 2: one more m-1 in the same window, with the state of invocation 1.
    const r2 = await h.handle(windowEvent([failure('m-1', 'insufficient_funds', WINDOW_START + 30)], { start: WINDOW_START, seconds: 60 }, stateOf(r1), { shardId: 'shardId-000000000006' }));
    // Assess 2
    expect(publishedKeys()).toEqual(['payment-failure-spike:rate:2026-11-22T10:15:00.000Z:s:m-1']);
    const message = JSON.parse(published()[0]!.Message!) as Record<string, unknown>;
    expect(message).toMatchObject({ kind: 'rate', window: { start: '2026-11-22T10:15:00.000Z', end: '2026-11-22T10:16:00.000Z', count: 3, threshold: 2, comparison: 'moreThan', group: 'm-1' }, fields: { merchant_id: 'm-1' } });
    expect(published()[0]!.Subject).toBe('[hot-path dev] payment-failure-spike more than 2 payments/payment_failed');
    // Act 3: more events and the final invocation: no second alert for the window.
    const r3 = await h.handle(windowEvent([failure('m-1', 'expired_card', WINDOW_START + 40)], { start: WINDOW_START, seconds: 60 }, stateOf(r2)));
    const r4 = await h.handle(windowEvent([], { start: WINDOW_START, seconds: 60 }, stateOf(r3), { final: true }));
    // Assess 3
    expect(published()).toHaveLength(1);
    expect(r4).toMatchObject({ state: { v: 1 } });
    const items = await scanAll(db.client, h.table);
    expect(items.filter((i) => i.rule === 'payment-failure-spike')).toEqual([
      expect.objectContaining({ event_id: 'rate:2026-11-22T10:15:00.000Z:s:m-1', status: 'notified', count: 3, threshold: 2, group_value: 'm-1' }),
    ]);
  });

  it('adds up the shards of the stream: two shards with 2 each pass "more than 2", and fire once', async () => {
    const h = await harness(spikeSpec());
    const w = { start: WINDOW_START, seconds: 60 };
    const a = 'shardId-000000000001';
    const b = 'shardId-000000000002';
    await h.handle(windowEvent([failure('m-9', 'x', WINDOW_START + 1, a), failure('m-9', 'x', WINDOW_START + 2, a)], w, {}, { shardId: a }));
    expect(published()).toEqual([]);
    await h.handle(windowEvent([failure('m-9', 'x', WINDOW_START + 3, b), failure('m-9', 'x', WINDOW_START + 4, b)], w, {}, { shardId: b }));
    await h.handle(windowEvent([failure('m-9', 'x', WINDOW_START + 5, a)], w, {}, { shardId: a }));
    expect(publishedKeys()).toEqual(['payment-failure-spike:rate:2026-11-22T10:15:00.000Z:s:m-9']);
    expect(JSON.parse(published()[0]!.Message!)).toMatchObject({ window: { count: 4 } });
  });

  it('a failed window batch fails the invocation; the retry from the last state neither loses nor double-counts', async () => {
    // Prepare: Publish fails once.
    const h = await harness(spikeSpec());
    const w = { start: WINDOW_START, seconds: 60 };
    const r1 = await h.handle(windowEvent([failure('m-3', 'x', WINDOW_START + 1), failure('m-3', 'x', WINDOW_START + 2)], w, {}));
    const crossing = [failure('m-3', 'x', WINDOW_START + 3), failure('m-3', 'x', WINDOW_START + 4)];
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottledException' })).resolves({ MessageId: 'ok' });
    // Act: the crossing batch fails; Lambda bisects it and retries with the state of invocation 1.
    await expect(h.handle(windowEvent(crossing, w, stateOf(r1)))).rejects.toMatchObject({ name: 'WindowBatchError' });
    const half = await h.handle(windowEvent(crossing.slice(0, 1), w, stateOf(r1)));
    await h.handle(windowEvent(crossing.slice(1), w, stateOf(half)));
    // Assess: one successful notification; the window still counts 4 events, not 6.
    expect(publishedKeys()).toEqual(['payment-failure-spike:rate:2026-11-22T10:15:00.000Z:s:m-3', 'payment-failure-spike:rate:2026-11-22T10:15:00.000Z:s:m-3']);
    const counter = (await scanAll(db.client, h.table)).find((i) => i.rule === 'payment-failure-spike#windows')!;
    expect(Object.entries(counter).filter(([k]) => k.startsWith('c_')).reduce((s, [, v]) => s + (v as number), 0)).toBe(4);
    // The match was stored by the failed attempt (count 4 when it crossed) and published by the retry.
    expect((await scanAll(db.client, h.table)).find((i) => i.rule === 'payment-failure-spike')).toMatchObject({ status: 'notified', count: 4 });
  });

  it('a DynamoDB failure fails the window batch (never a partial response that would lose counts)', async () => {
    const h = await harness(spikeSpec(), (s) => ({
      ...bind(s),
      addToWindow: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    }));
    await expect(h.handle(windowEvent([failure('m-1', 'x', WINDOW_START)], { start: WINDOW_START, seconds: 60 }, {}))).rejects.toMatchObject({ name: 'WindowBatchError' });
  });

  it('starts a new segment instead of returning a state over the budget', () => {
    // Prepare: a state just above the budget.
    const big: WindowState = { v: 1, seg: 'c_x', c: Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`rule|1795342500|s:merchant-${i}`, 1])), f: [] };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(STATE_BUDGET_BYTES);
    // Act / Assess
    expect(stateToReturn(big)).toEqual(emptyState());
    const small: WindowState = { v: 1, seg: 'c_x', c: { a: 1 }, f: [] };
    expect(stateToReturn(small)).toBe(small);
  });
});

describe('fewerThan rules on the schedule', () => {
  const stalledSpec = (): HotPathSpec =>
    specOf({ rules: [{ name: 'checkouts-stalled', eventType: 'web-shop/checkout_completed', rate: { fewerThan: 1, windowSeconds: 300 } }], rateEvaluationDelaySeconds: 60 });
  const schedule = (): unknown => JSON.parse(fixture('hot-path-schedule-event.json'));

  it('alerts once for a window without events, never for windows with enough', async () => {
    // Prepare: windows of 300 s from 10:15; the first tick starts the cursor.
    const h = await harness(stalledSpec());
    const w1 = Date.parse('2026-11-22T10:15:00Z') / 1000;
    h.clock.value = (w1 + 60) * 1000;
    expect(await h.handle(schedule())).toEqual({ evaluatedWindows: 0 });
    // One checkout in window 1 (10:15-10:20), none in window 2 (10:20-10:25).
    await h.handle(windowEvent([kinesisRecord(envelope('web-shop', 'checkout_completed'), { arrival: w1 + 10 })], { start: w1, seconds: 300 }, {}));
    // Act: ticks before window 1 is due, after it, after window 2, and once more.
    h.clock.value = (w1 + 300 + 30) * 1000;
    const early = await h.handle(schedule());
    h.clock.value = (w1 + 300 + 60) * 1000;
    const afterW1 = await h.handle(schedule());
    h.clock.value = (w1 + 600 + 61) * 1000;
    const afterW2 = await h.handle(schedule());
    const again = await h.handle(schedule());
    // Assess
    expect([early, afterW1, afterW2, again]).toEqual([{ evaluatedWindows: 0 }, { evaluatedWindows: 1 }, { evaluatedWindows: 1 }, { evaluatedWindows: 0 }]);
    expect(publishedKeys()).toEqual(['checkouts-stalled:rate:2026-11-22T10:20:00.000Z']);
    expect(JSON.parse(published()[0]!.Message!)).toMatchObject({ window: { count: 0, threshold: 1, comparison: 'fewerThan' } });
  });

  it('a failing tick throws (EventBridge retries) and the next tick catches up from the cursor', async () => {
    let fail = false;
    const h = await harness(stalledSpec(), (s) => ({
      ...bind(s),
      windowTotals: async (...args) => {
        if (fail) throw new Error('dynamodb down');
        return s.windowTotals(...args);
      },
    }));
    const w1 = Date.parse('2026-11-22T10:15:00Z') / 1000;
    h.clock.value = (w1 + 60) * 1000;
    await h.handle(schedule());
    fail = true;
    h.clock.value = (w1 + 600 + 61) * 1000;
    await expect(h.handle(schedule())).rejects.toMatchObject({ name: 'ScheduleError' });
    fail = false;
    expect(await h.handle(schedule())).toEqual({ evaluatedWindows: 2 });
    expect(publishedKeys()).toEqual(['checkouts-stalled:rate:2026-11-22T10:15:00.000Z', 'checkouts-stalled:rate:2026-11-22T10:20:00.000Z']);
  });
});

// ---------------------------------------------------------------------------------------------
// Consumers: the alias in the invoked ARN picks the path
// ---------------------------------------------------------------------------------------------

const FUNCTION_ARN = 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-hot-path';

describe('the consumer is the alias the mapping invoked', () => {
  // Two rate rules on one event type, with different windows: one consumer each.
  const twoWindows = (): HotPathSpec =>
    specOf({
      rules: [
        { name: 'failures-per-minute', eventType: 'payments/payment_failed', rate: { moreThan: 0, windowSeconds: 60 } },
        { name: 'failures-per-5-minutes', eventType: 'payments/payment_failed', rate: { moreThan: 0, windowSeconds: 300 } },
      ],
    });

  it("counts exactly the alias's window rules, even in a window that resharding cut short", async () => {
    // Prepare: a 300-s window ended after 60 s (isWindowTerminatedEarly): by its length alone it
    // looks like the 60-s consumer's.
    const h = await harness(twoWindows());
    const short = windowEvent([failure('m-1', 'x', WINDOW_START + 5)], { start: WINDOW_START, seconds: 60 }, {}, { terminatedEarly: true });
    // Act
    await h.handle(short, 60_000, `${FUNCTION_ARN}:rate-300s`);
    // Assess: the 5-minute rule counted and fired; the per-minute rule saw nothing.
    expect(publishedKeys()).toEqual(['failures-per-5-minutes:rate:2026-11-22T10:15:00.000Z']);
    const rules = (await scanAll(db.client, h.table)).map((i) => i.rule);
    expect(rules).toContain('failures-per-5-minutes#windows');
    expect(rules).not.toContain('failures-per-minute#windows');
    expect(logs.lines.some((l) => l.includes('"consumer":"rate-300s"'))).toBe(true);
  });

  it('without an alias (an old unqualified mapping during an upgrade, or a version) the batch shape decides, as before', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    // Act: the unqualified ARN, $LATEST and a version number.
    for (const arn of [FUNCTION_ARN, `${FUNCTION_ARN}:$LATEST`, `${FUNCTION_ARN}:7`]) await h.handle(matchBatch(), 60_000, arn);
    // Assess: processed as match batches (duplicates after the first delivery).
    expect(publishedKeys().sort()).toEqual([`debug-events:${eventId(3)}`, `large-checkout:${eventId(1)}`, `large-checkout:${eventId(7)}`]);
    expect(logs.lines.filter((l) => l.includes('"consumer":"unqualified"'))).toHaveLength(3);
  });

  it('refuses a window batch on the match alias, and a plain batch on a rate alias, without writing anything', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    const w = windowEvent([failure('m-1', 'x', WINDOW_START)], { start: WINDOW_START, seconds: 60 }, {});
    // Act / Assess
    await expect(h.handle(w, 60_000, `${FUNCTION_ARN}:match`)).rejects.toMatchObject({ name: 'ConsumerMismatchError', message: expect.stringContaining('"match"') });
    await expect(h.handle(matchBatch(), 60_000, `${FUNCTION_ARN}:rate-60s`)).rejects.toMatchObject({
      name: 'ConsumerMismatchError',
      message: expect.stringContaining('tumbling_window_in_seconds = 60'),
    });
    expect(await scanAll(db.client, h.table)).toEqual([]);
    expect(published()).toEqual([]);
  });

  it('refuses an alias its rules file does not declare, naming it and the declared consumers', async () => {
    const h = await harness(specOf(everyOptionRaw()));
    // Act / Assess: Lambda retries, then dead-letters the batch; nothing is skipped silently.
    await expect(h.handle(matchBatch(), 60_000, `${FUNCTION_ARN}:rate-120s`)).rejects.toMatchObject({
      name: 'HotPathConfigError',
      message: expect.stringMatching(/alias "rate-120s".*match, rate-60s, rate-300s/),
    });
    expect(await scanAll(db.client, h.table)).toEqual([]);
    expect(logs.lines.some((l) => l.includes('"consumer":"rate-120s"') && l.includes('"FailedRecords":7'))).toBe(true);
  });
});
