/**
 * Runs the built local runtime and query command as processes, as users run them:
 * `node dist/cli/dev/main.js --config <fixture> --port 0 --data-dir <tmp> --flush-seconds 1`, read
 * up to its ready line, and `node dist/cli/query/main.js --data-dir <dir> --json "<SQL>"`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const DEV_MAIN = path.join(ROOT, 'dist', 'cli', 'dev', 'main.js');
export const QUERY_MAIN = path.join(ROOT, 'dist', 'cli', 'query', 'main.js');
export const FIXTURES = path.join(ROOT, '__tests__', 'fixtures', 'local');

export interface ReadyLine {
  readonly ready: true;
  readonly collector: string | null;
  readonly awsEndpoint: string;
  readonly dataDir: string;
  readonly writeKeys: Record<string, string>;
}

export interface DevProcess {
  readonly info: ReadyLine;
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** stdout after the ready line. */
  stdoutRest(): string;
  /** Reads the root stream to its end and delivers every buffered record (POST /_local/flush). */
  flush(): Promise<Record<string, unknown>>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the process (SIGKILL if still running) and removes a data directory this helper made. */
  dispose(): Promise<void>;
}

export interface StartDevOptions {
  readonly config: string;
  readonly dataDir?: string;
  readonly flushSeconds?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly extraArgs?: readonly string[];
  /** @default 5 minutes (the first mock apply of a config takes tens of seconds on a busy machine) */
  readonly readyTimeoutMs?: number;
}

/** Starts `tracking dev` and resolves at its ready line (rejects with its stderr if it exits first). */
export function startDev(o: StartDevOptions): Promise<DevProcess> {
  const dataDir = o.dataDir ?? mkdtempSync(path.join(tmpdir(), 'tracking-local-'));
  const args = [DEV_MAIN, '--config', o.config, '--port', '0', '--data-dir', dataDir, ...(o.flushSeconds !== undefined ? ['--flush-seconds', String(o.flushSeconds)] : []), ...(o.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let rest = '';
  let info: ReadyLine | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<DevProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tracking dev printed no ready line within ${o.readyTimeoutMs ?? 300_000} ms:\n${err}`));
    }, o.readyTimeoutMs ?? 300_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.stdout!.on('data', (c: Buffer) => {
      if (info !== undefined) {
        rest += c.toString('utf8');
        return;
      }
      out += c.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      info = JSON.parse(out.slice(0, nl)) as ReadyLine;
      rest = out.slice(nl + 1);
      clearTimeout(timer);
      const base = info.awsEndpoint;
      resolve({
        info,
        child,
        stderr: () => err,
        stdoutRest: () => rest,
        flush: async () => (await (await fetch(`${base}/_local/flush`, { method: 'POST' })).json()) as Record<string, unknown>,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
        dispose: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
          if (o.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
        },
      });
    });
    void exited.then(({ code, signal }) => {
      if (info !== undefined) return;
      clearTimeout(timer);
      reject(new Error(`tracking dev exited (${signal ?? String(code)}) before it was ready:\n${err}`));
    });
  });
}

export interface QueryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tracking query` as a process. */
export function runQueryCli(args: readonly string[]): QueryRun {
  const r = spawnSync(process.execPath, [QUERY_MAIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rows of a query (`--json`); throws with the command's stderr when it fails. */
export function query(dataDir: string, sql: string): Record<string, unknown>[] {
  const r = runQueryCli(['--data-dir', dataDir, '--json', sql]);
  if (r.code !== 0) throw new Error(`tracking query failed (exit ${String(r.code)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

/** Environment for SDK clients and the tracker: the local endpoint and any credentials. */
export function sdkEnv(info: ReadyLine): Record<string, string> {
  return { AWS_ENDPOINT_URL: info.awsEndpoint, AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST', AWS_SECRET_ACCESS_KEY: 'local-test', AWS_REGION: 'eu-central-1' };
}

/** Sets environment variables for the duration of `fn` (the SDK reads them when a client is created). */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
