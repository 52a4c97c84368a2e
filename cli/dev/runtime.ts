/**
 * `tracking dev`: one environment of the config, on this machine, built from what synth wrote and
 * Terraform evaluated. Start-up:
 *   1. synthesize the config with the built app into `<data-dir>/local/synth` (./synth.ts);
 *   2. evaluate each of the environment's stacks with a mock-provider apply (./evaluate.ts, cached);
 *   3. read the local model from the evaluated resources, wired by their resolved references
 *      (./resources.ts), and unzip every function's asset after checking its source_code_hash
 *      (./assets.ts);
 *   4. start the counterparts: the folder S3 with the evaluated objects (the catalog), SQS, SNS and
 *      Parameter Store stand-ins, kinesalite with the streams, dynalite with the tables, the
 *      delivery streams, a Lambda runner per function, the event source mappings, the schedules,
 *      and the collector's HTTP API;
 *   5. listen on 127.0.0.1:<port> (collector and AWS endpoint) and print the ready line.
 * Stop (SIGINT/SIGTERM, ./main.ts): the port closes, requests in flight finish, the mappings read
 * the root stream to its end, every delivery stream delivers what it holds, then everything stops.
 *
 * The functions reach the counterparts through a second, internal port (AWS_ENDPOINT_URL), so
 * that closing the public one stops producers while the pipeline drains.
 */
import { readFileSync, mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadConfig } from '../../config/loader';
import type { EnvironmentSpec, TrackingConfig } from '../../config/model';
import { encodeWriteKeyDocument, hashWriteKey, newWriteKey, parseWriteKeyDocument } from '../../lib/write-keys';
import { unpackFunction } from './assets';
import { LocalHttpApiServer } from './collector';
import { createStreams, createTables, startDynalite, startKinesalite, type Emulator } from './emulators';
import { dispatcher, listen, type RunningEndpoint } from './endpoint';
import { DevUsageError, LocalModelError } from './errors';
import { evaluateStack, type EvaluatedStack, type StackEvaluator } from './evaluate';
import { LocalFirehose } from './firehose';
import { readBody } from './http';
import { FunctionRunner, runtimeNodeMajor, type InvokeResult } from './lambda';
import { dataLayout, defaultDataDir, LAKE_MANIFEST_VERSION, type DataLayout, type LakeManifest } from './layout';
import { KinesisMapping } from './mapping';
import { mockApplyEvaluator } from './mock-apply';
import type { DevOptions } from './options';
import { localEnvironment, type InvokeTarget, type LocalEnvironment, type LocalParameter } from './resources';
import { FolderS3 } from './s3';
import { Scheduler } from './schedule';
import { LocalSns } from './sns';
import { LocalSqs } from './sqs';
import { LocalSsm } from './ssm';
import { projectRoot, synthesize } from './synth';

/** Credentials the local endpoint accepts (it checks no signature); given to every function. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCALTRACKING', secretAccessKey: 'local-tracking-secret' } as const;

/** The ready line's fields. */
export interface ReadyInfo {
  readonly ready: true;
  readonly collector: string | null;
  readonly awsEndpoint: string;
  readonly dataDir: string;
  readonly writeKeys: Readonly<Record<string, string>>;
}

/**
 * Faults for tests, from $TRACKING_DEV_FAULTS (JSON): `firehoseFailRate` (share of PutRecord(Batch)
 * entries answered ServiceUnavailableException) and `failInvocations` (function name -> how many of
 * its next invocations fail before its code runs, as a crashed environment would).
 */
export interface DevFaults {
  readonly firehoseFailRate?: number;
  readonly failInvocations?: Readonly<Record<string, number>>;
}

export interface StartOptions {
  readonly evaluator?: StackEvaluator;
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
  readonly faults?: DevFaults;
  /** Upper bound of execution environments per function. @default 3 */
  readonly maxConcurrency?: number;
}

export interface StartupTimes {
  readonly synthSeconds: number;
  readonly evaluateSeconds: number;
  readonly startSeconds: number;
  readonly cachedStacks: number;
}

export interface RunningDev {
  readonly info: ReadyInfo;
  readonly environment: EnvironmentSpec;
  readonly project: string;
  readonly local: LocalEnvironment;
  readonly layout: DataLayout;
  readonly times: StartupTimes;
  /** Counts of every counterpart (what came in, where it went). */
  status(): Record<string, unknown>;
  /** Reads the root stream to its end and delivers every buffered record (the stop sequence without stopping). */
  flush(): Promise<void>;
  stop(): Promise<Record<string, unknown>>;
}

/** The environment `--env` (or the fallbacks) names. */
export function chooseEnvironment(config: TrackingConfig, name: string | undefined): EnvironmentSpec {
  const known = config.environments.map((e) => e.name);
  if (name !== undefined) {
    const env = config.environments.find((e) => e.name === name);
    if (env === undefined) throw new DevUsageError(`--env ${name}: the config has no environment "${name}" (it has ${known.join(', ')})`);
    return env;
  }
  return config.environments.find((e) => e.name === 'dev') ?? config.environments[0]!;
}

/** The project's Node for the functions: this one if it is the runtime's major version, else node_modules/.bin/node. */
function nodeFor(local: LocalEnvironment, root: string): string {
  const majors = new Set(local.functions.map((f) => runtimeNodeMajor(f.runtime)));
  const mine = Number(process.versions.node.split('.')[0]);
  if ([...majors].every((m) => m === undefined || m === mine)) return process.execPath;
  const project = path.join(root, 'node_modules', '.bin', 'node');
  return project;
}

export async function startDev(opts: DevOptions, start: StartOptions = {}): Promise<RunningDev> {
  const began = Date.now();
  const progress = start.progress ?? (() => undefined);
  const config = loadConfig(opts.config);
  const env = chooseEnvironment(config, opts.env);
  const dataDir = opts.dataDir ?? defaultDataDir(env.name);
  const layout = dataLayout(dataDir);
  for (const d of [layout.s3, layout.local, layout.logs, layout.sqs, layout.sns, layout.s3meta, layout.functions, layout.tmp]) mkdirSync(d, { recursive: true });
  const runtimeLogFile = path.join(layout.logs, 'runtime.log');
  const log = (line: string): void => appendFileSync(runtimeLogFile, `${new Date().toISOString()} ${line}\n`);
  log(`start: ${opts.config} environment ${env.name}`);

  // 1-2. Synthesize and evaluate --------------------------------------------------------------
  const root = projectRoot();
  progress(`synthesizing ${path.relative(process.cwd(), opts.config) || opts.config} ...`);
  const synth = synthesize({ root, config: opts.config, outdir: layout.synth, env });
  progress(`synthesized in ${synth.seconds.toFixed(1)} s; evaluating ${synth.stacks.length} stack(s) with a mock-provider apply ...`);
  const evalStarted = Date.now();
  const evaluator = start.evaluator ?? mockApplyEvaluator;
  const stacks: EvaluatedStack[] = [];
  for (const s of synth.stacks) {
    const e = await evaluateStack(s.dir, evaluator);
    progress(`  ${s.id}: ${e.resources.length} resources${e.cached ? ' (cached)' : ''}`);
    stacks.push(e);
  }
  const evaluateSeconds = (Date.now() - evalStarted) / 1000;

  // 3. The local model -----------------------------------------------------------------------
  const local = localEnvironment(stacks);
  const { region, account, partition } = local.context;
  const unpacked = new Map(local.functions.map((f) => [f.name, unpackFunction(f, layout.functions)]));

  // 4. Counterparts --------------------------------------------------------------------------
  const s3 = new FolderS3(layout, local.buckets.map((b) => b.name));
  for (const o of local.objects) {
    s3.put(o.bucket, o.key, o.body, {
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      ...(o.contentEncoding !== undefined ? { contentEncoding: o.contentEncoding } : {}),
      ...(o.cacheControl !== undefined ? { cacheControl: o.cacheControl } : {}),
    });
  }
  const writeKeys = localWriteKeys(layout, local.parameters, local.httpApis.length > 0);
  const parameters = local.parameters.map((p) => withLocalKey(p, writeKeys));
  const sqs = new LocalSqs(local.queues, layout.sqs);
  const sns = new LocalSns(local.topics, layout.sns);
  const ssm = new LocalSsm(parameters);
  const kinesalite: Emulator = startKinesalite(local.streams.reduce((n, s) => n + s.shardCount, 0));
  const dynalite: Emulator = startDynalite();

  const faults = start.faults ?? {};
  const failuresLeft = new Map(Object.entries(faults.failInvocations ?? {}));
  // Assigned once the internal endpoint exists (the dispatcher refers to it before).
  // eslint-disable-next-line prefer-const
  let firehose: LocalFirehose | undefined;
  let collector: LocalHttpApiServer | undefined;
  const control = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    await readBody(req, 1024);
    if (url.pathname === '/_local/status' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status()));
    } else if (url.pathname === '/_local/flush' && req.method === 'POST') {
      await flush();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status()));
    } else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
  };
  const handler = dispatcher({
    services: {
      s3: (req, res) => s3.handle(req, res),
      firehose: (req, res) => firehose!.handle(req, res),
      kinesis: (req, res) => kinesalite.handle(req, res),
      dynamodb: (req, res) => dynalite.handle(req, res),
      sqs: (req, res) => sqs.handle(req, res),
      sns: (req, res) => sns.handle(req, res),
      ssm: (req, res) => ssm.handle(req, res),
    },
    collector: (req, res) => {
      if ((req.url ?? '').startsWith('/_local/')) return control(req, res);
      if (collector !== undefined) return collector.handle(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return undefined;
    },
    onError: (err) => log(`endpoint: ${(err as Error).stack ?? String(err)}`),
  });
  const internal: RunningEndpoint = await listen(0, handler);
  const client = { endpoint: internal.url, region, credentials: LOCAL_CREDENTIALS, requestHandler: new NodeHttpHandler(), maxAttempts: 3 };
  const kinesis = new KinesisClient(client);
  const dynamodb = new DynamoDBClient(client);
  await createStreams(kinesis, local.streams);
  await createTables(dynamodb, local.tables);

  const runners = new Map<string, FunctionRunner>();
  const node = nodeFor(local, root);
  const queueUrls = localQueueUrls(local, internal.url);
  for (const evaluated of local.functions) {
    const fn = { ...evaluated, environment: withLocalQueueUrls(evaluated.environment, queueUrls) };
    runners.set(
      fn.name,
      new FunctionRunner(fn, unpacked.get(fn.name)!.dir, {
        workerScript: path.join(__dirname, 'lambda-worker.js'),
        node,
        baseEnv: {
          AWS_ENDPOINT_URL: internal.url,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_SESSION_TOKEN: 'local-session',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        region,
        logDir: layout.logs,
        runtimeDir: path.join(layout.local, 'runtime'),
        projectModules: path.join(root, 'node_modules'),
        maxConcurrency: start.maxConcurrency ?? 3,
        log,
      }),
    );
  }
  const invoke = async (target: InvokeTarget, event: unknown): Promise<InvokeResult> => {
    const left = failuresLeft.get(target.function.name) ?? 0;
    if (left > 0) {
      failuresLeft.set(target.function.name, left - 1);
      return { ok: false, errorType: 'Local.InjectedFault', errorMessage: 'invocation failed by $TRACKING_DEV_FAULTS', durationMs: 0, requestId: 'injected' };
    }
    return runners.get(target.function.name)!.invoke(event, target);
  };

  firehose = new LocalFirehose(local.deliveryStreams, {
    s3,
    invoke,
    region,
    account,
    ...(opts.flushSeconds !== undefined ? { flushSeconds: opts.flushSeconds } : {}),
    ...(faults.firehoseFailRate !== undefined ? { failRate: faults.firehoseFailRate } : {}),
    log,
  });
  const mappings = local.mappings.map(
    (m) =>
      new KinesisMapping(m, {
        kinesis,
        invoke,
        region,
        roleArn: m.target.function.role ?? `arn:${partition}:iam::${account}:role/local`,
        log,
        onFailure: async (dest, record) => {
          if (dest.kind === 'sqs') sqs.send(dest.arn, JSON.stringify(record));
          else sns.publish(dest.arn, JSON.stringify(record));
        },
      }),
  );
  for (const m of mappings) await m.start();
  const scheduler = new Scheduler(local.schedules, { invoke, region, account, partition, log });
  scheduler.start();
  if (local.httpApis.length > 1) throw new LocalModelError(`the environment has ${local.httpApis.length} HTTP APIs; the local runtime serves one collector`);
  if (local.httpApis[0] !== undefined) collector = new LocalHttpApiServer({ api: local.httpApis[0], account, invoke, log });

  writeLakeManifest(layout, config.project, env.name, local);

  // 5. The public port ------------------------------------------------------------------------
  const pub = await listen(opts.port, handler).catch((err: unknown) => {
    throw new DevUsageError(`--port ${opts.port}: cannot listen on 127.0.0.1:${opts.port} (${(err as Error).message})`);
  });
  const info: ReadyInfo = { ready: true, collector: collector !== undefined ? pub.url : null, awsEndpoint: pub.url, dataDir, writeKeys };
  log(`ready: ${JSON.stringify(info)}`);

  const status = (): Record<string, unknown> => ({
    deliveryStreams: Object.fromEntries([...firehose!.streams].map(([n, s]) => [n, { ...s.counts, pending: s.pending }])),
    mappings: Object.fromEntries(mappings.map((m) => [m.spec.address, { ...m.counts, idle: m.idle }])),
    collector: collector?.counts ?? null,
  });
  const flush = async (): Promise<void> => {
    for (let round = 0; round < 3; round++) {
      for (const m of mappings) await m.drain(60_000);
      await firehose!.flush();
    }
  };
  let stopped: Promise<Record<string, unknown>> | undefined;
  const stop = (): Promise<Record<string, unknown>> => {
    stopped ??= (async () => {
      await pub.close();
      for (let i = 0; i < 300 && collector?.busy === true; i++) await new Promise((r) => setTimeout(r, 20));
      await flush();
      scheduler.stop();
      for (const m of mappings) await m.stop();
      await firehose!.flush();
      const final = status();
      writeFileSync(path.join(layout.local, 'status.json'), `${JSON.stringify(final, null, 2)}\n`);
      await Promise.all([...runners.values()].map((r) => r.close()));
      kinesis.destroy();
      dynamodb.destroy();
      await internal.close();
      await kinesalite.close();
      await dynalite.close();
      log(`stopped: ${JSON.stringify(final)}`);
      return final;
    })();
    return stopped;
  };
  return {
    info,
    environment: env,
    project: config.project,
    local,
    layout,
    times: { synthSeconds: synth.seconds, evaluateSeconds, startSeconds: (Date.now() - began) / 1000, cachedStacks: stacks.filter((s) => s.cached).length },
    status,
    flush,
    stop,
  };
}

/**
 * A queue's URL is what the SQS service answers (Terraform reads `url` from CreateQueue), so it
 * names the service's host: locally, the local endpoint's. The SDK's SQS client sends every call to
 * the host of the QueueUrl it is given, whatever endpoint it was configured with
 * (`useQueueUrlAsEndpoint`, on by default), so a function holding the AWS-shaped URL of the mock
 * apply would leave the machine. Where a function's environment holds an evaluated queue URL, it
 * gets the queue's URL at the local endpoint instead (`<endpoint>/<account>/<queue name>`); the
 * local SQS answers both forms.
 */
function localQueueUrls(local: LocalEnvironment, endpoint: string): Map<string, string> {
  return new Map(local.queues.map((q) => [q.url, `${endpoint}/${local.context.account}/${q.name}`]));
}

function withLocalQueueUrls(environment: Readonly<Record<string, string>>, urls: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, urls.get(v) ?? v]));
}

/**
 * One write key per application of the collector: the config holds only SHA-256 hashes, so the
 * local runtime makes a key per application (kept in `local/write-keys.json`, the same across
 * restarts of one data directory) and adds its hash to the local copy of the application's
 * parameter. The evaluated keys stay valid too.
 */
function localWriteKeys(layout: DataLayout, parameters: readonly LocalParameter[], hasCollector: boolean): Record<string, string> {
  if (!hasCollector) return {};
  const file = path.join(layout.local, 'write-keys.json');
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    // first start
  }
  const out: Record<string, string> = {};
  for (const p of parameters) {
    const doc = parseWriteKeyDocument(p.value);
    if (!doc.ok) continue;
    out[doc.doc.app] = known[doc.doc.app] ?? newWriteKey();
  }
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
  return out;
}

function withLocalKey(p: LocalParameter, keys: Readonly<Record<string, string>>): LocalParameter {
  const doc = parseWriteKeyDocument(p.value);
  if (!doc.ok || keys[doc.doc.app] === undefined) return p;
  const hash = hashWriteKey(keys[doc.doc.app]!);
  if (doc.doc.keys.includes(hash)) return p;
  return { ...p, value: encodeWriteKeyDocument({ ...doc.doc, keys: [...doc.doc.keys, hash] }) };
}

function writeLakeManifest(layout: DataLayout, project: string, environment: string, local: LocalEnvironment): void {
  const manifest: LakeManifest = {
    version: LAKE_MANIFEST_VERSION,
    project,
    environment,
    buckets: Object.fromEntries(local.buckets.map((b) => [b.name, path.join(layout.s3, b.name)])),
    tables: local.glueTables,
  };
  writeFileSync(layout.lakeManifest, `${JSON.stringify(manifest, null, 2)}\n`);
}
