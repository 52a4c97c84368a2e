/**
 * The contract table format: delivery streams, each with its event type key, its mode and, when it
 * has a schema, the index of its compiled program (./contract-validator.ts `ProgramNode`). Written
 * at synth by modules/contracts.ts; read by the JSONL transform (`contracts.json.gz`, next to its
 * bundle) and by the collector (the catalog objects each stack holding event types publishes in the
 * events bucket, `catalog/<stack id>.json.gz`).
 *
 * The text is a header line (`{"version","environment","streams","programCount"}`), then one line per
 * program. A reader parses the header only; a program's line is parsed when its stream first needs
 * it (at 5,000 event types that keeps megabytes of JSON out of a cold start).
 *
 * Moved here from functions/jsonl-transform/table.ts (which re-exports it and keeps its typed
 * errors). This module defines no error class: decoding takes the caller's error factory, so each
 * caller throws its own `TrackingPipelineError` subclass (config/errors.ts is above lib/).
 */
import type { LinkedNode, ProgramNode } from './contract-validator';

/**
 * File name of the table inside the transform's asset: gzip-compressed JSON (at 5,000 event types
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

/** A table as a reader sees it: the streams, and each program on demand. */
export interface TableSource {
  readonly environment: string;
  readonly streams: Readonly<Record<string, StreamEntry>>;
  readonly programCount: number;
  /** The compiled program at `index` (parsed on first use when read from text). */
  program(index: number): ProgramNode;
}

/** Builds the error a decoder throws (the caller's TrackingPipelineError subclass). */
export type TableErrorFactory = (message: string, cause?: unknown) => Error;

/** The delivery stream name of a Firehose ARN (`arn:aws:firehose:<region>:<account>:deliverystream/<name>`). */
export function streamNameFromArn(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const m = /^arn:[a-z-]+:firehose:[a-z0-9-]+:\d{12}:deliverystream\/([a-zA-Z0-9_.-]{1,64})$/.exec(arn);
  return m?.[1];
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

/** The table's text: a header line, then one line per program (see the top of this file). */
export function encodeContractTable(table: ContractTable): string {
  const header = { version: table.version, environment: table.environment, streams: table.streams, programCount: table.programs.length };
  return `${[JSON.stringify(header), ...table.programs.map((p) => JSON.stringify(p))].join('\n')}\n`;
}

function checkStreams(streams: unknown, programCount: number, source: string, error: TableErrorFactory): void {
  if (streams === null || typeof streams !== 'object') throw error(`${source} lacks streams`);
  for (const [name, entry] of Object.entries(streams as Record<string, Partial<StreamEntry> | null>)) {
    const ok =
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.key === 'string' &&
      (entry.mode === 'none'
        ? entry.program === undefined
        : (entry.mode === 'enforce' || entry.mode === 'observe') && Number.isInteger(entry.program) && entry.program! >= 0 && entry.program! < programCount);
    if (!ok) throw error(`${source}: the entry of stream "${name}" is malformed`);
  }
}

/**
 * Decodes a table's text; programs stay text until asked for. Throws `error(...)` for a malformed
 * header or stream entry, and the returned `program(index)` throws it for a malformed program.
 */
export function decodeContractTableWith(text: string, source: string, error: TableErrorFactory): TableSource {
  const firstEnd = text.indexOf('\n');
  let header: { version?: unknown; environment?: unknown; streams?: unknown; programCount?: unknown };
  try {
    header = JSON.parse(firstEnd < 0 ? text : text.slice(0, firstEnd)) as typeof header;
  } catch (err) {
    throw error(`${source}: the header is not valid JSON`, err);
  }
  if (header === null || typeof header !== 'object' || header.version !== CONTRACT_TABLE_VERSION) {
    throw error(`${source} is not a contract table of version ${CONTRACT_TABLE_VERSION}`);
  }
  if (typeof header.environment !== 'string' || typeof header.programCount !== 'number') {
    throw error(`${source} lacks environment or programCount`);
  }
  const programCount = header.programCount;
  checkStreams(header.streams, programCount, source, error);
  // Where each program's line starts: one native indexOf per line.
  const starts = new Int32Array(programCount + 1);
  let at = firstEnd + 1;
  for (let k = 0; k < programCount; k++) {
    starts[k] = at;
    const end = text.indexOf('\n', at);
    if (end < 0) throw error(`${source} holds ${k} of its ${programCount} programs`);
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
        throw error(`${source}: program ${index} is not valid JSON`, err);
      }
    },
  };
}
