/**
 * One Lambda execution environment: a Node process (started by ./lambda.ts with the function's
 * environment, in its unzipped task root) that loads the handler once, then runs one invocation at
 * a time as the Node.js runtime does. Entry point only: it is compiled to
 * dist/cli/dev/lambda-worker.js and never imported.
 *
 * From the Lambda developer guide ("Define Lambda function handler in Node.js", "Using the Lambda
 * context object to retrieve Node.js function information", "Log and monitor Node.js Lambda
 * functions"):
 * - `_HANDLER` is `<module>.<export>`, resolved against LAMBDA_TASK_ROOT (CommonJS or ES module);
 * - async handlers return their result; a handler taking three arguments may call back instead;
 * - the context carries functionName, functionVersion, invokedFunctionArn, memoryLimitInMB,
 *   awsRequestId, logGroupName, logStreamName, callbackWaitsForEmptyEventLoop and
 *   getRemainingTimeInMillis();
 * - console output is written as `<timestamp>\t<request id>\t<LEVEL>\t<message>` (text log format);
 * - an error answers `{ errorType, errorMessage, trace }`; an uncaught exception or unhandled
 *   rejection fails the invocation and ends the environment (the next invocation starts a new one).
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  /** The event as JSON text (Lambda hands functions parsed JSON). */
  readonly event: string;
  readonly awsRequestId: string;
  readonly invokedFunctionArn: string;
  readonly executedVersion: string;
  readonly deadline: number;
}

type Outgoing =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: ErrorShape }
  | { readonly type: 'result'; readonly id: number; readonly payload: string }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorShape; readonly fatal: boolean };

interface ErrorShape {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

const send = (m: Outgoing): void => {
  process.send?.(m);
};

function shape(err: unknown, fallbackType = 'Error'): ErrorShape {
  if (err instanceof Error) return { errorType: err.name || fallbackType, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  return { errorType: fallbackType, errorMessage: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err), trace: [] };
}

let currentRequest = 'undefined';
let current: InvokeMessage | undefined;

// Lambda's text log format for console output.
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
] as const) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[method] = (...args: unknown[]): void => {
    stream.write(`${new Date().toISOString()}\t${currentRequest}\t${level}\t${format(...args).replace(/\n/g, '\r')}\n`);
  };
}

type Handler = (event: unknown, context: unknown, callback?: (err: unknown, value?: unknown) => void) => unknown;

async function loadHandler(): Promise<Handler> {
  const spec = process.env._HANDLER ?? '';
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const moduleName = spec.slice(0, dot);
  const exportPath = spec.slice(dot + 1).split('.');
  let mod: Record<string, unknown> | undefined;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = path.join(root, `${moduleName}${ext}`);
    try {
      mod = (ext === '.mjs' ? await import(pathToFileURL(file).href) : createRequire(file)(file)) as Record<string, unknown>;
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(file)) continue;
      throw err;
    }
  }
  if (mod === undefined) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { name: 'Runtime.ImportModuleError' });
  let fn: unknown = mod;
  for (const part of exportPath) fn = (fn as Record<string, unknown> | undefined)?.[part];
  if (typeof fn !== 'function') throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn as Handler;
}

function contextOf(m: InvokeMessage): Record<string, unknown> {
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: m.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: m.awsRequestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, m.deadline - Date.now()),
  };
}

async function main(): Promise<void> {
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    send({ type: 'init-error', error: shape(err, 'Runtime.ImportModuleError') });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }

  const fatal = (err: unknown, type: string): void => {
    const e = shape(err, type);
    if (current !== undefined) send({ type: 'error', id: current.id, error: { ...e, errorType: err instanceof Error ? type : e.errorType }, fatal: true });
    console.error(`${type}: ${e.errorMessage}`);
    process.exit(129);
  };
  process.on('uncaughtException', (err) => fatal(err, 'Runtime.UncaughtException'));
  process.on('unhandledRejection', (reason) => fatal(reason, 'Runtime.UnhandledPromiseRejection'));

  process.on('message', (raw: unknown) => {
    const m = raw as InvokeMessage;
    if (m?.type !== 'invoke') return;
    current = m;
    currentRequest = m.awsRequestId;
    const started = Date.now();
    // The platform's lines around each invocation, in order with the function's own output.
    process.stdout.write(`START RequestId: ${m.awsRequestId} Version: ${m.executedVersion}\n`);
    const report = (): void => {
      process.stdout.write(`END RequestId: ${m.awsRequestId}\nREPORT RequestId: ${m.awsRequestId}\tDuration: ${(Date.now() - started).toFixed(2)} ms\tMemory Size: ${process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? ''} MB\n`);
    };
    const done = (err: unknown, value?: unknown): void => {
      if (current?.id !== m.id) return;
      current = undefined;
      if (err !== null && err !== undefined) {
        const e = shape(err);
        // As the Node.js runtime logs a failed invocation.
        console.error('Invoke Error', JSON.stringify(e));
        report();
        send({ type: 'error', id: m.id, error: e, fatal: false });
        return;
      }
      report();
      let payload: string;
      try {
        payload = JSON.stringify(value === undefined ? null : value);
      } catch (e) {
        send({ type: 'error', id: m.id, error: { ...shape(e), errorType: 'Runtime.SerializationError' }, fatal: false });
        return;
      }
      send({ type: 'result', id: m.id, payload });
    };
    let event: unknown;
    try {
      event = JSON.parse(m.event);
    } catch (e) {
      done(e);
      return;
    }
    const context = contextOf(m);
    Object.assign(context, { done, succeed: (v: unknown) => done(null, v), fail: (e: unknown) => done(e ?? new Error('handled')) });
    try {
      const out = handler.length >= 3 ? handler(event, context, done) : handler(event, context);
      if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).then === 'function') {
        (out as Promise<unknown>).then(
          (v) => done(null, v),
          (e: unknown) => done(e ?? new Error('rejected')),
        );
      } else if (handler.length < 3) done(null, out);
    } catch (err) {
      done(err);
    }
  });
  send({ type: 'ready' });
}

void main();
