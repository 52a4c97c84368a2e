/**
 * `tracking openapi` as a yargs command module (command, describe, builder, handler), for the
 * command line's cli/index.ts to register. yargs is not a dependency yet: the builder is typed by
 * the one method it calls, and the handler hands the parsed values to the same function the
 * temporary entry point (./main.ts) calls (./run.ts `openApiCommand`).
 */
import { openApiCommand } from './run';

/** What the builder needs of yargs' Argv. */
export interface OptionBuilder<T> {
  option(name: string, spec: { readonly type: 'string' | 'boolean'; readonly describe: string; readonly requiresArg?: boolean; readonly array?: boolean }): T;
}

export const command = 'openapi';
export const describe = "Write the OpenAPI 3.1 document of an environment's HTTP collector, from the config and the contracts";

export function builder<T extends OptionBuilder<T>>(yargs: T): T {
  return yargs
    .option('config', { type: 'string', requiresArg: true, describe: 'The tracking config [default: $TRACKING_CONFIG, else config/tracking.yaml]' })
    .option('env', { type: 'string', requiresArg: true, describe: "The environment whose collector is described [default: $TRACKING_ENV, else the config's only environment with a collector]" })
    .option('app', { type: 'string', array: true, requiresArg: true, describe: "Only this application's event types (repeatable) [default: the applications the collector has keys for]" })
    .option('out', { type: 'string', requiresArg: true, describe: 'Write the document there (YAML for .yaml/.yml) instead of printing it on stdout' })
    .option('json', { type: 'boolean', describe: 'With --out, print where it went as one JSON document' });
}

export interface OpenApiArgv {
  readonly config?: string;
  readonly env?: string;
  readonly app?: readonly string[];
  readonly out?: string;
  readonly json?: boolean;
}

export function handler(argv: OpenApiArgv): void {
  process.exitCode = openApiCommand({ config: argv.config, env: argv.env, app: argv.app, out: argv.out, json: argv.json });
}
