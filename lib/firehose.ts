/**
 * The Firehose sink: `PutRecordBatch` to one delivery stream, confirmed entry by entry.
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { firehoseEntryResults } from './confirm';
import { FIREHOSE_LIMITS } from './limits';
import type { Sink } from './sink';

/** The one client method the sink uses (a FirehoseClient, or a test double). */
export type FirehoseSender = Pick<FirehoseClient, 'send'>;

export function firehoseSink(client: FirehoseSender): Sink {
  return {
    service: 'firehose',
    limits: FIREHOSE_LIMITS,
    cost: (r) => r.data.byteLength,
    async send(destination, records, signal) {
      const out = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: destination, Records: records.map((r) => ({ Data: r.data })) }),
        { abortSignal: signal },
      );
      return firehoseEntryResults(out.RequestResponses, records.length);
    },
  };
}
