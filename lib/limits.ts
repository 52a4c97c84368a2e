/**
 * AWS limits and the Firehose billing increment, shared by the Lambdas, the tracker client and the
 * tools. Dependency-free. Sources are cited in docs/client.md and docs/root-stream.md.
 */

/** What a destination accepts per call and per record. */
export interface CallLimits {
  /** Records per call. */
  readonly maxRecordsPerCall: number;
  /** Bytes per call, counted as the sink's `recordCost` sums (data, plus partition keys for Kinesis). */
  readonly maxBytesPerCall: number;
  /** Bytes per record, counted as `recordCost`. */
  readonly maxRecordBytes: number;
}

/**
 * Firehose `PutRecordBatch`: at most 500 records and 4 MiB per call, 1,000 KiB (1,024,000 bytes)
 * per record before base64. These limits cannot be raised.
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_Record.html
 */
export const FIREHOSE_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
} as const satisfies CallLimits;

/**
 * Kinesis `PutRecords`: at most 500 records per call; 1 MiB per record and 5 MiB per call, both
 * counting data and partition keys; partition keys of 1 to 256 characters.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */
export const KINESIS_LIMITS = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyChars: 256,
} as const satisfies CallLimits & { readonly maxPartitionKeyChars: number };

/**
 * SQS: a message body, and a `SendMessageBatch` request in total, at most 256 KiB (the queue
 * default); at most 10 messages per batch.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const SQS_LIMITS = {
  maxMessagesPerBatch: 10,
  maxMessageBytes: 256 * 1024,
} as const;

/**
 * Firehose Direct PUT ingestion is billed per record, rounded up to the next 5 KB: "a 3KB record is
 * billed as 5KB, a 12KB record is billed as 15KB" (https://aws.amazon.com/firehose/pricing/).
 * Firehose's own documents count a KB as 1,024 bytes (a record's "1,000 KB" is 1,024,000 bytes in
 * API_Record), and this project takes 5 KB = 5,120 bytes. See docs/client.md "Billing unit".
 */
export const FIREHOSE_BILLING_INCREMENT_BYTES = 5_120;

/** Firehose billing increments of one record of `bytes` bytes (an empty record still counts as one). */
export function billedUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / FIREHOSE_BILLING_INCREMENT_BYTES));
}
