/**
 * `tracking types` as a yargs command module (command, describe, builder, handler), for the command
 * line's cli/index.ts to register. yargs is not a dependency yet: the builder is typed by the one
 * method it calls, and the handler hands the parsed values to the same function the temporary
 * entry point (./main.ts) calls (./run.ts `typesCommand`).
 */
import { typesCommand } from './run';
import { DEFAULT_TYPES_OUT } from './types';

/** What the builder needs of yargs' Argv. */
export interface OptionBuilder<T> {
  option(name: string, spec: { readonly type: 'string' | 'boolean'; readonly describe: string; readonly requiresArg?: boolean }): T;
}

export const command = 'types';
export const describe = 'Write the catalog module producers install: event types, streams per environment, TypeScript types and contracts';

export function builder<T extends OptionBuilder<T>>(yargs: T): T {
  return yargs
    .option('config', { type: 'string', requiresArg: true, describe: 'The tracking config [default: $TRACKING_CONFIG, else config/tracking.yaml]' })
    .option('out', { type: 'string', requiresArg: true, describe: `A .ts file (one TypeScript module) or a folder (a package: ESM, CommonJS, declarations) [default: ${DEFAULT_TYPES_OUT}]` })
    .option('check', { type: 'boolean', describe: 'Write nothing; exit 1 when the output is not up to date' })
    .option('json', { type: 'boolean', describe: 'Print the result as one JSON document on stdout' });
}

export interface TypesArgv {
  readonly config?: string;
  readonly out?: string;
  readonly check?: boolean;
  readonly json?: boolean;
}

export function handler(argv: TypesArgv): void {
  process.exitCode = typesCommand({ config: argv.config, out: argv.out, check: argv.check, json: argv.json });
}
