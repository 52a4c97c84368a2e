/**
 * Service limits the router packs and splits against. Sources in docs/root-stream.md.
 * Dependency-free, so the router, its tests and the benchmark share one definition.
 */

/** Firehose PutRecordBatch: at most 500 records per call. */
export const MAX_BATCH_RECORDS = 500;
/** Firehose PutRecordBatch: at most 4 MiB of record data per call. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Firehose: each record at most 1,000 KiB before base64 encoding. */
export const MAX_RECORD_BYTES = 1_000 * 1024;
/** SQS: a message body (and a SendMessageBatch request in total) at most 256 KiB, the queue default. */
export const MAX_SQS_MESSAGE_BYTES = 256 * 1024;
/** SQS SendMessageBatch: at most 10 messages per call. */
export const MAX_SQS_BATCH_ENTRIES = 10;
