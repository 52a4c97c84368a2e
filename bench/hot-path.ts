/**
 * The hot path: handler throughput with 10 rules, the share of invocations Lambda's event
 * filtering avoids on a realistic mix (1% of events match a rule), and the Lambda cost per
 * million events with and without filtering.
 *
 *   node scripts/build.mjs && node dist/bench/hot-path.js
 *
 * 1. Throughput: batches of 1,000 root-stream envelopes (~1 KB, 20 event types of 5 applications)
 *    through `processBatch` with 10 match rules and an in-memory store (handler CPU only: decode,
 *    evaluate, build and "store" matches). Median of 21 runs after 3 warm-ups.
 * 2. Invocations: Lambda polls each shard once per second and invokes with what it read (batch
 *    size 100, batching window 0, the defaults); with filter criteria only records that pass a
 *    pattern are sent, and a poll with none sends nothing. Simulated for one hour per shard at
 *    several traffic levels; which records pass is decided by the compiled patterns, through the
 *    model of Lambda's filtering (functions/hot-path/filter-model.ts), on the same mix.
 * 3. Cost: Lambda requests and duration only (DynamoDB and SNS see the same matches either way).
 *    arm64, us-east-1 list prices: $0.20 per million requests, $0.0000133334 per GB-second
 *    (first 7.5 billion GB-seconds a month), https://aws.amazon.com/lambda/pricing/. Duration
 *    model: the measured handler time for the batch, plus an ASSUMED 25 ms per round of up to 16
 *    concurrent emits (DynamoDB PutItem + SNS Publish) when the batch has matches, rounded up to
 *    1 ms, at the default 256 MB. No free tier, no cold starts.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { HotPathSpec } from '../config/hot-path';
import { HOT_PATH_DEFAULTS, hotPathConsumers, hotPathSchema, resolveHotPath } from '../config/hot-path';
import { evaluate } from '../functions/hot-path/evaluate';
import { recordPasses } from '../functions/hot-path/filter-model';
import { compileMappingFilter } from '../functions/hot-path/filter-pattern';
import { processBatch, type ProcessorDeps } from '../functions/hot-path/processor';
import { buildRulesDocument, indexRules, parseRules } from '../functions/hot-path/rules';
import type { HotPathStore, PutResult } from '../functions/hot-path/store';

const BATCH = 1_000;
const WARMUP_RUNS = 3;
const RUNS = 21;
const MATCH_SHARE = 0.01;
const PRICE_PER_MILLION_REQUESTS = 0.2;
const PRICE_PER_GB_SECOND_ARM64 = 0.0000133334;
const EMIT_ROUND_MS = 25;
const EMIT_CONCURRENCY = 16;
const LAMBDA_BATCH_SIZE = HOT_PATH_DEFAULTS.mapping.batchSize;
const MEMORY_GB = HOT_PATH_DEFAULTS.function.memoryMiB / 1024;
const SIMULATED_SECONDS = 3_600;
const RATES_PER_SHARD = [1, 10, 100, 1_000];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// --- Rules: 10 match rules on 5 of the 20 event types ----------------------------------------
const raw = hotPathSchema.parse({
  rules: [
    { name: 'large-checkout', eventType: 'web-shop/checkout_completed', match: { all: [{ field: 'order.total', op: '>', value: 5000 }, { field: 'order.currency', op: 'in', value: ['EUR', 'USD', 'GBP'] }] } },
    { name: 'vip-checkout', eventType: 'web-shop/checkout_completed', match: { field: 'customer.segment', op: 'prefix', value: 'vip-' } },
    { name: 'refund-large', eventType: 'web-shop/refund_requested', match: { field: 'amount', op: '>=', value: 2000 } },
    { name: 'refund-manual', eventType: 'web-shop/refund_requested', match: { field: 'reason', op: '=', value: 'manual_override' } },
    { name: 'payment-fraud', eventType: 'payments/payment_failed', match: { field: 'error_code', op: '=', value: 'fraud_suspected' } },
    { name: 'payment-blocked', eventType: 'payments/payment_failed', match: { any: [{ field: 'error_code', op: '=', value: 'card_blocked' }, { field: 'risk.score', op: '>', value: 95 }] } },
    { name: 'admin-login-fail', eventType: 'auth/login_failed', match: { all: [{ field: 'role', op: '=', value: 'admin' }, { field: 'attempt', op: '>=', value: 3 }] } },
    { name: 'login-foreign', eventType: 'auth/login_failed', match: { field: 'country', op: 'in', value: ['KP', 'IR'] } },
    { name: 'internal-page', eventType: 'web-shop/page_view', match: { field: 'path', op: 'prefix', value: '/internal/' } },
    { name: 'debug-page', eventType: 'web-shop/page_view', match: { field: 'debug', op: '=', value: true } },
  ],
});
const spec = resolveHotPath({ project: 'acme', environment: 'bench' }, raw, { streamRetentionHours: 168 }) as HotPathSpec;
const index = indexRules(parseRules(buildRulesDocument('bench', spec, hotPathConsumers(spec))));
const filter = compileMappingFilter(spec.rules, spec.filterPatternQuota);
/** The default quota, and the most a Service Quotas increase allows. */
const QUOTAS = [5, 10];

// --- The mix: 20 event types, 1% of events built to match one rule --------------------------
const EVENT_TYPES = [
  'web-shop/page_view', 'web-shop/add_to_cart', 'web-shop/checkout_completed', 'web-shop/refund_requested', 'web-shop/search',
  'payments/payment_authorized', 'payments/payment_failed', 'payments/payout', 'payments/chargeback',
  'auth/login', 'auth/login_failed', 'auth/logout', 'auth/password_reset',
  'mobile-app/app_open', 'mobile-app/screen_view', 'mobile-app/push_opened', 'mobile-app/crash',
  'search/query', 'search/click', 'search/no_result',
];
const PAD = 'x'.repeat(700);

function ordinary(random: () => number, n: number): Record<string, unknown> {
  const [app, type] = EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)]!.split('/') as [string, string];
  return {
    app,
    event_type: type,
    event_id: `evt-${n}`,
    sent_at: '2026-11-22T10:15:30.123Z',
    order: { total: Math.floor(random() * 4000), currency: 'EUR' },
    customer: { segment: 'regular' },
    amount: Math.floor(random() * 1500),
    order_id: `o-${n}`,
    reason: 'damaged',
    error_code: 'insufficient_funds',
    risk: { score: Math.floor(random() * 90) },
    role: 'user',
    attempt: 1,
    country: 'DE',
    path: '/product/1',
    debug: false,
    pad: PAD,
  };
}

const MATCHING: ((e: Record<string, unknown>) => Record<string, unknown>)[] = [
  (e) => ({ ...e, app: 'web-shop', event_type: 'checkout_completed', order: { total: 9000, currency: 'USD' } }),
  (e) => ({ ...e, app: 'web-shop', event_type: 'refund_requested', amount: 2500 }),
  (e) => ({ ...e, app: 'payments', event_type: 'payment_failed', error_code: 'fraud_suspected' }),
  (e) => ({ ...e, app: 'auth', event_type: 'login_failed', role: 'admin', attempt: 5 }),
  (e) => ({ ...e, app: 'web-shop', event_type: 'page_view', path: '/internal/admin' }),
];

function buildRecords(count: number, seed: number): KinesisStreamRecord[] {
  const random = lcg(seed);
  return Array.from({ length: count }, (_, n) => {
    let e = ordinary(random, n);
    if (random() < MATCH_SHARE) e = MATCHING[Math.floor(random() * MATCHING.length)]!(e);
    const seq = `4959033827149025660855969253836157109592157598${String(n).padStart(10, '0')}`;
    return {
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: `pk-${n}`, sequenceNumber: seq, data: Buffer.from(JSON.stringify(e)).toString('base64'), approximateArrivalTimestamp: 1795342530 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/acme-bench-hot-path',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/acme-bench-root',
    };
  });
}

/** In-memory store: conditional put semantics, no I/O. */
class MemoryStore implements HotPathStore {
  public readonly items = new Map<string, Record<string, unknown>>();
  public async putMatch(item: Record<string, { S?: string }>): Promise<PutResult> {
    const key = `${item.rule!.S}\0${item.event_id!.S}`;
    const existing = this.items.get(key);
    if (existing !== undefined) return { created: false, existing: existing as never };
    this.items.set(key, item);
    return { created: true };
  }
  public async markNotified(): Promise<void> {}
  public async publish(): Promise<string> {
    return 'm';
  }
  public async addToWindow(): Promise<number> {
    return 0;
  }
  public async windowTotals(): Promise<Map<string, { total: number }>> {
    return new Map();
  }
  public async getCursor(): Promise<number | undefined> {
    return undefined;
  }
  public async setCursor(): Promise<boolean> {
    return true;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function timeBatch(records: KinesisStreamRecord[]): Promise<number> {
  const deps: ProcessorDeps = { rules: index, store: new MemoryStore(), clock: { now: () => Date.now() } };
  const event: KinesisStreamEvent = { Records: records };
  const t0 = process.hrtime.bigint();
  await processBatch(event, 60_000, deps);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  // 1. Throughput
  const records = buildRecords(BATCH, 7);
  const passing = records.filter((r) => recordPasses(filter.patterns, Buffer.from(r.kinesis.data, 'base64')));
  const matching = records.filter((r) => {
    const e = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as Record<string, unknown>;
    return (index.matchByType.get(`${String(e.app)}/${String(e.event_type)}`) ?? []).some((rule) => evaluate(rule.condition, e));
  });
  for (let i = 0; i < WARMUP_RUNS; i++) await timeBatch(records);
  const all: number[] = [];
  for (let i = 0; i < RUNS; i++) all.push(await timeBatch(records));
  const msPerBatch = median(all);
  const filteredTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) filteredTimes.push(await timeBatch(passing));
  const msPerRecord = msPerBatch / BATCH;

  console.log(`## Hot path (${spec.rules.length} match rules, ${filter.patterns?.length ?? 0} filter patterns, exact: ${filter.exact})`);
  console.log('');
  console.log(`Mix: ${BATCH} envelopes of ~1 KB over ${EVENT_TYPES.length} event types; ${passing.length} pass the filters, ${matching.length} match a rule.`);
  console.log('');
  console.log('| Handler input | records per batch | ms per batch (median) | records/s |');
  console.log('|---|---:|---:|---:|');
  console.log(`| every record (no filter) | ${fmt(BATCH)} | ${fmt(msPerBatch, 2)} | ${fmt((BATCH / msPerBatch) * 1000)} |`);
  console.log(`| records passing the filters | ${fmt(passing.length)} | ${fmt(median(filteredTimes), 2)} | ${fmt((passing.length / median(filteredTimes)) * 1000)} |`);
  console.log('');

  // 2 + 3. Invocations and cost, per traffic level and filter quota
  const durationMs = (recordsInBatch: number, matchesInBatch: number): number =>
    Math.max(1, Math.ceil(recordsInBatch * msPerRecord + (matchesInBatch > 0 ? EMIT_ROUND_MS * Math.ceil(matchesInBatch / EMIT_CONCURRENCY) : 0)));
  const costOf = (invocations: number, gbSeconds: number): number => (invocations / 1e6) * PRICE_PER_MILLION_REQUESTS + gbSeconds * PRICE_PER_GB_SECOND_ARM64;
  const mix = buildRecords(20_000, 11).map((r) => Buffer.from(r.kinesis.data, 'base64'));
  const matchShare = mix.filter((d) => {
    const e = JSON.parse(d.toString('utf8')) as Record<string, unknown>;
    return (index.matchByType.get(`${String(e.app)}/${String(e.event_type)}`) ?? []).some((rule) => evaluate(rule.condition, e));
  }).length / mix.length;

  for (const quota of QUOTAS) {
    const f = compileMappingFilter(spec.rules, quota);
    const sample = mix.map((d) => recordPasses(f.patterns, d));
    const passShare = sample.filter(Boolean).length / sample.length;
    console.log(
      `Filter quota ${quota}: ${f.compiledCount} compiled patterns -> ${f.patterns?.length ?? 0}${f.merged ? ' (merged)' : ''}; ` +
        `${fmt(matchShare * 100, 2)}% of events match a rule, ${fmt(passShare * 100, 2)}% pass the filters. ` +
        `Invocations per shard polled once per second, batch size ${LAMBDA_BATCH_SIZE}, ${fmt(SIMULATED_SECONDS)} s simulated; ` +
        `Lambda cost per million events, arm64, ${HOT_PATH_DEFAULTS.function.memoryMiB} MB, us-east-1 prices:`,
    );
    console.log('');
    console.log('| Events/s per shard | invocations per 1M events, no filter | with filter | invocations avoided | cost per 1M events, no filter | with filter |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    for (const rate of RATES_PER_SHARD) {
      const random = lcg(rate);
      let events = 0;
      let invNo = 0;
      let invYes = 0;
      let gbsNo = 0;
      let gbsYes = 0;
      for (let s = 0; s < SIMULATED_SECONDS; s++) {
        // Arrivals spread uniformly around the rate (+/- 2 standard deviations of a Poisson process).
        const n = Math.max(0, Math.round(rate + (random() - 0.5) * 4 * Math.sqrt(rate)));
        let pass = 0;
        for (let i = 0; i < n; i++) if (sample[Math.floor(random() * sample.length)]) pass++;
        events += n;
        for (let left = n; left > 0; left -= LAMBDA_BATCH_SIZE) {
          const size = Math.min(LAMBDA_BATCH_SIZE, left);
          invNo++;
          gbsNo += (durationMs(size, Math.round(size * matchShare)) / 1000) * MEMORY_GB;
        }
        for (let left = pass; left > 0; left -= LAMBDA_BATCH_SIZE) {
          const size = Math.min(LAMBDA_BATCH_SIZE, left);
          invYes++;
          gbsYes += (durationMs(size, Math.round((size * matchShare) / passShare)) / 1000) * MEMORY_GB;
        }
      }
      const per = 1e6 / events;
      console.log(
        `| ${fmt(rate)} | ${fmt(invNo * per)} | ${fmt(invYes * per)} | ${fmt((1 - invYes / invNo) * 100, 1)}% | ` +
          `$${fmt(costOf(invNo, gbsNo) * per, 4)} | $${fmt(costOf(invYes, gbsYes) * per, 4)} |`,
      );
    }
    console.log('');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
