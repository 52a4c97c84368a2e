/**
 * Runs `tracking query` as a command: the rows on stdout (a text table, or with --json one JSON
 * array), warnings on stderr. Exit codes: 0 ok, 1 the query failed, 2 bad usage, 3 no local lake.
 */
import { TrackingPipelineError } from '../../config/errors';
import { exitCodeOf } from '../dev/errors';
import { resolveQueryOptions, type RawQueryArgs } from './options';
import { formatTable, runQuery } from './query';

export async function runQueryCommand(args: () => RawQueryArgs): Promise<number> {
  try {
    const options = resolveQueryOptions(args());
    const result = await runQuery(options.dataDir, options.sql);
    for (const w of result.warnings) console.error(`tracking query: warning: ${w}`);
    process.stdout.write(options.json ? `${JSON.stringify(result.rows)}\n` : `${formatTable(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof TrackingPipelineError) {
      console.error(`tracking query: ${err.message}`);
      return exitCodeOf(err);
    }
    console.error(err);
    return 1;
  }
}
