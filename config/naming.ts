/**
 * The single source of every physical name in the pipeline.
 *
 * The stacks, the router Lambda and the tracker client all import this module, so a delivery
 * stream is named the same way everywhere. It has no dependencies (it is bundled into Lambdas).
 * Names are never concatenated anywhere else, and never truncated: the config loader checks
 * each name built here against its AWS rule (`checkName`) and reports the ones that are too long.
 */

/** Environment, application, event type and shard names: lowercase letters, digits, "_" and "-". */
export const LOWER_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Project names: lowercase letters, digits and "-". */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The parts every name of one environment starts with. */
export interface NamePrefix {
  readonly project: string;
  readonly environment: string;
}

/** AWS naming rules for each kind of physical name. */
export const NAME_RULES = {
  deliveryStream: { max: 64, pattern: /^[a-zA-Z0-9_.-]+$/, what: 'Firehose delivery stream name' },
  bucket: { max: 63, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: 'S3 bucket name' },
  logGroup: { max: 512, pattern: /^[\w#/.-]+$/, what: 'CloudWatch log group name' },
  logStream: { max: 512, pattern: /^[^:*]+$/, what: 'CloudWatch log stream name' },
  lambdaFunction: { max: 64, pattern: /^[a-zA-Z0-9_-]+$/, what: 'Lambda function name' },
  iamRole: { max: 64, pattern: /^[\w+=,.@-]+$/, what: 'IAM role name' },
  iamPolicy: { max: 128, pattern: /^[\w+=,.@-]+$/, what: 'IAM policy name' },
  kinesisStream: { max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, what: 'Kinesis stream name' },
  kinesisConsumer: { max: 128, pattern: /^[a-zA-Z0-9_.-]+$/, what: 'Kinesis stream consumer name' },
  sqsQueue: { max: 80, pattern: /^[a-zA-Z0-9_-]+$/, what: 'SQS queue name' },
  snsTopic: { max: 256, pattern: /^[a-zA-Z0-9_-]+$/, what: 'SNS topic name' },
  // Any printable text (no control characters).
  alarm: { max: 255, pattern: /^[^\p{Cc}]+$/u, what: 'CloudWatch alarm name' },
  dashboard: { max: 255, pattern: /^[a-zA-Z0-9_-]+$/, what: 'CloudWatch dashboard name' },
  dynamodbTable: { max: 255, pattern: /^[a-zA-Z0-9_.-]{3,}$/, what: 'DynamoDB table name' },
  // Athena reads Glue names in lowercase and only allows "_" as a special character in them.
  glueDatabase: { max: 255, pattern: /^[a-z0-9_]+$/, what: 'Glue database name' },
  glueTable: { max: 255, pattern: /^[a-z0-9_]+$/, what: 'Glue table name' },
  athenaWorkgroup: { max: 128, pattern: /^[a-zA-Z0-9._-]+$/, what: 'Athena workgroup name' },
  apiGateway: { max: 128, pattern: /^[^\p{Cc}]+$/u, what: 'API Gateway API name' },
  ssmParameter: { max: 1011, pattern: /^\/[a-zA-Z0-9_./-]+$/, what: 'SSM parameter name' },
  kmsAlias: { max: 256, pattern: /^alias\/[a-zA-Z0-9/_-]+$/, what: 'KMS alias name' },
} as const;

export type NameKind = keyof typeof NAME_RULES;

/**
 * Tag keys every resource of an environment carries (the provider's default tags, forced by the
 * config model): IAM statements that must scope by name prefix also require these tags
 * (`aws:ResourceTag/<key>`), because a prefix `<project>-<environment>-` alone also matches the
 * names of project `<project>-<environment>` (docs/decisions.md, "IAM scopes that cannot reach
 * another project").
 */
export const PROJECT_TAG = 'project';
export const ENVIRONMENT_TAG = 'environment';

/** `<project>-<environment>`: the namespace of one environment's resources. */
export function environmentPrefix(p: NamePrefix): string {
  return `${p.project}-${p.environment}`;
}

/** Firehose delivery stream of one event type: `<project>-<environment>-<application>-<eventType>`. */
export function deliveryStreamName(p: NamePrefix, application: string, eventType: string): string {
  return `${environmentPrefix(p)}-${application}-${eventType}`;
}

/** Key identifying an event type inside an environment, used in routing tables and manifests. */
export function eventTypeKey(application: string, eventType: string): string {
  return `${application}/${eventType}`;
}

/**
 * Terraform name of an event type's own resources (its delivery stream, log stream, per-stream
 * alarms): `<application>__<eventType>`, so that its address reads
 * `aws_kinesis_firehose_delivery_stream.web-shop__page_view`. One resource block per event type
 * keeps Terraform's evaluation linear in the number of event types (docs/decisions.md) and lets a
 * single event type move between stacks. Terraform names start with a letter or "_": an
 * application name starting with a digit gets a leading "_". The loader rejects two event types
 * whose names collide (`a__b/c` and `a/b__c`).
 */
export function eventTypeResourceName(application: string, eventType: string): string {
  return `${/^[0-9]/.test(application) ? '_' : ''}${application}__${eventType}`;
}

/** Default name of the shared events bucket. */
export function bucketName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-tracking-events`;
}

/** S3 key prefix of an event type's objects (Hive-style partitions follow it). */
export function dataPrefix(application: string, eventType: string): string {
  return `events/application=${application}/event_type=${eventType}/`;
}

/** Hive-style time partitions appended to `dataPrefix`, in Firehose's expression syntax. */
export const HIVE_TIME_PARTITIONS =
  'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/** S3 key prefix for records Firehose could not process or deliver, split by error type. */
export function errorPrefix(application: string, eventType: string): string {
  return `errors/application=${application}/event_type=${eventType}/!{firehose:error-output-type}/`;
}

/** Root of every data prefix: the IAM scope of Firehose's writes. */
export const DATA_ROOT = 'events/';
/** Root of every error prefix. */
export const ERROR_ROOT = 'errors/';
/** Prefix where the router parks unroutable records when configured to use the bucket. */
export const UNROUTABLE_ROOT = 'unroutable/';
/** Prefix where `npm run redrive -- --mark move` keeps the error and unroutable objects it finished. */
export const REDRIVEN_ROOT = 'redriven/';

/** Log group that receives delivery errors of every delivery stream of the environment. */
export function deliveryLogGroupName(p: NamePrefix): string {
  return `/aws/kinesisfirehose/${environmentPrefix(p)}`;
}

/** One log stream per delivery stream, named after it. */
export function deliveryLogStreamName(p: NamePrefix, application: string, eventType: string): string {
  return deliveryStreamName(p, application, eventType);
}

/** The Firehose service role of the environment. */
export function firehoseRoleName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-firehose`;
}

/** The JSONL transform Lambda. */
export function transformFunctionName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-jsonl-transform`;
}

/** The router Lambda that fans the root stream out to the delivery streams. */
export function routerFunctionName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-fanout-router`;
}

/** The execution role of a Lambda function is named after the function. */
export function functionRoleName(functionName: string): string {
  return functionName;
}

/** Lambda's own log group naming convention. */
export function functionLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** The Kinesis root stream. */
export function rootStreamName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-root`;
}

/** The managed policy producers attach to write to the root stream. */
export function rootStreamProducerPolicyName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-root-stream-producer`;
}

/** Dead-letter queue of the router (failed batches and unroutable records). */
export function routerDeadLetterQueueName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-fanout-router-dlq`;
}

/** An enhanced fan-out consumer registered on the root stream. */
export function streamConsumerName(p: NamePrefix, consumer: string): string {
  return `${environmentPrefix(p)}-${consumer}`;
}

/** The alarm topic. */
export function alarmTopicName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-tracking-alarms`;
}

/** Alias of the alarm topic's KMS key. */
export function alarmTopicKeyAlias(p: NamePrefix): string {
  return `alias/${alarmTopicName(p)}`;
}

/** A CloudWatch alarm of the environment. */
export function alarmName(p: NamePrefix, subject: string, signal: string): string {
  return `${environmentPrefix(p)} ${subject} ${signal}`;
}

/** The environment's dashboard. */
export function dashboardName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-tracking`;
}

/** Terraform state key of an environment when the backend does not name one. */
export function stateKey(p: NamePrefix): string {
  return `${p.project}/${p.environment}/terraform.tfstate`;
}

/**
 * cdktf stack id of an environment: its only stack in the single layout, its core stack in the
 * sharded layout (the same id, so that moving to shards keeps the core's state and addresses).
 */
export function stackId(environment: string): string {
  return `tracking-${environment}`;
}

/** cdktf stack id of one shard of an environment (sharded layout): `tracking-<environment>-<shard>`. */
export function shardStackId(environment: string, shard: string): string {
  return `${stackId(environment)}-${shard}`;
}

/**
 * The JSONL transform Lambda of one shard (sharded layout): each shard stack has its own, carrying
 * the event contracts of its event types only, so adding an event type changes only its shard.
 */
export function shardTransformFunctionName(p: NamePrefix, shard: string): string {
  return `${environmentPrefix(p)}-transform-${shard}`;
}

/** Prefix of every shard transform function of an environment (the Firehose role's IAM scope). */
export function shardTransformFunctionPrefix(p: NamePrefix): string {
  return `${environmentPrefix(p)}-transform-`;
}

/**
 * Terraform state key of a shard stack, derived from the core stack's key:
 * `acme/dev/terraform.tfstate` -> `acme/dev/terraform.shards/<shard>.tfstate`.
 */
export function shardStateKey(coreKey: string, shard: string): string {
  return `${coreKey.replace(/\.tfstate$/, '')}.shards/${shard}.tfstate`;
}

/** Checks a name against its AWS rule; returns the problem, or undefined when it is valid. */
export function checkName(kind: NameKind, name: string): string | undefined {
  const rule = NAME_RULES[kind];
  if (name.length > rule.max) {
    return `${rule.what} "${name}" is ${name.length} characters; AWS allows at most ${rule.max}`;
  }
  if (!rule.pattern.test(name)) {
    return `${rule.what} "${name}" does not match AWS's pattern ${rule.pattern.source}`;
  }
  return undefined;
}

// --- Hot path (issue #13) ----------------------------------------------------------------------

/** The hot-path Lambda that evaluates `rootStream.hotPath` rules on the root stream. */
export function hotPathFunctionName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-hot-path`;
}

/** DynamoDB table of hot-path matches (key `rule`, `event_id`). */
export function hotPathTableName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-hot-path-matches`;
}

/** SNS topic that hot-path rules with the `notify` action publish to. */
export function hotPathTopicName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-hot-path`;
}

/** Alias of the hot-path topic's KMS key. */
export function hotPathTopicKeyAlias(p: NamePrefix): string {
  return `alias/${hotPathTopicName(p)}`;
}

/** On-failure destination of the hot-path event source mappings. */
export function hotPathDeadLetterQueueName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-hot-path-dlq`;
}

/** EventBridge schedule that evaluates `fewerThan` rate rules after each window. */
export function hotPathScheduleName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-hot-path-schedule`;
}

// --- Event contracts and the lake (issue #12) ---------------------------------------------------

/**
 * A name part as Athena accepts it: Athena's DDL and the Glue tables it reads allow only lowercase
 * letters, digits and "_", so "-" (allowed in application and event type names) becomes "_".
 * Distinct parts can therefore map to the same name (`web-shop` and `web_shop`): the config loader
 * reports such collisions (config/contracts.ts `lakeNameIssues`); names are never truncated.
 */
export function athenaIdentifier(part: string): string {
  return part.replace(/-/g, '_');
}

/** Glue database of an environment (one per environment): `<project>_<environment>_tracking`. */
export function glueDatabaseName(p: NamePrefix): string {
  return athenaIdentifier(`${p.project}_${p.environment}_tracking`);
}

/**
 * Glue table over one event type's data prefix: `<application>__<eventType>` ("__" keeps the
 * two parts apart, "-" becomes "_"), in the environment's database.
 */
export function glueTableName(application: string, eventType: string): string {
  return athenaIdentifier(`${application}__${eventType}`);
}

/** Glue table over one event type's error prefix: `<application>__<eventType>__errors`. */
export function glueErrorTableName(application: string, eventType: string): string {
  return `${glueTableName(application, eventType)}__errors`;
}

/** Athena workgroup of an environment. */
export function athenaWorkgroupName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-tracking`;
}

/** Prefix of the events bucket where the environment's Athena workgroup writes query results. */
export const ATHENA_RESULTS_ROOT = 'athena-results/';

// --- Collector (issue #14) ----------------------------------------------------------------------

/** The collector's HTTP API (API Gateway v2): `<project>-<environment>-collector`. */
export function collectorApiName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-collector`;
}

/** The collector Lambda behind the HTTP API. */
export function collectorFunctionName(p: NamePrefix): string {
  return `${environmentPrefix(p)}-collector`;
}

/**
 * Access log group of the collector's API stage. Under `/aws/vendedlogs/` so that the CloudWatch
 * Logs resource policy API Gateway's log delivery needs does not grow with every API (docs/collector.md).
 */
export function collectorAccessLogGroupName(p: NamePrefix): string {
  return `/aws/vendedlogs/apigateway/${environmentPrefix(p)}-collector-access`;
}

/** CloudWatch namespace of the metrics the collector's access-log metric filters publish (one per environment). */
export function collectorMetricNamespace(p: NamePrefix): string {
  return `TrackingPipeline/Collector/${environmentPrefix(p)}`;
}

/**
 * SSM Parameter Store path under which each application's write-key hashes and allowed origins
 * live, one parameter per application: `/<project>/<environment>/collector/write-keys`.
 */
export function collectorWriteKeysPath(p: NamePrefix): string {
  return `/${p.project}/${p.environment}/collector/write-keys`;
}

/** The SSM parameter of one application: `/<project>/<environment>/collector/write-keys/<application>`. */
export function collectorWriteKeyParameterName(p: NamePrefix, application: string): string {
  return `${collectorWriteKeysPath(p)}/${application}`;
}

/** Prefix of the events bucket holding the catalog objects the collector reads (one per stack holding event types). */
export const CATALOG_ROOT = 'catalog/';

/** The catalog object of one stack: `catalog/<stack id>.json.gz` (its event types and compiled contracts). */
export function catalogObjectKey(stackId: string): string {
  return `${CATALOG_ROOT}${stackId}.json.gz`;
}
