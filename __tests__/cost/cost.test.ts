/**
 * `npm run cost` arithmetic against hand-computed cases: the reference analysis (500 and 4,000
 * events/s of at most 5 KB at $0.033/GB), packing on and off, and each optional component (the
 * transform, the root stream on-demand and provisioned, the router, the hot path, S3 under the
 * lifecycle, alarms, the dashboard, KMS keys, the collector). Expected values are written out as
 * arithmetic from the prices, never taken from the code under test.
 */
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { parseConfig } from '../../config/loader';
import type { TrackingConfig } from '../../config/model';
import {
  collectorFromEnvironment,
  estimateCost,
  estimateEnvironment,
  loadPriceTable,
  mergeDeep,
  packedRecords,
  parsePriceTable,
  PriceTableError,
  priceOf,
  storageDays,
  type EnvironmentCost,
  type PriceTable,
} from '../../scripts/cost-lib';

const TABLE = loadPriceTable();
/** A month as the table counts it: 720 hours. */
const MONTH_S = 720 * 3_600;
/** The table's GB: 2^30 bytes (1,048,576 KB of 1,024 bytes). */
const GB = 1_073_741_824;

/** A one-environment config; `env` and `types` are YAML fragments. */
function config(opts: { region?: string; env?: string; types: string; layout?: string }): TrackingConfig {
  const text = [
    'project: acme',
    ...(opts.layout !== undefined ? [`stacks: { layout: ${opts.layout} }`] : []),
    'environments:',
    '  dev:',
    `    region: ${opts.region ?? 'eu-central-1'}`,
    ...(opts.env ?? '').split('\n').filter((l) => l.trim() !== '').map((l) => `    ${l}`),
    'applications:',
    '  - name: web-shop',
    '    eventTypes:',
    ...opts.types.split('\n').filter((l) => l.trim() !== '').map((l) => `      ${l}`),
  ].join('\n');
  return parseConfig(text, 'test.yaml');
}

function env(c: TrackingConfig, table: PriceTable = TABLE): EnvironmentCost {
  return estimateEnvironment(c.environments[0]!, table);
}

function line(e: EnvironmentCost, component: string, item: RegExp, eventType?: string): number {
  const found = e.lines.filter((l) => l.component === component && item.test(l.item) && (eventType === undefined || l.eventType === eventType));
  if (found.length === 0) throw new Error(`no ${component} line matching ${item} in ${e.lines.map((l) => `${l.component}: ${l.item}`).join('; ')}`);
  return found.reduce((n, l) => n + l.usd, 0);
}

function hasLine(e: EnvironmentCost, component: string, item?: RegExp): boolean {
  return e.lines.some((l) => l.component === component && (item === undefined || item.test(l.item)));
}

describe('the reference analysis: 500 and 4,000 events/s of at most 5 KB at $0.033/GB', () => {
  // eu-central-1 in the table is the analysis's $0.033/GB. 5 KB = 5,120 bytes: one billing unit.
  const at = (rate: number): EnvironmentCost =>
    env(config({ types: `- { name: page_view, avgRecordsPerSecond: ${rate}, avgRecordBytes: 5120, transform: native }` }));

  it('gives about $210 and $1,710 per month (AWS counts 30 days and 1,048,576 KB per GB)', () => {
    // Prepare / Act
    const small = at(500).eventTypes[0]!;
    const large = at(4_000).eventTypes[0]!;
    // Assess: records x 5 KB / 1,048,576 KB per GB x 30 days x 86,400 s x $0.033.
    const expected500 = ((500 * 5) / 1_048_576) * 30 * 86_400 * 0.033; // $203.93
    const expected4000 = ((4_000 * 5) / 1_048_576) * 30 * 86_400 * 0.033; // $1,631.47
    expect(small.firehose).toBeCloseTo(expected500, 6);
    expect(large.firehose).toBeCloseTo(expected4000, 6);
    expect(Math.abs(small.firehose - 210) / 210).toBeLessThan(0.05);
    expect(Math.abs(large.firehose - 1_710) / 1_710).toBeLessThan(0.05);
    // "At most 5 KB": packing cannot help (one event fills the unit), both modes cost the same.
    expect(small.firehosePacked).toBeCloseTo(small.firehoseUnpacked, 9);
  });

  it('reproduces the analysis exactly ($213.84 and $1,710.72) with its decimal units (1,000,000 KB per GB)', () => {
    // Prepare: the analysis counted 5 KB as 5,000 bytes and a GB as 10^9 bytes; with 5,120-byte
    // units that is 1,000,000 KB of 1,024 bytes per GB.
    const decimal = parsePriceTable(mergeDeep(TABLE, { units: { bytesPerGB: 1_000_000 * 1_024 } }));
    // Act
    const small = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 500, avgRecordBytes: 5000, transform: native }' }), decimal);
    const large = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 4000, avgRecordBytes: 5000, transform: native }' }), decimal);
    // Assess: 500 x 2,592,000 s x 5,000 B / 10^9 x $0.033.
    expect(small.eventTypes[0]!.firehose).toBeCloseTo((500 * 2_592_000 * 5_000 * 0.033) / 1e9, 6);
    expect(small.eventTypes[0]!.firehose).toBeCloseTo(213.84, 2);
    expect(large.eventTypes[0]!.firehose).toBeCloseTo(1_710.72, 2);
  });

  it('rounds every record up to 5 KB: a 5,121-byte event costs two units', () => {
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 10, avgRecordBytes: 5121, transform: native }' }));
    expect(e.eventTypes[0]!.firehoseUnpacked).toBeCloseTo(((10 * 2 * 5_120 * MONTH_S) / GB) * 0.033, 9);
  });
});

describe('packing on and off', () => {
  it('packs 9 events of 512 bytes per record (9 x 512 + 8 newlines = 4,616 <= 5,120): 9x fewer billed GB', () => {
    // Prepare: direct mode (no root stream): the tracker packs.
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 1000, avgRecordBytes: 512, transform: native }' }));
    const t = e.eventTypes[0]!;
    // Assess
    const unpackedGB = (1_000 * 5_120 * MONTH_S) / GB;
    const packedGB = ((1_000 / 9) * 5_120 * MONTH_S) / GB;
    expect(e.mode).toBe('direct');
    expect(t.firehoseUnpacked).toBeCloseTo(unpackedGB * 0.033, 6);
    expect(t.firehosePacked).toBeCloseTo(packedGB * 0.033, 6);
    expect(t.firehose).toBe(t.firehosePacked);
    expect(t.firehoseUnpacked / t.firehosePacked).toBeCloseTo(9, 9);
    expect(e.firehoseUnpacked).toBeCloseTo(t.firehoseUnpacked, 9);
    expect(e.firehosePacked).toBeCloseTo(t.firehosePacked, 9);
  });

  it('does not pack with the root stream on: the router forwards one event per record', () => {
    const e = env(config({ env: 'rootStream: { enabled: true }', types: '- { name: page_view, avgRecordsPerSecond: 1000, avgRecordBytes: 512, transform: native }' }));
    const t = e.eventTypes[0]!;
    expect(e.mode).toBe('root-stream');
    expect(t.firehose).toBe(t.firehoseUnpacked);
    expect(t.firehoseRecords).toBeCloseTo(1_000 * MONTH_S, 3);
  });

  it('cannot pack at low rates: the tracker sends each stream at least once a second', () => {
    // 0.5 events/s: one (partly filled) record per event.
    const p = packedRecords(0.5, 512, 5_120, 1);
    expect(p.recordsPerSecond).toBeCloseTo(0.5, 12);
    // 20 events/s of 512 bytes: 9 per record would be 2.22 records/s; at least 1/s anyway.
    expect(packedRecords(20, 512, 5_120, 1).recordsPerSecond).toBeCloseTo(20 / 9, 12);
    // Events larger than a packed record go alone, billed by their own size.
    expect(packedRecords(10, 6_000, 5_120, 1)).toEqual({ recordsPerSecond: 10, bytesPerSecond: 60_000, eventsPerRecord: 1, unitsPerRecord: 2 });
  });

  it('never costs more with packing than without (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100_000, noNaN: true }), fc.integer({ min: 1, max: 1_024_000 }), (rate, bytes) => {
        const p = packedRecords(rate, bytes, 5_120, 1);
        const unpackedBilled = rate * Math.max(1, Math.ceil(bytes / 5_120));
        return p.recordsPerSecond * p.unitsPerRecord <= unpackedBilled * (1 + 1e-12) + 1e-12;
      }),
    );
  });
});

describe('the transform Lambda: invocations and GB-seconds at its 0.5 MB buffer', () => {
  it('prices invocations, billed milliseconds and log lines', () => {
    // Prepare: 1,000 events/s of 512 B, packed: 512,000 bytes + 888.9 newlines per second.
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 1000, avgRecordBytes: 512 }' }));
    // Assess: one invocation per 0.5 MiB (524,288 bytes) of records.
    const bytesPerSecond = 1_000 * 512 + (1_000 - 1_000 / 9);
    const invocations = (bytesPerSecond / 524_288) * MONTH_S;
    const ms = Math.ceil(10 + 20 * 0.5); // baseMs + msPerMiB x 0.5 MiB = 20 ms
    const gbSeconds = (invocations * ms * 512) / 1_024 / 1_000;
    expect(line(e, 'transform', /invocations/)).toBeCloseTo((invocations / 1e6) * 0.2, 9);
    expect(line(e, 'transform', /compute \(20 ms x 512 MiB\)/)).toBeCloseTo(gbSeconds * 0.0000133334, 9);
    expect(line(e, 'logs', /transform/)).toBeCloseTo(((invocations * 600) / GB) * 0.63, 9);
  });

  it('invokes at least once a minute (the processor interval) at low rates', () => {
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 1, avgRecordBytes: 512 }' }));
    // 512 B/s would take 17 minutes to fill 0.5 MiB: Firehose invokes every 60 s instead.
    const invocations = MONTH_S / 60;
    expect(line(e, 'transform', /invocations/)).toBeCloseTo((invocations / 1e6) * 0.2, 9);
  });

  it('costs nothing with transform: native', () => {
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 1000, avgRecordBytes: 512, transform: native }' }));
    expect(e.eventTypes[0]!.transform).toBe(0);
    expect(hasLine(e, 'transform')).toBe(false);
  });
});

describe('the root stream and the router', () => {
  const TYPES = '- { name: page_view, avgRecordsPerSecond: 1000, avgRecordBytes: 512, transform: native }';

  it('on-demand: stream-hours, data in with 1 KB rounding, data read by the router, extended retention', () => {
    // Prepare: us-east-1, on-demand, default retention 168 h.
    const e = env(config({ region: 'us-east-1', env: 'rootStream: { enabled: true }', types: TYPES }));
    // Assess
    expect(line(e, 'root-stream', /stream-hours/)).toBeCloseTo(720 * 0.04, 9);
    expect(line(e, 'root-stream', /data in/)).toBeCloseTo(((1_000 * 1_024 * MONTH_S) / GB) * 0.08, 6);
    expect(line(e, 'root-stream', /data read by 1 shared/)).toBeCloseTo(((1_000 * 512 * MONTH_S) / GB) * 0.04, 6);
    // 144 hours beyond the first 24 of 512,000 B/s, as a stock of GB-months.
    expect(line(e, 'root-stream', /extended retention/)).toBeCloseTo(((1_000 * 512 * 3_600) / GB) * 144 * 0.1, 6);
  });

  it('the router: one batch per shard and second at this rate (4 on-demand shards)', () => {
    const e = env(config({ region: 'us-east-1', env: 'rootStream: { enabled: true }', types: TYPES }));
    // 1,000 records/s over 4 shards = 250 per shard and second: under the 500-record batch, so the
    // 1 s batching window closes each batch: 4 invocations per second of 250 records.
    const invocations = 4 * MONTH_S;
    const ms = Math.ceil(60 + 0.05 * 250); // 73 ms
    expect(line(e, 'router', /invocations/)).toBeCloseTo((invocations / 1e6) * 0.2, 9);
    expect(line(e, 'router', /compute \(73 ms x 512 MiB\)/)).toBeCloseTo(((invocations * ms * 512) / 1_024 / 1_000) * 0.0000133334, 9);
    expect(e.eventTypes[0]!.stream).toBeGreaterThan(0);
  });

  it('provisioned: shard-hours, PUT payload units and extended retention per shard', () => {
    const e = env(config({ region: 'us-east-1', env: 'rootStream: { enabled: true, mode: provisioned, shardCount: 2, retentionHours: 48 }', types: TYPES }));
    expect(line(e, 'root-stream', /2 provisioned shard/)).toBeCloseTo(2 * 720 * 0.015, 9);
    expect(line(e, 'root-stream', /PUT payload units/)).toBeCloseTo(((1_000 * MONTH_S) / 1e6) * 0.014, 9);
    expect(line(e, 'root-stream', /extended retention \(48 h\)/)).toBeCloseTo(2 * 720 * 0.02, 9);
    expect(hasLine(e, 'root-stream', /stream-hours/)).toBe(false);
  });

  it('prices enhanced fan-out consumers per GB read', () => {
    const e = env(config({ region: 'us-east-1', env: 'rootStream: { enabled: true, consumers: [{ type: enhanced-fan-out, name: alerts }] }', types: TYPES }));
    expect(line(e, 'root-stream', /1 enhanced fan-out/)).toBeCloseTo(((1_000 * 512 * MONTH_S) / GB) * 0.05, 6);
  });

  it('has no root-stream or router line when the root stream is off', () => {
    const e = env(config({ types: TYPES }));
    expect(hasLine(e, 'root-stream')).toBe(false);
    expect(hasLine(e, 'router')).toBe(false);
  });
});

describe('the hot path', () => {
  const HOT = [
    'rootStream:',
    '  enabled: true',
    '  hotPath:',
    '    rules:',
    '      - { name: big, eventType: web-shop/checkout_completed, match: { field: total, op: ">", value: 1000 } }',
    '      - { name: stalled, eventType: web-shop/checkout_completed, rate: { fewerThan: 1, windowSeconds: 300 } }',
  ].join('\n');
  const TYPES = ['- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 512, transform: native }', '- { name: checkout_completed, avgRecordsPerSecond: 2, avgRecordBytes: 512, transform: native }'].join('\n');

  it('adds its Lambda (upper bound), the schedule, its topic key and its 4 alarms', () => {
    // Prepare
    const without = env(config({ region: 'us-east-1', env: 'rootStream: { enabled: true }', types: TYPES }));
    const withHot = env(config({ region: 'us-east-1', env: HOT, types: TYPES }));
    // Assess: 2 mappings (match, rate-300s) each see the 2 checkouts/s over 4 shards (0.5 per
    // shard and second: one invocation per record); plus the schedule's 60 invocations an hour.
    const perMapping = 4 * Math.min(0.5, 1) * MONTH_S;
    const invocations = 2 * perMapping + 720 * 60;
    expect(line(withHot, 'hot-path', /invocations/)).toBeCloseTo((invocations / 1e6) * 0.2, 9);
    expect(line(withHot, 'kms', /hot-path topic key/)).toBe(1);
    expect(line(withHot, 'alarms', /standard/) - line(without, 'alarms', /standard/)).toBeCloseTo(4 * 0.1, 9);
    expect(hasLine(without, 'hot-path')).toBe(false);
    // The hot path reads the stream too: 3 shared-throughput readers (router + 2 mappings).
    expect(hasLine(withHot, 'root-stream', /read by 3 shared/)).toBe(true);
  });
});

describe('S3 under the lifecycle settings', () => {
  it('keeps 90 days in Standard with a 90-day expiry', () => {
    // Prepare
    const e = env(config({ env: 'bucket: { expireAfterDays: 90 }', types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 999, transform: native }' }));
    // Assess: JSON lines (999 B + "\n") x 86,400 s x 0.2 (GZIP) per day, kept 90 days.
    const perDayGB = (100 * 1_000 * 86_400 * 0.2) / GB;
    expect(line(e, 's3', /Standard storage/)).toBeCloseTo(perDayGB * 90 * 0.0245, 9);
    // Objects: 100,000 B/s fills 64 MiB in 671 s, so the 300 s interval closes each object first.
    expect(line(e, 's3', /PUT/)).toBeCloseTo((MONTH_S / 300 / 1_000) * 0.0054, 9);
  });

  it('splits storage across Standard, Standard-IA and Glacier IR, with the 90-day minimum', () => {
    // 30 days Standard, 30 days IA, 40 days Glacier IR billed as 90.
    expect(storageDays({ bucket: { transitionToInfrequentAccessAfterDays: 30, transitionToGlacierAfterDays: 60, expireAfterDays: 100 } as never }, { storageHorizonMonths: 12 })).toEqual({
      end: 100,
      standard: 30,
      ia: 30,
      glacierIr: 40,
      iaBilled: 30,
      glacierIrBilled: 90,
    });
    const e = env(
      config({
        region: 'us-east-1',
        env: 'bucket: { transitionToInfrequentAccessAfterDays: 30, transitionToGlacierAfterDays: 60, expireAfterDays: 100 }',
        types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 999, transform: native, compression: UNCOMPRESSED }',
      }),
    );
    const perDayGB = (100 * 1_000 * 86_400) / GB;
    expect(line(e, 's3', /^Standard storage/)).toBeCloseTo(perDayGB * 30 * 0.023, 9);
    expect(line(e, 's3', /Standard-IA storage/)).toBeCloseTo(perDayGB * 30 * 0.0125, 9);
    expect(line(e, 's3', /Glacier IR storage/)).toBeCloseTo(perDayGB * 90 * 0.004, 9);
    const objects = MONTH_S / 300;
    expect(line(e, 's3', /transitions to Standard-IA/)).toBeCloseTo((objects / 1_000) * 0.01, 9);
    expect(line(e, 's3', /transitions to Glacier IR/)).toBeCloseTo((objects / 1_000) * 0.02, 9);
  });

  it('prices a bucket that never expires at its size after the horizon (12 months) and says so', () => {
    const e = env(config({ types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 999, transform: native }' }));
    const perDayGB = (100 * 1_000 * 86_400 * 0.2) / GB;
    expect(line(e, 's3', /Standard storage/)).toBeCloseTo(perDayGB * 360 * 0.0245, 9);
    expect(e.warnings.join('\n')).toMatch(/never expires objects: storage is priced as it stands after 12 months/);
  });
});

describe('alarms, the dashboard and KMS keys', () => {
  const TYPES = ['- { name: page_view, avgRecordsPerSecond: 1, avgRecordBytes: 512 }', '- { name: checkout, avgRecordsPerSecond: 1, avgRecordBytes: 512, transform: native }'].join('\n');

  it('counts the environment alarms synth creates', () => {
    // Prepare: single layout, one Lambda-transformed type and one native.
    const e = env(config({ region: 'us-east-1', types: TYPES }));
    // Assess: 3 transform alarms (errors, throttles, duration) are standard; 4 query alarms, the
    // transform-success one analyzing only the Lambda-transformed stream: 3 x 2 + 1 = 7 metrics.
    expect(line(e, 'alarms', /3 standard/)).toBeCloseTo(3 * 0.1, 9);
    expect(line(e, 'alarms', /4 Metrics Insights/)).toBeCloseTo(7 * 0.1, 9);
    expect(line(e, 'dashboard', /dashboard/)).toBe(3);
    expect(line(e, 'kms', /alarm topic key/)).toBe(1);
  });

  it('adds 4 standard alarms per listed per-stream alarm type (3 without the transform signal)', () => {
    const base = env(config({ region: 'us-east-1', types: TYPES }));
    const listed = env(config({ region: 'us-east-1', env: 'alarms: { perStreamAlarms: [web-shop/page_view, web-shop/checkout] }', types: TYPES }));
    expect(line(listed, 'alarms', /standard/) - line(base, 'alarms', /standard/)).toBeCloseTo((4 + 3) * 0.1, 9);
  });

  it('has one set of transform alarms per shard with a Lambda-transformed type in the sharded layout', () => {
    const text = [
      'project: acme',
      'stacks: { layout: sharded }',
      'environments: { dev: { region: us-east-1 } }',
      'applications:',
      '  - { name: a, eventTypes: [{ name: x, avgRecordsPerSecond: 1 }] }',
      '  - { name: b, eventTypes: [{ name: y, avgRecordsPerSecond: 1 }] }',
      '  - { name: c, eventTypes: [{ name: z, avgRecordsPerSecond: 1, transform: native }] }',
    ].join('\n');
    const e = env(parseConfig(text, 'sharded.yaml'));
    expect(line(e, 'alarms', /6 standard/)).toBeCloseTo(6 * 0.1, 9);
  });

  it('has neither alarms nor the topic key with alarms off; the dashboard stays', () => {
    const e = env(config({ region: 'us-east-1', env: 'alarms: { enabled: false }', types: TYPES }));
    expect(hasLine(e, 'alarms')).toBe(false);
    expect(hasLine(e, 'kms')).toBe(false);
    expect(line(e, 'dashboard', /dashboard/)).toBe(3);
  });
});

describe('the collector (priced only when present)', () => {
  const c = config({ region: 'us-east-1', types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 512, transform: native }' });

  it('is absent without a collector', () => {
    expect(hasLine(env(c), 'collector')).toBe(false);
    expect(collectorFromEnvironment(c.environments[0]!)).toBeUndefined();
  });

  it('prices API Gateway requests and the collector Lambda from a typed input', () => {
    // Prepare: an HTTP API, 10 events per request, 50 ms at 256 MiB (the table's assumptions).
    const e = estimateEnvironment(c.environments[0]!, TABLE, () => ({ api: 'http' }));
    // Assess
    const requests = (100 / 10) * MONTH_S;
    expect(line(e, 'collector', /HTTP API/)).toBeCloseTo((requests / 1e6) * 1, 9);
    expect(line(e, 'collector', /Lambda invocations/)).toBeCloseTo((requests / 1e6) * 0.2, 9);
    expect(line(e, 'collector', /Lambda compute \(50 ms x 256 MiB\)/)).toBeCloseTo(((requests * 50 * 256) / 1_024 / 1_000) * 0.0000133334, 9);
    // A REST API costs 3.5x the requests.
    const rest = estimateEnvironment(c.environments[0]!, TABLE, () => ({ api: 'rest', avgEventsPerRequest: 20 }));
    expect(line(rest, 'collector', /REST API/)).toBeCloseTo((((100 / 20) * MONTH_S) / 1e6) * 3.5, 9);
  });

  it('reads the collector from the resolved model: an HTTP API, its memory, and its edge with the web ACL\'s rules', () => {
    // Prepare
    const on = config({ region: 'us-east-1', env: 'collector: { enabled: true, function: { memoryMiB: 1024 } }', types: '- { name: page_view, avgRecordsPerSecond: 100 }' });
    const off = config({ region: 'us-east-1', env: 'collector: { enabled: true, protection: { enabled: false } }', types: '- { name: page_view, avgRecordsPerSecond: 100 }' });
    const own = config({
      region: 'us-east-1',
      env: 'collector: { enabled: true, applications: { web-shop: {} }, protection: { perClient: { enabled: false }, perApplication: { applications: { web-shop: 400000 } } } }',
      types: '- { name: page_view, avgRecordsPerSecond: 100 }',
    });

    // Act / Assess: client IP + per-key header and query = 3 rules; two more per application with its own limit.
    expect(collectorFromEnvironment(on.environments[0]!)).toEqual({ api: 'http', memoryMiB: 1024, edge: { rules: 3 } });
    expect(collectorFromEnvironment(off.environments[0]!)).toEqual({ api: 'http', memoryMiB: 512 });
    expect(collectorFromEnvironment(own.environments[0]!)).toEqual({ api: 'http', memoryMiB: 512, edge: { rules: 4 } });
  });

  it('prices the edge when protection is on: CloudFront requests and bodies, AWS WAF requests, the web ACL and each rule', () => {
    // Prepare: 100 events/s of 512 bytes through the collector, 10 per request (the table's assumption), us-east-1 prices.
    const c2 = config({ region: 'us-east-1', env: 'collector: { enabled: true }', types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 512, transform: native }' });

    // Act
    const e = env(c2);

    // Assess
    const requests = (100 / 10) * MONTH_S;
    expect(line(e, 'collector', /HTTP API/)).toBeCloseTo((requests / 1e6) * 1, 9);
    expect(line(e, 'edge', /CloudFront HTTPS requests/)).toBeCloseTo((requests / 10_000) * 0.01, 9);
    expect(line(e, 'edge', /CloudFront request bodies/)).toBeCloseTo(((100 * 512 * MONTH_S) / GB) * 0.02, 9);
    expect(line(e, 'edge', /AWS WAF requests/)).toBeCloseTo((requests / 1e6) * 0.6, 9);
    expect(line(e, 'edge', /AWS WAF web ACL/)).toBe(5);
    expect(line(e, 'edge', /AWS WAF rules \(3\)/)).toBe(3);
    // Without protection: no edge line, and the collector's five alarms are counted either way.
    const bare = env(config({ region: 'us-east-1', env: 'collector: { enabled: true, protection: { enabled: false } }', types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 512, transform: native }' }));
    expect(hasLine(bare, 'edge')).toBe(false);
    const alarms = (x: EnvironmentCost): number => x.lines.find((l) => l.component === 'alarms' && /standard alarm/.test(l.item))!.quantity;
    expect(alarms(bare) - alarms(env(config({ region: 'us-east-1', types: '- { name: page_view, avgRecordsPerSecond: 100, avgRecordBytes: 512, transform: native }' })))).toBe(5);
    expect(e.total - bare.total).toBeCloseTo((requests / 10_000) * 0.01 + ((100 * 512 * MONTH_S) / GB) * 0.02 + (requests / 1e6) * 0.6 + 5 + 3, 6);
  });
});

describe('unpriced types, regions, totals', () => {
  it('lists event types without avgRecordsPerSecond and does not price them', () => {
    const e = env(config({ types: ['- page_view', '- { name: checkout, avgRecordsPerSecond: 1 }'].join('\n') }));
    expect(e.unpriced).toEqual(['web-shop/page_view']);
    expect(e.eventTypes.map((t) => t.key)).toEqual(['web-shop/checkout']);
    expect(e.warnings.join('\n')).toMatch(/1 event type\(s\) without avgRecordsPerSecond are not priced: web-shop\/page_view/);
  });

  it('prices a region missing from the table at the fallback region, with a warning', () => {
    const e = env(config({ region: 'ap-south-1', types: '- { name: page_view, avgRecordsPerSecond: 1 }' }));
    expect(e.priceRegion).toBe('us-east-1');
    expect(e.warnings[0]).toMatch(/no prices for ap-south-1 in the table: priced at us-east-1 prices/);
  });

  it('sums event types and shared lines into the environment total, and environments into the total', () => {
    const c = parseConfig(readFileSync(`${__dirname}/../fixtures/cost/rates.yaml`, 'utf8'), 'rates.yaml');
    const e = estimateCost(c, TABLE);
    for (const x of e.environments) {
      const types = x.eventTypes.reduce((n, t) => n + t.total, 0);
      expect(x.total).toBeCloseTo(types + x.sharedTotal, 9);
      expect(x.lines.reduce((n, l) => n + l.usd, 0)).toBeCloseTo(x.total, 9);
    }
    expect(e.total).toBeCloseTo(e.environments.reduce((n, x) => n + x.total, 0), 9);
  });

  it('grows with the rate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 100, max: 20_000 }), (r1, r2, bytes) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        const at = (r: number): number => env(config({ types: `- { name: page_view, avgRecordsPerSecond: ${r}, avgRecordBytes: ${bytes} }` })).total;
        return at(lo) <= at(hi) + 1e-9;
      }),
      { numRuns: 25 },
    );
  });
});

describe('the price table', () => {
  it('names a source page for every price', () => {
    const walk = (v: unknown, path: string): string[] => {
      if (v === null || typeof v !== 'object') return [];
      const o = v as Record<string, unknown>;
      if ('usd' in o || 'tiers' in o) return typeof o.source === 'string' && o.source.startsWith('https://aws.amazon.com/') ? [] : [path];
      return Object.entries(o).flatMap(([k, x]) => walk(x, `${path}.${k}`));
    };
    expect(walk(TABLE.regions, 'regions')).toEqual([]);
    expect(TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('applies tiers cumulatively', () => {
    const fh = TABLE.regions['us-east-1']!.firehose.ingestionPerGB;
    expect(priceOf(fh, 100)).toBeCloseTo(100 * 0.029, 9);
    expect(priceOf(fh, 600_000)).toBeCloseTo(512_000 * 0.029 + 88_000 * 0.025, 6);
  });

  it('rejects an override with a typo, naming the path', () => {
    expect(() => parsePriceTable(mergeDeep(TABLE, { regions: { 'us-east-1': { firehose: { ingestPerGB: { usd: 1 } } } } }))).toThrow(PriceTableError);
    expect(() => parsePriceTable(mergeDeep(TABLE, { regions: { 'us-east-1': { firehose: { ingestPerGB: { usd: 1 } } } } }))).toThrow(
      /regions\.us-east-1\.firehose: Unrecognized key: "ingestPerGB"/,
    );
    expect(() => parsePriceTable(mergeDeep(TABLE, { regions: { 'us-east-1': { kms: { keyMonth: { usd: 1, unit: 'key', source: 'somewhere' } } } } }))).toThrow(
      /regions\.us-east-1\.kms\.keyMonth\.source: must be the https:\/\/ address/,
    );
  });

  it('rejects tiers that do not increase or do not end open', () => {
    const bad = mergeDeep(TABLE, { regions: { 'us-east-1': { firehose: { ingestionPerGB: { tiers: [{ upToGB: 10, usd: 1 }, { upToGB: 5, usd: 1 }] } } } } });
    expect(() => parsePriceTable(bad)).toThrow(/tiers must have increasing upToGB, the last one null/);
  });

  it('adds a region through an override', () => {
    const t = parsePriceTable(mergeDeep(TABLE, { regions: { 'ap-south-1': TABLE.regions['us-east-1'] } }));
    const e = env(config({ region: 'ap-south-1', types: '- { name: page_view, avgRecordsPerSecond: 1 }' }), t);
    expect(e.priceRegion).toBe('ap-south-1');
    expect(e.warnings.some((w) => w.includes('no prices for'))).toBe(false);
  });
});
