/**
 * `tracking query`: DuckDB over the local lake that `tracking dev` writes. The tables are the Glue
 * tables exactly as Terraform evaluated them (names, columns from the contract, partition
 * projection and location template, the error tables), read from `<data-dir>/local/lake.json`, and
 * each becomes a view (./lake.ts) in a schema named after its Glue database; unqualified names
 * resolve in that database.
 *
 * A table whose location template does not start with `s3://<a bucket of the environment>/` (for
 * example a template Terraform left as literal text) cannot be read by Athena either: its view
 * fails with that reason when queried, and the command warns about it.
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance, DuckDBTypeId, JsonDuckDBValueConverter, type DuckDBValueConverter, type Json } from '@duckdb/node-api';
import { DevCannotRunError, LocalModelError } from '../dev/errors';
import { dataLayout, LAKE_MANIFEST_VERSION, type LakeManifest, type LakeTable } from '../dev/layout';
import { hasObjects, locationTemplate, sqlString, tableSelect } from './lake';

export interface QueryResult {
  readonly columns: readonly string[];
  /** Rows as JSON values: DuckDB's JSON conversion, with 64-bit and larger integers as numbers when exact, else as text. */
  readonly rows: readonly Record<string, unknown>[];
  /** Tables whose location no bucket of the environment holds. */
  readonly warnings: readonly string[];
}

export function readLakeManifest(dataDir: string): LakeManifest {
  const file = dataLayout(dataDir).lakeManifest;
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new DevCannotRunError(`no local lake in ${dataDir} (${file} is missing); start \`tracking dev\` with --data-dir ${dataDir} first`);
  }
  const m = JSON.parse(raw) as LakeManifest;
  if (m.version !== LAKE_MANIFEST_VERSION) throw new DevCannotRunError(`${file} is of version ${String(m.version)}; start \`tracking dev\` again to write version ${LAKE_MANIFEST_VERSION}`);
  return m;
}

const WIDE_INTEGERS: ReadonlySet<DuckDBTypeId> = new Set([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);

/** DuckDB's JSON conversion, except that a 64-bit (or wider) integer is a JSON number when it is exact as one. */
const jsonValue: DuckDBValueConverter<Json> = (value, type, self) => {
  if (WIDE_INTEGERS.has(type.typeId) && typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  return JsonDuckDBValueConverter(value, type, self);
};

/** The bucket a table's location template names, when it is one of the environment's. */
function bucketOf(table: LakeTable, buckets: Readonly<Record<string, string>>): string | undefined {
  const template = locationTemplate(table);
  return Object.keys(buckets).find((b) => template.startsWith(`s3://${b}/`));
}

export async function runQuery(dataDir: string, sql: string): Promise<QueryResult> {
  const manifest = readLakeManifest(dataDir);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const warnings: string[] = [];
  try {
    const databases = [...new Set(manifest.tables.map((t) => t.database))].sort();
    for (const db of databases) await connection.run(`CREATE SCHEMA IF NOT EXISTS "${db}"`);
    for (const table of manifest.tables) {
      const view = `"${table.database}"."${table.name}"`;
      const bucket = bucketOf(table, manifest.buckets);
      if (bucket === undefined) {
        const why = `table ${table.database}.${table.name}: its location template ${JSON.stringify(locationTemplate(table))} names no bucket of the environment (${Object.keys(manifest.buckets).join(', ')}); Athena could not read it either`;
        warnings.push(why);
        await connection.run(`CREATE OR REPLACE VIEW ${view} AS SELECT error(${sqlString(why)}) AS "error"`);
        continue;
      }
      const root = manifest.buckets[bucket]!;
      await connection.run(`CREATE OR REPLACE VIEW ${view} AS ${tableSelect(table, bucket, root, await hasObjects(connection, table, bucket, root))}`);
    }
    if (databases.length === 1) await connection.run(`SET schema = ${sqlString(databases[0]!)}`);
    let reader;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (err) {
      throw new LocalModelError(`query failed: ${(err as Error).message}`);
    }
    return { columns: reader.columnNames(), rows: reader.convertRowObjects(jsonValue) as Record<string, unknown>[], warnings };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Rows as an aligned text table, for people. */
export function formatTable(result: QueryResult): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));
  const cols = result.columns;
  const rows = result.rows.map((r) => cols.map((c) => cell(r[c]).replace(/\s+/g, ' ')));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...rows.map((r) => r[i]!.length))));
  const fit = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: readonly string[]): string => cells.map((c, i) => fit(c, widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}
