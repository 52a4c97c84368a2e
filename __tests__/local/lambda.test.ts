/**
 * The Lambda runner (cli/dev/lambda.ts with the built execution environment,
 * dist/cli/dev/lambda-worker.js) against the Lambda developer guide: the context object, the
 * reserved environment variables, module state kept between invocations of one environment, the
 * timeout ending the environment, errors, uncaught exceptions, callback handlers, the concurrency
 * bound and the log lines.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FunctionRunner } from '../../cli/dev/lambda';
import type { LocalFunction } from '../../cli/dev/resources';
import { ROOT } from './helpers';

const HANDLER = `
exports.handler = async (event, context) => {
  switch (event.op) {
    case 'context':
      console.log('context asked', { n: 1 });
      return {
        arn: context.invokedFunctionArn, version: context.functionVersion, id: context.awsRequestId, name: context.functionName,
        memory: context.memoryLimitInMB, remaining: context.getRemainingTimeInMillis(), cwd: process.cwd(),
        env: { region: process.env.AWS_REGION, custom: process.env.CUSTOM, handler: process.env._HANDLER, fn: process.env.AWS_LAMBDA_FUNCTION_NAME,
               endpoint: process.env.AWS_ENDPOINT_URL, root: process.env.LAMBDA_TASK_ROOT, tz: process.env.TZ, node: process.versions.node },
      };
    case 'count':
      globalThis.n = (globalThis.n || 0) + 1;
      return { n: globalThis.n, pid: process.pid };
    case 'sleep':
      await new Promise((r) => setTimeout(r, event.ms));
      return { pid: process.pid };
    case 'throw':
      throw new TypeError('bad input');
    case 'crash':
      setTimeout(() => { throw new Error('async crash'); }, 0);
      await new Promise((r) => setTimeout(r, 200));
      return 'unreachable';
    default:
      return undefined;
  }
};
exports.callback = (event, context, callback) => { setTimeout(() => callback(null, { via: 'callback', event }), 10); };
`;

function fn(over: Partial<LocalFunction> = {}): LocalFunction {
  return {
    address: 'aws_lambda_function.f',
    name: 'acme-dev-probe',
    arn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-probe',
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeoutSeconds: 2,
    memoryMiB: 256,
    environment: { CUSTOM: 'from-terraform', AWS_REGION: 'us-west-2' },
    zipFile: '/unused.zip',
    sourceCodeHash: 'unused',
    logGroup: '/aws/lambda/acme-dev-probe',
    ...over,
  };
}

const work = mkdtempSync(path.join(tmpdir(), 'local-lambda-'));
const taskRoot = path.join(work, 'task');
mkdirSync(taskRoot);
writeFileSync(path.join(taskRoot, 'index.js'), HANDLER);

function runner(f: LocalFunction, maxConcurrency = 3): FunctionRunner {
  return new FunctionRunner(f, taskRoot, {
    workerScript: path.join(ROOT, 'dist', 'cli', 'dev', 'lambda-worker.js'),
    node: process.execPath,
    baseEnv: { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' },
    region: 'eu-central-1',
    logDir: path.join(work, 'logs'),
    runtimeDir: path.join(work, 'runtime'),
    projectModules: path.join(ROOT, 'node_modules'),
    maxConcurrency,
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

const ALIAS = { invokedArn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-probe:live', executedVersion: '$LATEST' };

describe('Lambda runner', () => {
  it('gives the handler the context and the environment Lambda would, the function’s own variables below the reserved ones', async () => {
    const r = runner(fn());
    try {
      const out = await r.invoke({ op: 'context' }, ALIAS);
      expect(out.ok).toBe(true);
      const p = (out as { payload: Record<string, unknown> }).payload;
      expect(p).toMatchObject({
        arn: ALIAS.invokedArn,
        version: '$LATEST',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'acme-dev-probe',
        memory: '256',
        cwd: taskRoot,
        env: { region: 'eu-central-1', custom: 'from-terraform', handler: 'index.handler', fn: 'acme-dev-probe', endpoint: 'http://127.0.0.1:1', root: taskRoot, tz: ':UTC' },
      });
      expect(p.remaining).toBeGreaterThan(1000);
      expect(p.remaining).toBeLessThanOrEqual(2000);
      expect(String((p.env as { node: string }).node).split('.')[0]).toBe('22');
    } finally {
      await r.close();
    }
    const log = readFileSync(path.join(work, 'logs', 'acme-dev-probe.log'), 'utf8');
    expect(log).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(log).toMatch(/\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tINFO\tcontext asked \{ n: 1 \}/);
    expect(log).toMatch(/REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tMemory Size: 256 MB/);
  });

  it('keeps module state within one environment, and ends the environment at the timeout', async () => {
    const r = runner(fn({ timeoutSeconds: 1 }), 1);
    try {
      const a = (await r.invoke({ op: 'count' }, ALIAS)) as { payload: { n: number; pid: number } };
      const b = (await r.invoke({ op: 'count' }, ALIAS)) as { payload: { n: number; pid: number } };
      expect([a.payload.n, b.payload.n]).toEqual([1, 2]);
      expect(b.payload.pid).toBe(a.payload.pid);
      const slow = await r.invoke({ op: 'sleep', ms: 3000 }, ALIAS);
      expect(slow).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/), timedOut: true });
      const c = (await r.invoke({ op: 'count' }, ALIAS)) as { payload: { n: number; pid: number } };
      expect(c.payload.n).toBe(1);
      expect(c.payload.pid).not.toBe(a.payload.pid);
    } finally {
      await r.close();
    }
  });

  it('answers a thrown error with its type and message and keeps the environment; an uncaught exception ends it', async () => {
    const r = runner(fn(), 1);
    try {
      const first = (await r.invoke({ op: 'count' }, ALIAS)) as { payload: { pid: number } };
      expect(await r.invoke({ op: 'throw' }, ALIAS)).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'bad input' });
      expect(((await r.invoke({ op: 'count' }, ALIAS)) as { payload: { pid: number } }).payload.pid).toBe(first.payload.pid);
      expect(await r.invoke({ op: 'crash' }, ALIAS)).toMatchObject({ ok: false, errorType: 'Runtime.UncaughtException', errorMessage: 'async crash' });
      const after = (await r.invoke({ op: 'count' }, ALIAS)) as { payload: { n: number; pid: number } };
      expect(after.payload).toMatchObject({ n: 1 });
      expect(after.payload.pid).not.toBe(first.payload.pid);
    } finally {
      await r.close();
    }
  });

  it('runs callback handlers', async () => {
    const r = runner(fn({ handler: 'index.callback' }));
    try {
      expect(await r.invoke({ x: 1 }, ALIAS)).toMatchObject({ ok: true, payload: { via: 'callback', event: { x: 1 } } });
    } finally {
      await r.close();
    }
  });

  it('fails the init of a handler that is not exported, as Runtime.HandlerNotFound', async () => {
    const r = runner(fn({ handler: 'index.nope' }));
    try {
      expect(await r.invoke({}, ALIAS)).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound' });
    } finally {
      await r.close();
    }
  });

  it('runs at most the reserved concurrency of environments at once', async () => {
    const r = runner(fn({ reservedConcurrency: 2 }));
    try {
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 4 }, () => r.invoke({ op: 'sleep', ms: 400 }, ALIAS)));
      const pids = new Set(results.map((x) => (x as { payload: { pid: number } }).payload.pid));
      expect(pids.size).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    } finally {
      await r.close();
    }
  });
});
