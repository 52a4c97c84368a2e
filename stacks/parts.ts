/**
 * The two halves of an environment, added to a stack:
 * - the environment-wide core (bucket, delivery log group, Firehose role, root stream and router,
 *   the HTTP collector, environment alarms, dashboard), and
 * - an event-type group (its transform function, log streams, delivery streams, per-stream and
 *   transform alarms, the collector's catalog object, outputs): every event type in the single
 *   layout, one shard's in the sharded one.
 * The collector's write-key parameters live with their application (`addCollectorWriteKeys`).
 *
 * Both add their resources directly to the stack with the construct ids the single stack always
 * used, so that a deployed single stack keeps every Terraform address.
 */
import { TerraformOutput, type ITerraformDependable, type TerraformStack } from 'cdktf';
import { collectorApplicationsOfStack } from '../config/collector';
import type { EnvironmentSpec, EventTypeSpec } from '../config/model';
import * as naming from '../config/naming';
import { Alarms, type TransformFunctionRef } from '../modules/alarms';
import type { AwsContext } from '../modules/aws-context';
import { CatalogObject } from '../modules/catalog-object';
import { Collector, collectorAlarmDefinitions, collectorDashboardWidgets, CollectorWriteKeys } from '../modules/collector';
import { Dashboard } from '../modules/dashboard';
import { DeliveryLogGroup, DeliveryLogStreams, LEGACY_LOG_STREAMS_LOGICAL_ID } from '../modules/delivery-logs';
import { DeliveryStreams, LEGACY_DELIVERY_STREAMS_LOGICAL_ID } from '../modules/delivery-stream';
import { EventBucket } from '../modules/event-bucket';
import { FirehoseRole } from '../modules/firehose-role';
import { HotPath, hotPathAlarmDefinitions } from '../modules/hot-path';
import { JsonlTransformFunction } from '../modules/jsonl-transform';
import { catalogOutputs, EventTables, LakeCatalog, tableOutputs } from '../modules/lake';
import { NodejsFunction } from '../modules/nodejs-function';
import { RootStream } from '../modules/root-stream';

export interface EnvironmentCoreProps {
  readonly env: EnvironmentSpec;
  readonly context: AwsContext;
  /**
   * ARNs of the transform functions Firehose may invoke (exact ARNs, or the sharded layout's name
   * pattern). Empty when no event type uses the Lambda transform.
   */
  readonly transformFunctionArns: readonly string[];
  /**
   * Whether this stack also holds event types (the single layout): then the environment alarms and
   * the group alarms share one `alarms` construct, as they always did.
   */
  readonly groupAlarms?: { readonly eventTypes: readonly EventTypeSpec[]; readonly transformFunction?: TransformFunctionRef };
}

export interface EnvironmentCore {
  readonly bucket: EventBucket;
  readonly deliveryLogGroup: DeliveryLogGroup;
  readonly firehoseRole: FirehoseRole;
  readonly rootStream?: RootStream;
  readonly hotPath?: HotPath;
  readonly collector?: Collector;
  readonly alarms?: Alarms;
  readonly dashboard: Dashboard;
  readonly lake: LakeCatalog;
}

/** Adds the environment-wide resources to a stack (the single stack, or the core stack). */
export function addEnvironmentCore(stack: TerraformStack, props: EnvironmentCoreProps): EnvironmentCore {
  const { env, context } = props;
  const bucket = new EventBucket(stack, 'events-bucket', { spec: env.bucket });
  const deliveryLogGroup = new DeliveryLogGroup(stack, 'delivery-logs', {
    logGroupName: env.deliveryLogGroupName,
    retentionDays: env.logRetentionDays,
  });
  const firehoseRole = new FirehoseRole(stack, 'firehose-role', {
    roleName: env.firehoseRoleName,
    context,
    prefix: env.prefix,
    bucketArn: bucket.bucket.arn,
    logGroupArn: deliveryLogGroup.logGroup.arn,
    transformFunctionArns: props.transformFunctionArns,
    ...(env.bucket.kmsKeyArn !== undefined ? { bucketKmsKeyArn: env.bucket.kmsKeyArn } : {}),
  });
  const rootStream = env.rootStream.enabled
    ? new RootStream(stack, 'root-stream', {
        env,
        context,
        bucketName: bucket.bucket.bucket,
        bucketArn: bucket.bucket.arn,
        ...(env.bucket.kmsKeyArn !== undefined ? { bucketKmsKeyArn: env.bucket.kmsKeyArn } : {}),
      })
    : undefined;
  const hotPath =
    rootStream !== undefined && env.rootStream.hotPath !== undefined
      ? new HotPath(stack, 'hot-path', {
          spec: env.rootStream.hotPath,
          prefix: env.prefix,
          streamArn: rootStream.stream.arn,
          context,
          logRetentionDays: env.logRetentionDays,
          ...(rootStream.streamKeyArn !== undefined ? { streamKeyArn: rootStream.streamKeyArn } : {}),
        })
      : undefined;
  // The HTTP collector (docs/collector.md): nothing in it lists event types or applications, so
  // adding either never changes this stack.
  const collector =
    env.collector !== undefined
      ? new Collector(stack, 'collector', {
          spec: env.collector,
          prefix: env.prefix,
          context,
          logRetentionDays: env.logRetentionDays,
          bucketName: env.bucket.name,
          bucketArn: bucket.bucket.arn,
          ...(env.bucket.kmsKeyArn !== undefined ? { bucketKmsKeyArn: env.bucket.kmsKeyArn } : {}),
          ...(rootStream !== undefined
            ? { rootStream: { streamArn: rootStream.stream.arn, ...(rootStream.streamKeyArn !== undefined ? { kmsKeyArn: rootStream.streamKeyArn } : {}) } }
            : {}),
          // The edge's us-east-1 provider gets the stack provider's tags and account (stacks/tracking-stack.ts).
          edgeProvider: { defaultTags: env.tags, ...(env.account !== undefined ? { allowedAccountIds: [env.account] } : {}) },
        })
      : undefined;
  const extraDefinitions = [
    ...(hotPath !== undefined ? hotPathAlarmDefinitions(env.rootStream.hotPath!, env.prefix) : []),
    ...(collector !== undefined ? collectorAlarmDefinitions(env.collector!, env.prefix, { apiId: collector.api.id }) : []),
  ];
  const alarms = env.alarms.enabled
    ? new Alarms(stack, 'alarms', {
        env,
        context,
        ...(extraDefinitions.length > 0 ? { extraDefinitions } : {}),
        ...(props.groupAlarms !== undefined
          ? {
              eventTypes: props.groupAlarms.eventTypes,
              ...(props.groupAlarms.transformFunction !== undefined ? { transformFunction: props.groupAlarms.transformFunction } : {}),
              moveLegacyPerStreamAlarms: true,
            }
          : {}),
      })
    : undefined;
  const dashboard = new Dashboard(stack, 'dashboard', {
    env,
    ...(collector !== undefined ? { extraWidgets: collectorDashboardWidgets(env.collector!, env.name, { apiId: collector.api.id }) } : {}),
  });
  // The queryable lake: the environment's Glue database and Athena workgroup (tables live with their event types).
  const lake = new LakeCatalog(stack, 'lake', {
    databaseName: naming.glueDatabaseName(env.prefix),
    workgroupName: naming.athenaWorkgroupName(env.prefix),
    bucketName: bucket.bucket.bucket,
    ...(env.bucket.kmsKeyArn !== undefined ? { kmsKeyArn: env.bucket.kmsKeyArn } : {}),
    ...(env.account !== undefined ? { expectedBucketOwner: env.account } : {}),
    dependsOn: [bucket.lifecycle],
  });
  catalogOutputs(stack, lake);
  new TerraformOutput(stack, 'bucket-name', { value: bucket.bucket.bucket, description: 'The shared events bucket' });
  return {
    bucket,
    deliveryLogGroup,
    firehoseRole,
    ...(rootStream ? { rootStream } : {}),
    ...(hotPath ? { hotPath } : {}),
    ...(collector ? { collector } : {}),
    ...(alarms ? { alarms } : {}),
    dashboard,
    lake,
  };
}

export interface EventTypeGroupProps {
  readonly env: EnvironmentSpec;
  readonly context: AwsContext;
  /** The event types of this stack, sorted by key. */
  readonly eventTypes: readonly EventTypeSpec[];
  /** Name of this stack's JSONL transform function (used when one of its event types needs it). */
  readonly transformFunctionName: string;
  /** The environment's events bucket: a reference in the single stack, an ARN built from its name in a shard. */
  readonly bucketArn: string;
  /** The environment's Firehose role, likewise. */
  readonly firehoseRoleArn: string;
  /** Name of the environment's delivery log group, likewise (a reference keeps the log streams after the group). */
  readonly deliveryLogGroupName: string;
  /** Name of the environment's Glue database, likewise. */
  readonly glueDatabaseName: string;
  /** Name of the events bucket, likewise (the tables' locations). */
  readonly bucketName: string;
  /**
   * Resources the tables wait for in the same stack (the database in the single stack).
   * @default []
   */
  readonly tablesDependOn?: readonly ITerraformDependable[];
  /**
   * Resources the delivery streams must wait for in the same stack (their log streams are added
   * here): the Firehose role's policies in the single stack. A shard relies on the core stack being
   * applied first (stack dependency).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * Whether to add the group alarms in an `alarms` construct of their own (a shard stack). The
   * single stack adds them to its environment `alarms` construct instead.
   * @default false
   */
  readonly ownAlarms?: boolean;
  /**
   * The stack's id: the key of its collector catalog object (`catalog/<stack id>.json.gz`), added
   * when the environment has a collector.
   */
  readonly stackId: string;
}

export interface EventTypeGroup {
  readonly transformFunction?: NodejsFunction;
  /** Reference of the transform function for alarms. */
  readonly transformRef?: TransformFunctionRef;
  readonly logStreams: DeliveryLogStreams;
  readonly deliveryStreams: DeliveryStreams;
  readonly tables: EventTables;
  readonly alarms?: Alarms;
  /** What the collector learns of these event types (when the environment has a collector). */
  readonly catalog?: CatalogObject;
}

/**
 * The transform function of a group, when one of its event types uses the Lambda transform: it
 * carries the compiled contracts of exactly these event types (issue #12).
 */
export function addTransformFunction(stack: TerraformStack, env: EnvironmentSpec, context: AwsContext, eventTypes: readonly EventTypeSpec[], functionName: string): NodejsFunction | undefined {
  if (!eventTypes.some((t) => t.transform === 'lambda')) return undefined;
  return new JsonlTransformFunction(stack, 'jsonl-transform', {
    functionName,
    context,
    logRetentionDays: env.logRetentionDays,
    environment: env.name,
    eventTypes,
    memoryMiB: env.transformFunction.memoryMiB,
    timeoutSeconds: env.transformFunction.timeoutSeconds,
  });
}

/** Adds the resources of a set of event types to a stack. */
export function addEventTypeGroup(stack: TerraformStack, props: EventTypeGroupProps, transformFunction?: NodejsFunction): EventTypeGroup {
  const { env, context, eventTypes } = props;
  const transformRef: TransformFunctionRef | undefined =
    transformFunction !== undefined ? { functionName: props.transformFunctionName, timeoutSeconds: env.transformFunction.timeoutSeconds } : undefined;
  const logStreams = new DeliveryLogStreams(stack, 'delivery-log-streams', { logGroupName: props.deliveryLogGroupName, eventTypes });
  const deliveryStreams = new DeliveryStreams(stack, 'delivery-streams', {
    eventTypes,
    roleArn: props.firehoseRoleArn,
    bucketArn: props.bucketArn,
    logGroupName: env.deliveryLogGroupName,
    ...(transformFunction !== undefined ? { transformFunctionArn: transformFunction.function.arn } : {}),
    logStreams: Object.fromEntries(logStreams.logStreams),
    ...(props.dependsOn !== undefined ? { dependsOn: props.dependsOn } : {}),
  });
  const tables = new EventTables(stack, 'event-tables', {
    databaseName: props.glueDatabaseName,
    bucketName: props.bucketName,
    eventTypes,
    ...(props.tablesDependOn !== undefined ? { dependsOn: props.tablesDependOn } : {}),
  });
  tableOutputs(stack, tables);
  const alarms =
    props.ownAlarms && env.alarms.enabled
      ? new Alarms(stack, 'alarms', { env, context, environmentWide: false, eventTypes, ...(transformRef ? { transformFunction: transformRef } : {}) })
      : undefined;
  // The collector reads this object to learn these event types and their contracts; it waits for
  // the delivery streams, so that the collector never accepts an event type before its stream exists.
  const catalog = addCatalogObject(stack, env, { stackId: props.stackId, bucketName: props.bucketName, eventTypes, dependsOn: [...deliveryStreams.streams.values()] });
  new TerraformOutput(stack, 'delivery-stream-names', {
    value: Object.fromEntries(eventTypes.map((t) => [t.key, t.deliveryStreamName])),
    description: 'Delivery stream name of each event type of this stack, keyed by "<application>/<eventType>"',
  });
  return {
    ...(transformFunction ? { transformFunction } : {}),
    ...(transformRef ? { transformRef } : {}),
    logStreams,
    deliveryStreams,
    tables,
    ...(alarms ? { alarms } : {}),
    ...(catalog ? { catalog } : {}),
  };
}

/**
 * The catalog object of a stack's event types (`catalog/<stack id>.json.gz`), when the environment
 * has a collector or a root stream: both read it to know the declared event types. Its tags are its
 * own: S3 allows 10 per object, the provider's default tags may be more.
 */
export function addCatalogObject(
  stack: TerraformStack,
  env: EnvironmentSpec,
  props: { readonly stackId: string; readonly bucketName: string; readonly eventTypes: readonly EventTypeSpec[]; readonly dependsOn?: readonly ITerraformDependable[] },
): CatalogObject | undefined {
  if (env.collector === undefined && !env.rootStream.enabled) return undefined;
  return new CatalogObject(stack, 'collector-catalog', {
    bucketName: props.bucketName,
    stackId: props.stackId,
    environment: env.name,
    eventTypes: props.eventTypes,
    tags: { project: env.prefix.project, environment: env.name },
    ...(props.dependsOn !== undefined ? { dependsOn: props.dependsOn } : {}),
  });
}

/**
 * The collector's write-key parameters of the applications a stack holds: every application in
 * the single layout; in the sharded layout, a shard's own applications (`shard` given), and in the
 * core those whose shard has no stack (`shard` undefined, `shardNames` given).
 */
export function addCollectorWriteKeys(stack: TerraformStack, env: EnvironmentSpec, shard?: string): CollectorWriteKeys | undefined {
  if (env.collector === undefined) return undefined;
  const shardNames = env.stacks.layout === 'sharded' ? env.stacks.shards.map((s) => s.name) : undefined;
  const applications = collectorApplicationsOfStack(env.collector, shard, shardNames);
  return applications.length > 0 ? new CollectorWriteKeys(stack, 'collector-write-keys', { applications }) : undefined;
}

/** Exact ARN of a Lambda function from its name (config/naming): no reference, so no cycle between core and group. */
export function functionArn(context: AwsContext, functionName: string): string {
  return context.arn('lambda', `function:${functionName}`);
}

/** The sharded layout's name pattern of every shard transform function of the environment. */
export function shardTransformArnPattern(context: AwsContext, env: EnvironmentSpec): string {
  return context.arn('lambda', `function:${naming.shardTransformFunctionPrefix(env.prefix)}*`);
}

/**
 * `moved` blocks that carry a single stack's delivery streams and log streams over from the
 * addresses of the last landed version (`for_each` instances `delivery["<app>/<type>"]`) to one
 * resource per event type. Terraform ignores a `moved` block whose source is not in the state, so
 * they are harmless on a new deployment.
 */
export function legacyEventTypeMoves(eventTypes: readonly EventTypeSpec[]): { readonly from: string; readonly to: string }[] {
  return eventTypes.flatMap((t) => [
    { from: `aws_kinesis_firehose_delivery_stream.${LEGACY_DELIVERY_STREAMS_LOGICAL_ID}[${JSON.stringify(t.key)}]`, to: `aws_kinesis_firehose_delivery_stream.${t.resourceName}` },
    { from: `aws_cloudwatch_log_stream.${LEGACY_LOG_STREAMS_LOGICAL_ID}[${JSON.stringify(t.key)}]`, to: `aws_cloudwatch_log_stream.${t.resourceName}` },
  ]);
}
