/**
 * AWS limits and billing increments the tracker relies on. Sources are cited in docs/client.md.
 */

/**
 * Firehose `PutRecordBatch`: at most 500 records and 4 MiB per call, 1,000 KiB per record
 * (before base64). https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */
export const FIREHOSE_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
} as const;

/**
 * Kinesis `PutRecords`: at most 500 records per call; 1 MiB per record and 5 MiB per call, both
 * counting data and partition keys; partition keys up to 256 characters.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */
export const KINESIS_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyChars: 256,
} as const;

/**
 * Firehose Direct PUT ingestion is billed per record rounded up to the next 5 KB
 * (https://aws.amazon.com/firehose/pricing/). The page does not say whether a KB is 1,000 or
 * 1,024 bytes, so the tracker assumes the stricter 5,000: packed records of at most 5,000 bytes
 * cost one increment under either reading, and `billedUnits` never under-counts.
 */
export const FIREHOSE_BILLING_INCREMENT_BYTES = 5_000;

/** Firehose billing increments of a record of `bytes` bytes. */
export function billedUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / FIREHOSE_BILLING_INCREMENT_BYTES));
}
