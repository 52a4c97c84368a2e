/**
 * Turns the Glue tables the stacks synthesize into DuckDB views over a local copy of the bucket,
 * so that a real SQL engine reads the objects the way Athena would: the SerDe decides the reader
 * (Hive JSON SerDe -> read_json over newline-delimited JSON; LazySimpleSerDe -> read_csv with the
 * table's field delimiter), the columns and their Hive types become DuckDB columns and types, the
 * partition keys come from `storage.location.template` (partition projection), and compression is
 * detected from the object names (`.gz`), as Athena does. Nothing here reads an object itself.
 *
 * Scope: the SerDes and types EventTables writes (Hive JSON SerDe with string, bigint, double,
 * boolean, struct and array columns; LazySimpleSerDe with one string column). Nested struct field
 * names are matched exactly (the contracts only allow lowercase names, so this is the same).
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** One Glue table of a synthesized stack (an aws_glue_catalog_table resource). */
export interface SynthesizedGlueTable {
  readonly name: string;
  readonly location: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly serdeLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly { readonly name: string; readonly type: string }[];
}

type Json = Record<string, unknown>;

/** Reads every Glue table of a synthesized stack, undoing Terraform's `$${` and `%%{` escapes. */
export function glueTablesOf(stack: Json): SynthesizedGlueTable[] {
  const byName = ((stack.resource as Json | undefined)?.aws_glue_catalog_table ?? {}) as Record<string, Json>;
  const unescaped = JSON.parse(JSON.stringify(byName).replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as Record<string, Json>;
  return Object.values(unescaped).map((r) => {
    const sd = r.storage_descriptor as Json;
    const serde = (sd.ser_de_info ?? {}) as Json;
    return {
      name: r.name as string,
      location: sd.location as string,
      parameters: r.parameters as Record<string, string>,
      serdeLibrary: serde.serialization_library as string,
      serdeParameters: (serde.parameters ?? {}) as Record<string, string>,
      columns: sd.columns as { name: string; type: string }[],
      partitionKeys: (r.partition_keys ?? []) as { name: string; type: string }[],
    };
  });
}

/** Hive DDL type -> DuckDB type. */
export function duckdbType(hive: string): string {
  const t = hive.trim();
  const simple: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' };
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

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\${c}`);

/** Where a table's objects are, under `root` (the local copy of `s3://<bucket>/`). */
export function tableGlob(table: SynthesizedGlueTable, bucket: string, root: string): string {
  const template = table.parameters['storage.location.template'] ?? '';
  return `${template.replace(`s3://${bucket}/`, `${root}/`).replace(/\$\{[a-z_]+\}/g, '*')}*`;
}

/** The SELECT that reads one table from `root` (the local copy of `s3://<bucket>/`). */
export function tableSelect(table: SynthesizedGlueTable, bucket: string, root: string, hasFiles: boolean): string {
  const template = table.parameters['storage.location.template'];
  if (template === undefined || table.parameters['projection.enabled'] !== 'true') throw new Error(`table ${table.name} has no partition projection`);
  const local = template.replace(`s3://${bucket}/`, `${root}/`);
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
  if (table.serdeLibrary === 'org.apache.hive.hcatalog.data.JsonSerDe') {
    // Athena engine 3 reads this SerDe with Trino's JsonDeserializer ("bug for bug compatible with
    // Hive JsonSerDe"): top-level keys match columns case-insensitively, the last duplicate wins,
    // and a varchar column takes any scalar's text. Emulated here over each line as JSON.
    const extracted = table.columns.map((c) => {
      const key = `list_filter(json_keys(j), k -> lower(k) = ${sqlString(c.name.toLowerCase())})[-1]`;
      const at = `'$."' || ${key} || '"'`;
      const type = duckdbType(c.type);
      return type === 'VARCHAR' ? `json_extract_string(j, ${at}) AS "${c.name}"` : `CAST(json_extract(j, ${at}) AS ${type}) AS "${c.name}"`;
    });
    return `SELECT ${[...extracted, ...partitions].join(', ')} FROM (SELECT json AS j, filename FROM read_ndjson_objects(${sqlString(glob)}, filename=true, hive_partitioning=false))`;
  }
  const typed = `{${table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ')}}`;
  let source: string;
  if (table.serdeLibrary === 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe') {
    const delim = table.serdeParameters['field.delim'] ?? '\u0001';
    source = `read_csv(${sqlString(glob)}, delim=${sqlString(delim)}, quote='', escape='', header=false, auto_detect=false, columns=${typed}, filename=true, hive_partitioning=false)`;
  } else {
    throw new Error(`no DuckDB reader for SerDe ${table.serdeLibrary}`);
  }
  return `SELECT ${[...columns, ...partitions].join(', ')} FROM ${source}`;
}

/** Creates the database as a schema and one view per table. */
export async function createViews(connection: DuckDBConnection, database: string, tables: readonly SynthesizedGlueTable[], bucket: string, root: string): Promise<void> {
  await connection.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
  for (const table of tables) {
    const files = await connection.runAndReadAll(`SELECT count(*) AS n FROM glob(${sqlString(tableGlob(table, bucket, root))})`);
    const hasFiles = Number(files.getRowObjects()[0]?.n ?? 0) > 0;
    await connection.run(`CREATE OR REPLACE VIEW "${database}"."${table.name}" AS ${tableSelect(table, bucket, root, hasFiles)}`);
  }
}
