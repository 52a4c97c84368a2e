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

const bounded = (min: number, max: number, what: string, dflt: number | string): Field =>
  z.number().int().min(min).max(max).optional().describe(`${what} @default ${dflt}`);

/** Function memory, MiB (128-10,240). */
export const memoryMiBField = (dflt: number): Field => bounded(128, 10_240, 'Memory of the Lambda function in MiB (128-10,240); its CPU share grows with it.', dflt);
/** Function timeout, seconds (3-900). */
export const timeoutSecondsField = (dflt: number): Field => bounded(3, 900, 'Timeout of the Lambda function in seconds (3-900).', dflt);
/** Records per batch of a Kinesis mapping (1-10,000). */
export const batchSizeField = (dflt: number): Field =>
  bounded(1, 10_000, 'Most records the event source mapping reads from the stream into one invocation (1-10,000).', dflt);
/** Batching window of a mapping, seconds (0-300). */
export const batchingWindowSecondsField = (dflt: number): Field =>
  bounded(0, 300, 'How long the event source mapping gathers records before it invokes the function, in seconds (0-300).', dflt);
/** Retries of a failing batch (0-10,000). */
export const maximumRetryAttemptsField = (dflt: number): Field =>
  bounded(0, 10_000, 'Retries of a failing batch before the event source mapping gives up on it and sends its shard and sequence numbers (not the records) to the dead-letter queue (0-10,000).', dflt);
/** Oldest record a mapping still sends, seconds (60-604,800). */
export const maximumRecordAgeSecondsField = (dflt: number): Field =>
  bounded(
    60,
    604_800,
    'Oldest record the event source mapping still sends to the function, in seconds (60-604,800); older batches are given up on like failed ones.',
    dflt,
  );
