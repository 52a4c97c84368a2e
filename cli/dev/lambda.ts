/**
 * Runs a function's synthesized asset as Lambda would: each execution environment is a child
 * process on the project's Node 22 (./lambda-worker.ts) started in the unzipped task root with the
 * function's evaluated environment variables and Lambda's own ones, and it serves one invocation at
 * a time. Environments are started on demand up to the function's reserved concurrency (or the
 * runtime's bound) and reused, so module-level state survives between invocations as it does in
 * Lambda; one that times out or crashes is discarded.
 *
 * Modelled (Lambda developer guide: "Lambda runtime environment", "Defined runtime environment
 * variables", "Configure Lambda function timeout", "Lambda quotas"):
 * - the timeout: an invocation still running at its deadline fails with `Sandbox.Timedout`
 *   ("Task timed out after N.NN seconds") and its environment is stopped;
 * - the context's invokedFunctionArn with the qualifier the caller used (an alias ARN, `:$LATEST`,
 *   or none), functionVersion ($LATEST, or the version an alias points to), awsRequestId,
 *   getRemainingTimeInMillis();
 * - the 6 MB limit of synchronous invocation payloads (request and response);
 * - the reserved variables: AWS_REGION, AWS_DEFAULT_REGION, AWS_EXECUTION_ENV, AWS_LAMBDA_FUNCTION_*,
 *   AWS_LAMBDA_LOG_*, LAMBDA_TASK_ROOT, _HANDLER, TZ=:UTC, credentials;
 * - the SDK the nodejs runtimes provide: NODE_PATH holds a folder whose `@aws-sdk` is the project's
 *   own, so a bundle that leaves `@aws-sdk/*` external (as the runtime allows) finds it, and a bundle
 *   missing any other package fails as it would in Lambda.
 * The SDK inside every function is pointed at the local endpoint by AWS_ENDPOINT_URL (the SDKs'
 * "service-specific endpoints" setting); the asset's code is not changed.
 *
 * Not modelled: memory size (no heap or CPU limit), arm64 vs x86_64, layers, SnapStart, extensions.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModelError } from './errors';
import type { InvokeTarget, LocalFunction } from './resources';

/** 6 MB: the largest request and response payload of a synchronous invocation (Lambda quotas). */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number; readonly requestId: string }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string; readonly durationMs: number; readonly requestId: string; readonly timedOut?: boolean };

export interface RunnerOptions {
  /** The compiled ./lambda-worker.ts. */
  readonly workerScript: string;
  /** The Node binary to run environments with. */
  readonly node: string;
  /** Variables every environment gets (endpoint, credentials). The function's own come on top, then Lambda's reserved ones. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Region and account (for AWS_REGION and log names). */
  readonly region: string;
  /** Folder of `<function>.log`. */
  readonly logDir: string;
  /** Folder for the runtime-provided SDK path (NODE_PATH). */
  readonly runtimeDir: string;
  /** The project's node_modules (where `@aws-sdk` comes from). */
  readonly projectModules: string;
  /** Upper bound of environments per function when it has no reserved concurrency. */
  readonly maxConcurrency: number;
  /** Called with one line per invocation (the runtime log). */
  readonly log?: (line: string) => void;
}

interface Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
  dead: boolean;
  pending?: { readonly id: number; readonly resolve: (r: InvokeResult) => void; readonly started: number; readonly requestId: string; readonly timer: NodeJS.Timeout };
}

interface Waiter {
  readonly run: (env: Environment) => void;
}

/** The runtime's major Node version of a `nodejsNN.x` runtime, or undefined. */
export function runtimeNodeMajor(runtime: string): number | undefined {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  return m === null ? undefined : Number(m[1]);
}

/** The execution environments of one function. */
export class FunctionRunner {
  private readonly envs: Environment[] = [];
  private readonly queue: Waiter[] = [];
  /** The function's log file, opened for appending; the environments write to it directly (their stdout and stderr). */
  private readonly logFd: number;
  private readonly limit: number;
  private nextId = 1;
  private closed = false;
  private readonly logStreamName: string;

  public constructor(
    public readonly fn: LocalFunction,
    private readonly taskRoot: string,
    private readonly opts: RunnerOptions,
  ) {
    const major = runtimeNodeMajor(fn.runtime);
    if (major === undefined) throw new LocalModelError(`${fn.address}: runtime ${fn.runtime} is not a Node.js runtime; the local runtime runs nodejs functions only`);
    mkdirSync(opts.logDir, { recursive: true });
    this.logFd = openSync(path.join(opts.logDir, `${fn.name}.log`), 'a');
    this.limit = Math.max(1, Math.min(fn.reservedConcurrency ?? opts.maxConcurrency, opts.maxConcurrency));
    this.logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
    ensureRuntimeSdk(opts.runtimeDir, opts.projectModules);
  }

  /** Invokes the function synchronously (RequestResponse) with a JSON event. */
  public async invoke(event: unknown, target: Pick<InvokeTarget, 'invokedArn' | 'executedVersion'>): Promise<InvokeResult> {
    const requestId = randomUUID();
    const text = JSON.stringify(event);
    if (Buffer.byteLength(text) > MAX_SYNC_PAYLOAD_BYTES) {
      return { ok: false, errorType: 'RequestEntityTooLargeException', errorMessage: `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`, durationMs: 0, requestId };
    }
    if (this.closed) return { ok: false, errorType: 'ServiceException', errorMessage: 'the local runtime is stopping', durationMs: 0, requestId };
    const env = await this.acquire();
    try {
      await env.ready;
    } catch (err) {
      this.discard(env);
      this.release(env);
      return { ok: false, errorType: (err as { errorType?: string }).errorType ?? 'Runtime.ExitError', errorMessage: (err as Error).message, durationMs: 0, requestId };
    }
    return new Promise<InvokeResult>((resolve) => {
      const id = this.nextId++;
      const started = Date.now();
      const timeoutMs = this.fn.timeoutSeconds * 1000;
      const timer = setTimeout(() => {
        if (env.pending?.id !== id) return;
        env.pending = undefined;
        this.write(`${new Date().toISOString()} ${requestId} Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds\nEND RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: ${(Date.now() - started).toFixed(2)} ms\tMemory Size: ${this.fn.memoryMiB} MB\tStatus: timeout`);
        this.discard(env);
        resolve({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`, durationMs: Date.now() - started, requestId, timedOut: true });
      }, timeoutMs);
      env.pending = { id, resolve, started, requestId, timer };
      env.child.send({ type: 'invoke', id, event: text, awsRequestId: requestId, invokedFunctionArn: target.invokedArn, executedVersion: target.executedVersion, deadline: started + timeoutMs });
    }).finally(() => this.release(env));
  }

  private write(line: string): void {
    if (this.logFd >= 0) writeSync(this.logFd, `${line}\n`);
  }

  private acquire(): Promise<Environment> {
    const idle = this.envs.find((e) => !e.busy && !e.dead);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.envs.filter((e) => !e.dead).length < this.limit) {
      const env = this.spawn();
      env.busy = true;
      return Promise.resolve(env);
    }
    return new Promise((resolve) => this.queue.push({ run: resolve }));
  }

  private release(env: Environment): void {
    env.busy = false;
    const next = this.queue.shift();
    if (next === undefined) return;
    if (!env.dead) {
      env.busy = true;
      next.run(env);
      return;
    }
    const fresh = this.spawn();
    fresh.busy = true;
    next.run(fresh);
  }

  private discard(env: Environment): void {
    env.dead = true;
    const i = this.envs.indexOf(env);
    if (i !== -1) this.envs.splice(i, 1);
    env.child.kill('SIGKILL');
  }

  private spawn(): Environment {
    const fn = this.fn;
    const { region } = this.opts;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      ...this.opts.baseEnv,
      ...fn.environment,
      // Reserved variables Lambda sets and functions cannot override.
      _HANDLER: fn.handler,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
      LAMBDA_TASK_ROOT: this.taskRoot,
      LAMBDA_RUNTIME_DIR: this.opts.runtimeDir,
      NODE_PATH: path.join(this.opts.runtimeDir, 'node_modules'),
      TZ: ':UTC',
    };
    const child = fork(this.opts.workerScript, [], {
      cwd: this.taskRoot,
      env,
      execPath: this.opts.node,
      execArgv: [],
      // Output goes straight to the log file: in order, and nothing is left in a pipe at the end.
      stdio: ['ignore', this.logFd, this.logFd, 'ipc'],
      serialization: 'json',
    });
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    const e: Environment = { child, ready, busy: false, dead: false };
    child.on('message', (raw: unknown) => {
      const m = raw as { type: string; id?: number; payload?: string; error?: { errorType: string; errorMessage: string }; fatal?: boolean };
      if (m.type === 'ready') markReady();
      else if (m.type === 'init-error') {
        this.write(`INIT_REPORT Status: error Error Type: ${m.error?.errorType ?? ''} ${m.error?.errorMessage ?? ''}`);
        failReady(Object.assign(new Error(m.error?.errorMessage ?? 'init failed'), { errorType: m.error?.errorType ?? 'Runtime.InitError' }));
      } else if ((m.type === 'result' || m.type === 'error') && e.pending !== undefined && e.pending.id === m.id) {
        const p = e.pending;
        e.pending = undefined;
        clearTimeout(p.timer);
        const durationMs = Date.now() - p.started;
        if (m.type === 'result') {
          const payload = m.payload ?? 'null';
          if (Buffer.byteLength(payload) > MAX_SYNC_PAYLOAD_BYTES) {
            p.resolve({ ok: false, errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`, durationMs, requestId: p.requestId });
          } else p.resolve({ ok: true, payload: JSON.parse(payload) as unknown, durationMs, requestId: p.requestId });
        } else {
          p.resolve({ ok: false, errorType: m.error?.errorType ?? 'Error', errorMessage: m.error?.errorMessage ?? '', durationMs, requestId: p.requestId });
          if (m.fatal === true) this.discard(e);
        }
      }
    });
    child.on('exit', (code, signal) => {
      const wasDead = e.dead;
      e.dead = true;
      const i = this.envs.indexOf(e);
      if (i !== -1) this.envs.splice(i, 1);
      failReady(Object.assign(new Error(`the execution environment exited (${signal ?? `code ${String(code)}`}) before it was ready`), { errorType: 'Runtime.ExitError' }));
      const p = e.pending;
      if (p !== undefined) {
        e.pending = undefined;
        clearTimeout(p.timer);
        p.resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${p.requestId} Error: Runtime exited ${signal !== null ? `with signal: ${signal}` : `with error: exit status ${String(code)}`}`, durationMs: Date.now() - p.started, requestId: p.requestId });
      }
      if (!wasDead && !this.closed) this.opts.log?.(`${fn.name}: an execution environment exited (${signal ?? String(code)})`);
    });
    this.envs.push(e);
    return e;
  }

  /** Stops every environment (after the invocations in flight finish, or after `graceMs`). */
  public async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const until = Date.now() + graceMs;
    while (this.envs.some((e) => e.pending !== undefined) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const exits = this.envs.map((e) => new Promise<void>((resolve) => (e.child.exitCode !== null || e.child.signalCode !== null ? resolve() : e.child.once('exit', () => resolve()))));
    for (const e of [...this.envs]) this.discard(e);
    await Promise.all(exits);
    closeSync(this.logFd);
  }
}

/** `<runtimeDir>/node_modules/@aws-sdk` -> the project's `@aws-sdk` (what the nodejs runtimes provide). */
function ensureRuntimeSdk(runtimeDir: string, projectModules: string): void {
  const modules = path.join(runtimeDir, 'node_modules');
  const link = path.join(modules, '@aws-sdk');
  if (existsSync(link)) return;
  mkdirSync(modules, { recursive: true });
  try {
    symlinkSync(path.join(projectModules, '@aws-sdk'), link, 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
