/**
 * Typed errors of the tracker. All extend `TrackingPipelineError` (config/errors) through
 * `TrackerError`, and each sets `name`, so callers can branch on `instanceof` or on `name`.
 */
import { TrackingPipelineError } from '../../config/errors';

/** Base class of every error the tracker client throws. */
export class TrackerError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrackerError';
  }
}

/** An option of `createTracker` is missing or invalid. */
export class TrackerOptionsError extends TrackerError {
  public constructor(message: string) {
    super(message);
    this.name = 'TrackerOptionsError';
  }
}

/** The catalog module is not one this tracker can read (another format or version, or edited by hand). */
export class CatalogError extends TrackerError {
  public constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** The catalog or manifest has no environment of the requested name. */
export class UnknownEnvironmentError extends TrackerError {
  public constructor(
    public readonly environment: string,
    public readonly known: readonly string[],
    source: string,
  ) {
    super(`environment "${environment}" is not in ${source}; known environments: ${known.join(', ') || '(none)'}`);
    this.name = 'UnknownEnvironmentError';
  }
}

/** The catalog or manifest belongs to another project. */
export class ProjectMismatchError extends TrackerError {
  public constructor(message: string) {
    super(message);
    this.name = 'ProjectMismatchError';
  }
}

/** The `region` option differs from the environment's region. */
export class RegionMismatchError extends TrackerError {
  public constructor(environment: string, expected: string, given: string) {
    super(`environment "${environment}" is deployed in ${expected}, but region ${given} was given; drop the region option or fix it`);
    this.name = 'RegionMismatchError';
  }
}

/** `mode: 'root-stream'` on an environment that has no root stream. */
export class RootStreamUnavailableError extends TrackerError {
  public constructor(environment: string) {
    super(
      `environment "${environment}" has no Kinesis root stream; use mode: 'direct', or set ` +
        `environments.${environment}.rootStream.enabled: true and deploy`,
    );
    this.name = 'RootStreamUnavailableError';
  }
}

/** `track` was called with an application or event type the config does not declare. */
export class UnknownEventTypeError extends TrackerError {
  public constructor(
    public readonly app: string,
    public readonly eventType: string,
    hint: string,
  ) {
    super(`unknown event type "${app}/${eventType}": ${hint}`);
    this.name = 'UnknownEventTypeError';
  }
}

/** The event is not a JSON object, cannot be serialized, or contradicts the `track` arguments. */
export class InvalidEventError extends TrackerError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/**
 * The event breaks its event type's contract (`validate: 'throw'`). The message names the JSON
 * Schema keyword and the path in the schema, never the value: it is safe to log.
 */
export class ContractViolationError extends InvalidEventError {
  public constructor(
    public readonly app: string,
    public readonly eventType: string,
    /** JSON Schema keyword of the first violation (`enum`, `required`, `type`, … or `duplicateKey`). */
    public readonly keyword: string,
    /** Where in the schema, such as `/properties/plan/enum`. */
    public readonly schemaPath: string,
  ) {
    super(`event of ${app}/${eventType} violates its contract: ${keyword} at ${schemaPath}; the pipeline would refuse it`);
    this.name = 'ContractViolationError';
  }
}

/** The serialized event exceeds the largest record the destination accepts. */
export class EventTooLargeError extends TrackerError {
  public constructor(
    public readonly bytes: number,
    public readonly limit: number,
    destination: string,
  ) {
    super(`event of ${bytes} bytes exceeds the ${limit}-byte record limit of ${destination}; split it or store the payload in S3 and track a reference`);
    this.name = 'EventTooLargeError';
  }
}

/** `onBufferFull: 'fail'` and the buffer holds `maxBufferedBytes` already. */
export class BufferFullError extends TrackerError {
  public constructor(
    public readonly bufferedBytes: number,
    public readonly maxBufferedBytes: number,
  ) {
    super(`tracker buffer full (${bufferedBytes} of ${maxBufferedBytes} bytes); retry later or use onBufferFull: 'wait'`);
    this.name = 'BufferFullError';
  }
}

/** `track` after `close()`. */
export class TrackerClosedError extends TrackerError {
  public constructor() {
    super('the tracker is closed; create a new one');
    this.name = 'TrackerClosedError';
  }
}

/** One event that could not be delivered. */
export interface FailedEvent {
  readonly app: string;
  readonly eventType: string;
  readonly eventId: string;
  /**
   * The serialized event (one JSON line) exactly as it would have been sent. It is the event
   * itself and may hold personal data: persist it to resend it, never log it.
   */
  readonly data: string;
  /**
   * Why: an AWS error code (entry `ErrorCode`, or the error name of a failed call), or one of the
   * tracker's own: `TimeoutError` (no answer within requestTimeoutMs), `DeadlineExceeded` (the
   * retry window or the flush()/close() deadline ended first, including events still waiting for
   * buffer room), `MissingRecordId` / `MissingSequenceNumber` (answered without confirmation),
   * `MalformedResponse`, `ContractViolation` (with `validate: 'report'`: the event broke its
   * contract and was never sent; errorMessage names the keyword and schema path).
   */
  readonly errorCode: string;
  /** The service's message for that code (may quote the request: do not log it blindly). */
  readonly errorMessage: string;
  /** Delivery stream or Kinesis stream. */
  readonly destination: string;
  /** Calls made for the record that carried it (0: never sent). */
  readonly attempts: number;
}

/** Counts of failed events: safe to log (no payloads, no messages). */
export interface FailureSummary {
  readonly events: number;
  /** Error code -> events. */
  readonly byCode: Readonly<Record<string, number>>;
  /** Destination stream -> events. */
  readonly byDestination: Readonly<Record<string, number>>;
}

/** Counts failed events by error code and destination: what to log instead of the events. */
export function summarizeFailures(failures: readonly FailedEvent[]): FailureSummary {
  const byCode: Record<string, number> = {};
  const byDestination: Record<string, number> = {};
  for (const f of failures) {
    byCode[f.errorCode] = (byCode[f.errorCode] ?? 0) + 1;
    byDestination[f.destination] = (byDestination[f.destination] ?? 0) + 1;
  }
  return { events: failures.length, byCode, byDestination };
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Events that still failed after retries; thrown by `flush()` / `close()` when no
 * `onDeliveryFailure` is set. Its message, `String(err)`, `util.inspect(err)` (so `console.error(err)`)
 * and `JSON.stringify(err)` hold counts and error codes only: the events themselves are in
 * `.failures`, which is not enumerable, so loggers that copy an error's fields do not print them.
 */
export class DeliveryError extends TrackerError {
  /** The failed events, with their data. Not enumerable: never logged by accident. */
  public declare readonly failures: readonly FailedEvent[];
  /** Counts by error code and destination. */
  public readonly summary: FailureSummary;

  public constructor(failures: readonly FailedEvent[]) {
    const summary = summarizeFailures(failures);
    const codes = Object.entries(summary.byCode)
      .map(([code, n]) => `${code} x${n}`)
      .join(', ');
    super(`${failures.length} event(s) could not be delivered (${codes}); see .failures`);
    this.name = 'DeliveryError';
    Object.defineProperty(this, 'failures', { value: failures, enumerable: false, writable: false, configurable: false });
    this.summary = summary;
  }

  /** What `JSON.stringify(err)` gives: name, message and counts. */
  public toJSON(): { name: string; message: string; summary: FailureSummary } {
    return { name: this.name, message: this.message, summary: this.summary };
  }

  /** What `util.inspect(err)` and `console.error(err)` print: the stack (message first) and the counts. */
  public [INSPECT](): string {
    return `${this.stack ?? `${this.name}: ${this.message}`}\n  summary: ${JSON.stringify(this.summary)}`;
  }
}

/**
 * `track()` calls that were waiting for buffer room (`onBufferFull: 'wait'`) when a `flush()` or
 * `close()` deadline ended: their promises reject at once, all with this one error. Each of those
 * events is also reported, once, through `onDeliveryFailure` or the `DeliveryError` of `flush()` /
 * `close()` (errorCode `DeadlineExceeded`, attempts 0), so that fire-and-forget callers lose
 * nothing either: that report is the record of them.
 */
export class EventNotAcceptedError extends TrackerError {
  public readonly errorCode = 'DeadlineExceeded';

  public constructor(
    /** Waiting calls released together. */
    public readonly count: number,
    public readonly by: 'flush' | 'close',
  ) {
    super(
      `${count} track() call(s) still waiting for buffer room at the ${by}() deadline: their events were not accepted, ` +
        'and are reported with errorCode DeadlineExceeded through onDeliveryFailure or DeliveryError',
    );
    this.name = 'EventNotAcceptedError';
  }
}
