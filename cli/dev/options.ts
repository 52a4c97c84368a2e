/**
 * The options of `tracking dev`, parsed by a plain typed function: the yargs command module
 * (./command.ts) and the temporary entry point (./main.ts) both call it, so that the meaning of
 * each option lives in one place.
 *
 *   tracking dev [--config <file>] [--env <env>] [--port <port>] [--data-dir <dir>] [--flush-seconds <n>]
 *
 * Fallbacks, as the command line's shared design gives them: `--config`, else $TRACKING_CONFIG,
 * else config/tracking.yaml; `--env`, else $TRACKING_ENV, else the config's environment named
 * `dev`, else its first one (decided once the config is read, see ./runtime.ts).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../../config/loader';
import { DevUsageError, DevCannotRunError } from './errors';

/** 8787, the port `collector:dev` has always used: one port serves the collector and the AWS endpoint. */
export const DEFAULT_PORT = 8787;

export interface DevOptions {
  /** Path of the tracking config (absolute). */
  readonly config: string;
  /** Environment name; undefined: decided from the config (`dev`, else the first). */
  readonly env?: string;
  /** Port on 127.0.0.1 for the collector and the AWS endpoint; 0 picks a free one. */
  readonly port: number;
  /** Data directory (absolute); undefined: `.tracking/<env>` under the working directory, once the environment is known. */
  readonly dataDir?: string;
  /** Replaces every Firehose buffering interval (processor and destination) when set. */
  readonly flushSeconds?: number;
}

/** The option table: name, whether it takes a value, help text (the yargs builder reads the same table). */
export const DEV_OPTIONS = {
  config: { type: 'string', describe: 'The tracking config (default $TRACKING_CONFIG, else config/tracking.yaml)' },
  env: { type: 'string', describe: 'Environment of the config to run (default $TRACKING_ENV, else "dev", else the first)' },
  port: { type: 'number', describe: `Port on 127.0.0.1 for the collector and the AWS endpoint (default ${DEFAULT_PORT}; 0: any free port)` },
  'data-dir': { type: 'string', describe: 'Where the bucket, the logs and the recorded messages are kept (default .tracking/<env>)' },
  'flush-seconds': { type: 'number', describe: "Replace every Firehose buffering interval by this many seconds (quick feedback; default: the stream's own)" },
} as const;

/** Raw values as a parser hands them over (yargs' argv, or ./main.ts's own reading of process.argv). */
export interface RawDevArgs {
  readonly config?: unknown;
  readonly env?: unknown;
  readonly port?: unknown;
  readonly dataDir?: unknown;
  readonly flushSeconds?: unknown;
}

const text = (flag: string, v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new DevUsageError(`--${flag} needs a value`);
  return v;
};

const number = (flag: string, v: unknown): number | undefined => {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new DevUsageError(`--${flag} must be a number, got ${JSON.stringify(v)}`);
  return n;
};

/** Checks and resolves the options. Throws DevUsageError (exit 2) or DevCannotRunError (exit 3). */
export function resolveDevOptions(raw: RawDevArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): DevOptions {
  const givenConfig = text('config', raw.config);
  const fromEnv = env.TRACKING_CONFIG !== undefined && env.TRACKING_CONFIG !== '' ? env.TRACKING_CONFIG : undefined;
  const config = path.resolve(cwd, givenConfig ?? fromEnv ?? DEFAULT_CONFIG_PATH);
  if (!existsSync(config)) {
    const from = givenConfig !== undefined ? '--config' : fromEnv !== undefined ? '$TRACKING_CONFIG' : 'the default config path';
    throw new DevCannotRunError(`the config ${config} (${from}) does not exist; pass --config <file>`);
  }
  const envName = text('env', raw.env) ?? (env.TRACKING_ENV !== undefined && env.TRACKING_ENV !== '' ? env.TRACKING_ENV : undefined);
  const port = number('port', raw.port) ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new DevUsageError(`--port must be an integer from 0 to 65535, got ${port}`);
  const dataDir = text('data-dir', raw.dataDir);
  const flushSeconds = number('flush-seconds', raw.flushSeconds);
  // Firehose's own buffering intervals range from 0 to 900 seconds (BufferingHints.IntervalInSeconds).
  if (flushSeconds !== undefined && !(flushSeconds >= 0 && flushSeconds <= 900)) {
    throw new DevUsageError(`--flush-seconds must be from 0 to 900 (Firehose's range for buffering intervals), got ${flushSeconds}`);
  }
  return {
    config,
    port,
    ...(envName !== undefined ? { env: envName } : {}),
    ...(dataDir !== undefined ? { dataDir: path.resolve(cwd, dataDir) } : {}),
    ...(flushSeconds !== undefined ? { flushSeconds } : {}),
  };
}

/**
 * Reads `--name value` and `--name=value` pairs (the temporary entry point's parser until the yargs
 * CLI exists). Unknown flags and stray words are usage errors naming them.
 */
export function parseDevArgv(argv: readonly string[]): RawDevArgs {
  const names: Record<string, keyof RawDevArgs> = { config: 'config', env: 'env', port: 'port', 'data-dir': 'dataDir', 'flush-seconds': 'flushSeconds' };
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new DevUsageError(`unexpected argument ${JSON.stringify(a)}; usage: ${DEV_USAGE}`);
    const eq = a.indexOf('=');
    const flag = eq === -1 ? a.slice(2) : a.slice(2, eq);
    const key = names[flag];
    if (key === undefined) throw new DevUsageError(`unknown option --${flag}; usage: ${DEV_USAGE}`);
    const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) throw new DevUsageError(`--${flag} needs a value`);
    out[key] = value;
  }
  return out;
}

export const DEV_USAGE = 'tracking dev [--config <file>] [--env <env>] [--port <port>] [--data-dir <dir>] [--flush-seconds <n>]';
