/**
 * Ahead-of-time compilation of event contracts, at synth: each event type's normalized JSON
 * Schema (config/contracts.ts) becomes a compact validation program (functions/jsonl-transform/
 * contract.ts `ProgramNode`), and the programs of the streams one transform function serves
 * become its contract table (`contracts.json.gz`, next to the bundle's `index.js`).
 *
 * Everything here is pure and deterministic: the same schemas and streams give the same bytes, so
 * the function's `source_code_hash` only changes when one of its own streams or schemas changes.
 */
import type { EventContract } from '../config/contracts';
import {
  CONTRACT_TABLE_FILE,
  CONTRACT_TABLE_VERSION,
  encodeContractTable,
  type ContractTable,
  type StreamEntry,
} from '../functions/jsonl-transform/table';
import type { ProgramNode } from '../functions/jsonl-transform/contract';
import { compileProgram } from '../lib/contract-program';
import { gzipSync } from 'node:zlib';
import { bundleFunction, type ExtraFileBytes, type FunctionBundle } from './bundle';

// The compiler lives in lib/ so that the Node tracker compiles its catalog's contracts with the same code.
export { compileProgram };

/** One delivery stream a transform function serves (structurally a subset of EventTypeSpec). */
export interface ServedEventType {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly deliveryStreamName: string;
  /** The resolved contract, when the event type has a schema. */
  readonly contract?: EventContract;
}

/**
 * The contract table of one transform function: every served stream (sorted by name), its mode,
 * and the compiled programs, deduplicated by schema content, in first-use order.
 */
export function buildContractTable(environment: string, eventTypes: readonly ServedEventType[]): ContractTable {
  const sorted = [...eventTypes].sort((a, b) => (a.deliveryStreamName < b.deliveryStreamName ? -1 : a.deliveryStreamName > b.deliveryStreamName ? 1 : 0));
  const programs: ProgramNode[] = [];
  const byHash = new Map<string, number>();
  const streams: Record<string, StreamEntry> = {};
  for (const t of sorted) {
    if (Object.prototype.hasOwnProperty.call(streams, t.deliveryStreamName)) {
      throw new Error(`delivery stream ${t.deliveryStreamName} is listed twice for one transform function`);
    }
    if (t.contract === undefined) {
      streams[t.deliveryStreamName] = { key: t.key, mode: 'none' };
      continue;
    }
    let index = byHash.get(t.contract.hash);
    if (index === undefined) {
      index = programs.length;
      programs.push(compileProgram(t.contract.schema));
      byHash.set(t.contract.hash, index);
    }
    streams[t.deliveryStreamName] = { key: t.key, mode: t.contract.mode, program: index };
  }
  return { version: CONTRACT_TABLE_VERSION, environment, streams, programs };
}

/**
 * The table file (`contracts.json.gz`): gzip of the encoded table (a JSON header line, then one
 * JSON line per program). The function's source hash covers that text, not the compressed bytes,
 * so it depends only on the streams and their contracts.
 */
export function contractTableFile(table: ContractTable): ExtraFileBytes {
  const text = encodeContractTable(table);
  return { bytes: gzipSync(text, { level: 9 }), hashedAs: text };
}

export interface JsonlTransformBundleProps {
  /** Asset folder under `dist/assets/`: one per transform function. */
  readonly assetName: string;
  readonly environment: string;
  readonly eventTypes: readonly ServedEventType[];
}

/**
 * Bundles the JSONL transform with its contract table: `dist/assets/<assetName>/index.js` (the
 * same bytes for every function) and `contracts.json.gz` (this function's streams and programs).
 */
export function bundleJsonlTransform(
  props: JsonlTransformBundleProps,
): FunctionBundle & { readonly table: ContractTable; readonly tableBytes: number; readonly tableJsonBytes: number } {
  const table = buildContractTable(props.environment, props.eventTypes);
  const file = contractTableFile(table);
  const bundle = bundleFunction({
    name: 'jsonl-transform',
    outDir: `dist/assets/${props.assetName}`,
    extraFiles: { [CONTRACT_TABLE_FILE]: file },
  });
  return { ...bundle, table, tableBytes: file.bytes.length, tableJsonBytes: Buffer.byteLength(file.hashedAs) };
}
