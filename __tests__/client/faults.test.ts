/**
 * A shutdown that always ends on time, against a misbehaving endpoint on 127.0.0.1, through the
 * real SDK: answers trickled one byte at a time, connections that hang, connection resets, a
 * server that accepts and never answers (never reads), and answers whose entries have neither
 * RecordId nor ErrorCode. In each case, with several streams, few concurrency slots and track()
 * calls waiting for buffer room:
 * - close() settles within its documented bound (timeoutMs + a small constant; only a generous
 *   upper bound is asserted, never a timing);
 * - every tracked event ends delivered or reported, exactly once (delivered + reported = tracked);
 * - nothing is counted delivered that the stand-in did not confirm.
 */
import { createTracker, EventNotAcceptedError, type FailedEvent, type Tracker, type TrackerOptions } from '../../client/node/index';
import { FirehoseStandIn, startBlackHole, type BlackHole, type Fault, type FaultHook, type StartedStandIn } from '../helpers/firehose-standin';
import { EVENT_TYPES, streamOf, trackerOptions, unpack } from './factories';

/** Generous allowance over the documented bound: the machine is shared; this is no timing assertion. */
const MARGIN_MS = 5_000;
const EVENTS = 400;

const FAST: Partial<TrackerOptions> = {
  requestTimeoutMs: 250,
  retryDeadlineMs: 500,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 40,
  maxBatchDelayMs: 5,
  maxConcurrentRequests: 2,
  // ~400 events of ~300 B: most of them wait for room.
  maxBufferedBytes: 12_000,
};

/** Deterministic pseudo-random numbers. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Run {
  readonly tracker: Tracker;
  readonly failures: FailedEvent[];
  readonly tracked: Set<string>;
  readonly rejected: unknown[];
  readonly closeMs: number;
  readonly boundMs: number;
}

/** Tracks EVENTS events over every event type without awaiting, then closes and times close(). */
async function trackAndClose(endpoint: string, overrides: Partial<TrackerOptions> = {}, closeTimeoutMs?: number): Promise<Run> {
  const failures: FailedEvent[] = [];
  const options = trackerOptions({
    endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    ...FAST,
    onDeliveryFailure: (f) => {
      for (const x of f) failures.push(x);
    },
    ...overrides,
  });
  const tracker = createTracker(options);
  const tracked = new Set<string>();
  const rejected: unknown[] = [];
  for (let seq = 0; seq < EVENTS; seq++) {
    const [app, type] = EVENT_TYPES[seq % EVENT_TYPES.length]!;
    const id = `evt-${seq}`;
    tracked.add(id);
    tracker.track(app, type, { event_id: id, seq, pad: 'p'.repeat(200) }).catch((err: unknown) => rejected.push(err));
  }
  const t0 = Date.now();
  await tracker.close(closeTimeoutMs !== undefined ? { timeoutMs: closeTimeoutMs } : undefined);
  const closeMs = Date.now() - t0;
  await new Promise((r) => setImmediate(r));
  const o = tracker.options;
  return { tracker, failures, tracked, rejected, closeMs, boundMs: closeTimeoutMs ?? o.retryDeadlineMs + o.requestTimeoutMs };
}

/** Events the stand-in stored from calls it answered with a RecordId: the most the tracker may count delivered. */
function confirmedAtStandIn(standIn: FirehoseStandIn, answered: ReadonlySet<number>): Set<string> {
  const ids = new Set<string>();
  for (const r of standIn.allRecords()) if (answered.has(r.callIndex)) for (const e of unpack(r.data)) ids.add(e.event_id as string);
  return ids;
}

/** The invariants every fault must keep. */
function assertAccounted(run: Run, storedIds: ReadonlySet<string>, confirmable: number): void {
  const m = run.tracker.metrics();
  const reported = run.failures.map((f) => f.eventId);
  // Ends on time.
  expect(run.closeMs).toBeLessThanOrEqual(run.boundMs + MARGIN_MS);
  // Each reported once, only tracked ones.
  expect(new Set(reported).size).toBe(reported.length);
  expect(reported.filter((id) => !run.tracked.has(id))).toEqual([]);
  // delivered + reported = tracked, nothing pending or waiting.
  expect(m.eventsTracked).toBe(run.tracked.size);
  expect(m.eventsDelivered + reported.length).toBe(run.tracked.size);
  expect(m).toMatchObject({ eventsFailed: reported.length, eventsPending: 0, eventsWaiting: 0, bufferedBytes: 0, waitingBytes: 0 });
  // Nothing lost: what was not reported reached the stand-in.
  const reportedSet = new Set(reported);
  expect([...run.tracked].filter((id) => !reportedSet.has(id) && !storedIds.has(id))).toEqual([]);
  // Never counted without confirmation.
  expect(m.eventsDelivered).toBeLessThanOrEqual(confirmable);
  // Waiting calls released at the deadline: a typed error, and each of their events reported once
  // (DeadlineExceeded, never sent).
  for (const err of run.rejected) expect(err).toBeInstanceOf(EventNotAcceptedError);
  const neverSent = run.failures.filter((f) => f.attempts === 0 && f.errorCode === 'DeadlineExceeded').length;
  expect(run.rejected.length).toBeLessThanOrEqual(neverSent);
  const released = new Set(run.rejected as EventNotAcceptedError[]);
  expect([...released].reduce((n, e) => n + e.count, 0)).toBe(run.rejected.length);
}

const FAULTS: { name: string; hook: FaultHook; codes: readonly string[] }[] = [
  { name: 'trickled answers (headers, then one byte every 100 ms)', hook: () => ({ kind: 'trickle', intervalMs: 100 }), codes: ['TimeoutError', 'DeadlineExceeded'] },
  { name: 'hanging connections (request read, never answered)', hook: () => ({ kind: 'hang' }), codes: ['TimeoutError', 'DeadlineExceeded'] },
  {
    name: 'connection resets',
    hook: () => ({ kind: 'reset' }),
    // The SDK names "socket hang up" TimeoutError. Under jest, Node's error comes from another
    // realm than the SDK's `Error`, and the SDK wraps it in a plain Error ("AWS SDK error wrapper").
    codes: ['ECONNRESET', 'EPIPE', 'TimeoutError', 'Error', 'DeadlineExceeded'],
  },
  {
    name: 'entries with neither RecordId nor ErrorCode',
    hook: () => ({ kind: 'unconfirmed' }),
    // TimeoutError: on a starved machine any call may run out of its 250 ms.
    codes: ['MissingRecordId', 'TimeoutError', 'DeadlineExceeded'],
  },
];

describe.each(FAULTS)('close() against $name', ({ hook, codes }) => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;

  beforeAll(async () => {
    standIn = new FirehoseStandIn({ fault: hook, streams: EVENT_TYPES.map(([a, t]) => streamOf(a, t)) });
    started = await standIn.start();
  });
  afterAll(async () => {
    await started.close();
  });

  it('settles within its bound, delivers nothing unconfirmed and reports every event once', async () => {
    // Act
    const run = await trackAndClose(started.endpoint);

    // Assess
    const stored = new Set(standIn.allRecords().flatMap((r) => unpack(r.data).map((e) => e.event_id as string)));
    assertAccounted(run, stored, 0);
    expect(run.tracker.metrics().eventsDelivered).toBe(0);
    expect(run.failures).toHaveLength(EVENTS);
    expect([...new Set(run.failures.map((f) => f.errorCode))].filter((c) => !codes.includes(c))).toEqual([]);
    // Calls were really made (and cut off), and some events waited for room and were released.
    expect(standIn.calls.length).toBeGreaterThan(0);
    expect(run.rejected.length).toBeGreaterThan(0);
  });
});

describe('close() against a server that accepts connections and never answers', () => {
  let hole: BlackHole;

  beforeAll(async () => {
    hole = await startBlackHole();
  });
  afterAll(async () => {
    await hole.close();
  });

  it.each<{ mode: 'direct' | 'root-stream'; environment: string }>([
    { mode: 'direct', environment: 'prod' },
    { mode: 'root-stream', environment: 'dev' },
  ])('settles within its bound in $mode mode and reports every event once', async ({ mode, environment }) => {
    // Act
    const run = await trackAndClose(hole.endpoint, { mode, environment });

    // Assess
    assertAccounted(run, new Set(), 0);
    expect(run.failures).toHaveLength(EVENTS);
    expect([...new Set(run.failures.map((f) => f.errorCode))].filter((c) => c !== 'TimeoutError' && c !== 'DeadlineExceeded')).toEqual([]);
    expect(hole.connections()).toBeGreaterThan(0);
  });

  it('settles within a close({ timeoutMs }) shorter than the retry window, with 100 streams of pending events', async () => {
    // Prepare: 100 event types, one concurrency slot, retry window far longer than the close timeout.
    const apps = Array.from({ length: 10 }, (_, a) => `  - name: app-${a}\n    eventTypes: [${Array.from({ length: 10 }, (_, t) => `t${t}`).join(', ')}]`).join('\n');
    const { parseConfig } = await import('../../config/loader');
    const { buildManifest } = await import('../../config/manifest');
    const manifest = buildManifest(parseConfig(`project: acme\nenvironments:\n  prod: { region: us-east-1 }\napplications:\n${apps}\n`, 'big.yaml'));
    const failures: FailedEvent[] = [];
    const tracker = createTracker(
      trackerOptions({
        manifest,
        endpoint: hole.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        requestTimeoutMs: 5_000,
        retryDeadlineMs: 15_000,
        maxConcurrentRequests: 1,
        maxBatchDelayMs: 60_000,
        onDeliveryFailure: (f) => failures.push(...f),
      }),
    );
    for (let a = 0; a < 10; a++) for (let t = 0; t < 10; t++) void tracker.track(`app-${a}`, `t${t}`, { a, t });

    // Act
    const t0 = Date.now();
    await tracker.close({ timeoutMs: 300 });
    const closeMs = Date.now() - t0;

    // Assess
    expect(closeMs).toBeLessThanOrEqual(300 + MARGIN_MS);
    expect(failures).toHaveLength(100);
    expect(new Set(failures.map((f) => f.destination)).size).toBe(100);
    expect(tracker.metrics()).toMatchObject({ eventsDelivered: 0, eventsFailed: 100, eventsPending: 0 });
  });
});

describe('a second close() with an earlier deadline', () => {
  let hole: BlackHole;

  beforeAll(async () => {
    hole = await startBlackHole();
  });
  afterAll(async () => {
    await hole.close();
  });

  it('brings the deadline forward and returns the same promise', async () => {
    // Prepare
    const failures: FailedEvent[] = [];
    const tracker = createTracker(
      trackerOptions({
        endpoint: hole.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        requestTimeoutMs: 5_000,
        retryDeadlineMs: 15_000,
        onDeliveryFailure: (f) => failures.push(...f),
      }),
    );
    for (let i = 0; i < 20; i++) void tracker.track('web-shop', 'page_view', { i });

    // Act
    const t0 = Date.now();
    const first = tracker.close();
    const second = tracker.close({ timeoutMs: 100 });
    await second;

    // Assess
    expect(second).toBe(first);
    expect(Date.now() - t0).toBeLessThanOrEqual(100 + MARGIN_MS);
    expect(failures).toHaveLength(20);
  });
});

describe('close() under a random mix of every fault and normal answers', () => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;
  const answered = new Set<number>();

  beforeAll(async () => {
    const random = lcg(7);
    const pick = (index: number): Fault | undefined => {
      const x = random();
      if (x < 0.1) return { kind: 'trickle', intervalMs: 100 };
      if (x < 0.2) return { kind: 'hang' };
      if (x < 0.3) return { kind: 'reset' };
      if (x < 0.4) return { kind: 'unconfirmed', entries: () => random() < 0.5 };
      if (x < 0.5) return { kind: 'partial', failed: () => random() < 0.5 };
      answered.add(index);
      return undefined;
    };
    standIn = new FirehoseStandIn({
      fault: (call) => {
        const f = pick(call.index);
        if (f?.kind === 'unconfirmed' || f?.kind === 'partial') answered.add(call.index);
        return f;
      },
    });
    started = await standIn.start();
  });
  afterAll(async () => {
    await started.close();
  });

  it('delivers what was confirmed, reports the rest once, and settles within its bound', async () => {
    // Act
    const run = await trackAndClose(started.endpoint, { maxBufferedBytes: 30_000, retryDeadlineMs: 1_500 });

    // Assess
    const stored = new Set(standIn.allRecords().flatMap((r) => unpack(r.data).map((e) => e.event_id as string)));
    assertAccounted(run, stored, confirmedAtStandIn(standIn, answered).size);
    expect(run.tracker.metrics().eventsDelivered).toBeGreaterThan(0);
  });
});

describe('flush() against a hanging endpoint', () => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;

  beforeAll(async () => {
    standIn = new FirehoseStandIn({ fault: () => ({ kind: 'hang' }) });
    started = await standIn.start();
  });
  afterAll(async () => {
    await started.close();
  });

  it('settles within its bound, rejects with every unreported event, and leaves the tracker usable', async () => {
    // Prepare
    const tracker = createTracker(
      trackerOptions({ endpoint: started.endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, ...FAST }),
    );
    const waits: Promise<unknown>[] = [];
    for (let seq = 0; seq < 200; seq++) waits.push(tracker.track('web-shop', 'page_view', { seq, pad: 'p'.repeat(200) }).catch((e: unknown) => e));

    // Act
    const t0 = Date.now();
    const err = await tracker.flush({ timeoutMs: 400 }).catch((e: unknown) => e);
    const flushMs = Date.now() - t0;
    const outcomes = await Promise.all(waits);

    // Assess
    expect(flushMs).toBeLessThanOrEqual(400 + MARGIN_MS);
    expect(err).toMatchObject({ name: 'DeliveryError' });
    expect((err as { failures: FailedEvent[] }).failures).toHaveLength(200);
    expect(outcomes.filter((o) => o instanceof EventNotAcceptedError).length).toBeGreaterThan(0);
    expect(tracker.metrics()).toMatchObject({ eventsTracked: 200, eventsFailed: 200, eventsPending: 0, eventsWaiting: 0 });
    // Still open: new events are accepted; then the endpoint recovers and close() delivers them.
    standIn.setFault(undefined);
    await tracker.track('web-shop', 'page_view', { after: true });
    await tracker.close();
    expect(tracker.metrics().eventsDelivered).toBe(1);
  });
});
