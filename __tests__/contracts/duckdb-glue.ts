/**
 * The Glue tables a synthesized stack holds, read from its cdk.tf.json (Terraform's `$${` and `%%{`
 * escapes undone), for the lake tests. Turning them into DuckDB views the way Athena reads them is
 * the query command's own translation (cli/query/lake.ts), re-exported here: one implementation.
 */
import type { GlueTable } from '../../cli/query/lake';

export { createViews, duckdbType, tableGlob, tableSelect } from '../../cli/query/lake';

/** One Glue table of a synthesized stack (an aws_glue_catalog_table resource). */
export type SynthesizedGlueTable = GlueTable;

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
