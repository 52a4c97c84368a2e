/**
 * The Glue tables as DuckDB views over a local copy of the bucket, so that SQL reads the objects
 * the way Athena would:
 * - the SerDe decides the reader: Hive JSON SerDe -> each line as JSON; LazySimpleSerDe -> delimited
 *   text with the table's field delimiter;
 * - the columns and their Hive types become DuckDB columns and types;
 * - the partition columns come from the location template of partition projection
 *   (`storage.location.template`), and only partitions the projection can produce are read
 *   (enum values, integer ranges with their digits, date ranges up to NOW), as Athena reads them
 *   (Athena User Guide, "Partition projection with Amazon Athena", "Supported types for partition
 *   projection");
 * - compression is detected from the object names (`.gz`), as Athena does.
 * Nothing here reads an object itself: DuckDB does, where the objects lie.
 *
 * Scope: the SerDes and types the stacks write (Hive JSON SerDe with string, bigint, int, double,
 * boolean, struct and array columns; LazySimpleSerDe). Athena engine 3 reads the Hive JSON SerDe
 * with Trino's JsonDeserializer: top-level keys match columns case-insensitively, the last
 * duplicate wins, and a varchar column takes any scalar's text; emulated over each line as JSON.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** One Glue table (an aws_glue_catalog_table resource's values). */
export interface GlueTable {
  readonly name: string;
  readonly location: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly serdeLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly { readonly name: string; readonly type: string }[];
}

/** Hive DDL type -> DuckDB type. */
export function duckdbType(hive: string): string {
  const t = hive.trim();
  const simple: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN', float: 'FLOAT', smallint: 'SMALLINT', tinyint: 'TINYINT', date: 'DATE', timestamp: 'TIMESTAMP' };
  if (simple[t] !== undefined) return simple[t]!;
  const inner = (prefix: string): string => t.slice(prefix.length, -1);
  if (t.startsWith('array<') && t.endsWith('>')) return `${duckdbType(inner('array<'))}[]`;
  if (t.startsWith('struct<') && t.endsWith('>')) {
    const fields = splitTopLevel(inner('struct<')).map((f) => {
      const colon = f.indexOf(':');
      return `"${f.slice(0, colon)}" ${duckdbType(f.slice(colon + 1))}`;
    });
    return `STRUCT(${fields.join(', ')})`;
  }
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal !== null) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  throw new Error(`no DuckDB type for Hive type ${hive}`);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, k));
      start = k + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\${c}`);

/** The table's location template: `storage.location.template`, else `<location><key>=${key}/...`. */
export function locationTemplate(table: GlueTable): string {
  const template = table.parameters['storage.location.template'];
  if (template !== undefined) return template;
  const base = table.location.endsWith('/') ? table.location : `${table.location}/`;
  return `${base}${table.partitionKeys.map((k) => `${k.name}=\${${k.name}}/`).join('')}`;
}

/** Where a table's objects are, under `root` (the local copy of `s3://<bucket>/`). */
export function tableGlob(table: GlueTable, bucket: string, root: string): string {
  return `${locationTemplate(table).replace(`s3://${bucket}/`, `${root}/`).replace(/\$\{[a-z_]+\}/g, '*')}*`;
}

/**
 * The SQL condition keeping only partitions partition projection can produce, for one key
 * (Athena: "Supported types for partition projection": enum, integer with range and digits, date
 * with range, format, NOW; injected is not modelled: every value is kept).
 */
export function projectionCondition(table: GlueTable, key: string, column: string, now = new Date()): string | undefined {
  const p = (name: string): string | undefined => table.parameters[`projection.${key}.${name}`];
  const type = p('type');
  if (type === undefined) return undefined;
  if (type === 'enum') {
    const values = (p('values') ?? '').split(',').map((v) => v.trim());
    return `${column} IN (${values.map(sqlString).join(', ')})`;
  }
  if (type === 'integer') {
    const [lo, hi] = (p('range') ?? '').split(',').map((v) => Number(v.trim()));
    const digits = Number(p('digits') ?? '0');
    const shape = digits > 0 ? `regexp_full_match(${column}, '[0-9]{${digits},}') AND (length(${column}) = ${digits} OR NOT starts_with(${column}, '0'))` : `regexp_full_match(${column}, '-?(0|[1-9][0-9]*)')`;
    return `(${shape} AND TRY_CAST(${column} AS BIGINT) BETWEEN ${lo} AND ${hi})`;
  }
  if (type === 'date') {
    const format = p('format') ?? 'yyyy-MM-dd';
    const [from, to] = (p('range') ?? '').split(',').map((v) => v.trim());
    // The formats the stacks use: yyyy (and yyyy-MM-dd). NOW (with offsets not modelled) is today.
    if (format === 'yyyy') {
      const hi = to === undefined || to.startsWith('NOW') ? now.getUTCFullYear() : Number(to);
      return `(regexp_full_match(${column}, '[0-9]{4}') AND CAST(${column} AS INTEGER) BETWEEN ${Number(from)} AND ${hi})`;
    }
    if (format === 'yyyy-MM-dd') {
      const hi = to === undefined || to.startsWith('NOW') ? now.toISOString().slice(0, 10) : to;
      return `(TRY_STRPTIME(${column}, '%Y-%m-%d') IS NOT NULL AND ${column} BETWEEN ${sqlString(from ?? '0000-01-01')} AND ${sqlString(hi)})`;
    }
    throw new Error(`table ${table.name}: projection.${key}.format ${format} is not modelled by the local query`);
  }
  if (type === 'injected') return undefined;
  throw new Error(`table ${table.name}: projection type ${type} of ${key} is not modelled by the local query`);
}

/** The SELECT that reads one table from `root` (the local copy of `s3://<bucket>/`). */
export function tableSelect(table: GlueTable, bucket: string, root: string, hasFiles: boolean): string {
  if (table.parameters['projection.enabled'] !== 'true') throw new Error(`table ${table.name} has no partition projection`);
  const local = locationTemplate(table).replace(`s3://${bucket}/`, `${root}/`);
  const keys = [...local.matchAll(/\$\{([a-z_]+)\}/g)].map((m) => m[1]!);
  if (keys.join(',') !== table.partitionKeys.map((k) => k.name).join(',')) throw new Error(`template keys ${keys.join(',')} differ from the partition keys of ${table.name}`);
  const glob = `${local.replace(/\$\{[a-z_]+\}/g, '*')}*`;
  const regex = `^${local
    .split(/\$\{[a-z_]+\}/)
    .map(escapeRegex)
    .join('([^/]+)')}[^/]+$`;
  const columns = table.columns.map((c) => `"${c.name}"`);
  const partitions = keys.map((k, i) => `regexp_extract(filename, ${sqlString(regex)}, ${i + 1}) AS "${k}"`);
  if (!hasFiles) {
    // Athena reads an empty prefix as no rows; DuckDB's readers need at least one file.
    const nulls = [...table.columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`), ...keys.map((k) => `CAST(NULL AS VARCHAR) AS "${k}"`)];
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  const projected = keys.map((k) => projectionCondition(table, k, `"${k}"`)).filter((c): c is string => c !== undefined);
  // Only objects whose key the template matches: another folder under the glob is not the table's.
  const where = [`regexp_full_match(filename, ${sqlString(regex)})`];
  let select: string;
  if (table.serdeLibrary === 'org.apache.hive.hcatalog.data.JsonSerDe') {
    const extracted = table.columns.map((c) => {
      const key = `list_filter(json_keys(j), k -> lower(k) = ${sqlString(c.name.toLowerCase())})[-1]`;
      return `${jsonAs(`json_extract(j, '$."' || ${key} || '"')`, c.type, 0)} AS "${c.name}"`;
    });
    select = `SELECT ${[...extracted, ...partitions].join(', ')} FROM (SELECT json AS j, filename FROM read_ndjson_objects(${sqlString(glob)}, filename=true, hive_partitioning=false) WHERE ${where.join(' AND ')})`;
  } else if (table.serdeLibrary === 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe') {
    const typed = `{${table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ')}}`;
    const delim = table.serdeParameters['field.delim'] ?? '\u0001';
    select = `SELECT ${[...columns, ...partitions].join(', ')} FROM read_csv(${sqlString(glob)}, delim=${sqlString(delim)}, quote='', escape='', header=false, auto_detect=false, columns=${typed}, filename=true, hive_partitioning=false) WHERE ${where.join(' AND ')}`;
  } else {
    throw new Error(`no DuckDB reader for SerDe ${table.serdeLibrary}`);
  }
  return projected.length === 0 ? select : `SELECT * FROM (${select}) WHERE ${projected.join(' AND ')}`;
}

/**
 * A JSON value (an expression of DuckDB type JSON, NULL when absent) read as a Hive type, the way
 * the Hive JSON SerDe maps JSON onto a table's types: scalars by their text, a struct field or an
 * array missing from the document is NULL (not an error), nested objects field by field.
 */
export function jsonAs(expr: string, hive: string, depth: number): string {
  const t = hive.trim();
  const isNull = `(${expr} IS NULL OR json_type(${expr}) = 'NULL')`;
  if (t.startsWith('struct<') && t.endsWith('>')) {
    const fields = splitTopLevel(t.slice('struct<'.length, -1)).map((f) => {
      const colon = f.indexOf(':');
      const name = f.slice(0, colon);
      return `"${name}" := ${jsonAs(`json_extract(${expr}, ${sqlString(`$."${name.replace(/"/g, '\\"')}"`)})`, f.slice(colon + 1), depth + 1)}`;
    });
    return `(CASE WHEN ${isNull} THEN NULL ELSE struct_pack(${fields.join(', ')}) END)`;
  }
  if (t.startsWith('array<') && t.endsWith('>')) {
    const e = `e${depth}`;
    return `(CASE WHEN ${isNull} THEN NULL ELSE list_transform(CAST(${expr} AS JSON[]), ${e} -> ${jsonAs(e, t.slice('array<'.length, -1), depth + 1)}) END)`;
  }
  const type = duckdbType(t);
  if (type === 'VARCHAR') return `json_extract_string(${expr}, '$')`;
  return `CAST(json_extract_string(${expr}, '$') AS ${type})`;
}

/** Whether any object matches the table's glob. */
export async function hasObjects(connection: DuckDBConnection, table: GlueTable, bucket: string, root: string): Promise<boolean> {
  const files = await connection.runAndReadAll(`SELECT count(*) AS n FROM glob(${sqlString(tableGlob(table, bucket, root))})`);
  return Number(files.getRowObjects()[0]?.n ?? 0) > 0;
}

/** Creates the database as a schema and one view per table (the tests' form: one bucket, one root). */
export async function createViews(connection: DuckDBConnection, database: string, tables: readonly GlueTable[], bucket: string, root: string): Promise<void> {
  await connection.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
  for (const table of tables) {
    await connection.run(`CREATE OR REPLACE VIEW "${database}"."${table.name}" AS ${tableSelect(table, bucket, root, await hasObjects(connection, table, bucket, root))}`);
  }
}
