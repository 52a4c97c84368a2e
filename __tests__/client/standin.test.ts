/**
 * End to end in direct mode: the real SDK, through the tracker's `endpoint` option (dummy
 * credentials), against the local Firehose stand-in, under injected partial failures, throttling,
 * 5xx, timeouts and connection resets. 10,000 events of mixed types and sizes.
 */
import { createTracker, type FailedEvent } from '../../client/node/index';
import { FIREHOSE_LIMITS, FirehoseStandIn, type Fault, type FaultHook, type StartedStandIn } from '../helpers/firehose-standin';
import { EVENT_TYPES, eventOfSize, streamOf, trackerOptions, unpack } from './factories';

const EVENTS = 10_000;

/** Deterministic pseudo-random numbers. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Mostly small events, some medium, a few over 5 KB and a handful close to the 1,000 KiB limit. */
function sizeOf(i: number, random: () => number): number {
  if (i % 1_000 === 500) return 1_000_000 + Math.floor(random() * 20_000);
  const r = random();
  if (r < 0.7) return 50 + Math.floor(random() * 600);
  if (r < 0.9) return 1_000 + Math.floor(random() * 3_000);
  return 5_000 + Math.floor(random() * 20_000);
}

function faults(seed: number, pick: (random: () => number) => Fault | undefined): FaultHook {
  const random = lcg(seed);
  return () => pick(random);
}

const PATTERNS: { name: string; hook: FaultHook | undefined }[] = [
  { name: 'no faults', hook: undefined },
  {
    name: 'partial failures',
    hook: faults(1, (r) => (r() < 0.4 ? { kind: 'partial', failed: () => r() < 0.3, errorCode: r() < 0.5 ? 'ServiceUnavailableException' : 'InternalFailure' } : undefined)),
  },
  {
    name: 'throttling and 5xx',
    hook: faults(2, (r) => {
      const x = r();
      if (x < 0.2) return { kind: 'error', type: 'ThrottlingException', status: 400 };
      if (x < 0.35) return { kind: 'error', type: 'ServiceUnavailableException', status: 500 };
      return undefined;
    }),
  },
  {
    name: 'timeouts and resets',
    hook: faults(3, (r) => {
      const x = r();
      if (x < 0.1) return { kind: 'delay', ms: 2_500 };
      if (x < 0.2) return { kind: 'reset' };
      return undefined;
    }),
  },
  {
    name: 'everything at once',
    hook: faults(4, (r) => {
      const x = r();
      if (x < 0.1) return { kind: 'partial', failed: () => r() < 0.5 };
      if (x < 0.2) return { kind: 'error', type: 'ThrottlingException' };
      if (x < 0.25) return { kind: 'error', type: 'InternalFailure', status: 500 };
      if (x < 0.3) return { kind: 'delay', ms: 2_500, then: { kind: 'partial', failed: () => r() < 0.5 } };
      if (x < 0.35) return { kind: 'reset' };
      return undefined;
    }),
  },
];

describe.each(PATTERNS)('10,000 events through the Firehose stand-in: $name', ({ hook }) => {
  let standIn: FirehoseStandIn;
  let started: StartedStandIn;

  beforeAll(async () => {
    standIn = new FirehoseStandIn({ fault: hook, streams: EVENT_TYPES.map(([a, t]) => streamOf(a, t)) });
    started = await standIn.start();
  });
  afterAll(async () => {
    await started.close();
  });

  it('delivers every event at least once, to its stream, within the limits, and reports nothing lost', async () => {
    // Prepare
    const random = lcg(42);
    const failures: FailedEvent[] = [];
    const tracker = createTracker(
      trackerOptions({
        endpoint: started.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        requestTimeoutMs: 2_000,
        retryDeadlineMs: 30_000,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 20,
        maxBatchDelayMs: 10,
        onDeliveryFailure: (f) => failures.push(...f),
      }),
    );
    const sent = new Map<number, { stream: string; pad: number }>();

    // Act
    for (let seq = 0; seq < EVENTS; seq++) {
      const [app, type] = EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)]!;
      const event = eventOfSize(sizeOf(seq, random), seq);
      sent.set(seq, { stream: streamOf(app, type), pad: (event.pad as string).length });
      await tracker.track(app, type, event);
    }
    // close() is bounded (retryDeadlineMs + requestTimeoutMs by default) and reports what is not
    // confirmed by then; this test is about delivery under faults, so give a starved CI machine time.
    await tracker.close({ timeoutMs: 50_000 });

    // Assess: limits of every call.
    expect(standIn.violations).toEqual([]);
    for (const call of standIn.calls) {
      expect(call.records).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordsPerCall);
      expect(call.bytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
      expect(call.maxRecordBytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordBytes);
    }
    // Packed records split back into the original events, each in its own stream.
    const received = new Set<number>();
    const misrouted: number[] = [];
    const corrupted: number[] = [];
    for (const record of standIn.allRecords()) {
      for (const e of unpack(record.data)) {
        const seq = e.seq as number;
        const original = sent.get(seq);
        if (original === undefined || (e.pad as string).length !== original.pad) corrupted.push(seq);
        else if (streamOf(e.app as string, e.event_type as string) !== record.stream || original.stream !== record.stream) misrouted.push(seq);
        received.add(seq);
      }
    }
    expect(corrupted).toEqual([]);
    expect(misrouted).toEqual([]);
    // Every event arrived or was reported; none silently lost.
    const reported = new Set(failures.map((f) => JSON.parse(f.data).seq as number));
    const lost = [...sent.keys()].filter((seq) => !received.has(seq) && !reported.has(seq));
    expect(lost).toEqual([]);
    expect(failures).toEqual([]);
    const m = tracker.metrics();
    expect(m.eventsAccepted).toBe(EVENTS);
    expect(m.eventsDelivered + m.eventsFailed).toBe(EVENTS);
    expect(m.eventsPending).toBe(0);
    if (hook !== undefined) expect(m.retries).toBeGreaterThan(0);
  });
});
