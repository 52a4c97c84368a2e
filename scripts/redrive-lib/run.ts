/**
 * One redrive run: the environment from the config, the AWS clients, the source, the checkpoint,
 * the engine, the summary and the exit code. `scripts/redrive.ts` is the command line around it;
 * tests call it in-process with their own clients.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as path from 'node:path';
import { loadConfig } from '../../config/loader';
import type { EnvironmentSpec, TrackingConfig } from '../../config/model';
import { ERROR_ROOT, UNROUTABLE_ROOT } from '../../config/naming';
import { firehoseSink, type FirehoseSender } from '../../lib/firehose';
import { kinesisSink, type KinesisSender } from '../../lib/kinesis';
import { anythingFailed, runEngine, type RedriveSummary } from './engine';
import { Journal } from './journal';
import type { RedriveOptions } from './options';
import { Progress, type ProgressOutput } from './progress';
import type { CallPolicy } from './retry-call';
import { S3Source } from './s3-source';
import { SqsSource } from './sqs-source';
import { StreamReader } from './stream-reader';
import { renderSummary } from './summary';
import { RedriveUsageError, type Source, type Unit } from './types';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report a Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export interface RedriveClients {
  readonly s3: Pick<S3Client, 'send'>;
  readonly firehose: FirehoseSender;
  readonly kinesis: KinesisSender & Pick<KinesisClient, 'send'>;
  readonly sqs: Pick<SQSClient, 'send'>;
}

export interface RedriveDeps {
  /** @default clients for the environment's region (and `--endpoint`s) */
  readonly clients?: Partial<RedriveClients>;
  /** Aborts the run (Ctrl-C). @default none */
  readonly signal?: AbortSignal;
  /** Progress output. @default process.stderr */
  readonly progressOutput?: ProgressOutput;
  /** The config, already loaded. @default loadConfig(options.config) */
  readonly config?: TrackingConfig;
  /** Retries of S3, SQS and Kinesis-read calls. @default DEFAULT_CALL_POLICY */
  readonly callPolicy?: CallPolicy;
  /** Longest PutRecordBatch / PutRecords call. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** After each batch's checkpoint entry (tests). */
  readonly afterBatch?: (info: { destination: string; records: number; confirmed: number }) => void;
  /** Folder of the default checkpoint. @default process.cwd() */
  readonly cwd?: string;
}

export interface RedriveResult {
  readonly summary: RedriveSummary;
  readonly text: string;
  readonly exitCode: number;
  readonly checkpoint: string;
}

/** The default checkpoint of a redrive: `.redrive/<project>-<env>-<source>.jsonl`. */
export function defaultCheckpoint(cwd: string, project: string, environment: string, source: string): string {
  return path.join(cwd, '.redrive', `${project}-${environment}-${source}.jsonl`);
}

export function createClients(env: EnvironmentSpec, endpoints: RedriveOptions['endpoints']): RedriveClients {
  // The SDK's own retries are off: lib/send.ts and retry-call.ts apply the project's rules.
  const common = { region: env.region, maxAttempts: 1, requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000 }) };
  return {
    s3: new S3Client({
      ...common,
      ...(endpoints.s3 !== undefined ? { endpoint: endpoints.s3, forcePathStyle: true } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
    }),
    firehose: new FirehoseClient({ ...common, ...(endpoints.firehose !== undefined ? { endpoint: endpoints.firehose } : {}) }),
    kinesis: new KinesisClient({ ...common, ...(endpoints.kinesis !== undefined ? { endpoint: endpoints.kinesis } : {}) }),
    sqs: new SQSClient({ ...common, ...(endpoints.sqs !== undefined ? { endpoint: endpoints.sqs } : {}) }),
  };
}

export async function runRedrive(o: RedriveOptions, deps: RedriveDeps = {}): Promise<RedriveResult> {
  const config = deps.config ?? loadConfig(o.config);
  const env = config.environments.find((e) => e.name === o.environment);
  if (env === undefined) {
    throw new RedriveUsageError(`unknown environment "${o.environment.slice(0, 64)}"; ${o.config} has ${config.environments.map((e) => e.name).join(', ')}`);
  }
  if (o.source === 'dlq' && !env.rootStream.enabled) {
    throw new RedriveUsageError(`environment ${env.name} has no root stream (rootStream.enabled is false), so no router dead-letter queue`);
  }
  if (o.to === 'root' && !env.rootStream.enabled) throw new RedriveUsageError(`--to root: environment ${env.name} has no root stream`);
  const made = deps.clients !== undefined && Object.keys(deps.clients).length === 4 ? undefined : createClients(env, o.endpoints);
  const clients: RedriveClients = { ...made!, ...deps.clients } as RedriveClients;
  const signal = deps.signal ?? new AbortController().signal;
  const policy = deps.callPolicy;
  const target = o.source === 'dlq' ? `sqs:${env.rootStream.router.deadLetterQueueName}` : `s3://${env.bucket.name}/${o.source === 'errors' ? ERROR_ROOT : UNROUTABLE_ROOT}`;
  const checkpoint = o.checkpoint ?? defaultCheckpoint(deps.cwd ?? process.cwd(), config.project, env.name, o.source);
  const journal = Journal.open(checkpoint, { project: config.project, environment: env.name, source: o.source, target }, { readOnly: o.dryRun });
  try {
    const streams = new StreamReader(clients.kinesis, policy);
    const common = { env, journal, to: o.to, ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(policy !== undefined ? { policy } : {}) };
    const source: Source<Unit> =
      o.source === 'dlq'
        ? (new SqsSource({
            ...common,
            sqs: clients.sqs,
            streams,
            visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
            waitSeconds: o.waitSeconds,
            dryRun: o.dryRun,
          }) as unknown as Source<Unit>)
        : (new S3Source({
            ...common,
            kind: o.source,
            s3: clients.s3,
            bucket: env.bucket.name,
            streams,
            mark: o.mark,
            deleteObjects: o.deleteObjects,
            ...(o.types !== undefined ? { types: o.types } : {}),
            ...(o.since !== undefined ? { since: o.since } : {}),
          }) as unknown as Source<Unit>);
    const progress = new Progress(deps.progressOutput ?? process.stderr, { mode: o.progress, total: () => source.total?.() });
    const requestTimeoutMs = deps.requestTimeoutMs ?? 10_000;
    const summary = await runEngine({
      source,
      journal,
      sinks: { firehose: firehoseSink(clients.firehose), kinesis: kinesisSink(clients.kinesis) },
      dryRun: o.dryRun,
      ...(o.types !== undefined ? { types: new Set(o.types) } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
      batchSize: o.batchSize,
      ...(o.ratePerSecond !== undefined ? { ratePerSecond: o.ratePerSecond } : {}),
      retryWindowMs: o.retrySeconds * 1_000,
      requestTimeoutMs,
      // Messages stay invisible while their records wait: send well within the visibility timeout.
      maxHoldMs: Math.min(60_000, (o.visibilityTimeoutSeconds * 1_000) / 4),
      signal,
      progress,
      ...(deps.afterBatch !== undefined ? { afterBatch: deps.afterBatch } : {}),
    });
    const exitCode = summary.interrupted ? EXIT_INTERRUPTED : o.dryRun ? (summary.units.failed > 0 ? EXIT_FAILED : EXIT_OK) : anythingFailed(summary) ? EXIT_FAILED : EXIT_OK;
    let text = renderSummary(summary, env.name);
    if (!o.dryRun) text += `\nCheckpoint: ${path.relative(deps.cwd ?? process.cwd(), checkpoint) || checkpoint}`;
    text += `\nResult: ${resultLine(summary, exitCode, o.dryRun)}`;
    return { summary, text, exitCode, checkpoint };
  } finally {
    journal.close();
    if (made !== undefined) {
      for (const c of [made.s3, made.firehose, made.kinesis, made.sqs] as { destroy?: () => void }[]) c.destroy?.();
    }
  }
}

function resultLine(s: RedriveSummary, code: number, dryRun: boolean): string {
  if (s.interrupted) return 'INTERRUPTED: run the same command again to continue (the checkpoint keeps what was sent).';
  if (code === EXIT_OK) return dryRun ? 'dry run complete: run without --dry-run to send.' : 'OK: nothing failed.';
  return dryRun
    ? 'FAILED: some objects or messages could not be read (see above).'
    : 'FAILED: some records or units failed (see above); fix the cause and run the same command again: what was sent is not sent twice.';
}
