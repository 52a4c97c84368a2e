/**
 * Service limits the router packs and splits against: the project's one definition (lib/limits.ts),
 * under the names the router uses. Sources in docs/root-stream.md.
 */
import { FIREHOSE_LIMITS, SQS_LIMITS } from '../../lib/limits';

/** Firehose PutRecordBatch: at most 500 records per call. */
export const MAX_BATCH_RECORDS = FIREHOSE_LIMITS.maxRecordsPerCall;
/** Firehose PutRecordBatch: at most 4 MiB of record data per call. */
export const MAX_BATCH_BYTES = FIREHOSE_LIMITS.maxBytesPerCall;
/** Firehose: each record at most 1,000 KiB before base64 encoding. */
export const MAX_RECORD_BYTES = FIREHOSE_LIMITS.maxRecordBytes;
/** SQS: a message body (and a SendMessageBatch request in total) at most 256 KiB, the queue default. */
export const MAX_SQS_MESSAGE_BYTES = SQS_LIMITS.maxMessageBytes;
/** SQS SendMessageBatch: at most 10 messages per call. */
export const MAX_SQS_BATCH_ENTRIES = SQS_LIMITS.maxMessagesPerBatch;
