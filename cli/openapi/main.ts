/**
 * Temporary entry of `tracking openapi` (`npm run openapi`), compiled by scripts/build.mjs to
 * dist/cli/openapi/main.js, until the `tracking` command line registers the command. The document
 * goes to stdout without --out; messages and errors to stderr.
 *
 *   npm run openapi -- [--config <file>] [--env <name>] [--app <name>]... [--out <file.json|.yaml>] [--json]
 */
import { configFile, EXIT, parseArgs, runMain, UsageError } from '../types/main-args';
import { OpenApiError } from './openapi';
import { runOpenApi } from './run';

const USAGE = `usage: npm run openapi -- [--config <file>] [--env <name>] [--app <name>] [--out <file.json|file.yaml>] [--json]
  --env  the environment whose collector is described [default: $TRACKING_ENV, else the config's only environment with a collector]
  --app  only this application's event types (comma-separated for several) [default: the applications the collector has keys for]
  --out  write the document there (YAML for .yaml/.yml) instead of printing it`;

function main(argv: readonly string[]): number {
  const args = parseArgs(argv, ['config', 'env', 'app', 'out'], ['json', 'help'], USAGE);
  if (args.flags.has('help')) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const config = configFile(args.values.config);
  const environment = args.values.env ?? (process.env.TRACKING_ENV || undefined);
  const applications = args.values.app?.split(',').map((a) => a.trim()).filter((a) => a !== '');
  let result;
  try {
    result = runOpenApi({
      config,
      ...(environment !== undefined ? { environment } : {}),
      ...(applications !== undefined ? { applications } : {}),
      ...(args.values.out !== undefined ? { out: args.values.out } : {}),
    });
  } catch (err) {
    if (err instanceof OpenApiError) throw new UsageError(`${err.message}\n${USAGE}`);
    throw err;
  }
  if (result.out === undefined) process.stdout.write(result.text);
  else if (args.flags.has('json')) console.log(JSON.stringify({ out: result.out, environment: result.environment, format: result.format, config }));
  else console.error(`Wrote ${result.out} (OpenAPI 3.1, the collector of ${result.environment}) from ${config}`);
  return EXIT.ok;
}

runMain(main);
