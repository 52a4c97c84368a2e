/**
 * The Kinesis sink: `PutRecords` to one stream, confirmed entry by entry.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisEntryResults } from './confirm';
import { KINESIS_LIMITS } from './limits';
import type { Sink } from './sink';

/** The one client method the sink uses (a KinesisClient, or a test double). */
export type KinesisSender = Pick<KinesisClient, 'send'>;

export function kinesisSink(client: KinesisSender): Sink {
  return {
    service: 'kinesis',
    limits: KINESIS_LIMITS,
    cost: (r) => r.data.byteLength + (r.partitionKey === undefined ? 0 : Buffer.byteLength(r.partitionKey)),
    async send(destination, records, signal) {
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: destination,
          Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
        { abortSignal: signal },
      );
      return kinesisEntryResults(out.Records, records.length);
    },
  };
}
