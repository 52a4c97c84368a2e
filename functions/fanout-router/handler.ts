import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { TrackingPipelineError } from '../../config/errors';
import { S3CatalogStore } from '../../lib/catalog-s3';
import { routerCatalog } from './catalog';
import { S3DeadLetterSink, SqsDeadLetterSink, type DeadLetterSink } from './deadletter';
import { createLimiter } from './limiter';
import { emfLine } from './metrics';
import { createS3Client, S3ObjectStore } from './object-store';
import { routeBatch, DEFAULT_CONCURRENCY, type RouterDeps } from './router';
import { DEFAULT_RETRY_POLICY, systemClock } from './retry';

/**
 * Fan-out router Lambda: Kinesis root stream -> Firehose delivery streams (see ./router.ts and
 * docs/root-stream.md). Thin on purpose: build dependencies once per container (SDK clients, the
 * catalog of declared event types in the events bucket), route, write one EMF metrics line and one
 * summary log line (counts only, never payloads), return the failures.
 */

/** A required environment variable is missing: a deployment bug. */
export class RouterConfigError extends TrackingPipelineError {
  public constructor(message: string) {
    super(message);
    this.name = 'RouterConfigError';
  }
}

export interface RouterEnvironment {
  readonly environment: string;
  readonly unroutableDestination: 'sqs' | 's3';
  /** The events bucket: the catalog objects, and the `unroutable/` destination. */
  readonly bucketName: string;
  readonly dlqUrl?: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv): RouterEnvironment {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new RouterConfigError(`environment variable ${name} is not set`);
    return v;
  };
  const dest = need('UNROUTABLE_DESTINATION');
  if (dest !== 'sqs' && dest !== 's3') throw new RouterConfigError(`UNROUTABLE_DESTINATION must be "sqs" or "s3", got "${dest}"`);
  return {
    environment: need('ENVIRONMENT'),
    unroutableDestination: dest,
    bucketName: need('BUCKET_NAME'),
    ...(dest === 'sqs' ? { dlqUrl: need('DLQ_URL') } : {}),
  };
}

/** Builds the production dependencies: SDK clients, once per container. */
export function createDependencies(env: NodeJS.ProcessEnv = process.env): RouterDeps & {
  readonly environment: string;
} {
  const cfg = readEnvironment(env);
  const limit = createLimiter(DEFAULT_CONCURRENCY);
  // Region, credentials and endpoint come from the SDK's default chain (the Lambda runtime's environment).
  const s3 = createS3Client();
  let deadLetters: DeadLetterSink;
  if (cfg.unroutableDestination === 'sqs') {
    deadLetters = new SqsDeadLetterSink({
      sqs: new SQSClient({ maxAttempts: 1 }),
      queueUrl: cfg.dlqUrl!,
      environment: cfg.environment,
      limit,
      clock: systemClock,
      policy: DEFAULT_RETRY_POLICY,
    });
  } else {
    deadLetters = new S3DeadLetterSink({
      store: new S3ObjectStore(cfg.bucketName, s3),
      environment: cfg.environment,
      clock: systemClock,
      policy: DEFAULT_RETRY_POLICY,
    });
  }
  return {
    environment: cfg.environment,
    // The only source of a stream name: the catalog objects the environment's stacks publish.
    catalog: routerCatalog(new S3CatalogStore(cfg.bucketName, s3), cfg.environment),
    // The SDK's own retries are off: the router retries per entry, within the invocation's deadline.
    firehose: new FirehoseClient({ maxAttempts: 1 }),
    deadLetters,
    clock: systemClock,
  };
}

type Deps = RouterDeps & { readonly environment: string };

/** The handler over a dependency factory, called once (lazily) per container. */
export function createHandler(factory: () => Deps): (event: KinesisStreamEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<KinesisStreamBatchResponse> {
  let deps: Deps | undefined;
  return async (event, context) => {
    deps ??= factory();
    const result = await routeBatch(event, context.getRemainingTimeInMillis(), deps);
    // EMF goes to stdout directly: with the JSON log format, console.log would wrap it in another object.
    process.stdout.write(`${emfLine(deps.environment, result.counts, deps.clock.now())}\n`);
    const records = event.Records?.length ?? 0;
    console.log(
      JSON.stringify({
        level: result.counts.FailedRecords > 0 || result.counts.UnroutableRecords > 0 || result.catalog !== 'current' ? 'warn' : 'info',
        message: 'fanout-router',
        records,
        ...result.counts,
        putRecordBatchCalls: result.putRecordBatchCalls,
        batchItemFailures: result.response.batchItemFailures.length,
        ...(result.catalog !== 'current' ? { catalog: result.catalog } : {}),
        ...(result.catalogError !== undefined ? { catalogError: result.catalogError } : {}),
      }),
    );
    return result.response;
  };
}

export const handler = createHandler(() => createDependencies());
