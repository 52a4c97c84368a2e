/**
 * The monthly cost of a tracking config, per environment and event type, from a dated price table
 * (config/prices.json). Pure: no I/O except `loadPriceTable`. `npm run cost` (scripts/cost.ts)
 * prints it; `costChange` gives the review the cost change of a pull request.
 *
 * What is priced, and how (docs/cost.md has the formulas, the assumptions and the sources):
 * - Firehose ingestion: every record rounded up to 5 KB (`lib/limits`), once with one event per
 *   record (root-stream mode: the router forwards records byte for byte) and once packed as the
 *   tracker packs in direct mode; the environment's mode decides which one counts.
 * - The JSONL transform Lambda: invocations at its 0.5 MB processor buffer (or Firehose's 60 s
 *   processor interval), billed milliseconds and GB-seconds, and its log lines.
 * - The root stream (on-demand or provisioned), the router Lambda, the hot path.
 * - S3: objects written at the buffering hints, storage per class under the lifecycle rules.
 * - Alarms (counted from modules/alarms, the same definitions synth uses), the dashboard, KMS keys.
 * - The HTTP collector, when an environment has one (`CollectorCostInput`), and its edge when
 *   protection is on: CloudFront requests and request bodies to the origin, the AWS WAF web ACL,
 *   its rules (counted from `edgeRules`, the same definitions synth uses) and its requests.
 *
 * Only event types with `avgRecordsPerSecond` are priced; the others are listed as unpriced.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { collectorAlarmDefinitions } from '../modules/collector';
import { edgeRules, type CollectorSpec } from '../config/collector';
import { TrackingPipelineError } from '../config/errors';
import { needsSchedule } from '../config/hot-path';
import { loadConfig } from '../config/loader';
import type { EnvironmentSpec, EventTypeSpec, TrackingConfig } from '../config/model';
import { DEFAULT_AVG_RECORD_BYTES } from '../config/quotas';
import type { Compression } from '../config/schema';
import { mappingGroups } from '../functions/hot-path/filter-pattern';
import { billedUnits, FIREHOSE_BILLING_INCREMENT_BYTES } from '../lib/limits';
import { alarmDefinitions, perStreamAlarmDefinitions, transformAlarmDefinitions, usesTransformLambda, type AlarmDefinition } from '../modules/alarms';
import { TRANSFORM_BUFFER_SIZE_MB } from '../modules/delivery-stream';
import { hotPathAlarmDefinitions } from '../modules/hot-path';

// ---------------------------------------------------------------------------------------------
// Errors

/** The price table (or an override) is unreadable or invalid. */
export class PriceTableError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PriceTableError';
  }
}

// ---------------------------------------------------------------------------------------------
// The price table

const usd = z.number().nonnegative();
const source = z.string().regex(/^https:\/\//, 'must be the https:// address of the page the price comes from');

const flatPriceSchema = z.strictObject({ usd, unit: z.string().min(1), source, note: z.string().optional() });
const tieredPriceSchema = z
  .strictObject({
    tiers: z.array(z.strictObject({ upToGB: z.number().positive().nullable(), usd })).min(1),
    unit: z.string().min(1),
    source,
    note: z.string().optional(),
  })
  .refine(
    (p) => p.tiers.every((t, i) => (i === p.tiers.length - 1 ? t.upToGB === null : t.upToGB !== null && (i === 0 || t.upToGB > p.tiers[i - 1]!.upToGB!))),
    'tiers must have increasing upToGB, the last one null (no upper bound)',
  );

const regionSchema = z.strictObject({
  firehose: z.strictObject({ ingestionPerGB: tieredPriceSchema }),
  lambda: z.strictObject({ requestsPerMillion: flatPriceSchema, arm64PerGBSecond: flatPriceSchema }),
  kinesis: z.strictObject({
    onDemandStreamHour: flatPriceSchema,
    onDemandIngestPerGB: flatPriceSchema,
    onDemandRetrievalPerGB: flatPriceSchema,
    onDemandEfoRetrievalPerGB: flatPriceSchema,
    onDemandExtendedRetentionPerGBMonth: flatPriceSchema,
    provisionedShardHour: flatPriceSchema,
    provisionedPutPayloadUnitsPerMillion: flatPriceSchema,
    provisionedExtendedRetentionShardHour: flatPriceSchema,
    provisionedEfoConsumerShardHour: flatPriceSchema,
    provisionedEfoRetrievalPerGB: flatPriceSchema,
    longTermRetentionPerGBMonth: flatPriceSchema,
  }),
  s3: z.strictObject({
    standardPerGBMonth: tieredPriceSchema,
    standardIaPerGBMonth: flatPriceSchema,
    glacierIrPerGBMonth: flatPriceSchema,
    putPer1000: flatPriceSchema,
    transitionToIaPer1000: flatPriceSchema,
    transitionToGlacierIrPer1000: flatPriceSchema,
  }),
  cloudwatch: z.strictObject({
    standardAlarmMetricMonth: flatPriceSchema,
    metricsInsightsAlarmPerMetricMonth: flatPriceSchema,
    dashboardMonth: flatPriceSchema,
    logsIngestionPerGB: flatPriceSchema,
  }),
  kms: z.strictObject({ keyMonth: flatPriceSchema }),
  apiGateway: z.strictObject({ httpApiRequestsPerMillion: flatPriceSchema, restApiRequestsPerMillion: flatPriceSchema }),
  cloudfront: z.strictObject({ httpsRequestsPer10000: flatPriceSchema, dataTransferToOriginPerGB: flatPriceSchema }),
  waf: z.strictObject({ webAclMonth: flatPriceSchema, ruleMonth: flatPriceSchema, requestsPerMillion: flatPriceSchema }),
  dynamodb: z.strictObject({ onDemandWritePerMillion: flatPriceSchema }),
  sns: z.strictObject({ publishesPerMillion: flatPriceSchema }),
});

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

const assumptionsSchema = z.strictObject({
  compressionRatio: z.strictObject({
    GZIP: positive.max(1),
    ZIP: positive.max(1),
    Snappy: positive.max(1),
    HADOOP_SNAPPY: positive.max(1),
    UNCOMPRESSED: positive.max(1),
  }),
  transformDuration: z.strictObject({ baseMs: nonNegative, msPerMiB: nonNegative }),
  routerDuration: z.strictObject({ baseMs: nonNegative, msPerRecord: nonNegative }),
  hotPathDuration: z.strictObject({ baseMs: nonNegative, msPerRecord: nonNegative }),
  logBytesPerInvocation: nonNegative,
  storageHorizonMonths: positive,
  onDemandMinimumShards: z.number().int().positive(),
  hotPathMatchesPerMonth: nonNegative,
  packingFlushSeconds: positive,
  collector: z.strictObject({ eventsPerRequest: positive, durationMs: nonNegative, memoryMiB: positive }),
  note: z.string().optional(),
});

export const priceTableSchema = z.strictObject({
  $comment: z.string().optional(),
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD'),
  currency: z.literal('USD'),
  provenance: z.string().min(1),
  units: z.strictObject({
    hoursPerMonth: positive,
    bytesPerGB: positive,
    source,
    note: z.string().optional(),
  }),
  fallbackRegion: z.string().min(1),
  assumptions: assumptionsSchema,
  regions: z.record(z.string(), regionSchema),
});

export type PriceTable = z.output<typeof priceTableSchema>;
export type RegionPrices = z.output<typeof regionSchema>;
export type FlatPrice = z.output<typeof flatPriceSchema>;
export type TieredPrice = z.output<typeof tieredPriceSchema>;
export type Assumptions = z.output<typeof assumptionsSchema>;

/** The price table shipped with the repository. */
export function defaultPriceTablePath(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'config', 'prices.json');
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return path.join(process.cwd(), 'config', 'prices.json');
    dir = up;
  }
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PriceTableError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PriceTableError(`${what} ${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Deep merge of plain objects: `override` wins; arrays and scalars are replaced, not merged. */
export function mergeDeep(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeDeep(base[k], v) : v;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates a price table; throws PriceTableError listing every problem with its path. */
export function parsePriceTable(value: unknown, what = 'price table'): PriceTable {
  const r = priceTableSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  - ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new PriceTableError(`invalid ${what} (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
  }
  if (r.data.regions[r.data.fallbackRegion] === undefined) {
    throw new PriceTableError(`invalid ${what}: fallbackRegion "${r.data.fallbackRegion}" has no entry under regions`);
  }
  return r.data;
}

/**
 * The repository's table (or `base`), with `overrideFile` deep-merged over it (`--prices`): an
 * override may replace one price, add a region, or be a whole table. The result is validated.
 */
export function loadPriceTable(overrideFile?: string, base: string = defaultPriceTablePath()): PriceTable {
  const table = readJson(base, 'price table');
  if (overrideFile === undefined) return parsePriceTable(table, `price table ${base}`);
  return parsePriceTable(mergeDeep(table, readJson(overrideFile, 'price override')), `price table ${base} with ${overrideFile} merged over it`);
}

// ---------------------------------------------------------------------------------------------
// Facts the arithmetic uses (not prices)

const MIB = 1_048_576;
/** Kinesis on-demand rounds every record up to 1 KB (1,024 bytes) for data in. */
export const KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES = 1_024;
/** A provisioned stream's PUT payload unit: 25 KB. */
export const KINESIS_PUT_PAYLOAD_UNIT_BYTES = 25 * 1_024;
/** A stream keeps 24 h of data without extended retention; extended retention covers up to 7 days. */
export const KINESIS_BASE_RETENTION_HOURS = 24;
export const KINESIS_EXTENDED_RETENTION_MAX_HOURS = 168;
/** One Kinesis shard accepts 1 MiB/s or 1,000 records/s. */
export const KINESIS_SHARD_WRITE = { bytesPerSecond: MIB, recordsPerSecond: 1_000 } as const;
/** Lambda's invocation payload for a Kinesis event source mapping: 6 MB. */
export const LAMBDA_PAYLOAD_BYTES = 6 * MIB;
/** Firehose's default `BufferIntervalInSeconds` of a Lambda processor (the stack leaves it unset). */
export const FIREHOSE_PROCESSOR_INTERVAL_SECONDS = 60;
/** Minimum storage durations billed by S3: Standard-IA 30 days, Glacier Instant Retrieval 90 days. */
export const S3_MINIMUM_DAYS = { standardIa: 30, glacierIr: 90 } as const;
/** Invocations of the hot-path schedule (`rate(1 minute)`) in a 30-day month are hours x 60. */
const SCHEDULE_PER_HOUR = 60;
const DAY_SECONDS = 86_400;

// ---------------------------------------------------------------------------------------------
// The collector (priced when present)

/** What pricing the HTTP collector needs (`collectorFromEnvironment` reads it from the resolved model). */
export interface CollectorCostInput {
  /** API Gateway flavour. */
  readonly api: 'http' | 'rest';
  /**
   * Events per second arriving through the collector.
   * @default every priced event of the environment
   */
  readonly eventsPerSecond?: number;
  /** @default assumptions.collector.eventsPerRequest */
  readonly avgEventsPerRequest?: number;
  /** @default assumptions.collector.memoryMiB */
  readonly memoryMiB?: number;
  /** Billed duration of one request. @default assumptions.collector.durationMs */
  readonly avgDurationMs?: number;
  /**
   * CloudFront and AWS WAF in front of the API (`protection` on): the web ACL's rule count.
   * @default none (no edge)
   */
  readonly edge?: { readonly rules: number };
}

/**
 * The collector of a resolved environment (`env.collector`, present when `collector.enabled`): an
 * HTTP API, its function's memory, and its edge with the web ACL's rules when protection is on.
 */
export function collectorFromEnvironment(env: EnvironmentSpec): CollectorCostInput | undefined {
  const c: CollectorSpec | undefined = env.collector;
  if (c === undefined) return undefined;
  return {
    api: 'http',
    memoryMiB: c.memoryMiB,
    ...(c.protection !== undefined ? { edge: { rules: edgeRules(c.protection).length } } : {}),
  };
}

export interface CostOptions {
  /**
   * The collector of an environment, if it has one.
   * @default collectorFromEnvironment
   */
  readonly collector?: (env: EnvironmentSpec) => CollectorCostInput | undefined;
  /**
   * Environments to estimate.
   * @default all
   */
  readonly environments?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// The estimate

/** One priced quantity. */
export interface CostLine {
  /** Component: firehose, transform, s3, root-stream, router, hot-path, alarms, dashboard, kms, collector, edge, logs. */
  readonly component: string;
  readonly item: string;
  /** Monthly quantity in `unit`. */
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface EventTypeCost {
  readonly key: string;
  readonly avgRecordsPerSecond: number;
  readonly avgRecordBytes: number;
  /** Firehose ingestion with one event per record. */
  readonly firehoseUnpacked: number;
  /** Firehose ingestion with the tracker's packing. */
  readonly firehosePacked: number;
  /** The one that applies in the environment's mode. */
  readonly firehose: number;
  /** Records Firehose receives per month (in the environment's mode) and the GB it bills. */
  readonly firehoseRecords: number;
  readonly firehoseBilledGB: number;
  readonly transform: number;
  readonly s3: number;
  /** This type's share of the root stream's per-GB charges, the router and its logs. */
  readonly stream: number;
  readonly total: number;
}

export interface EnvironmentCost {
  readonly environment: string;
  readonly region: string;
  /** Region whose prices were used (the fallback when the table has none for `region`). */
  readonly priceRegion: string;
  /** `root-stream`: producers write to the root stream, the router forwards one event per record; `direct`: the tracker packs. */
  readonly mode: 'direct' | 'root-stream';
  readonly eventTypes: readonly EventTypeCost[];
  /** Keys of event types without avgRecordsPerSecond. */
  readonly unpriced: readonly string[];
  /** Costs not attributed to one event type. */
  readonly shared: readonly CostLine[];
  /** Every priced line, per event type and shared. */
  readonly lines: readonly (CostLine & { readonly eventType?: string })[];
  readonly sharedTotal: number;
  readonly total: number;
  /** Firehose ingestion of the environment with one event per record, and packed (the mode picks one). */
  readonly firehoseUnpacked: number;
  readonly firehosePacked: number;
  readonly warnings: readonly string[];
}

export interface CostEstimate {
  readonly project: string;
  readonly asOf: string;
  readonly currency: 'USD';
  readonly hoursPerMonth: number;
  readonly environments: readonly EnvironmentCost[];
  readonly total: number;
}

/** Cost of `quantity` under a flat or tiered price (tiers are cumulative, in the price's unit). */
export function priceOf(p: FlatPrice | TieredPrice, quantity: number): number {
  if ('usd' in p) return quantity * p.usd;
  let left = quantity;
  let below = 0;
  let cost = 0;
  for (const t of p.tiers) {
    const width = t.upToGB === null ? left : Math.min(left, t.upToGB - below);
    cost += width * t.usd;
    left -= width;
    if (t.upToGB !== null) below = t.upToGB;
    if (left <= 0) break;
  }
  return cost;
}

/** Records per second the tracker sends for one stream when it packs, and their bytes. */
export function packedRecords(ratePerSecond: number, eventBytes: number, packedRecordBytes: number, flushSeconds: number): { recordsPerSecond: number; bytesPerSecond: number; eventsPerRecord: number; unitsPerRecord: number } {
  if (ratePerSecond <= 0) return { recordsPerSecond: 0, bytesPerSecond: 0, eventsPerRecord: 1, unitsPerRecord: billedUnits(eventBytes) };
  // n events + (n - 1) newlines <= packedRecordBytes.
  const perRecord = eventBytes + 1 <= packedRecordBytes ? Math.max(1, Math.floor((packedRecordBytes + 1) / (eventBytes + 1))) : 1;
  // A stream's buffer is sent at least every flushSeconds, partly filled at low rates.
  const recordsPerSecond = Math.max(ratePerSecond / perRecord, Math.min(ratePerSecond, 1 / flushSeconds));
  const bytesPerSecond = ratePerSecond * eventBytes + Math.max(0, ratePerSecond - recordsPerSecond);
  const unitsPerRecord = perRecord === 1 ? billedUnits(eventBytes) : billedUnits(perRecord * eventBytes + perRecord - 1);
  return { recordsPerSecond, bytesPerSecond, eventsPerRecord: perRecord, unitsPerRecord };
}

/**
 * Invocations per second of a Lambda fed by a Kinesis event source mapping over `shards` shards
 * (times the parallelization factor): a batch closes at `batchSize` records, at the 6 MB payload
 * limit, or at the batching window (0: Lambda polls each shard about once per second).
 */
export function streamInvocationsPerSecond(recordsPerSecond: number, recordBytes: number, shards: number, batchSize: number, windowSeconds: number, parallelization = 1): number {
  if (recordsPerSecond <= 0) return 0;
  const lanes = Math.max(1, shards * parallelization);
  const perLane = recordsPerSecond / lanes;
  const batch = Math.max(1, Math.min(batchSize, Math.floor(LAMBDA_PAYLOAD_BYTES / Math.max(1, recordBytes))));
  const window = Math.max(1, windowSeconds);
  return lanes * Math.max(perLane / batch, Math.min(perLane, 1 / window));
}

/** Billed Lambda usage for `invocations` per month of `ms` each at `memoryMiB`. */
function lambdaCost(prices: RegionPrices, invocations: number, ms: number, memoryMiB: number): { requests: number; gbSeconds: number; requestsUsd: number; computeUsd: number } {
  const billedMs = Math.ceil(ms);
  const gbSeconds = (invocations * billedMs * memoryMiB) / 1024 / 1000;
  return {
    requests: invocations,
    gbSeconds,
    requestsUsd: priceOf(prices.lambda.requestsPerMillion, invocations / 1e6),
    computeUsd: priceOf(prices.lambda.arm64PerGBSecond, gbSeconds),
  };
}

interface TypeFlows {
  readonly t: EventTypeSpec;
  readonly rate: number;
  readonly bytes: number;
  readonly unpacked: { recordsPerSecond: number; bytesPerSecond: number; billedBytesPerSecond: number };
  readonly packed: { recordsPerSecond: number; bytesPerSecond: number; billedBytesPerSecond: number };
}

/** Estimates every environment of `config` (or `options.environments`). */
export function estimateCost(config: TrackingConfig, table: PriceTable, options: CostOptions = {}): CostEstimate {
  const wanted = options.environments;
  if (wanted !== undefined) {
    const known = new Set(config.environments.map((e) => e.name));
    const missing = wanted.filter((e) => !known.has(e));
    if (missing.length > 0) {
      throw new PriceTableError(`unknown environment ${missing.map((m) => `"${m}"`).join(', ')}; the config has ${[...known].join(', ')}`);
    }
  }
  const environments = config.environments
    .filter((e) => wanted === undefined || wanted.includes(e.name))
    .map((e) => estimateEnvironment(e, table, options.collector ?? collectorFromEnvironment));
  return {
    project: config.project,
    asOf: table.asOf,
    currency: 'USD',
    hoursPerMonth: table.units.hoursPerMonth,
    environments,
    total: sum(environments.map((e) => e.total)),
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function estimateEnvironment(env: EnvironmentSpec, table: PriceTable, collectorOf: (env: EnvironmentSpec) => CollectorCostInput | undefined = collectorFromEnvironment): EnvironmentCost {
  const warnings: string[] = [];
  const priceRegion = table.regions[env.region] !== undefined ? env.region : table.fallbackRegion;
  if (priceRegion !== env.region) {
    warnings.push(`no prices for ${env.region} in the table: priced at ${priceRegion} prices (add a regions.${env.region} entry with --prices)`);
  }
  const prices = table.regions[priceRegion]!;
  const a = table.assumptions;
  const seconds = table.units.hoursPerMonth * 3_600;
  const gb = (bytes: number): number => bytes / table.units.bytesPerGB;
  const flushSeconds = a.packingFlushSeconds;
  const mode: EnvironmentCost['mode'] = env.rootStream.enabled ? 'root-stream' : 'direct';
  const lines: (CostLine & { eventType?: string })[] = [];
  const add = (line: CostLine, eventType?: string): number => {
    lines.push(eventType !== undefined ? { ...line, eventType } : line);
    return line.usd;
  };

  const priced = env.eventTypes.filter((t) => t.avgRecordsPerSecond !== undefined);
  const unpriced = env.eventTypes.filter((t) => t.avgRecordsPerSecond === undefined).map((t) => t.key);
  const flows: TypeFlows[] = priced.map((t) => {
    const rate = t.avgRecordsPerSecond!;
    const bytes = t.avgRecordBytes ?? DEFAULT_AVG_RECORD_BYTES;
    const unitBytes = billedUnits(bytes) * FIREHOSE_BILLING_INCREMENT_BYTES;
    const p = packedRecords(rate, bytes, FIREHOSE_BILLING_INCREMENT_BYTES, flushSeconds);
    return {
      t,
      rate,
      bytes,
      unpacked: { recordsPerSecond: rate, bytesPerSecond: rate * bytes, billedBytesPerSecond: rate * unitBytes },
      packed: {
        recordsPerSecond: p.recordsPerSecond,
        bytesPerSecond: p.bytesPerSecond,
        billedBytesPerSecond: p.recordsPerSecond * p.unitsPerRecord * FIREHOSE_BILLING_INCREMENT_BYTES,
      },
    };
  });

  // --- Firehose ingestion: tiers apply to the environment's total, shared out by GB.
  const firehoseFor = (which: 'packed' | 'unpacked'): Map<string, { usd: number; gb: number; records: number }> => {
    const gbs = flows.map((f) => gb(f[which].billedBytesPerSecond * seconds));
    const total = sum(gbs);
    const cost = priceOf(prices.firehose.ingestionPerGB, total);
    return new Map(flows.map((f, i) => [f.t.key, { usd: total > 0 ? (cost * gbs[i]!) / total : 0, gb: gbs[i]!, records: f[which].recordsPerSecond * seconds }]));
  };
  const unpacked = firehoseFor('unpacked');
  const packed = firehoseFor('packed');
  const applicable = mode === 'root-stream' ? unpacked : packed;
  const flowOf = (f: TypeFlows): TypeFlows['packed'] => (mode === 'root-stream' ? f.unpacked : f.packed);

  // --- Root stream geometry (for the router and the hot path).
  const rs = env.rootStream;
  const streamRate = sum(flows.map((f) => f.rate));
  const streamBytes = sum(flows.map((f) => f.rate * f.bytes));
  const avgStreamRecordBytes = streamRate > 0 ? streamBytes / streamRate : DEFAULT_AVG_RECORD_BYTES;
  const shards =
    rs.mode === 'provisioned'
      ? rs.shardCount
      : Math.max(a.onDemandMinimumShards, Math.ceil(streamBytes / KINESIS_SHARD_WRITE.bytesPerSecond), Math.ceil(streamRate / KINESIS_SHARD_WRITE.recordsPerSecond));

  // --- Per event type.
  const s3Stock = { standard: 0, ia: 0, glacierIr: 0 };
  const perType: EventTypeCost[] = [];
  const typeS3Lines: { key: string; standardGB: number; line: CostLine[] }[] = [];
  const bufferBytes = Number(TRANSFORM_BUFFER_SIZE_MB) * MIB;
  for (const f of flows) {
    const key = f.t.key;
    const fh = applicable.get(key)!;
    add({ component: 'firehose', item: `ingestion (${mode === 'root-stream' ? 'one event per record' : 'packed'})`, quantity: fh.gb, unit: 'GB billed', usd: fh.usd }, key);
    const flow = flowOf(f);

    // Transform Lambda.
    let transform = 0;
    if (f.t.transform === 'lambda' && flow.bytesPerSecond > 0) {
      const perSecond = Math.max(flow.bytesPerSecond / bufferBytes, Math.min(flow.recordsPerSecond, 1 / FIREHOSE_PROCESSOR_INTERVAL_SECONDS));
      const invocations = perSecond * seconds;
      const bytesPerInvocation = flow.bytesPerSecond / perSecond;
      const ms = a.transformDuration.baseMs + (a.transformDuration.msPerMiB * bytesPerInvocation) / MIB;
      const l = lambdaCost(prices, invocations, ms, env.transformFunction.memoryMiB);
      transform += add({ component: 'transform', item: 'invocations', quantity: invocations, unit: 'requests', usd: l.requestsUsd }, key);
      transform += add({ component: 'transform', item: `compute (${Math.ceil(ms)} ms x ${env.transformFunction.memoryMiB} MiB)`, quantity: l.gbSeconds, unit: 'GB-s', usd: l.computeUsd }, key);
      const logGB = gb(invocations * a.logBytesPerInvocation);
      transform += add({ component: 'logs', item: 'transform log lines', quantity: logGB, unit: 'GB', usd: priceOf(prices.cloudwatch.logsIngestionPerGB, logGB) }, key);
    }

    // S3: objects and storage (storage is priced below, on the environment's total for the tiers).
    const outBytesPerSecond = f.rate * (f.bytes + 1);
    const ratio = a.compressionRatio[f.t.compression as Compression];
    const storedGBPerDay = gb(outBytesPerSecond * DAY_SECONDS * ratio);
    const objectsPerSecond =
      f.rate > 0 ? Math.max(flow.bytesPerSecond / (f.t.buffering.sizeMiB * MIB), Math.min(flow.recordsPerSecond, 1 / Math.max(1, f.t.buffering.intervalSeconds))) : 0;
    const objects = objectsPerSecond * seconds;
    const days = storageDays(env, a);
    const s3Lines: CostLine[] = [
      { component: 's3', item: 'PUT (objects written)', quantity: objects, unit: 'requests', usd: priceOf(prices.s3.putPer1000, objects / 1_000) },
    ];
    if (days.ia > 0) s3Lines.push({ component: 's3', item: 'transitions to Standard-IA', quantity: objects, unit: 'requests', usd: priceOf(prices.s3.transitionToIaPer1000, objects / 1_000) });
    if (days.glacierIr > 0) {
      s3Lines.push({ component: 's3', item: 'transitions to Glacier IR', quantity: objects, unit: 'requests', usd: priceOf(prices.s3.transitionToGlacierIrPer1000, objects / 1_000) });
    }
    const iaGB = storedGBPerDay * days.iaBilled;
    const girGB = storedGBPerDay * days.glacierIrBilled;
    if (iaGB > 0) s3Lines.push({ component: 's3', item: 'Standard-IA storage', quantity: iaGB, unit: 'GB-month', usd: priceOf(prices.s3.standardIaPerGBMonth, iaGB) });
    if (girGB > 0) s3Lines.push({ component: 's3', item: 'Glacier IR storage', quantity: girGB, unit: 'GB-month', usd: priceOf(prices.s3.glacierIrPerGBMonth, girGB) });
    const standardGB = storedGBPerDay * days.standard;
    s3Stock.standard += standardGB;
    s3Stock.ia += iaGB;
    s3Stock.glacierIr += girGB;
    typeS3Lines.push({ key, standardGB, line: s3Lines });

    perType.push({
      key,
      avgRecordsPerSecond: f.rate,
      avgRecordBytes: f.bytes,
      firehoseUnpacked: unpacked.get(key)!.usd,
      firehosePacked: packed.get(key)!.usd,
      firehose: fh.usd,
      firehoseRecords: fh.records,
      firehoseBilledGB: fh.gb,
      transform,
      s3: 0,
      stream: 0,
      total: 0,
    });
  }

  // S3 Standard storage: tiers on the environment's total, shared out by GB.
  const standardCost = priceOf(prices.s3.standardPerGBMonth, s3Stock.standard);
  const s3ByType = new Map<string, number>();
  for (const x of typeS3Lines) {
    const storage = s3Stock.standard > 0 ? (standardCost * x.standardGB) / s3Stock.standard : 0;
    let total = 0;
    if (x.standardGB > 0) total += add({ component: 's3', item: 'Standard storage', quantity: x.standardGB, unit: 'GB-month', usd: storage }, x.key);
    for (const l of x.line) total += add(l, x.key);
    s3ByType.set(x.key, total);
  }
  if (env.bucket.expireAfterDays === undefined && priced.length > 0) {
    warnings.push(`the bucket never expires objects: storage is priced as it stands after ${a.storageHorizonMonths} months, and grows every month`);
  }

  // --- Root stream, router, hot path.
  const shared: CostLine[] = [];
  const addShared = (l: CostLine): number => {
    shared.push(l);
    return add(l);
  };
  const streamByType = new Map<string, number>();
  const addStreamShare = (item: CostLine, weight: (f: TypeFlows) => number): void => {
    const weights = flows.map(weight);
    const total = sum(weights);
    flows.forEach((f, i) => {
      const usdShare = total > 0 ? (item.usd * weights[i]!) / total : 0;
      const qty = total > 0 ? (item.quantity * weights[i]!) / total : 0;
      add({ ...item, quantity: qty, usd: usdShare }, f.t.key);
      streamByType.set(f.t.key, (streamByType.get(f.t.key) ?? 0) + usdShare);
    });
  };
  if (rs.enabled) {
    const hours = table.units.hoursPerMonth;
    const writtenBytes = (f: TypeFlows): number =>
      f.rate * Math.ceil(f.bytes / KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES) * KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES * seconds;
    const readBytes = (f: TypeFlows): number => f.rate * f.bytes * seconds;
    const hp = rs.hotPath;
    const groups = hp !== undefined ? mappingGroups(hp) : [];
    const standardReaders = 1 + groups.length + rs.consumers.filter((c) => c.type === 'lambda' && c.enhancedFanOut !== true).length;
    const efoReaders = rs.consumers.filter((c) => c.type === 'enhanced-fan-out' || c.enhancedFanOut === true).length;
    const storedGBPerHour = gb(sum(flows.map((f) => f.rate * f.bytes)) * 3_600);
    const extendedHours = Math.max(0, Math.min(rs.retentionHours, KINESIS_EXTENDED_RETENTION_MAX_HOURS) - KINESIS_BASE_RETENTION_HOURS);
    const longTermHours = Math.max(0, rs.retentionHours - KINESIS_EXTENDED_RETENTION_MAX_HOURS);
    const k = prices.kinesis;
    if (rs.mode === 'on-demand') {
      addShared({ component: 'root-stream', item: 'on-demand stream-hours', quantity: hours, unit: 'stream-hours', usd: priceOf(k.onDemandStreamHour, hours) });
      const inGB = gb(sum(flows.map(writtenBytes)));
      addStreamShare({ component: 'root-stream', item: 'data in (1 KB rounding)', quantity: inGB, unit: 'GB', usd: priceOf(k.onDemandIngestPerGB, inGB) }, writtenBytes);
      const outGB = gb(sum(flows.map(readBytes))) * standardReaders;
      addStreamShare({ component: 'root-stream', item: `data read by ${standardReaders} shared-throughput reader(s)`, quantity: outGB, unit: 'GB', usd: priceOf(k.onDemandRetrievalPerGB, outGB) }, readBytes);
      if (efoReaders > 0) {
        const efoGB = gb(sum(flows.map(readBytes))) * efoReaders;
        addStreamShare({ component: 'root-stream', item: `data read by ${efoReaders} enhanced fan-out consumer(s)`, quantity: efoGB, unit: 'GB', usd: priceOf(k.onDemandEfoRetrievalPerGB, efoGB) }, readBytes);
      }
      if (extendedHours > 0) {
        const stock = storedGBPerHour * extendedHours;
        addStreamShare({ component: 'root-stream', item: `extended retention (${rs.retentionHours} h)`, quantity: stock, unit: 'GB-month', usd: priceOf(k.onDemandExtendedRetentionPerGBMonth, stock) }, readBytes);
      }
    } else {
      addShared({ component: 'root-stream', item: `${rs.shardCount} provisioned shard(s)`, quantity: rs.shardCount * hours, unit: 'shard-hours', usd: priceOf(k.provisionedShardHour, rs.shardCount * hours) });
      const units = (f: TypeFlows): number => f.rate * Math.ceil(f.bytes / KINESIS_PUT_PAYLOAD_UNIT_BYTES) * seconds;
      const totalUnits = sum(flows.map(units));
      addStreamShare({ component: 'root-stream', item: 'PUT payload units (25 KB)', quantity: totalUnits, unit: 'units', usd: priceOf(k.provisionedPutPayloadUnitsPerMillion, totalUnits / 1e6) }, units);
      if (extendedHours > 0) {
        addShared({ component: 'root-stream', item: `extended retention (${rs.retentionHours} h)`, quantity: rs.shardCount * hours, unit: 'shard-hours', usd: priceOf(k.provisionedExtendedRetentionShardHour, rs.shardCount * hours) });
      }
      if (efoReaders > 0) {
        const consumerShardHours = efoReaders * rs.shardCount * hours;
        addShared({ component: 'root-stream', item: `${efoReaders} enhanced fan-out consumer(s)`, quantity: consumerShardHours, unit: 'consumer-shard-hours', usd: priceOf(k.provisionedEfoConsumerShardHour, consumerShardHours) });
        const efoGB = gb(sum(flows.map(readBytes))) * efoReaders;
        addStreamShare({ component: 'root-stream', item: 'enhanced fan-out data read', quantity: efoGB, unit: 'GB', usd: priceOf(k.provisionedEfoRetrievalPerGB, efoGB) }, readBytes);
      }
    }
    if (longTermHours > 0) {
      const stock = storedGBPerHour * longTermHours;
      addStreamShare({ component: 'root-stream', item: `long-term retention (${rs.retentionHours} h)`, quantity: stock, unit: 'GB-month', usd: priceOf(k.longTermRetentionPerGBMonth, stock) }, readBytes);
    }

    // Router Lambda.
    const r = rs.router;
    const routerPerSecond = streamInvocationsPerSecond(streamRate, avgStreamRecordBytes, shards, r.batchSize, r.batchingWindowSeconds, r.parallelizationFactor);
    if (routerPerSecond > 0) {
      const invocations = routerPerSecond * seconds;
      const ms = a.routerDuration.baseMs + a.routerDuration.msPerRecord * (streamRate / routerPerSecond);
      const l = lambdaCost(prices, invocations, ms, r.memoryMiB);
      const byRate = (f: TypeFlows): number => f.rate;
      addStreamShare({ component: 'router', item: 'invocations', quantity: invocations, unit: 'requests', usd: l.requestsUsd }, byRate);
      addStreamShare({ component: 'router', item: `compute (${Math.ceil(ms)} ms x ${r.memoryMiB} MiB)`, quantity: l.gbSeconds, unit: 'GB-s', usd: l.computeUsd }, byRate);
      const logGB = gb(invocations * a.logBytesPerInvocation);
      addStreamShare({ component: 'logs', item: 'router log lines', quantity: logGB, unit: 'GB', usd: priceOf(prices.cloudwatch.logsIngestionPerGB, logGB) }, byRate);
    }

    // Hot path: an upper bound (every event of a watched type reaches the function; filters drop the others).
    if (hp !== undefined) {
      let invocations = 0;
      let gbSeconds = 0;
      const rateOf = new Map(flows.map((f) => [f.t.key, f]));
      for (const g of groups) {
        const watched = [...new Set(g.rules.map((rule) => rule.eventType.key))].map((key) => rateOf.get(key)).filter((f): f is TypeFlows => f !== undefined);
        const rate = sum(watched.map((f) => f.rate));
        const bytes = rate > 0 ? sum(watched.map((f) => f.rate * f.bytes)) / rate : DEFAULT_AVG_RECORD_BYTES;
        const perSecond = streamInvocationsPerSecond(rate, bytes, shards, hp.mapping.batchSize, hp.mapping.batchingWindowSeconds);
        if (perSecond <= 0) continue;
        const n = perSecond * seconds;
        const ms = Math.ceil(a.hotPathDuration.baseMs + a.hotPathDuration.msPerRecord * (rate / perSecond));
        invocations += n;
        gbSeconds += (n * ms * hp.memoryMiB) / 1024 / 1000;
      }
      if (needsSchedule(hp)) {
        const n = table.units.hoursPerMonth * SCHEDULE_PER_HOUR;
        invocations += n;
        gbSeconds += (n * Math.ceil(a.hotPathDuration.baseMs) * hp.memoryMiB) / 1024 / 1000;
      }
      if (invocations > 0) {
        addShared({ component: 'hot-path', item: 'invocations (upper bound)', quantity: invocations, unit: 'requests', usd: priceOf(prices.lambda.requestsPerMillion, invocations / 1e6) });
        addShared({ component: 'hot-path', item: 'compute (upper bound)', quantity: gbSeconds, unit: 'GB-s', usd: priceOf(prices.lambda.arm64PerGBSecond, gbSeconds) });
        const logGB = gb(invocations * a.logBytesPerInvocation);
        addShared({ component: 'logs', item: 'hot-path log lines', quantity: logGB, unit: 'GB', usd: priceOf(prices.cloudwatch.logsIngestionPerGB, logGB) });
      }
      if (a.hotPathMatchesPerMonth > 0) {
        const m = a.hotPathMatchesPerMonth;
        addShared({ component: 'hot-path', item: 'stored matches (DynamoDB writes)', quantity: m, unit: 'write units', usd: priceOf(prices.dynamodb.onDemandWritePerMillion, m / 1e6) });
        addShared({ component: 'hot-path', item: 'notifications (SNS publishes)', quantity: m, unit: 'publishes', usd: priceOf(prices.sns.publishesPerMillion, m / 1e6) });
      }
      addShared({ component: 'kms', item: 'hot-path topic key', quantity: 1, unit: 'keys', usd: priceOf(prices.kms.keyMonth, 1) });
    }
  }

  // --- Alarms, dashboard, KMS.
  if (env.alarms.enabled) {
    const defs = environmentAlarms(env);
    const standard = defs.filter((d) => d.source.kind === 'metric').length;
    addShared({ component: 'alarms', item: `${standard} standard alarm(s)`, quantity: standard, unit: 'alarm metrics', usd: priceOf(prices.cloudwatch.standardAlarmMetricMonth, standard) });
    const queries = defs.filter((d) => d.source.kind === 'query');
    const lambdaStreams = env.eventTypes.filter((t) => t.transform === 'lambda').length;
    const analyzed = sum(queries.map((d) => (d.source.kind === 'query' && d.source.expression.includes('ExecuteProcessing') ? lambdaStreams : env.eventTypes.length)));
    if (queries.length > 0) {
      addShared({
        component: 'alarms',
        item: `${queries.length} Metrics Insights alarm(s) over ${env.eventTypes.length} stream(s)`,
        quantity: analyzed,
        unit: 'metrics analyzed',
        usd: priceOf(prices.cloudwatch.metricsInsightsAlarmPerMetricMonth, analyzed),
      });
    }
    addShared({ component: 'kms', item: 'alarm topic key', quantity: 1, unit: 'keys', usd: priceOf(prices.kms.keyMonth, 1) });
  }
  addShared({ component: 'dashboard', item: 'dashboard', quantity: 1, unit: 'dashboards', usd: priceOf(prices.cloudwatch.dashboardMonth, 1) });

  // --- Collector.
  const collector = collectorOf(env);
  if (collector !== undefined) {
    const c = a.collector;
    const eventsPerSecond = collector.eventsPerSecond ?? streamRate;
    const requests = (eventsPerSecond / (collector.avgEventsPerRequest ?? c.eventsPerRequest)) * seconds;
    const api = collector.api === 'rest' ? prices.apiGateway.restApiRequestsPerMillion : prices.apiGateway.httpApiRequestsPerMillion;
    addShared({ component: 'collector', item: `API Gateway ${collector.api === 'rest' ? 'REST' : 'HTTP'} API requests`, quantity: requests, unit: 'requests', usd: priceOf(api, requests / 1e6) });
    const memory = collector.memoryMiB ?? c.memoryMiB;
    const ms = collector.avgDurationMs ?? c.durationMs;
    const l = lambdaCost(prices, requests, ms, memory);
    addShared({ component: 'collector', item: 'Lambda invocations', quantity: requests, unit: 'requests', usd: l.requestsUsd });
    addShared({ component: 'collector', item: `Lambda compute (${Math.ceil(ms)} ms x ${memory} MiB)`, quantity: l.gbSeconds, unit: 'GB-s', usd: l.computeUsd });
    const logGB = gb(requests * a.logBytesPerInvocation);
    addShared({ component: 'logs', item: 'collector log lines', quantity: logGB, unit: 'GB', usd: priceOf(prices.cloudwatch.logsIngestionPerGB, logGB) });
    if (collector.edge !== undefined) {
      // Every request passes CloudFront and the web ACL; its body (the events) goes on to the API.
      const cf = prices.cloudfront;
      const w = prices.waf;
      const eventBytes = streamRate > 0 ? sum(flows.map((f) => f.rate * f.bytes)) / streamRate : DEFAULT_AVG_RECORD_BYTES;
      const bodyGB = gb(eventsPerSecond * eventBytes * seconds);
      addShared({ component: 'edge', item: 'CloudFront HTTPS requests', quantity: requests, unit: 'requests', usd: priceOf(cf.httpsRequestsPer10000, requests / 10_000) });
      addShared({ component: 'edge', item: 'CloudFront request bodies to the API', quantity: bodyGB, unit: 'GB', usd: priceOf(cf.dataTransferToOriginPerGB, bodyGB) });
      addShared({ component: 'edge', item: 'AWS WAF requests', quantity: requests, unit: 'requests', usd: priceOf(w.requestsPerMillion, requests / 1e6) });
      addShared({ component: 'edge', item: 'AWS WAF web ACL', quantity: 1, unit: 'web ACLs', usd: priceOf(w.webAclMonth, 1) });
      addShared({ component: 'edge', item: `AWS WAF rules (${collector.edge.rules})`, quantity: collector.edge.rules, unit: 'rules', usd: priceOf(w.ruleMonth, collector.edge.rules) });
    }
  }

  const eventTypes = perType.map((t) => {
    const s3 = s3ByType.get(t.key) ?? 0;
    const stream = streamByType.get(t.key) ?? 0;
    return { ...t, s3, stream, total: t.firehose + t.transform + s3 + stream };
  });
  const sharedTotal = sum(shared.map((l) => l.usd));
  const total = sum(eventTypes.map((t) => t.total)) + sharedTotal;
  if (unpriced.length > 0) warnings.push(`${unpriced.length} event type(s) without avgRecordsPerSecond are not priced: ${unpriced.join(', ')}`);
  return {
    environment: env.name,
    region: env.region,
    priceRegion,
    mode,
    eventTypes,
    unpriced,
    shared,
    lines,
    sharedTotal,
    total,
    firehoseUnpacked: sum(flows.map((f) => unpacked.get(f.t.key)!.usd)),
    firehosePacked: sum(flows.map((f) => packed.get(f.t.key)!.usd)),
    warnings,
  };
}

/** Days an object spends in each storage class, and the days billed (minimum durations). */
export function storageDays(env: Pick<EnvironmentSpec, 'bucket'>, a: Pick<Assumptions, 'storageHorizonMonths'>): {
  end: number;
  standard: number;
  ia: number;
  glacierIr: number;
  iaBilled: number;
  glacierIrBilled: number;
} {
  const b = env.bucket;
  const end = b.expireAfterDays ?? a.storageHorizonMonths * 30;
  const toIa = b.transitionToInfrequentAccessAfterDays;
  const toGir = b.transitionToGlacierAfterDays;
  const standard = Math.min(end, toIa ?? Infinity, toGir ?? Infinity);
  const ia = toIa !== undefined && toIa < end && (toGir === undefined || toGir > toIa) ? Math.min(toGir ?? end, end) - toIa : 0;
  const glacierIr = toGir !== undefined && toGir < end ? end - toGir : 0;
  return {
    end,
    standard,
    ia,
    glacierIr,
    iaBilled: ia > 0 ? Math.max(ia, S3_MINIMUM_DAYS.standardIa) : 0,
    glacierIrBilled: glacierIr > 0 ? Math.max(glacierIr, S3_MINIMUM_DAYS.glacierIr) : 0,
  };
}

/**
 * Every CloudWatch alarm of the environment, from the same definitions synth uses: the
 * environment-wide ones, the transform alarms (one set per transform function: one in the single
 * layout, one per shard with a Lambda-transformed event type in the sharded layout), the
 * per-stream alarms and the hot path's.
 */
export function environmentAlarms(env: EnvironmentSpec): AlarmDefinition[] {
  if (!env.alarms.enabled) return [];
  const out = [...alarmDefinitions(env)];
  const fn = (functionName: string): AlarmDefinition[] => transformAlarmDefinitions(env, { functionName, timeoutSeconds: env.transformFunction.timeoutSeconds });
  if (env.stacks.layout === 'single') {
    if (usesTransformLambda(env)) out.push(...fn(env.transformFunction.functionName));
  } else {
    const byKey = new Map(env.eventTypes.map((t) => [t.key, t]));
    for (const s of env.stacks.shards) {
      if (s.eventTypeKeys.some((k) => byKey.get(k)?.transform === 'lambda')) out.push(...fn(s.transformFunctionName));
    }
  }
  out.push(...perStreamAlarmDefinitions(env, env.eventTypes));
  if (env.rootStream.enabled && env.rootStream.hotPath !== undefined) out.push(...hotPathAlarmDefinitions(env.rootStream.hotPath, env.prefix));
  // The API id only names a dimension: any placeholder counts the same alarms.
  if (env.collector !== undefined) out.push(...collectorAlarmDefinitions(env.collector, env.prefix, { apiId: 'collector' }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering

export function usd$(n: number): string {
  const abs = Math.abs(n);
  const digits = abs > 0 && abs < 0.01 ? 4 : 2;
  const s = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${n < 0 ? '-' : ''}$${s}`;
}

function signed(n: number): string {
  if (Math.abs(n) < 0.005) return '$0.00';
  return `${n > 0 ? '+' : '-'}${usd$(Math.abs(n))}`;
}

function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** The estimate as Markdown tables (what `npm run cost` prints). */
export function renderCostMarkdown(e: CostEstimate, table: Pick<PriceTable, 'asOf' | 'units'>, pricesLabel = 'config/prices.json'): string {
  const out: string[] = [];
  out.push(`## Monthly cost estimate: ${e.project}`);
  out.push('');
  out.push(
    `List prices of ${table.asOf} (${pricesLabel}), a month of ${num(table.units.hoursPerMonth)} hours, ` +
      'average rates from `avgRecordsPerSecond`. An estimate, not a bill: no free tier, taxes or discounts.',
  );
  for (const env of e.environments) {
    out.push('');
    const modeText =
      env.mode === 'root-stream'
        ? 'root stream on: producers write to the root stream and the router forwards one event per Firehose record'
        : 'direct mode: the tracker packs events into Firehose records';
    out.push(`### ${env.environment} (${env.region}${env.priceRegion !== env.region ? `, priced as ${env.priceRegion}` : ''}): ${usd$(env.total)}/month`);
    out.push('');
    out.push(`${modeText}.`);
    out.push('');
    out.push('| Event type | events/s | bytes | Firehose, 1 event/record | Firehose, packed | Transform | S3 | Stream & router | Total |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const t of [...env.eventTypes].sort((x, y) => y.total - x.total || (x.key < y.key ? -1 : 1))) {
      const fhU = env.mode === 'root-stream' ? `**${usd$(t.firehoseUnpacked)}**` : usd$(t.firehoseUnpacked);
      const fhP = env.mode === 'direct' ? `**${usd$(t.firehosePacked)}**` : usd$(t.firehosePacked);
      out.push(`| ${t.key} | ${num(t.avgRecordsPerSecond, 2)} | ${num(t.avgRecordBytes)} | ${fhU} | ${fhP} | ${usd$(t.transform)} | ${usd$(t.s3)} | ${usd$(t.stream)} | ${usd$(t.total)} |`);
    }
    for (const key of env.unpriced) out.push(`| ${key} | not declared | | | | | | | not priced |`);
    out.push(`| shared (below) | | | | | | | | ${usd$(env.sharedTotal)} |`);
    out.push(`| **Total** | | | | | | | | **${usd$(env.total)}** |`);
    out.push('');
    out.push(
      env.mode === 'direct'
        ? `Bold: the Firehose figure that applies. Without packing, Firehose ingestion would cost ${usd$(env.firehoseUnpacked)} instead of ${usd$(env.firehosePacked)}.`
        : `Bold: the Firehose figure that applies. Producers writing directly with the tracker's packing would bring Firehose ingestion from ${usd$(env.firehoseUnpacked)} to ${usd$(env.firehosePacked)} (and skip the root stream).`,
    );
    if (env.shared.length > 0) {
      out.push('');
      out.push('| Shared | Quantity | Monthly |');
      out.push('|---|---:|---:|');
      for (const l of env.shared) {
        const unit = l.quantity === 1 ? l.unit.replace(/s$/, '') : l.unit;
        out.push(`| ${l.component}: ${l.item} | ${num(l.quantity, l.quantity < 10 ? 2 : 0)} ${unit} | ${usd$(l.usd)} |`);
      }
    }
    for (const w of env.warnings) out.push(`\n- Note: ${w}`);
  }
  if (e.environments.length > 1) {
    out.push('');
    out.push(`**All environments: ${usd$(e.total)}/month**`);
  }
  return out.join('\n');
}

/** The estimate as JSON (`--json`): the numbers, every line item, and the table it used. */
export function costJson(e: CostEstimate, table: PriceTable): unknown {
  return {
    project: e.project,
    currency: e.currency,
    prices: { asOf: table.asOf, hoursPerMonth: table.units.hoursPerMonth, bytesPerGB: table.units.bytesPerGB, provenance: table.provenance },
    total: round(e.total),
    environments: e.environments.map((env) => ({
      environment: env.environment,
      region: env.region,
      priceRegion: env.priceRegion,
      mode: env.mode,
      total: round(env.total),
      firehoseUnpacked: round(env.firehoseUnpacked),
      firehosePacked: round(env.firehosePacked),
      sharedTotal: round(env.sharedTotal),
      eventTypes: env.eventTypes.map((t) => ({
        key: t.key,
        avgRecordsPerSecond: t.avgRecordsPerSecond,
        avgRecordBytes: t.avgRecordBytes,
        firehoseUnpacked: round(t.firehoseUnpacked),
        firehosePacked: round(t.firehosePacked),
        firehose: round(t.firehose),
        firehoseRecords: Math.round(t.firehoseRecords),
        firehoseBilledGB: round(t.firehoseBilledGB),
        transform: round(t.transform),
        s3: round(t.s3),
        stream: round(t.stream),
        total: round(t.total),
      })),
      unpriced: env.unpriced,
      lines: env.lines.map((l) => ({ ...l, quantity: round(l.quantity, 4), usd: round(l.usd, 4) })),
      warnings: env.warnings,
    })),
  };
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

// ---------------------------------------------------------------------------------------------
// The cost change of a pull request (for `npm run review`)

export interface EventTypeChange {
  readonly environment: string;
  readonly key: string;
  /** undefined: absent (or not priced) on that side. */
  readonly base?: number;
  readonly head?: number;
  readonly delta: number;
}

export interface EnvironmentChange {
  readonly environment: string;
  readonly base: number;
  readonly head: number;
  readonly delta: number;
}

export interface CostChange {
  readonly markdown: string;
  readonly perEnvironment: readonly EnvironmentChange[];
  readonly eventTypes: readonly EventTypeChange[];
  /** Head total minus base total, all environments. */
  readonly delta: number;
  readonly base: CostEstimate;
  readonly head: CostEstimate;
}

/**
 * The estimated monthly cost change between two configs (the review synthesizes both), as data and
 * as a Markdown section. Flags an event type that would cost more than the rest of its
 * environment together, and event types that cannot be priced (no avgRecordsPerSecond).
 */
export function costChange(baseConfig: TrackingConfig, headConfig: TrackingConfig, prices: PriceTable, options: Omit<CostOptions, 'environments'> = {}): CostChange {
  const base = estimateCost(baseConfig, prices, options);
  const head = estimateCost(headConfig, prices, options);
  const names = [...new Set([...base.environments, ...head.environments].map((e) => e.environment))].sort();
  const perEnvironment: EnvironmentChange[] = names.map((name) => {
    const b = base.environments.find((e) => e.environment === name)?.total ?? 0;
    const h = head.environments.find((e) => e.environment === name)?.total ?? 0;
    return { environment: name, base: b, head: h, delta: h - b };
  });
  const eventTypes: EventTypeChange[] = [];
  const flags: string[] = [];
  const unpricedNew: string[] = [];
  for (const name of names) {
    const b = base.environments.find((e) => e.environment === name);
    const h = head.environments.find((e) => e.environment === name);
    const bt = new Map((b?.eventTypes ?? []).map((t) => [t.key, t.total]));
    const ht = new Map((h?.eventTypes ?? []).map((t) => [t.key, t.total]));
    for (const key of [...new Set([...bt.keys(), ...ht.keys()])].sort()) {
      const bv = bt.get(key);
      const hv = ht.get(key);
      const delta = (hv ?? 0) - (bv ?? 0);
      if (Math.abs(delta) >= 0.005) eventTypes.push({ environment: name, key, ...(bv !== undefined ? { base: bv } : {}), ...(hv !== undefined ? { head: hv } : {}), delta });
    }
    if (h !== undefined) {
      for (const t of h.eventTypes) {
        const rest = h.total - t.total;
        const was = bt.get(t.key);
        const wasDominant = b !== undefined && was !== undefined && was > b.total - was;
        if (t.total > rest && !wasDominant) {
          flags.push(`${name}: \`${t.key}\` would cost ${usd$(t.total)}/month, more than everything else in ${name} together (${usd$(rest)}).`);
        }
      }
      const unpricedBefore = new Set(b?.unpriced ?? []);
      const pricedBefore = new Set((b?.eventTypes ?? []).map((t) => t.key));
      for (const key of h.unpriced) {
        if (!unpricedBefore.has(key)) unpricedNew.push(`${name}: \`${key}\`${pricedBefore.has(key) ? ' (no longer priced)' : ' (new)'}`);
      }
    }
  }
  const delta = head.total - base.total;
  const md: string[] = ['### Monthly cost change (estimate)', ''];
  md.push(
    `List prices of ${prices.asOf} (config/prices.json), a month of ${num(prices.units.hoursPerMonth)} hours; ` +
      'event types are priced from `avgRecordsPerSecond` (see `npm run cost` for the breakdown).',
  );
  md.push('');
  if (perEnvironment.every((p) => Math.abs(p.delta) < 0.005) && unpricedNew.length === 0) {
    md.push(`No change to the estimated monthly cost (${usd$(head.total)}).`);
  } else {
    md.push('| Environment | Base | Head | Change |');
    md.push('|---|---:|---:|---:|');
    for (const p of perEnvironment) md.push(`| ${p.environment} | ${usd$(p.base)} | ${usd$(p.head)} | ${signed(p.delta)}${pct(p.delta, p.base)} |`);
    if (perEnvironment.length > 1) md.push(`| **All** | **${usd$(base.total)}** | **${usd$(head.total)}** | **${signed(delta)}**${pct(delta, base.total)} |`);
    if (eventTypes.length > 0) {
      md.push('');
      md.push('| Environment | Event type | Base | Head | Change |');
      md.push('|---|---|---:|---:|---:|');
      for (const c of [...eventTypes].sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))) {
        md.push(`| ${c.environment} | ${c.key} | ${c.base !== undefined ? usd$(c.base) : '(new)'} | ${c.head !== undefined ? usd$(c.head) : '(removed)'} | ${signed(c.delta)} |`);
      }
    }
  }
  if (flags.length > 0) {
    md.push('');
    for (const f of flags) md.push(`> ⚠ ${f}`);
  }
  if (unpricedNew.length > 0) {
    md.push('');
    md.push(`Not priced (no \`avgRecordsPerSecond\`): ${unpricedNew.join(', ')}.`);
  }
  return { markdown: md.join('\n'), perEnvironment, eventTypes, delta, base, head };
}

/**
 * The review's cost section from the two config files it synthesized (base and head), loaded with
 * the working tree's loader. Never throws: a config or price table that cannot be read gives a
 * one-line "Not computed" section, so a cost problem never blocks the review.
 */
export function reviewCostSection(baseConfigFile: string, headConfigFile: string, pricesFile?: string): string {
  try {
    return costChange(loadConfig(baseConfigFile), loadConfig(headConfigFile), loadPriceTable(pricesFile)).markdown;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    return `### Monthly cost change (estimate)\n\nNot computed: ${why}`;
  }
}

function pct(delta: number, base: number): string {
  if (Math.abs(delta) < 0.005 || base <= 0) return '';
  return ` (${delta > 0 ? '+' : ''}${((delta / base) * 100).toFixed(1)} %)`;
}
