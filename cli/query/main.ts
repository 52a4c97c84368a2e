/**
 * Temporary entry point of `tracking query` until the yargs command line (cli/index.ts) exists:
 * `node dist/cli/query/main.js [--data-dir <dir>] [--env <env>] [--json] "<SQL>"`. Only parses and dispatches.
 */
import { parseQueryArgv } from './options';
import { runQueryCommand } from './run';

runQueryCommand(() => parseQueryArgv(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
