/**
 * Unit tests of the tracker with aws-sdk-client-mock: envelope, routing, packing, batching,
 * retries, failure reporting, backpressure, close and metrics.
 */
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchCommandOutput,
} from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { format, inspect } from 'node:util';
import {
  BufferFullError,
  createTracker,
  DeliveryError,
  summarizeFailures,
  TrackerOptionsError,
  EventTooLargeError,
  InvalidEventError,
  TrackerClosedError,
  UnknownEventTypeError,
  type FailedEvent,
  type Tracker,
  type TrackerOptions,
} from '../../client/node/index';
import { eventOfSize, streamOf, trackerOptions, unpack } from './factories';

type Input = PutRecordBatchCommandInput;
type Output = PutRecordBatchCommandOutput;

function ok(input: Input): Output {
  return {
    FailedPutCount: 0,
    Encrypted: false,
    RequestResponses: (input.Records ?? []).map((_, i) => ({ RecordId: `r${i}` })),
    $metadata: {},
  };
}

function partial(input: Input, failed: (i: number) => boolean, code = 'ServiceUnavailableException'): Output {
  const responses = (input.Records ?? []).map((_, i) => (failed(i) ? { ErrorCode: code, ErrorMessage: 'injected' } : { RecordId: `r${i}` }));
  return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, Encrypted: false, RequestResponses: responses, $metadata: {} };
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} (mock)`), { name, $metadata: { httpStatusCode: status } });
}

/** A tracker over a mocked Firehose client; `calls()` lists the inputs it sent. */
function setup(overrides: Partial<TrackerOptions> = {}, answer: (input: Input, n: number) => Output | Promise<Output> = ok) {
  const client = new FirehoseClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(client);
  const inputs: Input[] = [];
  mock.on(PutRecordBatchCommand).callsFake(async (input: Input) => {
    inputs.push(input);
    return answer(input, inputs.length);
  });
  const failures: FailedEvent[] = [];
  const tracker = createTracker(trackerOptions({ firehoseClient: client, ...overrides }));
  return { tracker, inputs, failures, client };
}

/** Decoded events of every call, with the stream each was sent to. */
function sentEvents(inputs: readonly Input[]): { stream: string; event: Record<string, unknown> }[] {
  return inputs.flatMap((input) =>
    (input.Records ?? []).flatMap((r) => unpack(r.Data!).map((event) => ({ stream: input.DeliveryStreamName!, event }))),
  );
}

describe('tracker (direct mode, mocked Firehose)', () => {
  let tracker: Tracker | undefined;
  afterEach(async () => {
    await tracker?.close().catch(() => undefined);
    tracker = undefined;
  });

  describe('envelope', () => {
    it('adds app, event_type, a unique event_id and sent_at', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;

      // Act
      await tracker.track('web-shop', 'page_view', { path: '/a' });
      await tracker.track('web-shop', 'page_view', { path: '/b' });
      await tracker.flush();

      // Assess
      const events = sentEvents(s.inputs).map((e) => e.event);
      expect(events).toHaveLength(2);
      for (const e of events) {
        expect(e).toMatchObject({ app: 'web-shop', event_type: 'page_view' });
        expect(e.event_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(new Date(e.sent_at as string).toISOString()).toBe(e.sent_at);
      }
      expect(events[0]!.event_id).not.toBe(events[1]!.event_id);
      expect(events.map((e) => e.path)).toEqual(['/a', '/b']);
    });

    it('keeps fields the caller set, and does not mutate the event', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;
      const event = { app: 'web-shop', event_type: 'page_view', event_id: 'id-1', sent_at: '2020-01-01T00:00:00.000Z', n: 1 };
      const before = JSON.stringify(event);

      // Act
      await tracker.track('web-shop', 'page_view', event);
      await tracker.flush();

      // Assess
      expect(sentEvents(s.inputs)[0]!.event).toEqual(event);
      expect(JSON.stringify(event)).toBe(before);
    });

    it('wraps an empty object', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;

      // Act
      await tracker.track('mobile-app', 'app_open', {});
      await tracker.flush();

      // Assess
      expect(Object.keys(sentEvents(s.inputs)[0]!.event)).toEqual(['app', 'event_type', 'event_id', 'sent_at']);
    });

    const circular: Record<string, unknown> = {};
    circular.self = circular;
    describe.each<{ name: string; event: unknown }>([
      { name: 'an array', event: [1, 2] },
      { name: 'null', event: null },
      { name: 'a string', event: 'hello' },
      { name: 'a circular object', event: circular },
      { name: 'a BigInt member', event: { n: BigInt(1) } },
      { name: 'a Date (toJSON returns a string)', event: new Date(0) },
      { name: 'a mismatched app', event: { app: 'mobile-app' } },
      { name: 'a mismatched event_type', event: { event_type: 'checkout_completed' } },
      { name: 'a non-string event_id', event: { event_id: 42 } },
    ])('rejects $name', ({ event }) => {
      it('with InvalidEventError, synchronously, and sends nothing', async () => {
        // Prepare
        const s = setup();
        tracker = s.tracker;

        // Act
        const act = (): unknown => s.tracker.track('web-shop', 'page_view', event as object);

        // Assess
        expect(act).toThrow(InvalidEventError);
        await tracker.flush();
        expect(s.inputs).toHaveLength(0);
        expect(tracker.metrics().eventsAccepted).toBe(0);
      });
    });
  });

  describe('routing', () => {
    it('sends each event type to its own delivery stream (names from config/naming)', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;

      // Act
      await tracker.track('web-shop', 'page_view', { k: 1 });
      await tracker.track('mobile-app', 'app_open', { k: 2 });
      await tracker.flush();

      // Assess
      const byStream = Object.fromEntries(sentEvents(s.inputs).map((e) => [e.stream, e.event.k]));
      expect(byStream).toEqual({ [streamOf('web-shop', 'page_view')]: 1, [streamOf('mobile-app', 'app_open')]: 2 });
    });

    describe.each([
      ['unknown-app', 'page_view', /application "unknown-app" is not declared/],
      ['web-shop', 'unknown_type', /declares add_to_cart, checkout_completed, page_view/],
    ])('track(%s, %s)', (app, type, message) => {
      it('throws UnknownEventTypeError naming what is known', () => {
        // Prepare
        const s = setup();
        tracker = s.tracker;

        // Act
        const act = (): unknown => s.tracker.track(app, type, {});

        // Assess
        expect(act).toThrow(UnknownEventTypeError);
        expect(act).toThrow(message);
      });
    });
  });

  describe('packing', () => {
    it.each([
      { packing: true, expectedRecords: 1 },
      { packing: false, expectedRecords: 10 },
    ])('packing=$packing sends 10 small events as $expectedRecords record(s)', async ({ packing, expectedRecords }) => {
      // Prepare
      const s = setup({ packing });
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 10; i++) await tracker.track('web-shop', 'page_view', eventOfSize(100, i));
      await tracker.flush();

      // Assess
      const records = s.inputs.flatMap((i) => i.Records ?? []);
      expect(records).toHaveLength(expectedRecords);
      expect(sentEvents(s.inputs).map((e) => e.event.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('fills packed records up to packedRecordBytes and sends larger events alone', async () => {
      // Prepare
      const s = setup({ packedRecordBytes: 5_000 });
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 50; i++) await tracker.track('web-shop', 'page_view', eventOfSize(400, i));
      await tracker.track('web-shop', 'page_view', eventOfSize(6_000, 99));
      await tracker.flush();

      // Assess
      const records = s.inputs.flatMap((i) => i.Records ?? []).map((r) => r.Data!);
      expect(Math.max(...records.map((d) => d.length))).toBeGreaterThan(5_000);
      const packed = records.filter((d) => unpack(d).length > 1);
      expect(packed.length).toBeGreaterThan(0);
      for (const d of packed) expect(d.length).toBeLessThanOrEqual(5_000);
      const big = records.filter((d) => d.length > 5_000);
      expect(big.map((d) => unpack(d).map((e) => e.seq))).toEqual([[99]]);
      expect(tracker.metrics().eventsDelivered).toBe(51);
    });

    it('rejects an event over 1,000 KiB at track with EventTooLargeError', () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;

      // Act
      const act = (): unknown => s.tracker.track('web-shop', 'page_view', eventOfSize(1_024_000));

      // Assess
      expect(act).toThrow(EventTooLargeError);
    });
  });

  describe('batching', () => {
    it('never puts more than 500 records in a call', async () => {
      // Prepare
      const s = setup({ packing: false, maxBatchDelayMs: 10_000 });
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 1_234; i++) await tracker.track('web-shop', 'page_view', { i });
      await tracker.flush();

      // Assess
      expect(s.inputs.map((i) => i.Records!.length)).toEqual([500, 500, 234]);
    });

    it('never puts more than 4 MiB in a call', async () => {
      // Prepare
      const s = setup({ maxBatchDelayMs: 10_000 });
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 12; i++) await tracker.track('web-shop', 'page_view', eventOfSize(1_000_000, i));
      await tracker.flush();

      // Assess
      const perCall = s.inputs.map((i) => i.Records!.reduce((n, r) => n + r.Data!.length, 0));
      expect(perCall.length).toBeGreaterThanOrEqual(3);
      for (const bytes of perCall) expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(tracker.metrics().eventsDelivered).toBe(12);
    });

    it('sends a partial batch after maxBatchDelayMs without flush', async () => {
      // Prepare
      const s = setup({ maxBatchDelayMs: 5 });
      tracker = s.tracker;
      let resolveSent!: () => void;
      const sent = new Promise<void>((r) => (resolveSent = r));
      const t = createTracker(trackerOptions({ firehoseClient: s.client, maxBatchDelayMs: 5, onMetrics: () => resolveSent() }));

      // Act
      await t.track('web-shop', 'page_view', { k: 1 });
      await sent;

      // Assess
      expect(t.metrics().calls).toBe(1);
      await t.close();
    });
  });

  describe('retries', () => {
    it('resends only the failed entries of a partial failure', async () => {
      // Prepare
      const s = setup({ packing: false }, (input, n) => (n === 1 ? partial(input, (i) => i % 2 === 0) : ok(input)));
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 6; i++) await tracker.track('web-shop', 'page_view', { i });
      await tracker.flush();

      // Assess
      expect(s.inputs.map((i) => i.Records!.length)).toEqual([6, 3]);
      expect(s.inputs[1]!.Records!.map((r) => unpack(r.Data!)[0]!.i)).toEqual([0, 2, 4]);
      expect(tracker.metrics()).toMatchObject({ eventsDelivered: 6, eventsFailed: 0, retries: 1, recordsRetried: 3, calls: 2 });
    });

    describe.each([
      { name: 'ServiceUnavailableException (500)', error: awsError('ServiceUnavailableException', 500) },
      { name: 'ThrottlingException (400)', error: awsError('ThrottlingException', 400) },
      { name: 'InternalFailure (500)', error: awsError('InternalFailure', 500) },
      { name: 'TimeoutError (no response)', error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }) },
      { name: 'ECONNRESET (network)', error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
    ])('whole-call $name', ({ error }) => {
      it('is retried until it succeeds', async () => {
        // Prepare
        const s = setup({}, (input, n) => {
          if (n <= 2) throw error;
          return ok(input);
        });
        tracker = s.tracker;

        // Act
        await tracker.track('web-shop', 'page_view', { k: 1 });
        await tracker.flush();

        // Assess
        expect(s.inputs).toHaveLength(3);
        expect(tracker.metrics()).toMatchObject({ eventsDelivered: 1, callErrors: 2, retries: 2 });
      });
    });

    describe.each([
      { name: 'ResourceNotFoundException', error: awsError('ResourceNotFoundException', 400) },
      { name: 'InvalidArgumentException', error: awsError('InvalidArgumentException', 400) },
      { name: 'AccessDeniedException', error: awsError('AccessDeniedException', 400) },
    ])('whole-call $name', ({ name, error }) => {
      it('fails fast with the error code and reports every event', async () => {
        // Prepare
        const s = setup({}, () => {
          throw error;
        });
        tracker = s.tracker;

        // Act
        await tracker.track('web-shop', 'page_view', { k: 1 });
        await tracker.track('web-shop', 'page_view', { k: 2 });
        const outcome = tracker.flush();

        // Assess
        await expect(outcome).rejects.toBeInstanceOf(DeliveryError);
        const err = (await outcome.catch((e: unknown) => e)) as DeliveryError;
        expect(s.inputs).toHaveLength(1);
        expect(err.failures.map((f) => f.errorCode)).toEqual([name, name]);
      });
    });

    it('gives up at the deadline and reports every event of a failed packed record', async () => {
      // Prepare
      const failures: FailedEvent[] = [];
      const s = setup({ retryDeadlineMs: 30, onDeliveryFailure: (f) => failures.push(...f) }, (input) =>
        partial(input, () => true, 'ServiceUnavailableException'),
      );
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 5; i++) await tracker.track('web-shop', 'page_view', { i });
      await tracker.flush();

      // Assess
      expect(s.inputs.length).toBeGreaterThan(1);
      expect(s.inputs.every((i) => i.Records!.length === 1)).toBe(true);
      expect(failures.map((f) => JSON.parse(f.data).i)).toEqual([0, 1, 2, 3, 4]);
      expect(failures.every((f) => f.errorCode === 'ServiceUnavailableException' && f.destination === streamOf('web-shop', 'page_view'))).toBe(true);
      expect(tracker.metrics()).toMatchObject({ eventsFailed: 5, eventsDelivered: 0, eventsPending: 0 });
    });

    it('fails a non-retryable entry error without resending it', async () => {
      // Prepare
      const s = setup({ packing: false }, (input) => partial(input, (i) => i === 0, 'KMSAccessDeniedException'));
      tracker = s.tracker;

      // Act
      await tracker.track('web-shop', 'page_view', { i: 0 });
      await tracker.track('web-shop', 'page_view', { i: 1 });
      const err = (await tracker.flush().catch((e: unknown) => e)) as DeliveryError;

      // Assess
      expect(s.inputs).toHaveLength(1);
      expect(err.failures.map((f) => [JSON.parse(f.data).i, f.errorCode])).toEqual([[0, 'KMSAccessDeniedException']]);
    });

    it('never counts an entry with neither RecordId nor ErrorCode as delivered: retries it, then reports it', async () => {
      // Prepare: FailedPutCount 0, and entries that confirm nothing.
      const failures: FailedEvent[] = [];
      const s = setup({ packing: false, retryDeadlineMs: 40, onDeliveryFailure: (f) => failures.push(...f) }, (input) => ({
        FailedPutCount: 0,
        Encrypted: false,
        RequestResponses: (input.Records ?? []).map(() => ({})),
        $metadata: {},
      }));
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 3; i++) await tracker.track('web-shop', 'page_view', { i });
      await tracker.flush();

      // Assess
      expect(s.inputs.length).toBeGreaterThan(1);
      expect(failures.map((f) => [JSON.parse(f.data).i, f.errorCode])).toEqual([
        [0, 'MissingRecordId'],
        [1, 'MissingRecordId'],
        [2, 'MissingRecordId'],
      ]);
      expect(tracker.metrics()).toMatchObject({ eventsDelivered: 0, recordsSent: 0, billedUnits: 0, eventsFailed: 3 });
    });

    it('treats a response without one entry per record as a transient failure', async () => {
      // Prepare
      const s = setup({}, (input, n) => (n === 1 ? { FailedPutCount: 0, RequestResponses: [], $metadata: {} } : ok(input)));
      tracker = s.tracker;

      // Act
      await tracker.track('web-shop', 'page_view', { k: 1 });
      await tracker.flush();

      // Assess
      expect(s.inputs).toHaveLength(2);
      expect(tracker.metrics().eventsDelivered).toBe(1);
    });

    it('keeps failures when onDeliveryFailure throws, so flush still reports them', async () => {
      // Prepare
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const s = setup(
        {
          onDeliveryFailure: () => {
            throw new Error('callback bug');
          },
        },
        () => {
          throw awsError('ResourceNotFoundException', 400);
        },
      );
      tracker = s.tracker;

      // Act
      await tracker.track('web-shop', 'page_view', { k: 1 });
      const outcome = tracker.flush();

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(DeliveryError);
      expect(warn).toHaveBeenCalled();
      warn.mockRestore();
    });
  });

  describe('backpressure', () => {
    // Every gate opens after its test, so a failing assertion never leaves close() waiting.
    const gates: (() => void)[] = [];
    afterEach(() => gates.splice(0).forEach((open) => open()));
    function gated(): { answer: (input: Input) => Promise<Output>; open: () => void } {
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      gates.push(open);
      return { answer: async (input) => (await gate, ok(input)), open };
    }

    it("with onBufferFull 'fail', throws BufferFullError at the bound", async () => {
      // Prepare
      const g = gated();
      const s = setup({ maxBufferedBytes: 2_500, onBufferFull: 'fail' }, g.answer);
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', eventOfSize(900, 1));
      await tracker.track('web-shop', 'page_view', eventOfSize(900, 2));

      // Act
      const act = (): unknown => s.tracker.track('web-shop', 'page_view', eventOfSize(900, 3));

      // Assess
      expect(act).toThrow(BufferFullError);
      g.open();
      await tracker.flush();
      expect(tracker.metrics()).toMatchObject({ eventsAccepted: 2, eventsDelivered: 2 });
    });

    it("with onBufferFull 'wait', track resolves once deliveries free room", async () => {
      // Prepare
      const g = gated();
      const s = setup({ maxBufferedBytes: 2_500 }, g.answer);
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', eventOfSize(900, 1));
      await tracker.track('web-shop', 'page_view', eventOfSize(900, 2));
      let admitted = false;

      // Act
      const waiting = tracker.track('web-shop', 'page_view', eventOfSize(900, 3)).then(() => (admitted = true));
      await new Promise((r) => setImmediate(r));
      const beforeRoom = admitted;
      g.open();
      await waiting;
      await tracker.flush();

      // Assess
      expect(beforeRoom).toBe(false);
      expect(admitted).toBe(true);
      expect(tracker.metrics().bufferedBytes).toBe(0);
      expect(sentEvents(s.inputs).map((e) => e.event.seq)).toEqual([1, 2, 3]);
    });

    it('never holds more than maxBufferedBytes of accepted events', async () => {
      // Prepare
      let peak = 0;
      const s = setup({ maxBufferedBytes: 20_000 }, async (input) => {
        await new Promise((r) => setImmediate(r));
        return ok(input);
      });
      tracker = s.tracker;
      const t = tracker;

      // Act
      for (let i = 0; i < 300; i++) {
        await t.track('web-shop', 'page_view', eventOfSize(500, i));
        peak = Math.max(peak, t.metrics().bufferedBytes);
      }
      await t.flush();

      // Assess
      expect(peak).toBeLessThanOrEqual(20_000);
      expect(t.metrics().eventsDelivered).toBe(300);
    });
  });

  describe('close', () => {
    it('flushes buffered events and then rejects track with TrackerClosedError', async () => {
      // Prepare
      const s = setup({ maxBatchDelayMs: 60_000 });
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', { k: 1 });

      // Act
      await tracker.close();

      // Assess
      expect(sentEvents(s.inputs)).toHaveLength(1);
      expect(() => s.tracker.track('web-shop', 'page_view', { k: 2 })).toThrow(TrackerClosedError);
      await expect(tracker.close()).resolves.toBeUndefined();
    });

    it('admits and delivers events still waiting for room', async () => {
      // Prepare
      const s = setup({ maxBufferedBytes: 1_000 });
      tracker = s.tracker;
      const waits = [0, 1, 2, 3].map((i) => s.tracker.track('web-shop', 'page_view', eventOfSize(900, i)));

      // Act
      await tracker.close();
      await Promise.all(waits);

      // Assess
      expect(sentEvents(s.inputs).map((e) => e.event.seq)).toEqual([0, 1, 2, 3]);
    });

    it('rejects with DeliveryError when events failed and nobody was told', async () => {
      // Prepare
      const s = setup({}, () => {
        throw awsError('ResourceNotFoundException', 400);
      });
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', { k: 1 });

      // Act
      const outcome = tracker.close();

      // Assess
      await expect(outcome).rejects.toMatchObject({ name: 'DeliveryError', failures: [expect.objectContaining({ errorCode: 'ResourceNotFoundException' })] });
    });
  });

  describe('root-stream mode: the same confirmation rule', () => {
    it('counts a Kinesis entry as delivered only with a SequenceNumber', async () => {
      // Prepare: entry 0 confirmed, entry 1 has a ShardId but no SequenceNumber.
      const client = new KinesisClient({ region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const failures: FailedEvent[] = [];
      mockClient(client)
        .on(PutRecordsCommand)
        .callsFake(async (input: PutRecordsCommandInput) => ({
          FailedRecordCount: 0,
          Records: (input.Records ?? []).map((r) => (JSON.parse(Buffer.from(r.Data!).toString()).i === 0 ? { SequenceNumber: '1', ShardId: 's' } : { ShardId: 's' })),
        }));
      tracker = createTracker(
        trackerOptions({ environment: 'dev', mode: 'root-stream', kinesisClient: client, retryDeadlineMs: 30, onDeliveryFailure: (f) => failures.push(...f) }),
      );

      // Act
      await tracker.track('web-shop', 'page_view', { i: 0 });
      await tracker.track('web-shop', 'page_view', { i: 1 });
      await tracker.flush();

      // Assess
      expect(tracker.metrics()).toMatchObject({ eventsDelivered: 1, eventsFailed: 1, recordsSent: 1 });
      expect(failures.map((f) => [JSON.parse(f.data).i, f.errorCode])).toEqual([[1, 'MissingSequenceNumber']]);
    });
  });

  describe('errors that do not leak', () => {
    it("DeliveryError's message, String(), inspect(), console format and JSON hold counts and codes, never events", async () => {
      // Prepare
      const secret = 'jane.doe@example.com';
      const s = setup({}, () => {
        throw awsError('ResourceNotFoundException', 400);
      });
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', { email: secret });
      await tracker.track('web-shop', 'page_view', { email: secret, n: 2 });

      // Act
      const err = (await tracker.flush().catch((e: unknown) => e)) as DeliveryError;

      // Assess
      expect(err).toBeInstanceOf(DeliveryError);
      for (const text of [err.message, String(err), inspect(err), inspect(err, { showHidden: true, depth: 10 }), format('%s %o', err, err), JSON.stringify(err), JSON.stringify({ err })]) {
        expect(text).not.toContain(secret);
      }
      expect(String(err)).toContain('2 event(s)');
      expect(String(err)).toContain('ResourceNotFoundException x2');
      expect(inspect(err)).toContain('"byCode":{"ResourceNotFoundException":2}');
      expect(Object.keys(err)).not.toContain('failures');
      // The events are still there for whoever wants to resend them.
      expect(err.failures.map((f) => JSON.parse(f.data).email)).toEqual([secret, secret]);
      expect(summarizeFailures(err.failures)).toEqual({
        events: 2,
        byCode: { ResourceNotFoundException: 2 },
        byDestination: { [streamOf('web-shop', 'page_view')]: 2 },
      });
    });

    it('the README SIGTERM handler logs nothing personal', async () => {
      // Prepare: the handler of README "Tracker client", with console.error captured.
      const secret = 'jane.doe@example.com';
      const logged: string[] = [];
      const error = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(format(...args)));
      const s = setup({}, () => {
        throw awsError('AccessDeniedException', 400);
      });
      tracker = s.tracker;
      await tracker.track('web-shop', 'page_view', { email: secret });

      // Act
      let exitCode = -1;
      await tracker.close({ timeoutMs: 20_000 }).then(
        () => (exitCode = 0),
        (err: unknown) => {
          console.error(err);
          exitCode = 1;
        },
      );
      error.mockRestore();

      // Assess
      expect(exitCode).toBe(1);
      expect(logged.join('\n')).toContain('AccessDeniedException');
      expect(logged.join('\n')).not.toContain(secret);
    });
  });

  describe('hostile events', () => {
    it('refuses an event whose toJSON() names another app, and sends nothing', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;
      const event = { app: 'web-shop', toJSON: () => ({ app: 'mobile-app', event_type: 'page_view' }) };

      // Act
      const act = (): unknown => s.tracker.track('web-shop', 'page_view', event);

      // Assess
      expect(act).toThrow(InvalidEventError);
      expect(act).toThrow(/app "mobile-app"/);
      await tracker.flush();
      expect(s.inputs).toHaveLength(0);
    });

    it('sends the snapshot it checked: a getter read once, no duplicate keys', async () => {
      // Prepare
      const s = setup();
      tracker = s.tracker;
      let reads = 0;
      const event = {
        get event_type(): string {
          return ++reads === 1 ? 'page_view' : 'checkout_completed';
        },
        n: 1,
      };

      // Act
      await tracker.track('web-shop', 'page_view', event);
      await tracker.flush();

      // Assess
      const data = Buffer.from(s.inputs[0]!.Records![0]!.Data!).toString();
      expect(reads).toBe(1);
      expect(data.match(/"event_type":/g)).toHaveLength(1);
      expect(JSON.parse(data)).toMatchObject({ app: 'web-shop', event_type: 'page_view', n: 1 });
    });
  });

  describe('flush() and close() options', () => {
    it.each([-1, 1.5, Number.NaN, '10'])('refuse timeoutMs %p with TrackerOptionsError', (timeoutMs) => {
      // Prepare
      const s = setup();
      tracker = s.tracker;

      // Act
      const flush = (): unknown => s.tracker.flush({ timeoutMs: timeoutMs as number });
      const close = (): unknown => s.tracker.close({ timeoutMs: timeoutMs as number });

      // Assess
      expect(flush).toThrow(TrackerOptionsError);
      expect(close).toThrow(TrackerOptionsError);
    });
  });

  describe('metrics', () => {
    it('counts events, records, calls and billed 5 KB units', async () => {
      // Prepare
      const calls: unknown[] = [];
      const s = setup({ onMetrics: (c) => calls.push(c) });
      tracker = s.tracker;

      // Act
      for (let i = 0; i < 20; i++) await tracker.track('web-shop', 'page_view', eventOfSize(400, i));
      await tracker.track('web-shop', 'page_view', eventOfSize(12_000, 99));
      await tracker.flush();

      // Assess
      const m = tracker.metrics();
      const records = s.inputs.flatMap((i) => i.Records ?? []).map((r) => r.Data!.length);
      const expectedUnits = records.reduce((n, b) => n + Math.ceil(b / 5_120), 0);
      expect(m).toMatchObject({ eventsAccepted: 21, eventsDelivered: 21, recordsSent: records.length, billedUnits: expectedUnits, calls: s.inputs.length });
      expect(calls).toHaveLength(s.inputs.length);
      expect(calls[0]).toMatchObject({ destination: streamOf('web-shop', 'page_view'), attempt: 1, failedRecords: 0 });
    });
  });
});
