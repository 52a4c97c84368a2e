/**
 * Tracker client: throughput in-process against the local Firehose stand-in, and the cost effect
 * of packing (records sent and billed 5 KB units per 1,000 events).
 *
 *   node scripts/build.mjs && node dist/bench/client.js
 *
 * Event sizes are of the serialized event as sent (envelope included), the bytes Firehose bills.
 * Throughput is measured twice: with the stand-in in the same thread (it competes with the tracker
 * for the CPU: base64 and JSON decoding of every call, a conservative figure), and with the
 * stand-in in a worker thread (closer to a real service, which does not run on the producer's CPU).
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { parseConfig } from '../config/loader';
import { buildManifest, type TrackingManifest } from '../config/manifest';
import { createTracker, FIREHOSE_BILLING_INCREMENT_BYTES, type TrackerOptions } from '../client/node/index';
import { buildEnvelope } from '../lib/envelope';
import { FirehoseStandIn, type StartedStandIn } from '../__tests__/helpers/firehose-standin';

const THROUGHPUT_EVENTS = 200_000;
const THROUGHPUT_EVENT_BYTES = 512;
const RUNS = 3;
const COST_EVENTS = 1_000;
const COST_SIZES = [512, 1_024, 4_096] as const;
const GOAL_EVENTS_PER_SECOND = 50_000;
const GOAL_RATIO_SMALL = 8;
/** close() is bounded; a benchmark on a busy machine must not turn slowness into reported events. */
const CLOSE_TIMEOUT_MS = 300_000;

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

const pads = new Map<number, string>();

/** An event whose serialized envelope is exactly `bytes` bytes for app/type (pads are shared strings). */
function eventOf(bytes: number, app: string, type: string, seq: number): Record<string, unknown> {
  const probe = { seq, pad: '' };
  const probed = buildEnvelope(app, type, probe);
  if (!probed.ok) throw new Error(probed.message);
  const overhead = Buffer.byteLength(probed.json);
  const n = Math.max(0, bytes - overhead);
  let pad = pads.get(n);
  if (pad === undefined) {
    pad = 'x'.repeat(n);
    pads.set(n, pad);
  }
  return { seq, pad };
}

/** Same size as eventOf for a 6-digit seq, without the probe: for the throughput loops. */
function quickEvent(template: { readonly pad: string }, seq: number): Record<string, unknown> {
  return { seq: 100_000 + (seq % 900_000), pad: template.pad };
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
  const templates = TYPES.map(([app, type]) => ({ app, type, pad: eventOf(THROUGHPUT_EVENT_BYTES, app, type, 100_000).pad as string }));
  standIn.reset();
  const tracker = createTracker(options(started));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < THROUGHPUT_EVENTS; i++) {
    const t = templates[i % templates.length]!;
    await tracker.track(t.app, t.type, quickEvent(t, i));
  }
  await tracker.close({ timeoutMs: CLOSE_TIMEOUT_MS });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = tracker.metrics();
  if (m.eventsDelivered !== THROUGHPUT_EVENTS) throw new Error(`delivered ${m.eventsDelivered} of ${THROUGHPUT_EVENTS}`);
  return { eps: THROUGHPUT_EVENTS / seconds, calls: m.calls, records: m.recordsSent };
}

/** The hot path alone: track() into the buffer, with a client that acknowledges at once. */
async function throughputHotPath(): Promise<number> {
  const templates = TYPES.map(([app, type]) => ({ app, type, pad: eventOf(THROUGHPUT_EVENT_BYTES, app, type, 100_000).pad as string }));
  const fake = {
    send: async (cmd: { input: { Records: unknown[] } }) => ({
      FailedPutCount: 0,
      RequestResponses: cmd.input.Records.map(() => ({ RecordId: 'r' })),
    }),
    destroy: () => undefined,
  } as unknown as FirehoseClient;
  const tracker = createTracker({ project: 'bench', environment: 'prod', manifest: MANIFEST, firehoseClient: fake });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < THROUGHPUT_EVENTS; i++) {
    const t = templates[i % templates.length]!;
    await tracker.track(t.app, t.type, quickEvent(t, i));
  }
  await tracker.close({ timeoutMs: CLOSE_TIMEOUT_MS });
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
  await tracker.close({ timeoutMs: CLOSE_TIMEOUT_MS });
  const m = tracker.metrics();
  // Cross-check against what the stand-in received.
  const unitsAtStandIn = standIn
    .allRecords()
    .reduce((n, r) => n + Math.max(1, Math.ceil(r.data.length / FIREHOSE_BILLING_INCREMENT_BYTES)), 0);
  return { size, packing, records: m.recordsSent, units: m.billedUnits, unitsAtStandIn };
}

/** Runs a stand-in in a worker thread; resolves to its endpoint and a stop function. */
async function workerStandIn(): Promise<{ started: StartedStandIn; records: () => Promise<number> }> {
  const worker = new Worker(__filename);
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { endpoint: string }) => resolve(m.endpoint));
    worker.once('error', reject);
  });
  const ask = <T>(msg: string): Promise<T> =>
    new Promise<T>((resolve) => {
      worker.once('message', (m: T) => resolve(m));
      worker.postMessage(msg);
    });
  return {
    started: { endpoint, close: async () => void (await ask<unknown>('close'), await worker.terminate()) },
    records: () => ask<number>('records'),
  };
}

async function runWorker(): Promise<void> {
  const standIn = new FirehoseStandIn();
  const started = await standIn.start();
  parentPort!.on('message', (msg: string) => {
    if (msg === 'records') parentPort!.postMessage(standIn.allRecords().length);
    if (msg === 'close') void started.close().then(() => parentPort!.postMessage('closed'));
  });
  parentPort!.postMessage({ endpoint: started.endpoint });
}

async function measure(standIn: FirehoseStandIn | undefined, started: StartedStandIn): Promise<{ runs: number[]; calls: number; records: number }> {
  const stub = standIn ?? new FirehoseStandIn();
  await throughputEndToEnd(stub, started); // warm-up
  const runs: number[] = [];
  let shape = { calls: 0, records: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = await throughputEndToEnd(stub, started);
    runs.push(r.eps);
    shape = { calls: r.calls, records: r.records };
  }
  return { runs, ...shape };
}

async function main(): Promise<void> {
  const standIn = new FirehoseStandIn();
  const started = await standIn.start();
  const remote = await workerStandIn();
  try {
    console.log(`Tracker client benchmark (node ${process.version}, ${THROUGHPUT_EVENTS.toLocaleString('en-US')} events of ${THROUGHPUT_EVENT_BYTES} B, ${RUNS} runs, median)\n`);
    const shared = await measure(standIn, started);
    const separate = await measure(undefined, remote.started);
    if ((await remote.records()) === 0) throw new Error('the worker stand-in received nothing');
    await throughputHotPath(); // warm-up
    const hot: number[] = [];
    for (let i = 0; i < RUNS; i++) hot.push(await throughputHotPath());

    console.log('| Throughput (packing on) | events/s (median) | min | max | goal |');
    console.log('|---|---:|---:|---:|---|');
    for (const [label, r] of [
      ['end to end, stand-in in a worker thread', separate],
      ['end to end, stand-in on the same thread', shared],
    ] as const) {
      const med = median(r.runs);
      console.log(
        `| ${label} (${r.calls} calls, ${r.records.toLocaleString('en-US')} records) | ${fmt(med)} | ${fmt(Math.min(...r.runs))} | ${fmt(Math.max(...r.runs))} | >= ${fmt(GOAL_EVENTS_PER_SECOND)}: ${med >= GOAL_EVENTS_PER_SECOND ? 'met' : 'missed'} |`,
      );
    }
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
    await remote.started.close();
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

(isMainThread ? main() : runWorker()).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
