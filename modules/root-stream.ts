/**
 * The optional Kinesis root stream of an environment and its fan-out router (issue #4).
 *
 * Producers write one JSON envelope per record ({app, event_type, event_id, sent_at, ...}) to one
 * stream; the router Lambda reads it through an event source mapping and forwards each record,
 * unchanged, to the Firehose delivery stream of its app/event_type. Unroutable records go to the
 * router's SQS dead-letter queue (or the bucket's `unroutable/` prefix); batches Lambda gives up
 * on are recorded in the same queue by the mapping's on-failure destination. Hot-path consumers
 * (other Lambdas, enhanced fan-out consumers) read the same stream. See docs/root-stream.md.
 */
import { DataAwsKmsKey } from '@cdktf/provider-aws/lib/data-aws-kms-key';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { KinesisStreamConsumer } from '@cdktf/provider-aws/lib/kinesis-stream-consumer';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { parseKmsKeyRef } from '../config/aws-rules';
import type { EnvironmentSpec } from '../config/model';
import * as naming from '../config/naming';
import type { ConsumerConfig } from '../config/schema';
import type { AwsContext } from './aws-context';
import { bucketKeyStatement } from './firehose-role';
import { ownEnvironmentTags, policyJson, type PolicyStatement } from './iam';
import { NodejsFunction } from './nodejs-function';

/** The AWS managed key of Kinesis Data Streams: producers and consumers need no KMS permission for it. */
export const KINESIS_AWS_MANAGED_KEY = 'alias/aws/kinesis';


/** Exactly what a Lambda event source mapping needs to read a stream with a standard iterator. */
export const KINESIS_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  // Listed by AWS among the permissions of a Kinesis event source mapping; scoped to the stream.
  'kinesis:SubscribeToShard',
] as const;

/** The router DLQ keeps messages for the SQS maximum, 14 days. */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/** Defaults of a `type: lambda` hot-path consumer (documented in the schema). */
export const LAMBDA_CONSUMER_DEFAULTS = { batchSize: 100, startingPosition: 'LATEST', enhancedFanOut: false } as const;

export interface RootStreamProps {
  readonly env: EnvironmentSpec;
  readonly context: AwsContext;
  /** The environment's events bucket (for the `unroutable/` destination). */
  readonly bucketName: string;
  readonly bucketArn: string;
  /**
   * Customer managed KMS key of the bucket, when it uses SSE-KMS: the router then needs
   * kms:GenerateDataKey on it to write `unroutable/` objects.
   * @default none (SSE-S3)
   */
  readonly bucketKmsKeyArn?: string;
}

/** One hot-path consumer and the resources created for it. */
export interface RootStreamConsumer {
  readonly name: string;
  readonly type: ConsumerConfig['type'];
  /** Registered enhanced fan-out consumer, when the consumer reads through one. */
  readonly streamConsumer?: KinesisStreamConsumer;
  /** Event source mapping of a `type: lambda` consumer. */
  readonly eventSourceMapping?: LambdaEventSourceMapping;
}

export class RootStream extends Construct {
  public readonly stream: KinesisStream;
  public readonly router: NodejsFunction;
  public readonly deadLetterQueue: SqsQueue;
  public readonly eventSourceMapping: LambdaEventSourceMapping;
  public readonly producerPolicy: IamPolicy;
  public readonly consumers: readonly RootStreamConsumer[];
  /** ARN of the customer managed key of the stream; undefined with the AWS managed key. */
  public readonly streamKeyArn?: string;

  public constructor(scope: Construct, id: string, props: RootStreamProps) {
    super(scope, id);
    const { env, context } = props;
    const rs = env.rootStream;
    const prefix = naming.environmentPrefix(env.prefix);

    // --- Stream ---------------------------------------------------------------------------
    this.stream = new KinesisStream(this, 'stream', {
      name: rs.streamName,
      streamModeDetails: { streamMode: rs.mode === 'provisioned' ? 'PROVISIONED' : 'ON_DEMAND' },
      ...(rs.mode === 'provisioned' ? { shardCount: rs.shardCount } : {}),
      retentionPeriod: rs.retentionHours,
      encryptionType: 'KMS',
      kmsKeyId: rs.kmsKeyId,
      // No shard-level (enhanced) metrics: they are billed as custom CloudWatch metrics per shard,
      // and nothing here reads them. The alarms use the stream-level WriteProvisionedThroughputExceeded
      // and the router's own IteratorAge (AWS/Lambda).
    });
    const streamArn = this.stream.arn;
    this.streamKeyArn = customerKeyArn(this, rs.kmsKeyId);

    // --- Producer policy --------------------------------------------------------------------
    const producerStatements: PolicyStatement[] = [
      { Sid: 'PutToRootStream', Effect: 'Allow', Action: ['kinesis:PutRecord', 'kinesis:PutRecords'], Resource: [streamArn] },
    ];
    if (this.streamKeyArn !== undefined) {
      producerStatements.push({ Sid: 'EncryptWithStreamKey', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [this.streamKeyArn] });
    }
    this.producerPolicy = new IamPolicy(this, 'producer-policy', {
      name: rs.producerPolicyName,
      description: `Write tracking events to the ${rs.streamName} Kinesis stream`,
      policy: policyJson(...producerStatements),
    });

    // --- Dead-letter queue ------------------------------------------------------------------
    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: rs.router.deadLetterQueueName,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });

    // --- Router -----------------------------------------------------------------------------
    // BUCKET_NAME: the catalog objects (the only source of stream names) and the `unroutable/` prefix.
    const environment: Record<string, string> = {
      ENVIRONMENT: env.name,
      BUCKET_NAME: props.bucketName,
      DLQ_URL: this.deadLetterQueue.url,
      UNROUTABLE_DESTINATION: rs.router.unroutableDestination,
    };
    this.router = new NodejsFunction(this, 'router', {
      source: 'fanout-router',
      functionName: rs.router.functionName,
      description: `Routes ${rs.streamName} records to the Firehose delivery streams of ${prefix}`,
      context,
      logRetentionDays: env.logRetentionDays,
      memoryMiB: rs.router.memoryMiB,
      timeoutSeconds: rs.router.timeoutSeconds,
      environment,
    });
    const routerPolicies = [
      this.router.addPolicy('firehose', {
        Sid: 'PutToEnvironmentDeliveryStreams',
        Effect: 'Allow',
        Action: ['firehose:PutRecordBatch'],
        // Every delivery stream of this environment: by name prefix AND by the environment's tags.
        // The prefix alone would also match project `<project>-<env>`'s streams; an exact list
        // would exceed IAM's policy size limits long before 5,000 types and change with every
        // added type (docs/decisions.md, "IAM scopes that cannot reach another project").
        Resource: [context.arn('firehose', `deliverystream/${prefix}-*`)],
        Condition: ownEnvironmentTags(env.prefix),
      }),
      this.router.addPolicy('catalog', ...catalogReadStatements(props.bucketArn, props.bucketKmsKeyArn, context.region)),
      this.router.addPolicy('kinesis-read', {
        Sid: 'ReadRootStream',
        Effect: 'Allow',
        Action: [...KINESIS_READ_ACTIONS],
        Resource: [streamArn],
      }),
      this.router.addPolicy('dlq', {
        Sid: 'SendToDeadLetterQueue',
        Effect: 'Allow',
        // Covers SendMessageBatch (the router) and the mapping's on-failure records.
        Action: ['sqs:SendMessage'],
        Resource: [this.deadLetterQueue.arn],
      }),
    ];
    if (this.streamKeyArn !== undefined) {
      routerPolicies.push(
        this.router.addPolicy('kinesis-kms', {
          Sid: 'DecryptRootStream',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [this.streamKeyArn],
        }),
      );
    }
    if (rs.router.unroutableDestination === 's3') {
      const statements: PolicyStatement[] = [
        {
          Sid: 'WriteUnroutable',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [`${props.bucketArn}/${naming.UNROUTABLE_ROOT}*`],
        },
      ];
      if (props.bucketKmsKeyArn !== undefined) {
        statements.push(bucketKeyStatement('EncryptUnroutable', ['kms:GenerateDataKey'], props.bucketKmsKeyArn, props.bucketArn, context.region));
      }
      routerPolicies.push(this.router.addPolicy('unroutable-s3', ...statements));
    }

    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'router-mapping', {
      eventSourceArn: streamArn,
      functionName: this.router.function.arn,
      // TRIM_HORIZON: records producers wrote before the mapping existed (or while it was being
      // replaced) are still routed; LATEST would skip them.
      startingPosition: 'TRIM_HORIZON',
      batchSize: rs.router.batchSize,
      maximumBatchingWindowInSeconds: rs.router.batchingWindowSeconds,
      parallelizationFactor: rs.router.parallelizationFactor,
      maximumRetryAttempts: rs.router.maximumRetryAttempts,
      maximumRecordAgeInSeconds: rs.router.maximumRecordAgeSeconds,
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ['ReportBatchItemFailures'],
      destinationConfig: { onFailure: { destinationArn: this.deadLetterQueue.arn } },
      // Lambda checks the execution role's permissions when it creates the mapping.
      dependsOn: routerPolicies,
    });

    // --- Hot-path consumers -----------------------------------------------------------------
    this.consumers = rs.consumers.map((c) => this.addConsumer(c, env));

    // --- Outputs ----------------------------------------------------------------------------
    // Plain output names (`terraform output root-stream-arn`), not path-derived ids.
    const outputs: [string, string, string][] = [
      ['root-stream-name', this.stream.name, 'Kinesis root stream of the environment'],
      ['root-stream-arn', streamArn, 'ARN of the Kinesis root stream'],
      ['root-stream-producer-policy-arn', this.producerPolicy.arn, 'Managed policy to attach to roles that write to the root stream'],
    ];
    for (const [id, value, description] of outputs) {
      new TerraformOutput(this, id, { value, description }).overrideLogicalId(id);
    }
  }

  private addConsumer(c: ConsumerConfig, env: EnvironmentSpec): RootStreamConsumer {
    const id = `consumer-${c.name}`;
    const registered = (): KinesisStreamConsumer =>
      new KinesisStreamConsumer(this, `${id}-efo`, {
        name: naming.streamConsumerName(env.prefix, c.name),
        streamArn: this.stream.arn,
      });
    if (c.type === 'enhanced-fan-out') return { name: c.name, type: c.type, streamConsumer: registered() };

    const enhancedFanOut = c.enhancedFanOut ?? LAMBDA_CONSUMER_DEFAULTS.enhancedFanOut;
    const streamConsumer = enhancedFanOut ? registered() : undefined;
    const eventSourceMapping = new LambdaEventSourceMapping(this, `${id}-mapping`, {
      eventSourceArn: streamConsumer ? streamConsumer.arn : this.stream.arn,
      functionName: c.functionArn,
      startingPosition: c.startingPosition ?? LAMBDA_CONSUMER_DEFAULTS.startingPosition,
      batchSize: c.batchSize ?? LAMBDA_CONSUMER_DEFAULTS.batchSize,
    });
    return { name: c.name, type: c.type, ...(streamConsumer ? { streamConsumer } : {}), eventSourceMapping };
  }
}

/**
 * What a reader of the catalog objects (`catalog/<stack id>.json.gz`) needs: list the prefix, read
 * its objects and, with SSE-KMS, decrypt through S3 with the bucket key. `s3:ListBucket` is
 * authorized on the bucket, so the `s3:prefix` condition keeps the listing to `catalog/`.
 */
export function catalogReadStatements(bucketArn: string, bucketKmsKeyArn: string | undefined, region: string): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: 'ListCatalog',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [bucketArn],
      Condition: { StringLike: { 's3:prefix': [naming.CATALOG_ROOT, `${naming.CATALOG_ROOT}*`] } },
    },
    { Sid: 'ReadCatalog', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucketArn}/${naming.CATALOG_ROOT}*`] },
  ];
  if (bucketKmsKeyArn !== undefined) statements.push(bucketKeyStatement('DecryptCatalog', ['kms:Decrypt'], bucketKmsKeyArn, bucketArn, region));
  return statements;
}

/**
 * ARN of the stream's customer managed key, for IAM; undefined for the AWS managed key (which
 * needs no KMS permission). Key ARNs are used as given; aliases (names or ARNs) are resolved with
 * a data source, because IAM authorizes KMS use against the key ARN, not the alias.
 */
function customerKeyArn(scope: Construct, kmsKeyId: string): string | undefined {
  const ref = parseKmsKeyRef(kmsKeyId);
  if (ref === undefined) {
    // The loader accepts only key ARNs and aliases; anything else is a bug, not a config to guess at.
    throw new Error(`rootStream.kmsKeyId ${JSON.stringify(kmsKeyId)} is not a key ARN or an alias`);
  }
  if (ref.kind === 'key-arn') return ref.arn;
  if (ref.alias === KINESIS_AWS_MANAGED_KEY) return undefined;
  return new DataAwsKmsKey(scope, 'stream-key', { keyId: kmsKeyId }).arn;
}
