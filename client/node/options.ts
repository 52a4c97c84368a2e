/**
 * Options of `createTracker`, their defaults (pure data) and their resolution, in one fixed order:
 * defaults, then the caller's values, then the values the mode forces.
 */
import type { FirehoseClient, FirehoseClientConfig } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TrackingManifest } from '../../config/manifest';
import type { EnvironmentOf, TrackingCatalog } from './catalog';
import { TrackerOptionsError, type FailedEvent } from './errors';
import { FIREHOSE_BILLING_INCREMENT_BYTES, FIREHOSE_LIMITS } from '../../lib/limits';

export type TrackerMode = 'direct' | 'root-stream';
export type OnBufferFull = 'wait' | 'fail';

/** Figures of one `PutRecordBatch` / `PutRecords` call, passed to `onMetrics`. */
export interface CallMetrics {
  /** Delivery stream (direct) or Kinesis stream (root-stream). */
  readonly destination: string;
  /** 1 for the first call of a batch, 2+ for retries of its failed records. */
  readonly attempt: number;
  readonly records: number;
  readonly events: number;
  /** Data bytes of the records sent (partition keys excluded). */
  readonly bytes: number;
  /** Records the service accepted. */
  readonly acceptedRecords: number;
  /** Records not confirmed: an ErrorCode, no RecordId / SequenceNumber, or all of them when the call failed. */
  readonly failedRecords: number;
  /** Firehose billing increments of the accepted records (0 in root-stream mode). */
  readonly billedUnits: number;
  /** Error name of a failed call (TimeoutError / DeadlineExceeded when the tracker cut it off). */
  readonly callError?: string;
}

/** What the tracker does with an event that breaks its contract (catalog modules carry the contracts). */
export type ValidateMode = 'off' | 'report' | 'throw';

/** Options shared by both sources of event types (a catalog module or a manifest). */
export interface TrackerSettings {
  /**
   * `'direct'`: `PutRecordBatch` to each event type's delivery stream. `'root-stream'`: `PutRecords`
   * to the environment's Kinesis root stream (one event per record, partition key = event_id).
   * @default 'direct'
   */
  readonly mode?: TrackerMode;
  /**
   * AWS region; must match the environment's region.
   * @default the environment's region from the catalog / manifest
   */
  readonly region?: string;
  /**
   * Checks each event against its event type's contract before it is buffered, with the
   * pipeline's own validator (lib/contract-validator.ts, the transform's and the collector's), on
   * the exact bytes that would be sent. Only contracts in `enforce` mode are checked (the pipeline
   * accepts violations of an `observe` contract). `'throw'`: `track()` throws
   * `ContractViolationError`. `'report'`: the event is not sent; it goes to `onDeliveryFailure`
   * (or the `DeliveryError` of `flush()` / `close()`) with errorCode `ContractViolation`, and
   * counts as failed, never as delivered. Needs a catalog module (a manifest has no contracts).
   * @default 'off'
   */
  readonly validate?: ValidateMode;
  /**
   * Longest time an event waits in a stream's buffer before it is sent.
   * @default 1000
   */
  readonly maxBatchDelayMs?: number;
  /**
   * Join small events for the same delivery stream into one record, one JSON object per line.
   * Forced to `false` in root-stream mode (the router reads one envelope per Kinesis record).
   * @default true
   */
  readonly packing?: boolean;
  /**
   * Largest packed record, in bytes (events joined with '\n'). Firehose bills each record rounded up
   * to the next 5 KB = 5,120 bytes, so the default fills exactly one billing increment.
   * @default 5120
   */
  readonly packedRecordBytes?: number;
  /**
   * Bound on the bytes of accepted events not yet delivered or reported failed (buffered and in flight).
   * @default 33554432 (32 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * At the bound, `'wait'` makes `track` return a promise that resolves when there is room;
   * `'fail'` makes `track` throw `BufferFullError`.
   * @default 'wait'
   */
  readonly onBufferFull?: OnBufferFull;
  /**
   * How long after a batch is sent its failed records may be retried: no attempt starts later, and
   * no call runs past `retryDeadlineMs + requestTimeoutMs` after the batch was sent.
   * @default 15000
   */
  readonly retryDeadlineMs?: number;
  /**
   * Base of the exponential backoff (full jitter: a random delay in [0, min(max, base * 2^n))).
   * @default 100
   */
  readonly retryBaseDelayMs?: number;
  /**
   * Cap of one backoff delay.
   * @default 5000
   */
  readonly retryMaxDelayMs?: number;
  /**
   * Longest time of one call, trickled answers included: an AbortSignal cuts it off (injected
   * clients too), and the tracker stops waiting for it at once.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Calls in flight at once, across all streams.
   * @default 8
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Receives the events that still failed after retries (or failed with a non-retryable error, or
   * were cut off by a flush()/close() deadline). Without it, they are kept and `flush()` /
   * `close()` reject with `DeliveryError`. `FailedEvent.data` is the event itself: log
   * `summarizeFailures(failures)`, never the failures. Must not be slow: close() calls it before
   * it settles.
   * @default undefined
   */
  readonly onDeliveryFailure?: (failures: readonly FailedEvent[]) => void;
  /**
   * Called after every API call with its figures; `tracker.metrics()` gives the running totals.
   * @default undefined
   */
  readonly onMetrics?: (call: CallMetrics) => void;
  /**
   * Endpoint of the clients the tracker creates (a VPC endpoint, or a local stand-in in tests).
   * @default the SDK's regional endpoint
   */
  readonly endpoint?: string;
  /**
   * Credentials of the clients the tracker creates.
   * @default the SDK's default provider chain
   */
  readonly credentials?: FirehoseClientConfig['credentials'];
  /**
   * Firehose client to use instead of creating one (the tracker never destroys it).
   * @default a new FirehoseClient with `region`, `endpoint`, `credentials`, HTTP/1.1, SDK retries off
   */
  readonly firehoseClient?: FirehoseClient;
  /**
   * Kinesis client to use instead of creating one (the tracker never destroys it).
   * @default a new KinesisClient with `region`, `endpoint`, `credentials`, HTTP/1.1, SDK retries off
   */
  readonly kinesisClient?: KinesisClient;
}

/**
 * Options of a tracker that reads a synthesized manifest (`cdktf.out/tracking-manifest.json`):
 * names only, no contracts (so `validate` must stay `'off'`).
 */
export interface TrackerOptions extends TrackerSettings {
  /** Project name; must match the manifest. */
  readonly project: string;
  /** Environment to send to; must exist in the manifest. */
  readonly environment: string;
  /** Path of the synthesized manifest (`cdktf.out/tracking-manifest.json`) or the parsed manifest object. */
  readonly manifest: string | TrackingManifest;
  /** Give `catalog` through the other form of `createTracker` (`CatalogTrackerOptions`). */
  readonly catalog?: undefined;
}

/**
 * Options of a tracker that reads a catalog module (`npx tracking types --out <dir>`): its event
 * types, streams and contracts. `environment` must be one of the catalog's, which the compiler
 * checks, and `track()` is typed by the catalog.
 */
export interface CatalogTrackerOptions<C extends TrackingCatalog = TrackingCatalog> extends TrackerSettings {
  /** The `catalog` export of the generated module. */
  readonly catalog: C;
  /** Environment to send to: one of the catalog's. */
  readonly environment: EnvironmentOf<C>;
  /**
   * Project name; when given, must match the catalog's.
   * @default the catalog's project
   */
  readonly project?: string;
  readonly manifest?: undefined;
}

/** Either form, as the implementation reads it. */
export type AnyTrackerOptions = TrackerOptions | CatalogTrackerOptions;

/** Options of `flush()` and `close()`. */
export interface ShutdownOptions {
  /**
   * Longest time before the call settles: at that moment every event it covers that AWS has not
   * confirmed is reported (DeadlineExceeded, or its last error), calls in flight are cut off and
   * waiting `track()` calls are released. The call then settles within a few milliseconds
   * (see docs/client.md "Bounds").
   * @default retryDeadlineMs + requestTimeoutMs
   */
  readonly timeoutMs?: number;
}

/** Default values, as pure data. */
export const TRACKER_DEFAULTS = {
  mode: 'direct',
  validate: 'off',
  maxBatchDelayMs: 1_000,
  packing: true,
  packedRecordBytes: FIREHOSE_BILLING_INCREMENT_BYTES,
  maxBufferedBytes: 32 * 1024 * 1024,
  onBufferFull: 'wait',
  retryDeadlineMs: 15_000,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  requestTimeoutMs: 5_000,
  maxConcurrentRequests: 8,
} as const satisfies Partial<TrackerSettings>;

type Defaulted = keyof typeof TRACKER_DEFAULTS;

/** Options after defaults and forced values. */
export type ResolvedOptions = Omit<TrackerSettings, Defaulted> & {
  readonly project?: string;
  readonly environment: string;
  readonly manifest?: string | TrackingManifest;
  readonly catalog?: TrackingCatalog;
  readonly mode: TrackerMode;
  readonly validate: ValidateMode;
  readonly maxBatchDelayMs: number;
  readonly packing: boolean;
  readonly packedRecordBytes: number;
  readonly maxBufferedBytes: number;
  readonly onBufferFull: OnBufferFull;
  readonly retryDeadlineMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConcurrentRequests: number;
};

/** Values a mode imposes whatever the caller asked. */
const FORCED: Readonly<Record<TrackerMode, Partial<ResolvedOptions>>> = {
  direct: {},
  // One envelope per Kinesis record: the router reads app / event_type from it.
  'root-stream': { packing: false },
};

/** The deadline of a flush()/close() call, validated. */
export function shutdownTimeout(o: ResolvedOptions, options: ShutdownOptions | undefined): number {
  const t = options?.timeoutMs;
  if (t === undefined) return o.retryDeadlineMs + o.requestTimeoutMs;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 86_400_000) {
    throw new TrackerOptionsError(`timeoutMs must be an integer from 0 to 86400000, got ${JSON.stringify(t)}`);
  }
  return t;
}

/** Merges defaults, the caller's options and forced values, and validates the result. */
export function resolveOptions(options: AnyTrackerOptions): ResolvedOptions {
  const merged = { ...TRACKER_DEFAULTS, ...defined(options) } as ResolvedOptions;
  const r: ResolvedOptions = { ...merged, ...FORCED[merged.mode] };
  const problems: string[] = [];
  if ((options as { config?: unknown }).config !== undefined) {
    // The YAML config needs the config loader, which is the infrastructure side: the tracker reads a catalog module instead.
    problems.push('the config option (a YAML path) is not supported: generate a catalog module with `npx tracking types --out <dir>` and pass its `catalog` export');
  } else if ((r.catalog === undefined) === (r.manifest === undefined)) problems.push('give exactly one of catalog (the module `tracking types` writes) and manifest');
  if (r.catalog === undefined && (typeof r.project !== 'string' || r.project === '')) problems.push('project is required with a manifest');
  if (r.project !== undefined && (typeof r.project !== 'string' || r.project === '')) problems.push('project must be a non-empty string');
  if (typeof r.environment !== 'string' || r.environment === '') problems.push('environment is required');
  if (r.validate !== 'off' && r.validate !== 'report' && r.validate !== 'throw') problems.push(`validate must be 'off', 'report' or 'throw', got ${JSON.stringify(r.validate)}`);
  else if (r.validate !== 'off' && r.catalog === undefined) problems.push(`validate: '${r.validate}' needs the contracts of a catalog module (a manifest has none); pass catalog`);
  if (r.mode !== 'direct' && r.mode !== 'root-stream') problems.push(`mode must be 'direct' or 'root-stream', got ${JSON.stringify(r.mode)}`);
  if (r.onBufferFull !== 'wait' && r.onBufferFull !== 'fail') problems.push(`onBufferFull must be 'wait' or 'fail'`);
  const ints: [keyof ResolvedOptions, number, number][] = [
    ['maxBatchDelayMs', 0, 3_600_000],
    ['packedRecordBytes', 1, FIREHOSE_LIMITS.maxRecordBytes],
    ['maxBufferedBytes', 1, Number.MAX_SAFE_INTEGER],
    ['retryDeadlineMs', 0, 86_400_000],
    ['retryBaseDelayMs', 0, 3_600_000],
    ['retryMaxDelayMs', 0, 3_600_000],
    ['requestTimeoutMs', 1, 3_600_000],
    ['maxConcurrentRequests', 1, 1_000],
  ];
  for (const [key, min, max] of ints) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  }
  if (problems.length > 0) throw new TrackerOptionsError(`invalid tracker options: ${problems.join('; ')}`);
  return r;
}

/** Drops undefined fields so that an explicit `undefined` never erases a default. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
