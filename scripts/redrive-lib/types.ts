/**
 * The redrive tool's vocabulary (docs/redrive.md):
 * - a **unit** is what a source holds and marks as a whole: one S3 object (errors, unroutable) or
 *   one SQS message (dlq);
 * - an **item** is one record inside a unit: a line of an object, the record of a dead letter, or
 *   one record of a batch the router's event source mapping gave up on;
 * - the **checkpoint** (./journal.ts) records, per unit, the items whose records were confirmed.
 */
import { TrackingPipelineError } from '../../config/errors';

export type SourceName = 'errors' | 'dlq' | 'unroutable';

/** Where a record goes back to. */
export interface Destination {
  readonly service: 'firehose' | 'kinesis';
  /** Delivery stream or Kinesis stream name (config/naming). */
  readonly name: string;
}

/** What to do with one item. */
export type ItemAction =
  /** Send these exact bytes. */
  | { readonly kind: 'send'; readonly data: Buffer; readonly destination: Destination; readonly partitionKey?: string }
  /**
   * Not sendable now (a malformed line, an event type still missing from the config, a record
   * that is not an envelope): reported as skipped and kept in the source, never lost.
   */
  | { readonly kind: 'keep'; readonly why: string }
  /** Cannot be read (the stream no longer retains it): reported as failed, the unit is kept. */
  | { readonly kind: 'fail'; readonly why: string };

export interface Item {
  /** Stable within its unit: `L<line>` (object line), `M` (the record of a dead letter), `S<sequence number>`. */
  readonly id: string;
  /** `<app>/<event type>` when known, else `(unknown)`. */
  readonly eventType: string;
  /** Why it failed in the first place: `<error-output-type>/<errorCode>`, or the router's reason. */
  readonly reason: string;
  /** When it failed (errors) or reached the root stream (dead letters), epoch ms; for --since/--until. */
  readonly time?: number;
  readonly action: ItemAction;
  /** The item as the source stores it, to write it back in a remainder (see Source.split). */
  readonly keepAs?: string;
}

export const UNKNOWN_TYPE = '(unknown)';

/** One unit, as listed by a source. */
export interface Unit {
  /** Checkpoint key: `s3://<bucket>/<key>#<etag>` or `sqs:<MessageId>`. */
  readonly id: string;
  /** For messages: the object key or the message id. */
  readonly label: string;
}

/** What happened to a unit at the end. */
export type UnitDone = 'tagged' | 'moved' | 'deleted' | 'split';

/** A source of units: the bucket's error or unroutable prefix, or the router's dead-letter queue. */
export interface Source<U extends Unit = Unit> {
  readonly name: SourceName;
  /** What the summary calls a unit: "object" or "message". */
  readonly unitNoun: string;
  /** Where the units are, for messages: `s3://bucket/errors/` or the queue URL. */
  readonly location: string;
  /** Units to consider, in order. Units the source skips itself (already marked) are reported through `onSkipUnit`. */
  units(ctx: SourceContext): AsyncIterable<U>;
  /** Loads a unit's items. Throws on a read error (the unit is reported as failed). */
  load(unit: U, signal: AbortSignal): Promise<Item[]>;
  /** Marks units whose every item was sent (tag, move or delete; for messages, delete). */
  finish(units: readonly U[], signal: AbortSignal): Promise<Map<string, UnitDone | Error>>;
  /** Writes the kept items back as a new unit, then finishes the original. */
  split(unit: U, kept: readonly Item[], signal: AbortSignal): Promise<UnitDone>;
  /** A unit left as is in this run (dlq: visible again at once). */
  release(units: readonly U[]): Promise<void>;
  /** Approximate number of units, for the progress bar. */
  total?(): number | undefined;
}

export interface SourceContext {
  readonly signal: AbortSignal;
  /** A unit skipped before loading (already marked, outside the time window...). */
  onSkipUnit(unit: Unit, why: string): void;
}

/** Base class of the tool's errors. */
export class RedriveError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

/** Bad command line or options. */
export class RedriveUsageError extends RedriveError {
  public constructor(message: string) {
    super(message);
    this.name = 'RedriveUsageError';
  }
}

/** A checkpoint that cannot be used (corrupt, another run holds it, written for another target). */
export class CheckpointError extends RedriveError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/** An AWS call that failed after its retries. */
export class AwsCallError extends RedriveError {
  public constructor(
    public readonly operation: string,
    public readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${code}${message !== '' && message !== code ? ` (${message})` : ''}`, options);
    this.name = 'AwsCallError';
  }
}
