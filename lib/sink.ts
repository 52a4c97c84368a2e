/**
 * A destination behind one interface: Firehose `PutRecordBatch` (./firehose.ts) or Kinesis
 * `PutRecords` (./kinesis.ts). Types only, so that a module using a sink does not pull in a client.
 */
import type { EntryResult } from './confirm';
import type { CallLimits } from './limits';

export type { EntryResult } from './confirm';

/** A record ready to send: the exact bytes, and for Kinesis its partition key. */
export interface OutRecord {
  readonly data: Uint8Array;
  /** Kinesis only (required there). */
  readonly partitionKey?: string;
}

export interface Sink {
  readonly service: 'firehose' | 'kinesis';
  readonly limits: CallLimits;
  /** Bytes a record counts against `limits` (Kinesis counts the partition key too). */
  cost(record: OutRecord): number;
  /**
   * One call. Resolves to one result per record, in order (see ./confirm.ts for what counts as
   * confirmed); rejects on a whole-call error. `signal` aborts the HTTP request.
   */
  send(destination: string, records: readonly OutRecord[], signal: AbortSignal): Promise<EntryResult[]>;
}
