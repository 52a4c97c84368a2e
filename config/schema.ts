/**
 * The tracking config: one YAML file listing applications and their event types, and the
 * environments they are deployed to. This zod schema is the single definition of its shape:
 * the loader validates with it, the TypeScript types are inferred from it, and
 * `config/tracking.schema.json` (for editors) is generated from it by `npm run schema`.
 *
 * Every optional field documents its default; defaults live in `DEFAULTS` below as pure data.
 */
import { z } from 'zod';
import { batchingWindowSecondsField, batchSizeField, maximumRecordAgeSecondsField, maximumRetryAttemptsField, memoryMiBField, timeoutSecondsField } from './lambda-fields';
import { eventSchemaSchema, schemaModeSchema } from './contracts';
import { collectorSchema } from './collector';
import { hotPathSchema } from './hot-path';
import { LOWER_NAME, PROJECT_NAME } from './naming';

/** Default values, as pure data. Merged in one fixed order: defaults, then the user's values. */
export const DEFAULTS = {
  logRetentionDays: 30,
  buffering: { sizeMiB: 64, intervalSeconds: 300 },
  compression: 'GZIP',
  transform: 'lambda',
  transformFunction: { memoryMiB: 512, timeoutSeconds: 60 },
  rootStream: {
    enabled: false,
    mode: 'on-demand',
    shardCount: 1,
    retentionHours: 168,
    router: {
      batchSize: 500,
      batchingWindowSeconds: 1,
      parallelizationFactor: 1,
      maximumRetryAttempts: 5,
      maximumRecordAgeSeconds: 86_400,
      memoryMiB: 512,
      timeoutSeconds: 60,
      unroutableDestination: 'sqs',
    },
  },
  stacks: {
    layout: 'auto',
    maxStreamsPerShard: 250,
  },
  alarms: {
    enabled: true,
    freshnessThresholdSeconds: 3_600,
    deliverySuccessPeriodSeconds: 900,
    iteratorAgeThresholdSeconds: 300,
  },
} as const;

export { LOWER_NAME, PROJECT_NAME } from './naming';
const NAME_HINT = 'use lowercase letters, digits, "_" and "-", starting with a letter or digit';

/** Name of an environment, application or event type. */
export const nameSchema = z
  .string()
  .min(1, 'must not be empty')
  .regex(LOWER_NAME, `has characters that are not allowed: ${NAME_HINT}`);

/** CloudWatch Logs accepts only these retention values (days). 0 is not allowed: logs must expire. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// A literal union, so the JSON Schema lists the allowed values for editors.
const retentionSchema = z.literal(LOG_RETENTION_DAYS);

// Tag keys and values are checked against AWS's tag rules in config/aws-checks.ts (with the value in the message).
const tagsSchema = z
  .record(z.string(), z.string())
  .describe(
    'Extra tags added to every resource through the provider default_tags, next to project, environment and managed-by, which are ' +
      'always set and cannot be overridden. An environment\'s tags are added to the top-level ones (its value wins for the same key). ' +
      'AWS tag rules: keys up to 128 and values up to 256 letters, digits, spaces and _ . : / = + - @; no "aws:" prefix; at most 50 tags per resource. @default {}',
  );

export const bufferingSchema = z
  .strictObject({
    sizeMiB: z
      .number()
      .int()
      .min(1)
      .max(128)
      .optional()
      .describe(`S3 buffering size in MiB (1-128). @default ${DEFAULTS.buffering.sizeMiB}`),
    intervalSeconds: z
      .number()
      .int()
      .min(0)
      .max(900)
      .optional()
      .describe(`S3 buffering interval in seconds (0-900). @default ${DEFAULTS.buffering.intervalSeconds}`),
  })
  .describe('Firehose buffering hints for the S3 destination: a delivery writes an object when either is reached. On an event type, keys left out come from defaults.buffering.');

/**
 * Firehose compressions Athena reads as JSON text, and every event type gets a table over its
 * objects (modules/lake.ts). Firehose's `ZIP` and `Snappy` (the Snappy framing format) are left
 * out: Athena cannot read ZIP files, and reads Snappy-compressed text only in the
 * Hadoop-compatible framing, which is Firehose's `HADOOP_SNAPPY`. The loader explains either with
 * its source (config/aws-checks.ts `compressionIssues`).
 */
export const ATHENA_READABLE_COMPRESSIONS = ['GZIP', 'HADOOP_SNAPPY', 'UNCOMPRESSED'] as const;

const compressionSchema = z
  .enum(ATHENA_READABLE_COMPRESSIONS)
  .describe(
    'Compression of the S3 objects, one Athena can read as JSON text (Firehose\'s ZIP and Snappy are not: use GZIP or HADOOP_SNAPPY). ' +
      `@default ${DEFAULTS.compression}`,
  );

const transformSchema = z
  .enum(['lambda', 'native'])
  .describe(
    `How records become JSON lines: "lambda" validates, compacts and unpacks with the JSONL transform Lambda; ` +
      `"native" only appends a newline with Firehose's AppendDelimiterToRecord processor. @default ${DEFAULTS.transform}`,
  );

const eventTypeOptionsSchema = z.strictObject({
  name: nameSchema.describe('Event type name: lowercase letters, digits, "_" and "-".'),
  description: z.string().max(512).optional().describe('Free text, for people. @default none'),
  peakRecordsPerSecond: z
    .number()
    .positive()
    .optional()
    .describe('Declared peak rate in records per second, checked against one stream\'s quota. @default not checked'),
  avgRecordBytes: z
    .number()
    .int()
    .positive()
    .max(1_024_000)
    .optional()
    .describe('Average record size in bytes, used with peakRecordsPerSecond for the MiB/s check. @default 1024'),
  peakRequestsPerSecond: z
    .number()
    .positive()
    .optional()
    .describe('Declared peak of PutRecord/PutRecordBatch calls per second. @default not checked'),
  avgRecordsPerSecond: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      'Average events per second over a month: what `npm run cost` prices (peaks drive quotas, averages drive cost). ' +
        '@default not priced (the cost report lists the event type as unpriced)',
    ),
  buffering: bufferingSchema.optional(),
  compression: compressionSchema.optional(),
  transform: transformSchema.optional(),
  schema: eventSchemaSchema.optional(),
  schemaMode: schemaModeSchema.optional(),
  shard: nameSchema
    .optional()
    .describe(
      'Shard (stack) of this event type in the sharded layout, to split a large application across stacks. ' +
        'Changing it moves the event type to another stack (see docs/operations.md). @default the application\'s shard',
    ),
});

export const eventTypeSchema = z.union([nameSchema, eventTypeOptionsSchema]);

export const applicationSchema = z.strictObject({
  name: nameSchema.describe('Application name: lowercase letters, digits, "_" and "-".'),
  owner: z.string().min(1).max(256).optional().describe('Owning team, added as the "owner" tag. @default none'),
  shard: nameSchema
    .optional()
    .describe('Shard (stack) of the application\'s event types in the sharded layout. @default the application name'),
  description: z.string().max(512).optional().describe('Free text, for people. @default none'),
  eventTypes: z
    .array(eventTypeSchema)
    .min(1, 'list at least one event type')
    .describe('The application\'s event types: each a name, or an object with its name and options.'),
});

const streamQuotaSchema = z
  .strictObject({
    mibPerSecond: z
      .number()
      .positive()
      .optional()
      .describe('Throughput of one delivery stream, MiB per second. @default 5 in us-east-1, us-west-2 and eu-west-1; 1 elsewhere'),
    requestsPerSecond: z
      .number()
      .positive()
      .optional()
      .describe('PutRecord and PutRecordBatch calls per second on one delivery stream. @default 2000 in us-east-1, us-west-2 and eu-west-1; 1000 elsewhere'),
    recordsPerSecond: z
      .number()
      .positive()
      .optional()
      .describe('Records per second on one delivery stream. @default 500000 in us-east-1, us-west-2 and eu-west-1; 100000 elsewhere'),
    deliveryStreamsPerRegion: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Delivery streams per account and region, counting every environment in the region. @default 5000, 2000, 500 or 100, as the region\'s published quota',
      ),
  })
  .describe(
    'Raised Firehose quotas for this account and region (after a Service Quotas increase): the loader checks declared peaks and stream counts ' +
      'against them. Published quotas: https://docs.aws.amazon.com/firehose/latest/dev/limits.html',
  );

const bucketSchema = z
  .strictObject({
    name: z
      .string()
      .optional()
      .describe('Name of the bucket, unique across all AWS accounts. @default <project>-<environment>-tracking-events'),
    kmsKeyArn: z
      .string()
      .optional()
      .describe(
        'Full ARN of a customer managed KMS key in the environment\'s region, for SSE-KMS with an S3 Bucket Key. @default S3-managed keys (SSE-S3)',
      ),
    expireAfterDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Delete event records (events/, errors/, unroutable/, redriven/; never the catalog/ objects the collector reads) after this many days, ' +
          'later than every transition. @default never',
      ),
    // S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle", Constraints: objects stay at
    // least 30 days in S3 Standard before a transition to STANDARD_IA
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html#lifecycle-configuration-constraints).
    // The other lifecycle rules S3 enforces are in config/aws-checks.ts (lifecycleIssues).
    transitionToInfrequentAccessAfterDays: z
      .number()
      .int()
      .min(
        30,
        'S3 rejects a transition to STANDARD_IA before objects are 30 days old ' +
          '(https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html#lifecycle-configuration-constraints); use 30 or more',
      )
      .optional()
      .describe('Move event records (events/, errors/, unroutable/, redriven/) to STANDARD_IA after this many days (at least 30). @default never'),
    transitionToGlacierAfterDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Move event records to GLACIER_IR after this many days (at least 30 days after transitionToInfrequentAccessAfterDays when both are set). @default never',
      ),
    noncurrentVersionExpireAfterDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Delete noncurrent object versions after this many days. @default 30'),
    abortIncompleteMultipartUploadAfterDays: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Abort incomplete multipart uploads after this many days. @default 7'),
    forceDestroy: z
      .boolean()
      .optional()
      .describe('Let terraform destroy a non-empty bucket. Keep false outside throwaway environments. @default false'),
  })
  .describe('The shared events bucket of the environment.');

const routerSchema = z.strictObject({
  batchSize: batchSizeField(DEFAULTS.rootStream.router.batchSize),
  batchingWindowSeconds: batchingWindowSecondsField(DEFAULTS.rootStream.router.batchingWindowSeconds),
  parallelizationFactor: z
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe(`Concurrent batches per shard (1-10). @default ${DEFAULTS.rootStream.router.parallelizationFactor}`),
  maximumRetryAttempts: maximumRetryAttemptsField(DEFAULTS.rootStream.router.maximumRetryAttempts),
  maximumRecordAgeSeconds: maximumRecordAgeSecondsField(DEFAULTS.rootStream.router.maximumRecordAgeSeconds),
  memoryMiB: memoryMiBField(DEFAULTS.rootStream.router.memoryMiB),
  timeoutSeconds: timeoutSecondsField(DEFAULTS.rootStream.router.timeoutSeconds),
  unroutableDestination: z
    .enum(['sqs', 's3'])
    .optional()
    .describe(
      `Where unroutable records go: the SQS dead-letter queue, or the bucket's unroutable/ prefix. @default ${DEFAULTS.rootStream.router.unroutableDestination}`,
    ),
});

const consumerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('lambda').describe('A Lambda function of yours reads the root stream through an event source mapping (its role must allow reading the stream: docs/root-stream.md).'),
    name: nameSchema.describe('Consumer name, used in resource IDs.'),
    functionArn: z
      .string()
      .describe('ARN of the consumer Lambda function (optionally qualified), in the environment\'s region.'),
    batchSize: batchSizeField(100),
    startingPosition: z
      .enum(['LATEST', 'TRIM_HORIZON'])
      .optional()
      .describe('Where the new mapping starts reading: LATEST (new records only) or TRIM_HORIZON (the oldest record the stream keeps). @default LATEST'),
    enhancedFanOut: z
      .boolean()
      .optional()
      .describe('Read through a dedicated enhanced fan-out consumer instead of the shared throughput. @default false'),
  }),
  z.strictObject({
    type: z
      .literal('enhanced-fan-out')
      .describe('A registered stream consumer (enhanced fan-out: its own 2 MB/s per shard) for an application of yours that reads with SubscribeToShard.'),
    name: nameSchema.describe('Consumer name; the registered stream consumer is named <project>-<environment>-<name>.'),
  }),
]);

const rootStreamSchema = z
  .strictObject({
  enabled: z.boolean().optional().describe(`Create the Kinesis root stream and its router. @default ${DEFAULTS.rootStream.enabled}`),
  mode: z
    .enum(['on-demand', 'provisioned'])
    .optional()
    .describe(`Capacity mode of the stream: on-demand scales by itself; provisioned has shardCount shards. @default ${DEFAULTS.rootStream.mode}`),
  shardCount: z.number().int().min(1).optional().describe(`Shards in provisioned mode. @default ${DEFAULTS.rootStream.shardCount}`),
  retentionHours: z
    .number()
    .int()
    .min(24)
    .max(8_760)
    .optional()
    .describe(
      `How long the stream keeps records, in hours (24-8,760): the window for replays and for consumers that fall behind. @default ${DEFAULTS.rootStream.retentionHours}`,
    ),
  kmsKeyId: z
    .string()
    .min(1)
    .optional()
    .describe(
      'KMS key for stream encryption, in the environment\'s region: a full key ARN, an alias name (alias/<name>) or an alias ARN. ' +
        '@default alias/aws/kinesis (AWS managed)',
    ),
  router: routerSchema.optional().describe('The router Lambda, which reads the root stream and writes each event to its delivery stream.'),
  consumers: z.array(consumerSchema).optional().describe('Your own consumers attached to the root stream. @default []'),
  hotPath: hotPathSchema.optional(),
  })
  .describe(
    'An optional Kinesis Data Streams root stream: producers write every event once, and a router Lambda sends each to its delivery stream; ' +
      'hot-path rules and your own consumers read the same stream (docs/root-stream.md).',
  );

const subscriptionSchema = z.strictObject({
  protocol: z.enum(['email', 'https']).describe('email, or https (SNS posts to the URL, which must confirm the subscription).'),
  endpoint: z.string().min(1).describe('An email address (email) or an https:// URL (https).'),
});

const alarmsSchema = z
  .strictObject({
  enabled: z.boolean().optional().describe(`Create the environment's alarms and their SNS topic. @default ${DEFAULTS.alarms.enabled}`),
  topicArn: z
    .string()
    .optional()
    .describe('An existing SNS topic, in the environment\'s region, that also receives every alarm. @default none'),
  subscriptions: z.array(subscriptionSchema).optional().describe('Subscriptions to the alarm topic. @default []'),
  freshnessThresholdSeconds: z
    .number()
    .int()
    .min(60)
    .optional()
    .describe(
      `Alarm when the oldest record not yet delivered to S3 is older than this many seconds (DeliveryToS3.DataFreshness). @default ${DEFAULTS.alarms.freshnessThresholdSeconds}`,
    ),
  perStreamAlarms: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/, 'use "<application>/<eventType>"'))
    .optional()
    .describe('Event types ("app/type") that also get their own per-stream alarms. @default []'),
  })
  .describe('Alarms of the environment, sent to one SNS topic (docs/operations.md).');

const backendSchema = z
  .strictObject({
  bucket: z.string().describe('The S3 bucket holding the Terraform state (bootstrap it once; see docs/operations.md).'),
  key: z
    .string()
    .min(1)
    .optional()
    .describe(
      'State key of the core (or single) stack; a shard stack\'s state is <key without .tfstate>.shards/<shard>.tfstate. @default <project>/<environment>/terraform.tfstate',
    ),
  region: z.string().optional().describe('Region of the state bucket. @default the environment region'),
  dynamodbTable: z
    .string()
    .optional()
    .describe(
      'Lock with a DynamoDB table instead of S3 native locking (use_lockfile). Deprecated by Terraform 1.11 in favour of S3 native locking. @default none',
    ),
  })
  .describe(
    'Remote state in S3, encrypted and locked with S3 native locking. @default local state in terraform-state/<stack>.tfstate (synth warns)',
  );

/** How an environment is split into Terraform stacks (docs/operations.md, "Stacks"). */
const stackLayoutFields = {
  layout: z
    .enum(['auto', 'single', 'sharded'])
    .optional()
    .describe(
      '"single": one stack per environment. "sharded": a core stack plus one stack per shard (by default one per application). ' +
        '"auto": single while the environment has at most maxStreamsPerShard event types; above that the loader asks you to choose. ' +
        `@default ${DEFAULTS.stacks.layout}`,
    ),
  maxStreamsPerShard: z
    .number()
    .int()
    .min(1)
    .max(1_000)
    .optional()
    .describe(
      "Most delivery streams in one shard stack: a plan refreshes every stream of its stack at Firehose's 5 calls/s. " +
        `@default ${DEFAULTS.stacks.maxStreamsPerShard}`,
    ),
};

export const environmentStacksSchema = z
  .strictObject(stackLayoutFields)
  .describe('Overrides the top-level stacks settings for this environment (to move one environment at a time).');

export const stacksSchema = z
  .strictObject({
    ...stackLayoutFields,
    moves: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Path, relative to this file, of the moves file `npm run migrate` writes when event types change stacks: synth turns it into ' +
          'import blocks in the new stacks and removed blocks (destroy = false) in the old ones, so nothing is destroyed. @default none',
      ),
  })
  .describe('Stack layout of every environment: one stack, or a core stack plus shard stacks.');

export const environmentSchema = z.strictObject({
  region: z.string().describe('AWS region code of the environment, such as eu-central-1 (a region where Firehose is available).'),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional().describe(
    'Expected AWS account: the provider refuses to run against another. @default not checked',
  ),
  logRetentionDays: retentionSchema.optional().describe('Retention of the environment\'s log groups, in days. @default the top-level logRetentionDays'),
  tags: tagsSchema.optional(),
  bucket: bucketSchema.optional(),
  streamQuota: streamQuotaSchema.optional(),
  rootStream: rootStreamSchema.optional(),
  collector: collectorSchema.optional(),
  alarms: alarmsSchema.optional(),
  backend: backendSchema.optional(),
  stacks: environmentStacksSchema.optional(),
});

export const trackingConfigSchema = z.strictObject({
  $schema: z.string().optional().describe('Path of the JSON Schema, for editors (config/tracking.schema.json). @default none'),
  project: z
    .string()
    .min(1, 'must not be empty')
    .regex(PROJECT_NAME, 'has characters that are not allowed: use lowercase letters, digits and "-"')
    .describe('Prefix of every physical name: lowercase letters, digits and "-".'),
  logRetentionDays: retentionSchema
    .optional()
    .describe(`Retention of every log group the project creates. @default ${DEFAULTS.logRetentionDays}`),
  tags: tagsSchema.optional(),
  defaults: z
    .strictObject({
      buffering: bufferingSchema.optional(),
      compression: compressionSchema.optional(),
      transform: transformSchema.optional(),
      schemaMode: schemaModeSchema.optional(),
      transformFunction: z
        .strictObject({
          memoryMiB: memoryMiBField(DEFAULTS.transformFunction.memoryMiB),
          timeoutSeconds: z
            .number()
            .int()
            .min(1)
            .max(300)
            .optional()
            .describe(`Lambda timeout; Firehose waits at most 5 minutes for a transform. @default ${DEFAULTS.transformFunction.timeoutSeconds}`),
        })
        .optional()
        .describe('The JSONL transform Lambda (one per environment, or one per shard stack in the sharded layout).'),
    })
    .optional()
    .describe('Defaults for every event type, overridden per event type.'),
  environments: z
    .record(nameSchema, environmentSchema)
    .refine((envs) => Object.keys(envs).length > 0, 'declare at least one environment')
    .describe('The environments to deploy to, by name (at least one): each gets its own stacks, bucket and delivery streams.'),
  stacks: stacksSchema.optional(),
  applications: z
    .array(applicationSchema)
    .min(1, 'list at least one application')
    .describe('The applications that send events, each with its event types.'),
});

export type RawConfig = z.output<typeof trackingConfigSchema>;
export type RawEnvironment = z.output<typeof environmentSchema>;
export type Compression = z.output<typeof compressionSchema>;
export type TransformKind = z.output<typeof transformSchema>;
export type ConsumerConfig = z.output<typeof consumerSchema>;
