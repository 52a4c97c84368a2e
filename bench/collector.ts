/**
 * The collector: requests and events per second through its handler in-process, the browser
 * tracker's size, and the estimated cost per million events of the chosen design (API Gateway HTTP
 * API + Lambda) next to the alternatives (REST API + Lambda, REST API with a direct Kinesis or
 * Firehose integration, HTTP API with its Kinesis-PutRecord integration).
 *
 *   node scripts/build.mjs && node dist/bench/collector.js
 *
 * 1. Throughput: the real handler (functions/collector/handler.ts `createHandler`) on API Gateway
 *    payload 2.0 events, one request at a time (as one Lambda instance serves them), with the
 *    catalog and write keys cached (in-memory sources) and the send engine writing to an in-process
 *    stand-in (scripts/collector-stand-in.ts `standInSink`): JSON parsing, key and origin checks,
 *    envelope, contract validation, packing, the send engine, the answer and the log line. No
 *    network. Events of ~300 B; batches of 1, 10, 25 and 50; "contract" batches are checkout events
 *    validated against an enforce-mode contract. Median of 7 runs after 2 warm-ups.
 * 2. Size: the browser tracker as shipped (client/browser/bundle.ts), minified and gzipped; the
 *    collector Lambda's bundle and a cold `require` of it.
 * 3. Cost per million events, us-east-1 list prices (sources in docs/decisions.md, "The collector:
 *    HTTP API and a Lambda"): HTTP API $1.00 per million requests (first 300 million, metered in
 *    512 KB steps); REST API $3.50 per million (first 333 million); Lambda arm64 $0.20 per million
 *    requests and $0.0000133334 per GB-second; CloudWatch Logs ingestion $0.50 per GB. Lambda duration model:
 *    the measured handler time per request plus an ASSUMED 25 ms for the one write round trip to
 *    Kinesis or Firehose, at 512 MB. Log lines: ~350 B of access log and ~700 B of collector log
 *    per request (measured from the formats). What every option pays alike is left out: the
 *    stream the events are written to (Kinesis or Firehose), S3, and data transfer. No free tier.
 */
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bundleBrowserTracker, MAX_GZIP_BYTES } from '../client/browser/bundle';
import { normalizeEventSchema, contentHash, type EventContract } from '../config/contracts';
import * as naming from '../config/naming';
import { CatalogCache } from '../functions/collector/catalog';
import { createHandler, type CollectorRuntime } from '../functions/collector/handler';
import { WriteKeyCache } from '../functions/collector/keys';
import { SETTINGS_VERSION } from '../functions/collector/settings';
import { encodeWriteKeyDocument, hashWriteKey } from '../lib/write-keys';
import { bundleFunction } from '../modules/bundle';
import { catalogContent } from '../modules/catalog-content';
import { standInSink } from '../scripts/collector-stand-in';

const PREFIX = { project: 'acme', environment: 'bench' };
const KEY = 'tpk_BENCH_KEY_0000000000000000000000000000000000';
const ORIGIN = 'https://shop.example.com';
const WARMUP_RUNS = 2;
const RUNS = 7;
const EVENTS_PER_RUN = 20_000;
const MEMORY_GB = 0.5;
const WRITE_ROUND_TRIP_MS = 25;
const PRICES = {
  httpApiPerMillion: 1.0,
  restApiPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  lambdaGbSecondArm: 0.0000133334,
  logsPerGb: 0.5,
};
const ACCESS_LOG_BYTES = 350;
const COLLECTOR_LOG_BYTES = 700;

function checkoutContract(): EventContract {
  const schema = normalizeEventSchema(
    {
      type: 'object',
      properties: {
        order_id: { type: 'string', minLength: 1, maxLength: 64 },
        amount: { type: 'number', minimum: 0 },
        currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
        items: { type: 'array', minItems: 1, items: { type: 'object', properties: { sku: { type: 'string', maxLength: 32 }, quantity: { type: 'integer', minimum: 1 } }, required: ['sku', 'quantity'] } },
        pad: { type: 'string' },
      },
      required: ['order_id', 'amount', 'currency', 'items'],
    },
    'web-shop',
    'checkout_completed',
  );
  return { mode: 'enforce', schema, source: 'inline', hash: contentHash(schema) };
}

function runtime(): CollectorRuntime {
  const eventTypes = [
    { key: 'web-shop/page_view', deliveryStreamName: naming.deliveryStreamName(PREFIX, 'web-shop', 'page_view') },
    { key: 'web-shop/checkout_completed', deliveryStreamName: naming.deliveryStreamName(PREFIX, 'web-shop', 'checkout_completed'), contract: checkoutContract() },
  ];
  const object = catalogContent('bench', eventTypes).gzip;
  const path = naming.collectorWriteKeysPath(PREFIX);
  const params = [{ name: `${path}/web-shop`, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey(KEY)], origins: [ORIGIN], requireJwt: false }) }];
  let stored = 0;
  return {
    settings: {
      version: SETTINGS_VERSION,
      environment: 'bench',
      bucketName: naming.bucketName(PREFIX),
      catalogPrefix: naming.CATALOG_ROOT,
      writeKeysPath: path,
      destination: { kind: 'delivery-streams', packedRecordBytes: 5_120 },
      limits: { maxBodyBytes: 1_048_576, maxEventsPerRequest: 500, maxEventBytes: 65_536 },
      writeDeadlineMs: 5_000,
      requestTimeoutMs: 2_000,
      refreshSeconds: 3_600,
      ipAddress: 'none',
      corsMaxAgeSeconds: 7_200,
    },
    catalog: new CatalogCache({
      store: { list: () => Promise.resolve([{ key: 'catalog/tracking-bench.json.gz', etag: '"1"' }]), get: () => Promise.resolve({ body: object, etag: '"1"' }) },
      prefix: naming.CATALOG_ROOT,
      ttlMs: 3_600_000,
    }),
    keys: new WriteKeyCache({ source: { byPath: () => Promise.resolve(params) }, path, ttlMs: 3_600_000 }),
    sink: standInSink('firehose', () => void stored++, () => 0),
  };
}

function requestOf(events: readonly Record<string, unknown>[]): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ writeKey: KEY, events });
  return {
    version: '2.0',
    routeKey: 'POST /v1/events',
    rawPath: '/v1/events',
    rawQueryString: '',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN, 'content-length': String(Buffer.byteLength(body)) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'bench',
      http: { method: 'POST', path: '/v1/events', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: 'POST /v1/events',
      stage: '$default',
      time: '22/Nov/2026:10:15:30 +0000',
      timeEpoch: 1795342530000,
    },
    body,
    isBase64Encoded: false,
  };
}

function events(n: number, contract: boolean, seq: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    contract
      ? { event_type: 'checkout_completed', event_id: `b-${seq}-${i}`, order_id: `o-${seq}-${i}`, amount: 12.5, currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2 }], pad: 'x'.repeat(110) }
      : { event_type: 'page_view', event_id: `b-${seq}-${i}`, path: `/catalog/item/${i}`, pad: 'x'.repeat(200) },
  );
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughput(batch: number, contract: boolean): Promise<{ rps: number; eps: number; msPerRequest: number }> {
  const handler = createHandler(runtime, { log: () => undefined });
  const ctx = { getRemainingTimeInMillis: () => 10_000 };
  const requests = Math.ceil(EVENTS_PER_RUN / batch);
  const bodies = Array.from({ length: requests }, (_, r) => requestOf(events(batch, contract, r)));
  const rates: number[] = [];
  for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
    const t0 = performance.now();
    for (const b of bodies) {
      const res = await handler(b, ctx);
      if (res.statusCode !== 200) throw new Error(`bench request answered ${res.statusCode}: ${res.body}`);
    }
    const s = (performance.now() - t0) / 1000;
    if (run >= WARMUP_RUNS) rates.push(requests / s);
  }
  const rps = median(rates);
  return { rps, eps: rps * batch, msPerRequest: 1000 / rps };
}

interface CostRow {
  readonly option: string;
  readonly perMillion: (eventsPerRequest: number, handlerMs: number) => number;
  readonly note: string;
}

const logs = (eventsPerRequest: number, bytes: number): number => ((1e6 / eventsPerRequest) * bytes * PRICES.logsPerGb) / 1e9;
const lambda = (eventsPerRequest: number, handlerMs: number): number => {
  const invocations = 1e6 / eventsPerRequest;
  const billedMs = Math.ceil(handlerMs + WRITE_ROUND_TRIP_MS);
  return (invocations * PRICES.lambdaRequestsPerMillion) / 1e6 + invocations * (billedMs / 1000) * MEMORY_GB * PRICES.lambdaGbSecondArm;
};

const COSTS: readonly CostRow[] = [
  {
    option: '**HTTP API + Lambda (chosen)**',
    perMillion: (e, ms) => (1e6 / e / 1e6) * PRICES.httpApiPerMillion + lambda(e, ms) + logs(e, ACCESS_LOG_BYTES + COLLECTOR_LOG_BYTES),
    note: 'per-event checks, contracts, envelope, packing, per-event answer',
  },
  {
    option: 'REST API + Lambda',
    perMillion: (e, ms) => (1e6 / e / 1e6) * PRICES.restApiPerMillion + lambda(e, ms) + logs(e, ACCESS_LOG_BYTES + COLLECTOR_LOG_BYTES),
    note: 'the same, plus API keys/usage plans and WAF; 3.5x the request price',
  },
  {
    option: 'REST API, direct Kinesis PutRecords (VTL)',
    perMillion: (e) => (1e6 / e / 1e6) * PRICES.restApiPerMillion + logs(e, ACCESS_LOG_BYTES),
    note: 'no contract check, no per-event answer, no write key by hash, root stream only',
  },
  {
    option: 'HTTP API, Kinesis-PutRecord integration',
    perMillion: () => PRICES.httpApiPerMillion + logs(1, ACCESS_LOG_BYTES),
    note: 'one event per request (no batch action), no checks at all',
  },
];

async function main(): Promise<void> {
  console.log(`Collector benchmark (node ${process.version}, ${EVENTS_PER_RUN.toLocaleString('en-US')} events per run, ${RUNS} runs after ${WARMUP_RUNS} warm-ups, median)\n`);
  console.log('| Handler in-process (one request at a time) | requests/s | events/s | ms per request |');
  console.log('|---|---:|---:|---:|');
  const measured = new Map<number, number>();
  for (const [batch, contract] of [
    [1, false],
    [10, false],
    [25, false],
    [50, false],
    [10, true],
    [50, true],
  ] as const) {
    const r = await throughput(batch, contract);
    if (!contract) measured.set(batch, r.msPerRequest);
    console.log(`| ${batch} event${batch === 1 ? '' : 's'} per request${contract ? ', contract (enforce)' : ''} | ${fmt(r.rps)} | ${fmt(r.eps)} | ${r.msPerRequest.toFixed(3)} |`);
  }

  const b = bundleBrowserTracker();
  const fn = bundleFunction({ name: 'collector', outDir: 'dist/assets/bench-collector' });
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(fn.file);
  const coldMs = performance.now() - t0;
  console.log('\n| Size | Result |');
  console.log('|---|---|');
  console.log(`| browser tracker, minified | ${b.bytes.toLocaleString('en-US')} B |`);
  console.log(`| browser tracker, minified + gzip (budget ${MAX_GZIP_BYTES.toLocaleString('en-US')} B) | ${b.gzipBytes.toLocaleString('en-US')} B |`);
  console.log(`| collector Lambda bundle (SDK clients included) | ${(fn.bytes / 1024).toFixed(0)} KiB |`);
  console.log(`| cold \`require\` of the collector bundle | ${coldMs.toFixed(0)} ms |`);

  console.log('\nEstimated cost per million events, us-east-1 list prices (API, Lambda, logs; what every option pays alike excluded):\n');
  const sizes = [1, 10, 25];
  console.log(`| Design | ${sizes.map((e) => `${e} event${e === 1 ? '' : 's'}/request`).join(' | ')} | Note |`);
  console.log(`|---|${sizes.map(() => '---:').join('|')}|---|`);
  for (const c of COSTS) {
    const cells = sizes.map((e) => `$${c.perMillion(e, measured.get(e)!).toFixed(3)}`);
    console.log(`| ${c.option} | ${cells.join(' | ')} | ${c.note} |`);
  }
  console.log(`\nLambda: ${MEMORY_GB * 1024} MB arm64; billed duration = measured handler time + ${WRITE_ROUND_TRIP_MS} ms assumed for the write round trip.`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
