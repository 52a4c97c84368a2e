/**
 * The temporary entries' argument parsing (cli/types/main.ts, cli/openapi/main.ts) until the
 * `tracking` command line (yargs) registers these commands: `--name value`, `--name=value` and
 * boolean flags, an unknown or incomplete option being a usage error (exit 2) that names it.
 * Exit codes follow the command line's table: 0 ok, 1 findings, 2 usage, 3 cannot run.
 */
import { existsSync } from 'node:fs';
import { ConfigError, TrackingPipelineError } from '../../config/errors';
import { configPathFromEnv } from '../../config/loader';

export const EXIT = { ok: 0, findings: 1, usage: 2, cannotRun: 3 } as const;

/** A usage error: the message names the flag. */
export class UsageError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string>>;
  readonly flags: ReadonlySet<string>;
}

/** Parses `argv` against the value options and boolean flags a command has. */
export function parseArgs(argv: readonly string[], valueOptions: readonly string[], flagOptions: readonly string[], usage: string): ParsedArgs {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (m === null) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}\n${usage}`);
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    if (flagOptions.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value\n${usage}`);
      flags.add(name);
    } else if (valueOptions.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value\n${usage}`);
      values[name] = value;
    } else throw new UsageError(`unknown option --${name}\n${usage}`);
  }
  return { values, flags };
}

/** `--config`, else $TRACKING_CONFIG, else config/tracking.yaml; a missing file is a usage error naming where it came from. */
export function configFile(flag: string | undefined): string {
  const file = flag ?? configPathFromEnv();
  if (!existsSync(file)) {
    const from = flag !== undefined ? '--config' : process.env.TRACKING_CONFIG ? '$TRACKING_CONFIG' : 'the default config';
    throw new UsageError(`${from} ${file}: no such file`);
  }
  return file;
}

/** Runs a temporary entry's main: errors to stderr, mapped to the exit code table. */
export function runMain(main: (argv: readonly string[]) => number): void {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exitCode = EXIT.usage;
    } else if (err instanceof ConfigError || err instanceof TrackingPipelineError) {
      console.error(err.message);
      process.exitCode = EXIT.findings;
    } else {
      console.error(err);
      process.exitCode = EXIT.findings;
    }
  }
}
