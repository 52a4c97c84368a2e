/**
 * Temporary entry of `tracking types` (`npm run types`), compiled by scripts/build.mjs to
 * dist/cli/types/main.js, until the `tracking` command line registers the command. Parses the
 * arguments, calls ./run.ts and prints the result: the result on stdout (`--json`: one JSON
 * document), errors on stderr.
 *
 *   npm run types -- [--config <file>] [--out <file.ts> | <dir>] [--check] [--json]
 */
import { configFile, EXIT, parseArgs, runMain } from './main-args';
import { runTypes } from './run';
import { DEFAULT_TYPES_OUT } from './types';

const USAGE = `usage: npm run types -- [--config <file>] [--out <file.ts> | <dir>] [--check] [--json]
  --out    a .ts file (one TypeScript module) or a folder (a package: ESM, CommonJS, declarations) [default: ${DEFAULT_TYPES_OUT}]
  --check  write nothing; exit 1 when the output is not up to date`;

function main(argv: readonly string[]): number {
  const args = parseArgs(argv, ['config', 'out'], ['check', 'json', 'help'], USAGE);
  if (args.flags.has('help')) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const config = configFile(args.values.config);
  const result = runTypes({ config, ...(args.values.out !== undefined ? { out: args.values.out } : {}), check: args.flags.has('check') });
  if (args.flags.has('json')) console.log(JSON.stringify(result, null, 2));
  else if (args.flags.has('check')) {
    if (result.upToDate) console.log(`${result.out} is up to date with ${config}`);
    else console.error(`${result.out} is not up to date with ${config} (${result.stale.length} file(s) differ); run \`npm run types\``);
  } else console.log(result.written.length > 0 ? `Wrote ${result.out} from ${config} (${result.written.length} file(s))` : `${result.out} is up to date with ${config}`);
  return result.upToDate ? EXIT.ok : EXIT.findings;
}

runMain(main);
