/**
 * Temporary entry of `tracking openapi` (`npm run openapi`), compiled by scripts/build.mjs to
 * dist/cli/openapi/main.js, until the `tracking` command line registers ./command.ts. Parses the
 * arguments and runs ./run.ts `openApiCommand`: the document goes to stdout without --out;
 * messages and errors to stderr.
 *
 *   npm run openapi -- [--config <file>] [--env <name>] [--app <name>[,<name>]] [--out <file.json|.yaml>] [--json]
 */
import { EXIT, parseArgs, runMain, UsageError } from '../types/main-args';
import { openApiCommand } from './run';

const USAGE = `usage: npm run openapi -- [--config <file>] [--env <name>] [--app <name>[,<name>]] [--out <file.json|file.yaml>] [--json]
  --env  the environment whose collector is described [default: $TRACKING_ENV, else the config's only environment with a collector]
  --app  only these applications' event types [default: the applications the collector has keys for]
  --out  write the document there (YAML for .yaml/.yml) instead of printing it`;

runMain((argv) => {
  const args = parseArgs(argv, ['config', 'env', 'app', 'out'], ['json', 'help'], USAGE);
  if (args.flags.has('help')) {
    console.log(USAGE);
    return EXIT.ok;
  }
  try {
    return openApiCommand({
      config: args.values.config,
      env: args.values.env,
      ...(args.values.app !== undefined ? { app: [args.values.app] } : {}),
      out: args.values.out,
      json: args.flags.has('json'),
    });
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}\n${USAGE}`);
    throw err;
  }
});
