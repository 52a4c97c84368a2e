/**
 * Tracker client: throughput in-process against the local Firehose stand-in, and the cost effect
 * of packing (records sent and billed 5 KB units per 1,000 events).
 *
 *   node scripts/build.mjs && node dist/bench/client.js
 *
 * Event sizes are of the serialized event as sent (envelope included), the bytes Firehose bills.
 * The stand-in runs in the same process, so the throughput figure includes its share of the CPU
 * (base64 and JSON decoding of every call): a conservative figure.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { parseConfig } from '../config/loader';
import { buildManifest, type TrackingManifest } from '../config/manifest';
import { createTracker, FIREHOSE_BILLING_INCREMENT_BYTES, type TrackerOptions } from '../client';
import { envelope, envelopeHead } from '../client/envelope';
import { FirehoseStandIn, type StartedStandIn } from '../__tests__/helpers/firehose-standin';

const THROUGHPUT_EVENTS = 200_000;
const THROUGHPUT_EVENT_BYTES = 512;
const RUNS = 3;
const COST_EVENTS = 1_000;
const COST_SIZES = [512, 1_024, 4_096] as const;
const GOAL_EVENTS_PER_SECOND = 50_000;
const GOAL_RATIO_SMALL = 8;

const CONFIG = `
project: bench
environments:
  prod: { region: us-east-1 }
applications:
  - name: web-shop
    eventTypes: [page_view, product_view, add_to_cart, checkout_completed]
  - name: mobile-app
    eventTypes: [app_open, screen_view]
`;
const MANIFEST: TrackingManifest = buildManifest(parseConfig(CONFIG, 'bench.yaml'));
const TYPES: (readonly [string, string])[] = Object.values(MANIFEST.environments.prod!.eventTypes).map((t) => [t.application, t.eventType] as const);

/** An event whose serialized envelope is exactly `bytes` bytes for app/type. */
function eventOf(bytes: number, app: string, type: string, seq: number): Record<string, unknown> {
  const probe = { seq, pad: '' };
  const overhead = Buffer.byteLength(envelope(app, type, envelopeHead(app, type), probe).json);
  return { seq, pad: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

function options(standIn: StartedStandIn, overrides: Partial<TrackerOptions> = {}): TrackerOptions {
  return {
    project: 'bench',
    environment: 'prod',
    manifest: MANIFEST,
    endpoint: standIn.endpoint,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    ...overrides,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function throughputEndToEnd(standIn: FirehoseStandIn, started: StartedStandIn): Promise<{ eps: number; calls: number; records: number }> {
  // Pre-build the events: the figure is the tracker's, not the benchmark's object allocation.
  const events = Array.from({ length: THROUGHPUT_EVENTS }, (_, i) => {
    const [app, type] = TYPES[i % TYPES.length]!;
    return { app, type, event: eventOf(THROUGHPUT_EVENT_BYTES, app, type, i) };
  });
  standIn.reset();
  const tracker = createTracker(options(started));
  const t0 = process.hrtime.bigint();
  for (const e of events) {
    await tracker.track(e.app, e.type, e.event);
  }
  await tracker.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = tracker.metrics();
  if (m.eventsDelivered !== THROUGHPUT_EVENTS) throw new Error(`delivered ${m.eventsDelivered} of ${THROUGHPUT_EVENTS}`);
  return { eps: THROUGHPUT_EVENTS / seconds, calls: m.calls, records: m.recordsSent };
}

/** The hot path alone: track() into the buffer, with a client that acknowledges at once. */
async function throughputHotPath(): Promise<number> {
  const events = Array.from({ length: THROUGHPUT_EVENTS }, (_, i) => {
    const [app, type] = TYPES[i % TYPES.length]!;
    return { app, type, event: eventOf(THROUGHPUT_EVENT_BYTES, app, type, i) };
  });
  const fake = {
    send: async (cmd: { input: { Records: unknown[] } }) => ({
      FailedPutCount: 0,
      RequestResponses: cmd.input.Records.map(() => ({ RecordId: 'r' })),
    }),
    destroy: () => undefined,
  } as unknown as FirehoseClient;
  const tracker = createTracker({ project: 'bench', environment: 'prod', manifest: MANIFEST, firehoseClient: fake });
  const t0 = process.hrtime.bigint();
  for (const e of events) {
    await tracker.track(e.app, e.type, e.event);
  }
  await tracker.close();
  return THROUGHPUT_EVENTS / (Number(process.hrtime.bigint() - t0) / 1e9);
}

interface CostRow {
  readonly size: number;
  readonly packing: boolean;
  readonly records: number;
  readonly units: number;
  readonly unitsAtStandIn: number;
}

async function cost(standIn: FirehoseStandIn, started: StartedStandIn, size: number, packing: boolean): Promise<CostRow> {
  standIn.reset();
  const tracker = createTracker(options(started, { packing, maxBatchDelayMs: 60_000 }));
  for (let i = 0; i < COST_EVENTS; i++) await tracker.track('web-shop', 'page_view', eventOf(size, 'web-shop', 'page_view', i));
  await tracker.close();
  const m = tracker.metrics();
  // Cross-check against what the stand-in received.
  const unitsAtStandIn = standIn
    .allRecords()
    .reduce((n, r) => n + Math.max(1, Math.ceil(r.data.length / FIREHOSE_BILLING_INCREMENT_BYTES)), 0);
  return { size, packing, records: m.recordsSent, units: m.billedUnits, unitsAtStandIn };
}

async function main(): Promise<void> {
  const standIn = new FirehoseStandIn();
  const started = await standIn.start();
  try {
    console.log(`Tracker client benchmark (node ${process.version}, ${THROUGHPUT_EVENTS.toLocaleString('en-US')} events of ${THROUGHPUT_EVENT_BYTES} B, ${RUNS} runs, median)\n`);
    await throughputEndToEnd(standIn, started); // warm-up
    const e2e: number[] = [];
    let shape = { calls: 0, records: 0 };
    for (let i = 0; i < RUNS; i++) {
      const r = await throughputEndToEnd(standIn, started);
      e2e.push(r.eps);
      shape = { calls: r.calls, records: r.records };
    }
    await throughputHotPath(); // warm-up
    const hot: number[] = [];
    for (let i = 0; i < RUNS; i++) hot.push(await throughputHotPath());

    const e2eMedian = median(e2e);
    console.log('| Throughput | events/s (median) | min | max | goal |');
    console.log('|---|---:|---:|---:|---|');
    console.log(
      `| end to end vs local stand-in (packing on; ${shape.calls} calls, ${shape.records.toLocaleString('en-US')} records) | ${fmt(e2eMedian)} | ${fmt(Math.min(...e2e))} | ${fmt(Math.max(...e2e))} | >= ${fmt(GOAL_EVENTS_PER_SECOND)} ${e2eMedian >= GOAL_EVENTS_PER_SECOND ? 'met' : 'MISSED'} |`,
    );
    console.log(`| track() hot path, no I/O | ${fmt(median(hot))} | ${fmt(Math.min(...hot))} | ${fmt(Math.max(...hot))} | |`);

    console.log(`\nCost per ${COST_EVENTS.toLocaleString('en-US')} events (billed unit = ${FIREHOSE_BILLING_INCREMENT_BYTES} B, packed record <= ${FIREHOSE_BILLING_INCREMENT_BYTES} B)\n`);
    console.log('| Event size | Records (no packing) | Billed units (no packing) | Records (packing) | Billed units (packing) | Ratio |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    let smallRatio = 0;
    for (const size of COST_SIZES) {
      const off = await cost(standIn, started, size, false);
      const on = await cost(standIn, started, size, true);
      for (const r of [off, on]) {
        if (r.units !== r.unitsAtStandIn) throw new Error(`billed units disagree: tracker ${r.units}, stand-in ${r.unitsAtStandIn}`);
      }
      const ratio = off.units / on.units;
      if (size === 512) smallRatio = ratio;
      console.log(`| ${size} B | ${off.records} | ${off.units} | ${on.records} | ${on.units} | ${ratio.toFixed(2)}x |`);
    }
    console.log(`\nGoal: >= ${GOAL_RATIO_SMALL}x fewer billed units for 0.5 KB events: ${smallRatio >= GOAL_RATIO_SMALL ? 'met' : 'MISSED'} (${smallRatio.toFixed(2)}x)`);
  } finally {
    await started.close();
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
