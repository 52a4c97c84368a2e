/**
 * Tracker client under faults: the worst close() time observed under each misbehaving endpoint,
 * next to the documented bound, with delivered + reported = tracked checked on every run.
 *
 *   node scripts/build.mjs && node dist/bench/client-faults.js [--runs N] [--quick]
 *
 * The endpoints run on 127.0.0.1 in this process (__tests__/helpers/firehose-standin.ts): answers
 * trickled one byte every 100 ms, requests read and never answered, connection resets, a TCP
 * server that accepts and never reads, and answers whose entries have neither RecordId nor
 * ErrorCode. The scenarios are those of issue #10 (which measured 10-75 s, or no end at all, on
 * the previous client). `--quick` skips the run with default settings (20 s).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../config/loader';
import { buildManifest, type TrackingManifest } from '../config/manifest';
import { createTracker, type FailedEvent, type TrackerOptions } from '../client/node/index';
import { FirehoseStandIn, startBlackHole, type Fault } from '../__tests__/helpers/firehose-standin';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? '') || 5;
const QUICK = args.includes('--quick');

/** A manifest with `types` event types (10 per application). */
function manifestOf(types: number): TrackingManifest {
  const apps: string[] = [];
  for (let a = 0; a * 10 < types; a++) {
    const names = Array.from({ length: Math.min(10, types - a * 10) }, (_, t) => `t${t}`);
    apps.push(`  - name: app-${a}\n    eventTypes: [${names.join(', ')}]`);
  }
  return buildManifest(parseConfig(`project: bench\nenvironments:\n  prod: { region: us-east-1 }\napplications:\n${apps.join('\n')}\n`, 'bench.yaml'));
}

type Endpoint = { kind: 'fault'; fault: Fault } | { kind: 'black-hole' };

interface Scenario {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly types: number;
  readonly events: number;
  readonly options: Partial<TrackerOptions>;
  readonly runs: number;
  /** Measure the heap while the calls wait (one run only). */
  readonly heap?: boolean;
}

const FAST: Partial<TrackerOptions> = { retryDeadlineMs: 1_000, requestTimeoutMs: 300 };
const SMALL_BUFFER: Partial<TrackerOptions> = { ...FAST, maxBufferedBytes: 64 * 1024 };

const SCENARIOS: Scenario[] = [
  { name: 'trickled answers (1 byte / 100 ms), 60 events', endpoint: { kind: 'fault', fault: { kind: 'trickle', intervalMs: 100 } }, types: 6, events: 60, options: FAST, runs: RUNS },
  { name: 'hanging connections, 600 events', endpoint: { kind: 'fault', fault: { kind: 'hang' } }, types: 6, events: 600, options: FAST, runs: RUNS },
  { name: 'connection resets, 600 events', endpoint: { kind: 'fault', fault: { kind: 'reset' } }, types: 6, events: 600, options: FAST, runs: RUNS },
  { name: 'accepts and never answers, 600 events', endpoint: { kind: 'black-hole' }, types: 6, events: 600, options: FAST, runs: RUNS },
  { name: 'entries with neither RecordId nor ErrorCode, 600 events', endpoint: { kind: 'fault', fault: { kind: 'unconfirmed' } }, types: 6, events: 600, options: FAST, runs: RUNS },
  {
    name: 'accepts and never answers, 60 event types, maxConcurrentRequests 2',
    endpoint: { kind: 'black-hole' },
    types: 60,
    events: 600,
    options: { ...FAST, maxConcurrentRequests: 2 },
    runs: RUNS,
  },
  { name: 'hanging connections, 4,000 un-awaited track(), maxBufferedBytes 64 KiB', endpoint: { kind: 'fault', fault: { kind: 'hang' } }, types: 6, events: 4_000, options: SMALL_BUFFER, runs: RUNS },
  {
    name: 'hanging connections, 20,000 un-awaited track(), maxBufferedBytes 64 KiB',
    endpoint: { kind: 'fault', fault: { kind: 'hang' } },
    types: 6,
    events: 20_000,
    options: SMALL_BUFFER,
    runs: Math.max(1, Math.min(RUNS, 3)),
    heap: true,
  },
  ...(QUICK
    ? []
    : [{ name: 'accepts and never answers, default settings, 100 event types', endpoint: { kind: 'black-hole' } as Endpoint, types: 100, events: 1_000, options: {}, runs: 1 }]),
];

interface RunResult {
  readonly closeMs: number;
  readonly boundMs: number;
  readonly heapGrowth?: number;
  readonly heapBound?: number;
}

async function runOnce(s: Scenario, manifest: TrackingManifest, endpoint: string): Promise<RunResult> {
  let reported = 0;
  const ids = new Set<string>();
  const tracker = createTracker({
    project: 'bench',
    environment: 'prod',
    manifest,
    endpoint,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    ...s.options,
    onDeliveryFailure: (failures: readonly FailedEvent[]) => {
      reported += failures.length;
      for (const f of failures) ids.add(f.eventId);
    },
  });
  const types = Object.values(manifest.environments.prod!.eventTypes);
  const before = s.heap === true ? heapUsed() : 0;
  for (let i = 0; i < s.events; i++) {
    const t = types[i % types.length]!;
    void tracker.track(t.application, t.eventType, { seq: i, pad: 'x'.repeat(150) });
  }
  let heapGrowth: number | undefined;
  let heapBound: number | undefined;
  if (s.heap === true) {
    const m = tracker.metrics();
    heapGrowth = heapUsed() - before;
    heapBound = tracker.options.maxBufferedBytes + m.waitingBytes + m.eventsWaiting * 512;
  }
  const t0 = process.hrtime.bigint();
  await tracker.close().catch(() => undefined);
  const closeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = tracker.metrics();
  if (m.eventsDelivered + reported !== s.events || ids.size !== reported || m.eventsPending !== 0 || m.eventsWaiting !== 0) {
    throw new Error(`${s.name}: delivered ${m.eventsDelivered} + reported ${reported} (${ids.size} distinct) != tracked ${s.events}`);
  }
  const o = tracker.options;
  return { closeMs, boundMs: o.retryDeadlineMs + o.requestTimeoutMs, ...(heapGrowth !== undefined ? { heapGrowth, heapBound: heapBound! } : {}) };
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  console.log(`Tracker client under faults (node ${process.version}; worst of N runs of close(), each checked: delivered + reported = tracked)\n`);
  console.log('| Fault | Documented bound | Worst close() | Worst over the deadline | Median | Runs | Previous client (issue #10) |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  const previous: Record<string, string> = {
    'trickled answers (1 byte / 100 ms), 60 events': 'never settled (still pending after 75 s)',
    'accepts and never answers, 60 event types, maxConcurrentRequests 2': '10 s',
    'hanging connections, 4,000 un-awaited track(), maxBufferedBytes 64 KiB': '29 s',
    'hanging connections, 20,000 un-awaited track(), maxBufferedBytes 64 KiB': 'more than 30 s; heap +25-30 MiB',
    'accepts and never answers, default settings, 100 event types': '75 s',
  };
  const heapLines: string[] = [];
  for (const s of SCENARIOS) {
    const manifest = manifestOf(s.types);
    let endpoint: string;
    let stop: () => Promise<void>;
    if (s.endpoint.kind === 'black-hole') {
      const hole = await startBlackHole();
      endpoint = hole.endpoint;
      stop = hole.close;
    } else {
      const fault = s.endpoint.fault;
      const standIn = new FirehoseStandIn({ fault: () => fault });
      const started = await standIn.start();
      endpoint = started.endpoint;
      stop = started.close;
    }
    const results: RunResult[] = [];
    try {
      for (let r = 0; r < s.runs; r++) results.push(await runOnce(s, manifest, endpoint));
    } finally {
      await stop();
    }
    const times = results.map((r) => r.closeMs).sort((a, b) => a - b);
    const worst = times[times.length - 1]!;
    const median = times[Math.floor(times.length / 2)]!;
    const bound = results[0]!.boundMs;
    const over = Math.round(worst - bound);
    console.log(
      `| ${s.name} | ${fmtMs(bound)} + settle | ${fmtMs(worst)} | ${over > 0 ? `+${over} ms` : 'none'} | ${fmtMs(median)} | ${s.runs} | ${previous[s.name] ?? ''} |`,
    );
    for (const r of results) {
      if (r.heapGrowth !== undefined) {
        heapLines.push(`- ${s.name}: heap +${(r.heapGrowth / 1048576).toFixed(1)} MiB while the calls wait; bound (maxBufferedBytes + waiting events + 512 B per waiting call) ${(r.heapBound! / 1048576).toFixed(1)} MiB`);
      }
    }
  }
  if (heapLines.length > 0) console.log(`\n${heapLines.join('\n')}`);
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
