/**
 * Typed errors of the tracker client. All extend `TrackingPipelineError` (config/errors) through
 * `TrackerError`, and each sets `name`, so callers can branch on `instanceof` or on `name`.
 */
import { TrackingPipelineError } from '../config/errors';

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

/** The config or manifest has no environment of the requested name. */
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

/** The config or manifest belongs to another project. */
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
  /** The serialized event (one JSON line) exactly as it would have been sent. */
  readonly data: string;
  /** AWS error code of the last attempt (entry `ErrorCode`, or the error name of a failed call). */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Delivery stream or Kinesis stream. */
  readonly destination: string;
  /** Calls made for the record that carried it. */
  readonly attempts: number;
}

/** Events that still failed after retries; thrown by `flush()` / `close()` when no `onDeliveryFailure` is set. */
export class DeliveryError extends TrackerError {
  public constructor(public readonly failures: readonly FailedEvent[]) {
    const codes = [...new Set(failures.map((f) => f.errorCode))].join(', ');
    super(`${failures.length} event(s) could not be delivered (${codes}); see .failures`);
    this.name = 'DeliveryError';
  }
}
