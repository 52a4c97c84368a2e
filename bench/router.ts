/**
 * Throughput of the fan-out router and the number of PutRecordBatch calls it makes, against the
 * minimum possible (per stream: max(ceil(records / 500), ceil(bytes / 4 MiB)), summed).
 *
 *   node scripts/build.mjs && node dist/bench/router.js
 *
 * 10,000 records across 50 event types (10 applications x 5 types), skewed like real traffic;
 * 5 of the types carry ~100 KB records, so the 4 MiB limit binds for them and the 500-record limit
 * for the busy small ones. Two Firehose back ends: an in-process fake (router CPU only) and the
 * HTTP Firehose stand-in on 127.0.0.1 (adds the SDK and local HTTP).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { deliveryStreamName } from '../config/naming';
import type { DeadLetterSink } from '../functions/fanout-router/deadletter';
import { minimumBatches } from '../functions/fanout-router/batching';
import { routeBatch, type RouterDeps } from '../functions/fanout-router/router';
import { systemClock } from '../functions/fanout-router/retry';
import { FirehoseStandIn, standInFirehoseClient } from '../__tests__/helpers/firehose-standin';

const RECORDS = 10_000;
const APPS = 10;
const TYPES_PER_APP = 5;
const LARGE_TYPES = 5;
const SMALL_BYTES = 1_000;
const LARGE_BYTES = 100_000;
const WARMUP_RUNS = 3;
const RUNS = 11;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const prefix = { project: 'acme', environment: 'bench' };
const eventTypes: { application: string; name: string; deliveryStreamName: string }[] = [];
for (let a = 0; a < APPS; a++)
  for (let t = 0; t < TYPES_PER_APP; t++)
    eventTypes.push({ application: `app-${a}`, name: `type_${t}`, deliveryStreamName: deliveryStreamName(prefix, `app-${a}`, `type_${t}`) });
/** The declared event types, as the router reads them from the stacks' catalog objects (one map lookup per record). */
const catalogView = { entries: new Map(eventTypes.map((t) => [`${t.application}/${t.name}`, { deliveryStream: t.deliveryStreamName }])) };
const catalog: RouterDeps['catalog'] = { current: async () => catalogView, refreshForMiss: async () => catalogView, staleBecause: undefined };

/** Zipf-like choice of event type, so a few streams are busy and many are quiet. */
function buildEvent(): { event: KinesisStreamEvent; perStream: Map<string, { records: number; bytes: number }> } {
  const random = lcg(7);
  const weights = eventTypes.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  const perStream = new Map<string, { records: number; bytes: number }>();
  const Records = Array.from({ length: RECORDS }, (_, n) => {
    let r = random() * total;
    let i = 0;
    while (i < weights.length - 1 && (r -= weights[i]!) > 0) i++;
    const t = eventTypes[i]!;
    const large = i >= eventTypes.length - LARGE_TYPES;
    const target = large ? LARGE_BYTES : SMALL_BYTES;
    const base = { app: t.application, event_type: t.name, event_id: `evt-${n}`, sent_at: '2026-11-22T10:15:30.123Z' };
    const json = JSON.stringify({ ...base, pad: 'x'.repeat(Math.max(0, target - JSON.stringify(base).length - 10)) });
    const data = Buffer.from(json);
    const s = perStream.get(t.deliveryStreamName) ?? { records: 0, bytes: 0 };
    perStream.set(t.deliveryStreamName, { records: s.records + 1, bytes: s.bytes + data.length });
    const seq = `49590338271490256608559692538361571095921575989136${String(n).padStart(6, '0')}`;
    return {
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: `pk-${n}`, sequenceNumber: seq, data: data.toString('base64'), approximateArrivalTimestamp: 1795342530 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/acme-bench-fanout-router',
      awsRegion: 'eu-central-1',
      eventSourceARN: 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-bench-root',
    };
  });
  return { event: { Records }, perStream };
}

const noDeadLetters: DeadLetterSink = { store: async () => ({ stored: [], failed: [], dataOmitted: [] }) };

/** In-process Firehose: accepts everything, no I/O. */
const inProcessFirehose: RouterDeps['firehose'] = {
  send: (async (cmd: { input: { Records?: unknown[] } }) => ({
    FailedPutCount: 0,
    RequestResponses: (cmd.input.Records ?? []).map((_, i) => ({ RecordId: String(i) })),
  })) as unknown as RouterDeps['firehose']['send'],
};

interface Row {
  readonly backend: string;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly calls: number;
  readonly minimum: number;
  readonly delivered: number;
}

async function measure(backend: string, firehose: RouterDeps['firehose'], event: KinesisStreamEvent, bytes: number, minimum: number): Promise<Row> {
  const deps: RouterDeps = { catalog, firehose, deadLetters: noDeadLetters, clock: systemClock };
  let result = await routeBatch(event, 900_000, deps);
  for (let i = 1; i < WARMUP_RUNS; i++) result = await routeBatch(event, 900_000, deps);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    result = await routeBatch(event, 900_000, deps);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return {
    backend,
    recordsPerSecond: RECORDS / median,
    mbPerSecond: bytes / 1e6 / median,
    calls: result.putRecordBatchCalls,
    minimum,
    delivered: result.counts.DeliveredRecords,
  };
}

async function main(): Promise<void> {
  const { event, perStream } = buildEvent();
  const bytes = [...perStream.values()].reduce((s, v) => s + v.bytes, 0);
  const minimum = [...perStream.values()].reduce((s, v) => s + minimumBatches(v.records, v.bytes), 0);
  console.log(`records: ${RECORDS}, event types with records: ${perStream.size}/${eventTypes.length}, data: ${(bytes / 1e6).toFixed(1)} MB`);

  const rows: Row[] = [await measure('in-process fake Firehose', inProcessFirehose, event, bytes, minimum)];
  const standIn = new FirehoseStandIn();
  const { endpoint, close } = await standIn.start();
  try {
    rows.push(await measure('HTTP Firehose stand-in (127.0.0.1)', standInFirehoseClient(endpoint, { requestTimeoutMs: 30_000 }), event, bytes, minimum));
    if (standIn.violations.length > 0) throw new Error(`limit violations: ${standIn.violations.join('; ')}`);
  } finally {
    await close();
  }

  for (const r of rows) {
    console.log(
      `${r.backend}: ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} records/s, ${r.mbPerSecond.toFixed(1)} MB/s, ` +
        `PutRecordBatch calls ${r.calls} (minimum ${r.minimum})${r.calls === r.minimum ? '' : '  <-- NOT MINIMAL'}, delivered ${r.delivered}`,
    );
  }
  console.log('\n| Firehose back end | records/s (median of 11) | MB/s | PutRecordBatch calls | minimum possible |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.backend} | ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} | ${r.mbPerSecond.toFixed(1)} | ${r.calls} | ${r.minimum} |`);
  }
  if (rows.some((r) => r.calls !== r.minimum || r.delivered !== RECORDS)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
