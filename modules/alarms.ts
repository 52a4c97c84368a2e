/**
 * Alarms of one environment: an encrypted SNS topic (with its own customer managed KMS key, since
 * CloudWatch cannot publish to a topic encrypted with the AWS managed key alias/aws/sns), its
 * subscriptions, and one CloudWatch alarm per signal.
 *
 * Every alarm is described first as plain data (`alarmDefinitions`), derived only from the
 * resolved EnvironmentSpec, then turned into resources. The dashboard reuses the same data.
 * Sources for every AWS fact used here are listed in docs/operations.md.
 */
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { App, TerraformElement, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { EnvironmentSpec, EventTypeSpec } from '../config/model';
import * as naming from '../config/naming';
import type { AwsContext } from './aws-context';

/** How an alarm treats periods without data (CloudWatch's `TreatMissingData`). */
export type MissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';

export type ComparisonOperator = 'GreaterThanThreshold' | 'LessThanThreshold';

/** A single metric with fixed dimensions (a standard alarm: billed per alarm metric). */
export interface MetricSource {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Maximum`, `Minimum`, `Average`, or a percentile such as `p99`. */
  readonly stat: string;
}

/** A CloudWatch Metrics Insights query returning one aggregated time series. */
export interface QuerySource {
  readonly kind: 'query';
  readonly expression: string;
}

/** One alarm, as plain data. */
export interface AlarmDefinition {
  /** Construct id, derived from config keys only (stable across config reorderings). */
  readonly id: string;
  readonly alarmName: string;
  readonly description: string;
  /** Runbook anchor in docs/operations.md (also the README "Operations" section). */
  readonly runbook: string;
  readonly source: MetricSource | QuerySource;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: number;
  readonly treatMissingData: MissingData;
}

/** Share of the Lambda timeout above which the p99 duration alarms. */
export const DURATION_ALARM_RATIO = 0.8;
/** Period of the rate-like alarms (errors, throttles, freshness). */
export const DEFAULT_PERIOD_SECONDS = 300;
/** Metrics Insights alarms can evaluate only the most recent 3 hours of data. */
export const METRICS_INSIGHTS_MAX_WINDOW_SECONDS = 3 * 3600;

const FIREHOSE = 'AWS/Firehose';
const RUNBOOK = 'docs/operations.md#runbook-';

/** `SELECT <fn>("<metric>") FROM SCHEMA("AWS/Firehose", DeliveryStreamName)`: every stream of the account and region. */
export function firehoseQuery(fn: 'MAX' | 'MIN' | 'SUM', metricName: string): string {
  return `SELECT ${fn}("${metricName}") FROM SCHEMA("${FIREHOSE}", DeliveryStreamName)`;
}

/** True when at least one event type of the environment is transformed by the JSONL Lambda. */
export function usesTransformLambda(env: EnvironmentSpec): boolean {
  return env.eventTypes.some((t) => t.transform === 'lambda');
}

/** What every alarm shares unless it says otherwise: one 5-minute period, missing data is not an incident. */
const ALARM_DEFAULTS = {
  periodSeconds: DEFAULT_PERIOD_SECONDS,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: 'notBreaching',
} as const;

/** One Firehose delivery signal, alarmed on in aggregate (every stream) and, optionally, per stream. */
interface FirehoseSignal {
  readonly signal: string;
  readonly metricName: string;
  /** Aggregate over all streams (Metrics Insights) and statistic of one stream's metric. */
  readonly aggregate: 'MAX' | 'MIN' | 'SUM';
  readonly stat: 'Maximum' | 'Minimum' | 'Sum';
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: (a: EnvironmentSpec['alarms']) => number;
  readonly periodSeconds?: (a: EnvironmentSpec['alarms']) => number;
  /** Only for streams whose records the JSONL Lambda transforms. */
  readonly lambdaOnly: boolean;
  /** What the alarm means, for all streams (`subject` = "any delivery stream in <region>") or one. */
  readonly describe: (subject: string, a: EnvironmentSpec['alarms'], aggregate: string) => string;
}

const AGGREGATE_WORDS = { MAX: 'maximum', MIN: 'minimum', SUM: 'sum' } as const;

const FIREHOSE_SIGNALS: readonly FirehoseSignal[] = [
  {
    signal: 'data-freshness',
    metricName: 'DeliveryToS3.DataFreshness',
    aggregate: 'MAX',
    stat: 'Maximum',
    comparisonOperator: 'GreaterThanThreshold',
    threshold: (a) => a.freshnessThresholdSeconds,
    lambdaOnly: false,
    describe: (subject, a, agg) =>
      `Oldest record not yet delivered to S3 by ${subject} is older than ${a.freshnessThresholdSeconds} s (DeliveryToS3.DataFreshness${agg}).`,
  },
  {
    signal: 's3-delivery-success',
    metricName: 'DeliveryToS3.Success',
    aggregate: 'MIN',
    stat: 'Minimum',
    comparisonOperator: 'LessThanThreshold',
    threshold: () => 1,
    periodSeconds: (a) => a.deliverySuccessPeriodSeconds,
    lambdaOnly: false,
    describe: (subject, a, agg) =>
      `Failed S3 puts by ${subject} (DeliveryToS3.Success below 1${agg}, ${a.deliverySuccessPeriodSeconds} s window).`,
  },
  {
    signal: 'throttled-records',
    metricName: 'ThrottledRecords',
    aggregate: 'SUM',
    stat: 'Sum',
    comparisonOperator: 'GreaterThanThreshold',
    threshold: () => 0,
    lambdaOnly: false,
    describe: (subject, _a, agg) => `Firehose throttled records of ${subject} (ThrottledRecords${agg}, above 0).`,
  },
  {
    signal: 'transform-success',
    metricName: 'ExecuteProcessing.Success',
    aggregate: 'MIN',
    stat: 'Minimum',
    comparisonOperator: 'LessThanThreshold',
    threshold: () => 1,
    lambdaOnly: true,
    describe: (subject, _a, agg) => `A transform Lambda invocation by ${subject} failed (ExecuteProcessing.Success below 1${agg}).`,
  },
];

/**
 * The environment-wide alarms, as data, in a fixed order: one aggregated (Metrics Insights) alarm
 * per Firehose signal, and the router, root stream and dead-letter queue alarms when the root
 * stream is enabled. They live in the environment's single or core stack.
 */
export function alarmDefinitions(env: EnvironmentSpec): AlarmDefinition[] {
  const a = env.alarms;
  const p = env.prefix;
  const lambda = usesTransformLambda(env);
  const out: AlarmDefinition[] = [];

  // Aggregated: one Metrics Insights alarm per signal covers every delivery stream.
  for (const s of FIREHOSE_SIGNALS) {
    if (s.lambdaOnly && !lambda) continue;
    out.push({
      ...ALARM_DEFAULTS,
      id: `all-streams-${s.signal}`,
      alarmName: naming.alarmName(p, 'delivery-streams', s.signal),
      description: s.describe(`any delivery stream in ${env.region}`, a, `, ${AGGREGATE_WORDS[s.aggregate]} over all streams`),
      runbook: `${RUNBOOK}${s.signal}`,
      source: { kind: 'query', expression: firehoseQuery(s.aggregate, s.metricName) },
      ...(s.periodSeconds ? { periodSeconds: s.periodSeconds(a) } : {}),
      comparisonOperator: s.comparisonOperator,
      threshold: s.threshold(a),
    });
  }

  if (env.rootStream.enabled) {
    const rs = env.rootStream;
    const router = rs.router.functionName;
    out.push({
      ...lambdaAlarm(env, 'router-iterator-age', router, 'iterator-age', 'IteratorAge', { FunctionName: router }, 'Maximum', 0, 'router-iterator-age'),
      description:
        `The router ${router} is behind the root stream: the age of the last record it read is above ` +
        `${a.iteratorAgeThresholdSeconds} s (Lambda IteratorAge, maximum).`,
      threshold: a.iteratorAgeThresholdSeconds * 1000,
    });
    out.push({
      ...ALARM_DEFAULTS,
      id: 'root-stream-write-throughput-exceeded',
      alarmName: naming.alarmName(p, rs.streamName, 'write-throughput-exceeded'),
      description: `Producers were throttled writing to ${rs.streamName} (WriteProvisionedThroughputExceeded, sum above 0).`,
      runbook: `${RUNBOOK}write-throughput-exceeded`,
      source: { kind: 'metric', namespace: 'AWS/Kinesis', metricName: 'WriteProvisionedThroughputExceeded', dimensions: { StreamName: rs.streamName }, stat: 'Sum' },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    });
    const dlq = rs.router.deadLetterQueueName;
    out.push({
      ...ALARM_DEFAULTS,
      id: 'router-dlq-depth',
      alarmName: naming.alarmName(p, dlq, 'dlq-depth'),
      description: `Messages are waiting in the router's dead-letter queue ${dlq} (ApproximateNumberOfMessagesVisible above 0).`,
      runbook: `${RUNBOOK}dlq-depth`,
      source: { kind: 'metric', namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: dlq }, stat: 'Maximum' },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      // SQS emits queue metrics only while the queue is "active" (up to six hours after it last held
      // messages or was accessed) and then stops. With notBreaching the alarm would go back to OK while
      // messages still wait; `ignore` keeps the last state when data is missing, so it stays in ALARM
      // until a data point shows the queue empty. Source: docs/operations.md, "dlq-depth".
      treatMissingData: 'ignore',
    });
  }
  return out;
}

/** A JSONL transform function of a stack (its own in the sharded layout, the environment's in the single one). */
export interface TransformFunctionRef {
  readonly functionName: string;
  readonly timeoutSeconds: number;
}

/** Errors, throttles and p99 duration of a transform function: they live in the stack of the function. */
export function transformAlarmDefinitions(env: EnvironmentSpec, fn: TransformFunctionRef): AlarmDefinition[] {
  const dims = { FunctionName: fn.functionName };
  return [
    lambdaAlarm(env, 'transform-errors', fn.functionName, 'errors', 'Errors', dims, 'Sum', 0, 'transform-errors'),
    lambdaAlarm(env, 'transform-throttles', fn.functionName, 'throttles', 'Throttles', dims, 'Sum', 0, 'transform-throttles'),
    {
      ...lambdaAlarm(env, 'transform-duration', fn.functionName, 'duration', 'Duration', dims, 'p99', 0, 'transform-duration'),
      description:
        `p99 duration of ${fn.functionName} is above ${DURATION_ALARM_RATIO * 100}% of its ${fn.timeoutSeconds} s timeout ` +
        '(2 of 3 five-minute periods).',
      threshold: Math.round(fn.timeoutSeconds * 1000 * DURATION_ALARM_RATIO),
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    },
  ];
}

function lambdaAlarm(
  env: EnvironmentSpec,
  id: string,
  functionName: string,
  signal: string,
  metricName: string,
  dimensions: Record<string, string>,
  stat: string,
  threshold: number,
  runbook: string,
): AlarmDefinition {
  return {
    ...ALARM_DEFAULTS,
    id,
    alarmName: naming.alarmName(env.prefix, functionName, signal),
    description: `${functionName}: ${metricName} (${stat}) above ${threshold}.`,
    runbook: `${RUNBOOK}${runbook}`,
    source: { kind: 'metric', namespace: 'AWS/Lambda', metricName, dimensions, stat },
    comparisonOperator: 'GreaterThanThreshold',
    threshold,
  };
}

/**
 * Standard per-stream alarms for the event types listed in `alarms.perStreamAlarms` (among
 * `eventTypes`, the ones of this stack): one alarm per event type and Firehose signal, each its own
 * resource named from the config key (`aws_cloudwatch_metric_alarm.web-shop__page_view__data-freshness`).
 */
export function perStreamAlarmDefinitions(env: EnvironmentSpec, eventTypes: readonly EventTypeSpec[]): (AlarmDefinition & { readonly eventTypeKey: string; readonly signal: string })[] {
  const a = env.alarms;
  const listed = new Set(a.perStreamAlarms);
  return eventTypes
    .filter((t) => listed.has(t.key))
    .flatMap((t) =>
      FIREHOSE_SIGNALS.filter((s) => !s.lambdaOnly || t.transform === 'lambda').map((s) => {
        const name = t.deliveryStreamName;
        return {
          ...ALARM_DEFAULTS,
          id: perStreamAlarmResourceName(t.resourceName, s.signal),
          eventTypeKey: t.key,
          signal: s.signal,
          alarmName: naming.alarmName(env.prefix, name, s.signal),
          description: s.describe(`delivery stream ${name}`, a, ''),
          runbook: `${RUNBOOK}${s.signal}`,
          source: { kind: 'metric' as const, namespace: FIREHOSE, metricName: s.metricName, dimensions: { DeliveryStreamName: name }, stat: s.stat },
          ...(s.periodSeconds ? { periodSeconds: s.periodSeconds(a) } : {}),
          comparisonOperator: s.comparisonOperator,
          threshold: s.threshold(a),
        };
      }),
    );
}

/** Terraform name of one per-stream alarm: `<event type resource name>__<signal>`. */
export function perStreamAlarmResourceName(eventTypeResourceName: string, signal: string): string {
  return `${eventTypeResourceName}__${signal}`;
}

/**
 * The construct id a per-stream alarm had in the last landed version (under the `alarms`
 * construct, with `/` written as `--`, its logical id derived from that path), so that a `moved`
 * block carries it over instead of deleting and re-creating it (CloudWatch's PutMetricAlarm
 * overwrites by name, so a create racing a delete of the same name could leave no alarm).
 */
export function legacyPerStreamAlarmId(key: string, signal: string): string {
  return `stream-${key.replace(/\//g, '--')}-${signal}`;
}

/** Alias of the topic's KMS key, from config/naming. */
export function alarmTopicKeyAlias(env: EnvironmentSpec): string {
  return naming.alarmTopicKeyAlias(env.prefix);
}

/** Key administration actions granted to the account (no wildcard actions; see docs/operations.md). */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateGrant',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
] as const;

/**
 * What CloudWatch needs on the key to publish to an encrypted topic, as the SNS Developer Guide
 * documents it ("Managing Amazon SNS encryption keys and costs", section "Enable compatibility
 * between event sources from AWS services and encrypted topics",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services):
 * step 2, the service principal `cloudwatch.amazonaws.com` with these two actions; step 3, "Add the
 * aws:SourceAccount and aws:SourceArn condition keys to the KMS resource policy to further protect
 * the KMS key from confused deputy attacks", which the page says is not supported only for
 * EventBridge-to-encrypted topics. So the key statement carries the same conditions as the topic
 * policy (cloudwatchTopicConditions). Sources: docs/operations.md, "Alarm delivery".
 */
export const CLOUDWATCH_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'] as const;

/** What a principal of the account needs on the key to publish to the topic (a test page, for example). */
export const PUBLISHER_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'] as const;

/**
 * Conditions the CloudWatch User Guide documents for the topic policy ("Preventing confused deputy
 * security issues"), and the SNS Developer Guide for the key policy (sns-key-management.html, step
 * 3): the alarm publishing must be one of this environment's, in this account.
 */
function cloudwatchTopicConditions(env: EnvironmentSpec, context: AwsContext): Record<string, Record<string, string>> {
  return {
    StringEquals: { 'aws:SourceAccount': context.accountId },
    ArnLike: { 'aws:SourceArn': context.arn('cloudwatch', `alarm:${naming.alarmName(env.prefix, '*', '*')}`) },
  };
}

/**
 * Key policy of the topic key. In a key policy the Resource element is "*", which means "this
 * KMS key" (the key's ARN does not exist before the key): this is the one place the project
 * writes "*", and it cannot reach any other resource.
 *
 * - The account administers the key (explicit actions, no kms:*).
 * - The account may use the key to publish: this delegates to IAM, so an administrator whose IAM
 *   policy allows sns:Publish and these KMS actions can send a test page.
 * - CloudWatch may use the key to publish alarms of this environment in this account (the
 *   documented statement with its documented aws:SourceAccount / aws:SourceArn conditions).
 */
export function topicKeyPolicy(env: EnvironmentSpec, context: AwsContext): string {
  const account = { AWS: context.arn('iam', 'root', { global: true }) };
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: account, Action: [...KEY_ADMIN_ACTIONS], Resource: '*' },
      { Sid: 'AccountPublishesThroughIam', Effect: 'Allow', Principal: account, Action: [...PUBLISHER_KEY_ACTIONS], Resource: '*' },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: [...CLOUDWATCH_KEY_ACTIONS],
        Resource: '*',
        Condition: cloudwatchTopicConditions(env, context),
      },
    ],
  });
}

/**
 * Topic policy: CloudWatch may publish, only for this environment's alarms in this account (the
 * conditions the CloudWatch User Guide documents), and principals of the account may publish when
 * their IAM policy allows it (for a test page: `aws sns publish --topic-arn …`).
 */
export function topicPolicy(env: EnvironmentSpec, context: AwsContext, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: cloudwatchTopicConditions(env, context),
      },
      {
        Sid: 'AccountPublishesThroughIam',
        Effect: 'Allow',
        Principal: { AWS: context.arn('iam', 'root', { global: true }) },
        Action: 'sns:Publish',
        Resource: topicArn,
      },
    ],
  });
}

/** Stable construct id of a subscription: a hash of protocol and endpoint, independent of list order. */
export function subscriptionId(protocol: string, endpoint: string): string {
  return `subscription-${protocol}-${createHash('sha256').update(`${protocol}:${endpoint}`).digest('hex').slice(0, 12)}`;
}

export interface AlarmsProps {
  /** The resolved environment: every dimension and name comes from it. */
  readonly env: EnvironmentSpec;
  /** Account, partition and region, for the ARNs in the key and topic policies. */
  readonly context: AwsContext;
  /**
   * Create the topic, its key and subscriptions, and the environment-wide alarms (the single or
   * core stack). A shard stack sets false: its alarms publish to the core's topic by ARN.
   * @default true
   */
  readonly environmentWide?: boolean;
  /**
   * Event types of this stack: the ones listed in `alarms.perStreamAlarms` get per-stream alarms here.
   * @default []
   */
  readonly eventTypes?: readonly EventTypeSpec[];
  /**
   * The JSONL transform function of this stack, alarmed on errors, throttles and duration.
   * @default none
   */
  readonly transformFunction?: TransformFunctionRef;
  /**
   * More environment-wide alarms, from other modules (the hot path's).
   * @default []
   */
  readonly extraDefinitions?: readonly AlarmDefinition[];
  /**
   * Per-stream alarms to carry over from their pre-for_each addresses with `moved` blocks (the
   * single layout, where they lived before). Keys: the legacy construct id under this construct.
   * @default false
   */
  readonly moveLegacyPerStreamAlarms?: boolean;
  /**
   * Waiting period before the topic key is deleted after a destroy (7-30 days).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
}

/**
 * The alarms of one stack: in the single or core stack the topic (with its key and
 * subscriptions) and the environment-wide alarms; in every stack holding event types, the
 * alarms of its transform function and its per-stream alarms.
 */
export class Alarms extends Construct {
  /** Undefined in a shard stack. */
  public readonly key?: KmsKey;
  public readonly keyAlias?: KmsAlias;
  public readonly topic?: SnsTopic;
  /** ARN of the environment's alarm topic (a reference in the single or core stack, built from its name in a shard). */
  public readonly topicArn: string;
  public readonly topicPolicy?: SnsTopicPolicy;
  public readonly subscriptions: readonly SnsTopicSubscription[];
  /** Where every alarm sends ALARM and OK: the environment's topic, then `alarms.topicArn` when configured. */
  public readonly actions: readonly string[];
  public readonly definitions: readonly AlarmDefinition[];
  public readonly alarms: readonly CloudwatchMetricAlarm[];
  /** Per-stream alarms of this stack: one resource per event type and signal. */
  public readonly perStreamAlarms: readonly CloudwatchMetricAlarm[];
  /** `moved` blocks (from, to) for per-stream alarms that had other addresses before. */
  public readonly moves: readonly { readonly from: string; readonly to: string }[];

  public constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { env, context } = props;
    const environmentWide = props.environmentWide ?? true;

    if (environmentWide) {
      this.key = new KmsKey(this, 'topic-key', {
        description: `Encrypts the alarm topic ${env.alarms.topicName}; CloudWatch may use it to publish alarms.`,
        enableKeyRotation: true,
        deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
        policy: topicKeyPolicy(env, context),
      });
      this.keyAlias = new KmsAlias(this, 'topic-key-alias', { name: alarmTopicKeyAlias(env), targetKeyId: this.key.keyId });
      this.topic = new SnsTopic(this, 'topic', { name: env.alarms.topicName, kmsMasterKeyId: this.key.arn });
      this.topicArn = this.topic.arn;
      this.topicPolicy = new SnsTopicPolicy(this, 'topic-policy', { arn: this.topic.arn, policy: topicPolicy(env, context, this.topic.arn) });
      this.subscriptions = env.alarms.subscriptions.map(
        (s) => new SnsTopicSubscription(this, subscriptionId(s.protocol, s.endpoint), { topicArn: this.topic!.arn, protocol: s.protocol, endpoint: s.endpoint }),
      );
    } else {
      // The core stack, applied first, owns the topic; its ARN follows from its name.
      this.topicArn = context.arn('sns', env.alarms.topicName);
      this.subscriptions = [];
    }

    this.actions = [this.topicArn, ...(env.alarms.topicArn !== undefined ? [env.alarms.topicArn] : [])];
    this.definitions = [
      ...(environmentWide ? alarmDefinitions(env) : []),
      ...(props.extraDefinitions ?? []),
      ...(props.transformFunction !== undefined ? transformAlarmDefinitions(env, props.transformFunction) : []),
    ];
    this.alarms = this.definitions.map((d) => new CloudwatchMetricAlarm(this, d.id, alarmConfig(d, this.actions)));

    const moves: { from: string; to: string }[] = [];
    const scratch = props.moveLegacyPerStreamAlarms ? legacyIdAllocator() : undefined;
    this.perStreamAlarms = perStreamAlarmDefinitions(env, props.eventTypes ?? []).map((d) => {
      const alarm = new CloudwatchMetricAlarm(this, d.id, alarmConfig(d, this.actions));
      alarm.overrideLogicalId(d.id);
      if (scratch !== undefined) moves.push({ from: `aws_cloudwatch_metric_alarm.${scratch(id, legacyPerStreamAlarmId(d.eventTypeKey, d.signal))}`, to: `aws_cloudwatch_metric_alarm.${d.id}` });
      return alarm;
    });
    this.moves = moves;
  }
}

/**
 * The logical id cdktf gave a construct path `<alarms id>/<child id>` in a stack: computed with
 * cdktf's public API on a scratch stack (the same algorithm as every stack), so that `moved` blocks
 * name the old addresses exactly.
 */
function legacyIdAllocator(): (scopeId: string, childId: string) => string {
  const stack = new TerraformStack(new App({ outdir: path.join(tmpdir(), 'tracking-legacy-ids'), skipValidation: true }), 'legacy-ids');
  const scopes = new Map<string, Construct>();
  return (scopeId, childId) => {
    let scope = scopes.get(scopeId);
    if (scope === undefined) scopes.set(scopeId, (scope = new Construct(stack, scopeId)));
    return stack.getLogicalId(new TerraformElement(scope, childId));
  };
}

/** The resource arguments of one alarm definition. */
export function alarmConfig(d: AlarmDefinition, actions: readonly string[]): ConstructorParameters<typeof CloudwatchMetricAlarm>[2] {
  const common = {
    alarmName: d.alarmName,
    alarmDescription: `${d.description} Runbook: ${d.runbook}`,
    comparisonOperator: d.comparisonOperator,
    threshold: d.threshold,
    evaluationPeriods: d.evaluationPeriods,
    datapointsToAlarm: d.datapointsToAlarm,
    treatMissingData: d.treatMissingData,
    actionsEnabled: true,
    alarmActions: [...actions],
    okActions: [...actions],
  };
  if (d.source.kind === 'query') {
    return {
      ...common,
      metricQuery: [{ id: 'q1', expression: d.source.expression, period: d.periodSeconds, returnData: true, label: d.alarmName }],
    };
  }
  const s = d.source;
  const percentile = /^p\d+(\.\d+)?$/.test(s.stat);
  return {
    ...common,
    namespace: s.namespace,
    metricName: s.metricName,
    dimensions: { ...s.dimensions },
    period: d.periodSeconds,
    ...(percentile ? { extendedStatistic: s.stat } : { statistic: s.stat }),
  };
}
