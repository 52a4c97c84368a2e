/**
 * Temporary entry of `tracking types` (`npm run types`), compiled by scripts/build.mjs to
 * dist/cli/types/main.js, until the `tracking` command line registers ./command.ts. Parses the
 * arguments and runs ./run.ts `typesCommand`.
 *
 *   npm run types -- [--config <file>] [--out <file.ts> | <dir>] [--check] [--json]
 */
import { EXIT, parseArgs, runMain } from './main-args';
import { typesCommand } from './run';
import { DEFAULT_TYPES_OUT } from './types';

const USAGE = `usage: npm run types -- [--config <file>] [--out <file.ts> | <dir>] [--check] [--json]
  --out    a .ts file (one TypeScript module) or a folder (a package: ESM, CommonJS, declarations) [default: ${DEFAULT_TYPES_OUT}]
  --check  write nothing; exit 1 when the output is not up to date`;

runMain((argv) => {
  const args = parseArgs(argv, ['config', 'out'], ['check', 'json', 'help'], USAGE);
  if (args.flags.has('help')) {
    console.log(USAGE);
    return EXIT.ok;
  }
  return typesCommand({ config: args.values.config, out: args.values.out, check: args.flags.has('check'), json: args.flags.has('json') });
});
