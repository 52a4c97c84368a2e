/**
 * Temporary entry point of `tracking dev` until the yargs command line (cli/index.ts) exists:
 * `node dist/cli/dev/main.js [--config <file>] [--env <env>] [--port <port>] [--data-dir <dir>] [--flush-seconds <n>]`.
 * Parses the options (./options.ts), then runs ./run.ts. Only parses and dispatches.
 */
import { parseDevArgv } from './options';
import { runDevCommand } from './run';

runDevCommand(() => parseDevArgv(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
