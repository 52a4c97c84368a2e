/**
 * The contract table shipped next to the transform's `index.js` (`contracts.json.gz`): the delivery
 * streams this function serves, each with its event type key, its mode and, when it has a schema,
 * the index of its compiled program. Written at synth by modules/contracts.ts; read once per
 * Lambda instance. Programs are linked lazily, on the first record of their stream.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { TrackingPipelineError } from '../../config/errors';
import { linkProgram, type LinkedNode, type ProgramNode } from './contract';

/**
 * File name of the table inside the function's asset: gzip-compressed JSON (at 5,000 event types
 * the JSON is several MB; compressed it stays well under the bundle budget).
 */
export const CONTRACT_TABLE_FILE = 'contracts.json.gz';
export const CONTRACT_TABLE_VERSION = 1;

/** `none`: no schema (JSON lines only). */
export type StreamMode = 'none' | 'enforce' | 'observe';

export interface StreamEntry {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly mode: StreamMode;
  /** Index into `programs` (absent when `mode` is `none`). */
  readonly program?: number;
}

export interface ContractTable {
  readonly version: typeof CONTRACT_TABLE_VERSION;
  /** Environment name, the `Environment` dimension of the metrics. */
  readonly environment: string;
  /** Keyed by delivery stream name, sorted. */
  readonly streams: Readonly<Record<string, StreamEntry>>;
  /** Compiled schemas, deduplicated by content. */
  readonly programs: readonly ProgramNode[];
}

/** The contract of one stream, ready to validate. */
export interface ActiveContract {
  readonly key: string;
  readonly mode: 'enforce' | 'observe';
  readonly root: LinkedNode;
}

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

/** The delivery stream name of a Firehose ARN (`arn:aws:firehose:<region>:<account>:deliverystream/<name>`). */
export function streamNameFromArn(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const m = /^arn:[a-z-]+:firehose:[a-z0-9-]+:\d{12}:deliverystream\/([a-zA-Z0-9_.-]{1,64})$/.exec(arn);
  return m?.[1];
}

/** A table as the registry reads it: the streams, and each program on demand. */
export interface TableSource {
  readonly environment: string;
  readonly streams: Readonly<Record<string, StreamEntry>>;
  readonly programCount: number;
  /** The compiled program at `index` (parsed on first use when read from the file). */
  program(index: number): ProgramNode;
}

/** The in-memory table as a source. */
export function tableSource(table: ContractTable): TableSource {
  return {
    environment: table.environment,
    streams: table.streams,
    programCount: table.programs.length,
    program: (index) => table.programs[index]!,
  };
}

/**
 * The table file's text: a header line `{"version","environment","streams","programCount"}`,
 * then one line per program. The header is all a cold start parses; a program's line is parsed
 * when its stream sees its first record (at 5,000 event types that keeps megabytes of JSON out of
 * the cold start).
 */
export function encodeContractTable(table: ContractTable): string {
  const header = { version: table.version, environment: table.environment, streams: table.streams, programCount: table.programs.length };
  return `${[JSON.stringify(header), ...table.programs.map((p) => JSON.stringify(p))].join('\n')}\n`;
}

function checkStreams(streams: unknown, programCount: number, source: string): void {
  if (streams === null || typeof streams !== 'object') throw new ContractTableError(`${source} lacks streams`);
  for (const [name, entry] of Object.entries(streams as Record<string, Partial<StreamEntry> | null>)) {
    const ok =
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.key === 'string' &&
      (entry.mode === 'none'
        ? entry.program === undefined
        : (entry.mode === 'enforce' || entry.mode === 'observe') && Number.isInteger(entry.program) && entry.program! >= 0 && entry.program! < programCount);
    if (!ok) throw new ContractTableError(`${source}: the entry of stream "${name}" is malformed`);
  }
}

/** Decodes the table file's text (see `encodeContractTable`); programs stay text until asked for. */
export function decodeContractTable(text: string, source = CONTRACT_TABLE_FILE): TableSource {
  const firstEnd = text.indexOf('\n');
  let header: { version?: unknown; environment?: unknown; streams?: unknown; programCount?: unknown };
  try {
    header = JSON.parse(firstEnd < 0 ? text : text.slice(0, firstEnd)) as typeof header;
  } catch (err) {
    throw new ContractTableError(`${source}: the header is not valid JSON`, { cause: err });
  }
  if (header === null || typeof header !== 'object' || header.version !== CONTRACT_TABLE_VERSION) {
    throw new ContractTableError(`${source} is not a contract table of version ${CONTRACT_TABLE_VERSION}`);
  }
  if (typeof header.environment !== 'string' || typeof header.programCount !== 'number') {
    throw new ContractTableError(`${source} lacks environment or programCount`);
  }
  const programCount = header.programCount;
  checkStreams(header.streams, programCount, source);
  // Where each program's line starts: one native indexOf per line.
  const starts = new Int32Array(programCount + 1);
  let at = firstEnd + 1;
  for (let k = 0; k < programCount; k++) {
    starts[k] = at;
    const end = text.indexOf('\n', at);
    if (end < 0) throw new ContractTableError(`${source} holds ${k} of its ${programCount} programs`);
    at = end + 1;
  }
  starts[programCount] = at;
  return {
    environment: header.environment,
    streams: header.streams as Record<string, StreamEntry>,
    programCount,
    program: (index) => {
      try {
        return JSON.parse(text.slice(starts[index]!, starts[index + 1]! - 1)) as ProgramNode;
      } catch (err) {
        throw new ContractTableError(`${source}: program ${index} is not valid JSON`, { cause: err });
      }
    },
  };
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
