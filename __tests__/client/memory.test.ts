/**
 * Memory stays bounded while the endpoint hangs: 20,000 track() calls, none awaited, against a
 * Firehose stand-in that never answers, with maxBufferedBytes = 64 KiB. The heap holds at most
 * maxBufferedBytes of accepted events plus, per waiting call, its serialized event and the
 * documented per-caller overhead; close() settles within its bound, reports every event once, and
 * gives the memory back.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTracker, type FailedEvent } from '../../client/node/index';
import { FirehoseStandIn, type StartedStandIn } from '../helpers/firehose-standin';
import { EVENT_TYPES, trackerOptions } from './factories';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CALLS = 20_000;
const MAX_BUFFERED = 64 * 1024;
/** Documented in docs/client.md ("Memory"): bookkeeping of one waiting track() call, event bytes excluded. */
const PER_CALLER_OVERHEAD = 512;
/** Room for what the test itself and the SDK allocate (clients, sockets, in-flight requests). */
const SLACK = 4 * 1024 * 1024;
const CLOSE_MARGIN_MS = 5_000;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('memory while the endpoint hangs', () => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;

  beforeAll(async () => {
    standIn = new FirehoseStandIn({ fault: () => ({ kind: 'hang' }) });
    started = await standIn.start();
  });
  afterAll(async () => {
    await started.close();
  });

  it('20,000 un-awaited track() calls stay within maxBufferedBytes + per-caller overhead, and close() settles and frees them', async () => {
    // Prepare
    const failures: FailedEvent[] = [];
    const options = trackerOptions({
      endpoint: started.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxBufferedBytes: MAX_BUFFERED,
      requestTimeoutMs: 400,
      retryDeadlineMs: 600,
      maxBatchDelayMs: 10,
      onDeliveryFailure: (f) => {
        for (const x of f) failures.push(x);
      },
    });
    // Warm up: load and JIT everything once, so the baseline includes code, not our data.
    const warm = createTracker({ ...options, onDeliveryFailure: () => undefined });
    for (let i = 0; i < 200; i++) void warm.track('web-shop', 'page_view', { seq: i, pad: 'w'.repeat(150) });
    await warm.close({ timeoutMs: 50 });
    const tracker = createTracker(options);
    const before = heapUsed();

    // Act
    for (let i = 0; i < CALLS; i++) {
      const [app, type] = EVENT_TYPES[i % EVENT_TYPES.length]!;
      void tracker.track(app, type, { seq: i, pad: 'x'.repeat(150) });
    }
    const waiting = tracker.metrics();
    const during = heapUsed() - before;
    const t0 = Date.now();
    await tracker.close();
    const closeMs = Date.now() - t0;
    await new Promise((r) => setImmediate(r));

    // Assess
    const bound = MAX_BUFFERED + waiting.waitingBytes + waiting.eventsWaiting * PER_CALLER_OVERHEAD + SLACK;
    expect(waiting.eventsTracked).toBe(CALLS);
    expect(waiting.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED);
    expect(waiting.eventsWaiting).toBeGreaterThan(CALLS * 0.9);
    expect(during).toBeLessThanOrEqual(bound);
    expect(closeMs).toBeLessThanOrEqual(options.retryDeadlineMs! + options.requestTimeoutMs! + CLOSE_MARGIN_MS);
    const m = tracker.metrics();
    expect(m.eventsDelivered).toBe(0);
    expect(failures).toHaveLength(CALLS);
    expect(new Set(failures.map((f) => f.eventId)).size).toBe(CALLS);
    expect(m).toMatchObject({ eventsFailed: CALLS, eventsPending: 0, eventsWaiting: 0, bufferedBytes: 0, waitingBytes: 0 });
    // Released: the failures themselves are still referenced here; drop them and the heap returns.
    failures.length = 0;
    expect(heapUsed() - before).toBeLessThanOrEqual(SLACK);
  });
});
