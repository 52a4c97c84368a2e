/**
 * The options of `tracking query`, parsed by a plain typed function (the yargs command module and
 * the temporary entry point both call it):
 *
 *   tracking query [--data-dir <dir>] [--env <env>] [--json] "<SQL>"
 *
 * The data directory: `--data-dir`, else `.tracking/<env>` (the default of `tracking dev`) with
 * `--env`, else $TRACKING_ENV, else `dev`.
 */
import { DevUsageError } from '../dev/errors';
import { defaultDataDir } from '../dev/layout';
import * as path from 'node:path';

export interface QueryOptions {
  readonly dataDir: string;
  readonly sql: string;
  readonly json: boolean;
}

export const QUERY_OPTIONS = {
  'data-dir': { type: 'string', describe: 'The data directory of `tracking dev` (default .tracking/<env>)' },
  env: { type: 'string', describe: 'Environment whose default data directory to read (default $TRACKING_ENV, else "dev")' },
  json: { type: 'boolean', describe: 'Print the rows as a JSON array' },
} as const;

export const QUERY_USAGE = 'tracking query [--data-dir <dir>] [--env <env>] [--json] "<SQL>"';

export interface RawQueryArgs {
  readonly dataDir?: unknown;
  readonly env?: unknown;
  readonly json?: unknown;
  readonly sql?: unknown;
}

export function resolveQueryOptions(raw: RawQueryArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): QueryOptions {
  if (typeof raw.sql !== 'string' || raw.sql.trim() === '') throw new DevUsageError(`a SQL statement is required; usage: ${QUERY_USAGE}`);
  if (raw.dataDir !== undefined && (typeof raw.dataDir !== 'string' || raw.dataDir === '')) throw new DevUsageError('--data-dir needs a value');
  if (raw.env !== undefined && (typeof raw.env !== 'string' || raw.env === '')) throw new DevUsageError('--env needs a value');
  const envName = (raw.env as string | undefined) ?? (env.TRACKING_ENV !== undefined && env.TRACKING_ENV !== '' ? env.TRACKING_ENV : 'dev');
  const dataDir = raw.dataDir !== undefined ? path.resolve(cwd, raw.dataDir as string) : defaultDataDir(envName, cwd);
  return { dataDir, sql: raw.sql, json: raw.json === true || raw.json === 'true' };
}

/** `--name value`, `--name=value`, `--json` and one positional SQL statement. */
export function parseQueryArgv(argv: readonly string[]): RawQueryArgs {
  const out: { dataDir?: string; env?: string; json?: boolean; sql?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      out.json = true;
      continue;
    }
    if (a === '--') {
      if (argv[i + 1] !== undefined) out.sql = argv.slice(i + 1).join(' ');
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const flag = eq === -1 ? a.slice(2) : a.slice(2, eq);
      const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
      if (flag !== 'data-dir' && flag !== 'env') throw new DevUsageError(`unknown option --${flag}; usage: ${QUERY_USAGE}`);
      if (value === undefined) throw new DevUsageError(`--${flag} needs a value`);
      if (flag === 'data-dir') out.dataDir = value;
      else out.env = value;
      continue;
    }
    if (out.sql !== undefined) throw new DevUsageError(`one SQL statement, quoted, is expected; got a second argument ${JSON.stringify(a)}`);
    out.sql = a;
  }
  return out;
}
