/**
 * `tracking query` as a yargs command module (command, describe, builder, handler), for the
 * command line's cli/index.ts to register. yargs is not a dependency yet: the builder is typed by
 * the methods it calls, and the handler hands the parsed values to the same typed option function
 * the temporary entry point (./main.ts) uses.
 */
import { QUERY_OPTIONS } from './options';
import { runQueryCommand } from './run';

/** What the builder needs of yargs' Argv. */
export interface QueryOptionBuilder<T> {
  option(name: string, spec: { readonly type: 'string' | 'number' | 'boolean'; readonly describe: string }): T;
  positional(name: string, spec: { readonly type: 'string'; readonly describe: string }): T;
}

export const command = 'query <sql>';
export const describe = 'Run SQL with DuckDB over the local lake of `tracking dev`, through the tables as synthesized';

export function builder<T extends QueryOptionBuilder<T>>(yargs: T): T {
  let y = yargs.positional('sql', { type: 'string', describe: 'The SQL statement, quoted' });
  for (const [name, spec] of Object.entries(QUERY_OPTIONS)) y = y.option(name, spec);
  return y;
}

export interface QueryArgv {
  readonly sql?: string;
  readonly dataDir?: string;
  readonly env?: string;
  readonly json?: boolean;
}

export async function handler(argv: QueryArgv): Promise<void> {
  process.exitCode = await runQueryCommand(() => ({ sql: argv.sql, dataDir: argv.dataDir, env: argv.env, json: argv.json }));
}
