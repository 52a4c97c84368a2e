/**
 * The contract table shipped next to the transform's `index.js` (`contracts.json.gz`): the delivery
 * streams this function serves, each with its event type key, its mode and, when it has a schema,
 * the index of its compiled program. Written at synth by modules/contracts.ts; read once per
 * Lambda instance. Programs are linked lazily, on the first record of their stream.
 *
 * The format itself (types, encoding, decoding) lives in lib/contract-table.ts, shared with the
 * collector's catalog; this module adds the transform's typed errors and its registry.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { TrackingPipelineError } from '../../config/errors';
import {
  CONTRACT_TABLE_FILE,
  decodeContractTableWith,
  tableSource,
  type ActiveContract,
  type ContractTable,
  type TableSource,
} from '../../lib/contract-table';
import { linkProgram, type LinkedNode } from '../../lib/contract-validator';

export {
  CONTRACT_TABLE_FILE,
  CONTRACT_TABLE_VERSION,
  encodeContractTable,
  streamNameFromArn,
  tableSource,
  type ActiveContract,
  type ContractTable,
  type StreamEntry,
  type StreamMode,
  type TableSource,
} from '../../lib/contract-table';

/** The invocation came from a delivery stream this function was not built for. */
export class UnknownDeliveryStreamError extends TrackingPipelineError {
  public constructor(stream: string, known: number) {
    super(
      `delivery stream "${stream}" is not in this function's contract table (${known} streams): the stream points at the wrong ` +
        'transform function, or the function was deployed without its table. Records are not transformed, so that none passes ' +
        'unvalidated; Firehose retries the invocation and then writes them to the processing-failed error prefix.',
    );
    this.name = 'UnknownDeliveryStreamError';
  }
}

/** The shipped table is missing or malformed: a packaging bug. */
export class ContractTableError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractTableError';
  }
}

/** Decodes the table file's text (see lib/contract-table.ts); programs stay text until asked for. */
export function decodeContractTable(text: string, source = CONTRACT_TABLE_FILE): TableSource {
  return decodeContractTableWith(text, source, (message, cause) => new ContractTableError(message, cause !== undefined ? { cause } : undefined));
}

/** Reads the table shipped next to the bundle (gzip when the name ends in `.gz`). */
export function readContractTable(file: string): TableSource {
  let text: string;
  try {
    const raw = readFileSync(file);
    text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (err) {
    throw new ContractTableError(`cannot read ${file}: the function was packaged without its contract table, or it is damaged`, { cause: err });
  }
  return decodeContractTable(text, file);
}

/** Looks up the contract of a stream, linking each program on first use. */
export class ContractRegistry {
  public readonly environment: string;
  private readonly source: TableSource;
  private readonly linked = new Map<number, LinkedNode>();

  public constructor(table: ContractTable | TableSource) {
    this.source = 'programs' in table ? tableSource(table) : table;
    this.environment = this.source.environment;
  }

  /** Number of streams this function serves. */
  public get size(): number {
    return Object.keys(this.source.streams).length;
  }

  /**
   * The stream's entry: `undefined` contract for a stream without a schema. Throws
   * UnknownDeliveryStreamError for a stream the table does not list.
   */
  public lookup(stream: string): { readonly key: string; readonly contract: ActiveContract | undefined } {
    const streams = this.source.streams;
    const entry = Object.prototype.hasOwnProperty.call(streams, stream) ? streams[stream] : undefined;
    if (entry === undefined) throw new UnknownDeliveryStreamError(stream, this.size);
    if (entry.mode === 'none' || entry.program === undefined) return { key: entry.key, contract: undefined };
    let root = this.linked.get(entry.program);
    if (root === undefined) {
      root = linkProgram(this.source.program(entry.program));
      this.linked.set(entry.program, root);
    }
    return { key: entry.key, contract: { key: entry.key, mode: entry.mode, root } };
  }
}
