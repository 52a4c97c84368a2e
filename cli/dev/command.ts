/**
 * `tracking dev` as a yargs command module (command, describe, builder, handler), for the command
 * line's cli/index.ts to register. yargs is not a dependency yet: the builder is typed by the one
 * method it calls, and the handler hands the parsed values to the same typed option function the
 * temporary entry point (./main.ts) uses.
 */
import { DEV_OPTIONS } from './options';
import { runDevCommand } from './run';

/** What the builder needs of yargs' Argv. */
export interface OptionBuilder<T> {
  option(name: string, spec: { readonly type: 'string' | 'number' | 'boolean'; readonly describe: string }): T;
}

export const command = 'dev';
export const describe = 'Run one environment of the config on this machine: the synthesized Lambdas, local Firehose, Kinesis, S3 and the collector; prints a ready line';

export function builder<T extends OptionBuilder<T>>(yargs: T): T {
  let y = yargs;
  for (const [name, spec] of Object.entries(DEV_OPTIONS)) y = y.option(name, spec);
  return y;
}

export interface DevArgv {
  readonly config?: string;
  readonly env?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly flushSeconds?: number;
}

export async function handler(argv: DevArgv): Promise<void> {
  process.exitCode = await runDevCommand(() => ({ config: argv.config, env: argv.env, port: argv.port, dataDir: argv.dataDir, flushSeconds: argv.flushSeconds }));
}
