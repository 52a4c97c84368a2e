/**
 * The content of a catalog object (modules/catalog-object.ts), as pure data and without cdktf, so
 * that the local collector (scripts/collector-dev.ts) and the tests build exactly the bytes a stack
 * publishes.
 */
import { gzipSync } from 'node:zlib';
import type { EventContract } from '../config/contracts';
import { encodeContractTable, type ContractTable } from '../lib/contract-table';
import { buildContractTable } from './contracts';

/** One event type of the stack (structurally a subset of EventTypeSpec). */
export interface CatalogEventType {
  /** `<application>/<eventType>`. */
  readonly key: string;
  readonly deliveryStreamName: string;
  /** The resolved contract, when the event type has a schema. */
  readonly contract?: EventContract;
}

/** The object's table and bytes, as pure data (the collector's decoder reads exactly this). */
export function catalogContent(environment: string, eventTypes: readonly CatalogEventType[]): { readonly table: ContractTable; readonly text: string; readonly gzip: Buffer } {
  const table = buildContractTable(
    environment,
    eventTypes.map((t) => ({ key: t.key, deliveryStreamName: t.deliveryStreamName, ...(t.contract !== undefined ? { contract: t.contract } : {}) })),
  );
  const text = encodeContractTable(table);
  return { table, text, gzip: gzipSync(text, { level: 9 }) };
}

