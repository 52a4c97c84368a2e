/**
 * Errors of the local runtime and the query command, each with the exit code the command line's
 * one table gives its kind: usage 2, cannot run 3, anything else 1.
 */
import { TrackingPipelineError } from '../../config/errors';

/** A missing or bad option value (exit 2). The message names the flag. */
export class DevUsageError extends TrackingPipelineError {
  public readonly exitCode = 2;
  public constructor(message: string) {
    super(message);
    this.name = 'DevUsageError';
  }
}

/** Something the runtime needs is missing: a file, terraform, the built app, a free port (exit 3). */
export class DevCannotRunError extends TrackingPipelineError {
  public readonly exitCode = 3;
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevCannotRunError';
  }
}

/**
 * The synthesized environment holds something the local runtime cannot run faithfully (a resource
 * setting it does not model, a reference it cannot wire). Exit 1: the message names the resource,
 * the value and what the runtime supports.
 */
export class LocalModelError extends TrackingPipelineError {
  public readonly exitCode = 1;
  public constructor(message: string) {
    super(message);
    this.name = 'LocalModelError';
  }
}

/** The exit code for an error thrown by the runtime or the query command. */
export function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : 1;
}
