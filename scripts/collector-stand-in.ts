/**
 * The local stand-in of Firehose / Kinesis that `npm run collector:dev` writes to, in a module of its
 * own so that the collector benchmark can use it without bundling collector:dev's command line.
 */
import type { EntryResult } from '../lib/confirm';
import { FIREHOSE_LIMITS, KINESIS_LIMITS } from '../lib/limits';
import type { OutRecord, Sink } from '../lib/sink';

/**
 * A local stand-in of Firehose PutRecordBatch / Kinesis PutRecords behind the send engine's Sink
 * interface: confirms each record with an id (or fails it at `failRate`), splits packed records
 * back into lines (as the JSONL transform does) and stores each line.
 */
export function standInSink(service: 'firehose' | 'kinesis', store: (destination: string, line: string) => void, failRate: () => number): Sink {
  const limits = service === 'firehose' ? FIREHOSE_LIMITS : KINESIS_LIMITS;
  let n = 0;
  return {
    service,
    limits,
    cost: (r: OutRecord) => r.data.byteLength + (service === 'kinesis' && r.partitionKey !== undefined ? Buffer.byteLength(r.partitionKey) : 0),
    send(destination: string, records: readonly OutRecord[]): Promise<EntryResult[]> {
      return Promise.resolve(
        records.map((r): EntryResult => {
          if (Math.random() < failRate()) {
            const code = service === 'firehose' ? 'ServiceUnavailableException' : 'ProvisionedThroughputExceededException';
            return { ok: false, code, message: 'Slow down. (collector:dev stand-in)', retryable: true };
          }
          for (const line of Buffer.from(r.data).toString('utf8').split('\n')) if (line !== '') store(destination, line);
          return { ok: true, id: `standin-${++n}` };
        }),
      );
    },
  };
}
