/**
 * Config fields of Lambda functions and Kinesis event source mappings, with AWS's bounds, shared by
 * every part of the config that has them (the router, the hot path, the collector, the JSONL
 * transform), so that a bound is written once. Each takes the field's default, for its
 * description. AWS Lambda limits: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html;
 * event source mappings: https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
 *
 * Imports only zod, so that every schema module can use it without a cycle.
 */
import { z } from 'zod';

type Field = z.ZodOptional<z.ZodNumber>;

const bounded = (min: number, max: number, dflt: number | string): Field => z.number().int().min(min).max(max).optional().describe(`@default ${dflt}`);

/** Function memory, MiB (128-10,240). */
export const memoryMiBField = (dflt: number): Field => bounded(128, 10_240, dflt);
/** Function timeout, seconds (3-900). */
export const timeoutSecondsField = (dflt: number): Field => bounded(3, 900, dflt);
/** Records per batch of a Kinesis mapping (1-10,000). */
export const batchSizeField = (dflt: number): Field => bounded(1, 10_000, dflt);
/** Batching window of a mapping, seconds (0-300). */
export const batchingWindowSecondsField = (dflt: number): Field => bounded(0, 300, dflt);
/** Retries of a failing batch (0-10,000). */
export const maximumRetryAttemptsField = (dflt: number): Field => bounded(0, 10_000, dflt);
/** Oldest record a mapping still sends, seconds (60-604,800). */
export const maximumRecordAgeSecondsField = (dflt: number): Field => bounded(60, 604_800, dflt);
