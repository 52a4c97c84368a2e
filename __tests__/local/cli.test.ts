/**
 * The built `tracking dev` and `tracking query` entry points refuse bad usage with the command
 * line's exit codes (2 usage, 3 cannot run) and a message naming the flag or the value, before any
 * work; and the yargs command modules declare the same options as the typed parsers.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as devCommand from '../../cli/dev/command';
import { DEV_OPTIONS, parseDevArgv, resolveDevOptions } from '../../cli/dev/options';
import * as queryCommand from '../../cli/query/command';
import { parseQueryArgv, resolveQueryOptions } from '../../cli/query/options';
import { DEV_MAIN, FIXTURES, ROOT } from './helpers';

const dev = (args: readonly string[]): { code: number | null; stderr: string; stdout: string } => {
  const r = spawnSync(process.execPath, [DEV_MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
};

describe('tracking dev: usage', () => {
  it('refuses an unknown option (2), a config that does not exist (3) and an environment the config lacks (2), naming them', () => {
    const unknown = dev(['--bogus', '1']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('unknown option --bogus');
    const missing = dev(['--config', 'no/such.yaml']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(path.join(ROOT, 'no', 'such.yaml'));
    const env = dev(['--config', path.join(FIXTURES, 'pipeline.yaml'), '--env', 'prod']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('--env prod: the config has no environment "prod" (it has local)');
    expect(dev(['--port', '70000']).stderr).toContain('--port must be an integer from 0 to 65535');
    expect(dev(['--flush-seconds', '-1']).code).toBe(2);
  });

  it('reads --name value and --name=value, with $TRACKING_CONFIG and $TRACKING_ENV as fallbacks', () => {
    const raw = parseDevArgv(['--config=config/tracking.yaml', '--env', 'dev', '--port', '0', '--data-dir', 'x', '--flush-seconds', '1.5']);
    expect(resolveDevOptions(raw, {}, ROOT)).toEqual({ config: path.join(ROOT, 'config', 'tracking.yaml'), env: 'dev', port: 0, dataDir: path.join(ROOT, 'x'), flushSeconds: 1.5 });
    expect(resolveDevOptions({}, { TRACKING_CONFIG: path.join(FIXTURES, 'pipeline.yaml'), TRACKING_ENV: 'local' }, ROOT)).toMatchObject({ config: path.join(FIXTURES, 'pipeline.yaml'), env: 'local', port: 8787 });
  });
});

describe('tracking query: usage', () => {
  it('takes one SQL statement and resolves the data directory from --data-dir, --env or $TRACKING_ENV', () => {
    expect(resolveQueryOptions(parseQueryArgv(['--json', 'SELECT 1']), {}, ROOT)).toEqual({ dataDir: path.join(ROOT, '.tracking', 'dev'), sql: 'SELECT 1', json: true });
    expect(resolveQueryOptions(parseQueryArgv(['--env', 'local', 'SELECT 1']), {}, ROOT).dataDir).toBe(path.join(ROOT, '.tracking', 'local'));
    expect(resolveQueryOptions(parseQueryArgv(['SELECT 1']), { TRACKING_ENV: 'prod' }, ROOT).dataDir).toBe(path.join(ROOT, '.tracking', 'prod'));
    expect(() => parseQueryArgv(['SELECT 1', 'SELECT 2'])).toThrow(/one SQL statement/);
    expect(() => resolveQueryOptions(parseQueryArgv([]), {}, ROOT)).toThrow(/a SQL statement is required/);
  });
});

describe('the yargs command modules', () => {
  it('declare every option of the typed parsers', () => {
    const declared = (b: (y: never) => unknown): string[] => {
      const names: string[] = [];
      const y = {
        option(name: string) {
          names.push(name);
          return y;
        },
        positional(name: string) {
          names.push(`<${name}>`);
          return y;
        },
      };
      (b as (y: unknown) => unknown)(y);
      return names;
    };
    expect(devCommand.command).toBe('dev');
    expect(declared(devCommand.builder as never)).toEqual(Object.keys(DEV_OPTIONS));
    expect(queryCommand.command).toBe('query <sql>');
    expect(declared(queryCommand.builder as never)).toEqual(['<sql>', 'data-dir', 'env', 'json']);
  });
});
