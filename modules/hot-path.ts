/**
 * The hot path of one environment: a Lambda that evaluates the config's hot-path rules on the
 * Kinesis root stream, the table of matches, the encrypted topic it notifies, and what keeps it
 * operable (dead-letter queue, alarms and dashboard rows as data).
 *
 * - Consumers: match rules share one; rate rules get one per distinct window length (a tumbling
 *   window is a property of the event source mapping). Each consumer is one event source mapping
 *   that invokes its own alias of the one published function. Lambda allows one event source
 *   mapping per (event source, function ARN with its qualifier): a second mapping of the root
 *   stream to the same function ARN fails with ResourceConflictException. The aliases make every
 *   pair distinct, and tell the handler which consumer a batch comes from.
 * - Each mapping's filter criteria are compiled from its rules (functions/hot-path/filter-pattern.ts);
 *   above Lambda's quota of filter patterns per mapping they are merged, never split across more
 *   mappings, because every mapping is one more reader sharing each shard's 5 GetRecords calls per
 *   second.
 * - With no rules, nothing is created.
 *
 * Sources for every AWS fact used here, and the designs compared: docs/hot-path.md.
 */
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaAlias } from '@cdktf/provider-aws/lib/lambda-alias';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { hotPathConsumers, needsSchedule, type HotPathSpec } from '../config/hot-path';
import type { NamePrefix } from '../config/naming';
import * as naming from '../config/naming';
import { compileMappingFilter, mappingGroups, type MappingFilter } from '../functions/hot-path/filter-pattern';
import { METRIC_FUNCTION, METRIC_NAMESPACE } from '../functions/hot-path/metrics';
import { buildRulesDocument, RULES_FILE } from '../functions/hot-path/rules';
import { KEY_ADMIN_ACTIONS, subscriptionId, type AlarmDefinition } from './alarms';
import type { AwsContext } from './aws-context';
import { NodejsFunction } from './nodejs-function';
import { DLQ_RETENTION_SECONDS, KINESIS_READ_ACTIONS } from './root-stream';

/** How often the schedule evaluates `fewerThan` rules (EventBridge's finest rate is one minute). */
export const SCHEDULE_EXPRESSION = 'rate(1 minute)';
/** Exactly what the handler calls on the matches table. */
export const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;
/** What a publisher needs on the key of an SSE-KMS topic (SNS key management docs). */
export const TOPIC_KEY_PUBLISHER_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;
/** Item attribute DynamoDB's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'expires_at';

export interface HotPathProps {
  /** The resolved hot path (config/hot-path.ts `resolveHotPath`). */
  readonly spec: HotPathSpec;
  /** The environment's name prefix: the Lambda's rules file names the environment. */
  readonly prefix: NamePrefix;
  /** ARN of the root stream the mappings read. */
  readonly streamArn: string;
  readonly context: AwsContext;
  /** Retention of the Lambda's log group, in days. */
  readonly logRetentionDays: number;
  /**
   * Customer managed KMS key of the root stream (RootStream.streamKeyArn): the Lambda then needs
   * kms:Decrypt on it.
   * @default none (the AWS managed key alias/aws/kinesis needs no permission)
   */
  readonly streamKeyArn?: string;
  /**
   * Waiting period before the topic key is deleted after a destroy (7-30 days).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
}

/** One consumer: its event source mapping, the alias the mapping invokes, and the filter compiled for it. */
export interface HotPathMapping {
  /** `match`, or `rate-<seconds>s`: also the alias name. */
  readonly id: string;
  /** Tumbling window, for rate mappings. */
  readonly windowSeconds?: number;
  readonly filter: MappingFilter;
  readonly alias: LambdaAlias;
  readonly mapping: LambdaEventSourceMapping;
}

export interface HotPathResources {
  readonly function: NodejsFunction;
  readonly table: DynamodbTable;
  readonly key: KmsKey;
  readonly keyAlias: KmsAlias;
  readonly topic: SnsTopic;
  readonly topicPolicy: SnsTopicPolicy;
  readonly subscriptions: readonly SnsTopicSubscription[];
  readonly deadLetterQueue: SqsQueue;
  readonly mappings: readonly HotPathMapping[];
  /** The schedule of `fewerThan` rules, when there are some. */
  readonly schedule?: CloudwatchEventRule;
}

/** Key policy of the topic key: the account administers it; only the hot-path role may use it to publish. */
export function topicKeyPolicy(context: AwsContext, publisherRoleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AccountAdministersKey',
        Effect: 'Allow',
        Principal: { AWS: context.arn('iam', 'root', { global: true }) },
        Action: [...KEY_ADMIN_ACTIONS],
        // In a key policy "*" means this key (its ARN does not exist before the key).
        Resource: '*',
      },
      {
        Sid: 'HotPathPublishes',
        Effect: 'Allow',
        Principal: { AWS: publisherRoleArn },
        Action: [...TOPIC_KEY_PUBLISHER_ACTIONS],
        Resource: '*',
      },
    ],
  });
}

/** Topic policy: the hot-path role may publish (account principals keep their IAM permissions). */
export function topicPolicy(topicArn: string, publisherRoleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'HotPathPublishes', Effect: 'Allow', Principal: { AWS: publisherRoleArn }, Action: 'sns:Publish', Resource: topicArn }],
  });
}

export class HotPath extends Construct {
  /** Undefined when the spec has no rules: then nothing exists. */
  public readonly resources?: HotPathResources;

  public constructor(scope: Construct, id: string, props: HotPathProps) {
    super(scope, id);
    const { spec, context } = props;
    if (spec.rules.length === 0) return;

    // --- Dead-letter queue (on-failure destination of every mapping) ----------------------------
    const deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: spec.deadLetterQueueName,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });

    // --- Table of matches ---------------------------------------------------------------------
    const table = new DynamodbTable(this, 'table', {
      name: spec.tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'rule',
      rangeKey: 'event_id',
      attribute: [
        { name: 'rule', type: 'S' },
        { name: 'event_id', type: 'S' },
      ],
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: true },
      // The AWS managed key (alias/aws/dynamodb): logged in CloudTrail, no key policy to manage.
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: spec.deletionProtection,
    });

    // --- Function -------------------------------------------------------------------------------
    const topicArn = context.arn('sns', spec.topicName);
    const fn = new NodejsFunction(this, 'function', {
      source: 'hot-path',
      functionName: spec.functionName,
      description: `Hot-path rules of ${naming.environmentPrefix(props.prefix)} on the root stream`,
      context,
      logRetentionDays: props.logRetentionDays,
      memoryMiB: spec.memoryMiB,
      timeoutSeconds: spec.timeoutSeconds,
      environment: { TABLE_NAME: spec.tableName, TOPIC_ARN: topicArn },
      extraFiles: { [RULES_FILE]: buildRulesDocument(props.prefix.environment, spec, hotPathConsumers(spec)) },
      assetName: `${props.prefix.environment}/hot-path`,
    });
    // Every code or configuration change publishes a version; the consumers' aliases move to it.
    fn.function.publish = true;

    // --- Topic, its key and subscriptions ------------------------------------------------------
    const key = new KmsKey(this, 'topic-key', {
      description: `Encrypts the hot-path topic ${spec.topicName}; only ${spec.functionName} may use it to publish.`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
      policy: topicKeyPolicy(context, fn.role.arn),
    });
    const keyAlias = new KmsAlias(this, 'topic-key-alias', { name: spec.topicKeyAlias, targetKeyId: key.keyId });
    const topic = new SnsTopic(this, 'topic', { name: spec.topicName, kmsMasterKeyId: key.arn });
    const topicPolicyResource = new SnsTopicPolicy(this, 'topic-policy', { arn: topic.arn, policy: topicPolicy(topic.arn, fn.role.arn) });
    const subscriptions = spec.subscriptions.map(
      (s) => new SnsTopicSubscription(this, subscriptionId(s.protocol, s.endpoint), { topicArn: topic.arn, protocol: s.protocol, endpoint: s.endpoint }),
    );

    // --- IAM: one policy per concern, exact ARNs ------------------------------------------------
    const policies: IamRolePolicy[] = [
      fn.addPolicy('kinesis-read', { Sid: 'ReadRootStream', Effect: 'Allow', Action: [...KINESIS_READ_ACTIONS], Resource: [props.streamArn] }),
      fn.addPolicy('matches-table', { Sid: 'WriteMatches', Effect: 'Allow', Action: [...TABLE_ACTIONS], Resource: [table.arn] }),
      fn.addPolicy(
        'notify',
        { Sid: 'PublishMatches', Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic.arn] },
        { Sid: 'EncryptMatches', Effect: 'Allow', Action: [...TOPIC_KEY_PUBLISHER_ACTIONS], Resource: [key.arn] },
      ),
      fn.addPolicy('dlq', { Sid: 'SendToDeadLetterQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [deadLetterQueue.arn] }),
    ];
    if (props.streamKeyArn !== undefined) {
      policies.push(fn.addPolicy('kinesis-kms', { Sid: 'DecryptRootStream', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [props.streamKeyArn] }));
    }

    // --- Consumers: one alias and one event source mapping each --------------------------------
    // Lambda allows one event source mapping per (event source, function ARN with its qualifier);
    // a second CreateEventSourceMapping for the same pair fails with ResourceConflictException ("The
    // event source arn (...) and function (...) provided mapping already exists"). All consumers
    // read the root stream with this one function, so each mapping invokes its own alias.
    // Sources (docs/hot-path.md, [L9]-[L11]): CreateEventSourceMapping (FunctionName accepts a
    // version or alias ARN; ResourceConflictException),
    // https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, and aliases
    // ("Each alias has a unique ARN"), https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
    const m = spec.mapping;
    const mappings: HotPathMapping[] = mappingGroups(spec).map((group) => {
      const filter = compileMappingFilter(group.rules, spec.filterPatternQuota);
      const alias = new LambdaAlias(this, `${group.id}-alias`, {
        name: group.alias,
        description:
          group.windowSeconds === undefined
            ? 'Match rules of the hot path (its event source mapping on the root stream)'
            : `Rate rules with ${group.windowSeconds} s windows of the hot path (its event source mapping on the root stream)`,
        functionName: fn.function.functionName,
        functionVersion: fn.function.version,
      });
      // The mapping keeps its Terraform address (`<id>-mapping`): a deployed mapping is updated in
      // place (UpdateEventSourceMapping keeps its position in the stream), never replaced.
      const mapping = new LambdaEventSourceMapping(this, `${group.id}-mapping`, {
        eventSourceArn: props.streamArn,
        functionName: alias.arn,
        startingPosition: m.startingPosition,
        batchSize: m.batchSize,
        maximumBatchingWindowInSeconds: m.batchingWindowSeconds,
        // One batch per shard at a time: window state and record order are per shard.
        parallelizationFactor: 1,
        maximumRetryAttempts: m.maximumRetryAttempts,
        maximumRecordAgeInSeconds: m.maximumRecordAgeSeconds,
        bisectBatchOnFunctionError: true,
        // Match batches report failed records; window batches fail as a whole (their state must
        // describe exactly the records Lambda will not send again).
        ...(group.windowSeconds === undefined ? { functionResponseTypes: ['ReportBatchItemFailures'] } : { tumblingWindowInSeconds: group.windowSeconds }),
        ...(filter.patterns !== undefined ? { filterCriteria: { filter: filter.patterns.map((pattern) => ({ pattern })) } } : {}),
        destinationConfig: { onFailure: { destinationArn: deadLetterQueue.arn } },
        // Lambda checks the execution role's permissions when it creates the mapping.
        dependsOn: policies,
      });
      return { id: group.id, ...(group.windowSeconds !== undefined ? { windowSeconds: group.windowSeconds } : {}), filter, alias, mapping };
    });

    // --- Schedule of fewerThan rules ----------------------------------------------------------
    let schedule: CloudwatchEventRule | undefined;
    if (needsSchedule(spec)) {
      schedule = new CloudwatchEventRule(this, 'schedule', {
        name: spec.scheduleRuleName,
        description: `Evaluates the fewerThan rules of ${spec.functionName} after each window`,
        scheduleExpression: SCHEDULE_EXPRESSION,
      });
      new LambdaPermission(this, 'schedule-permission', {
        statementId: 'AllowScheduleInvoke',
        action: 'lambda:InvokeFunction',
        functionName: fn.function.functionName,
        principal: 'events.amazonaws.com',
        sourceArn: schedule.arn,
      });
      new CloudwatchEventTarget(this, 'schedule-target', { rule: schedule.name, targetId: 'hot-path', arn: fn.function.arn });
    }

    this.resources = {
      function: fn,
      table,
      key,
      keyAlias,
      topic,
      topicPolicy: topicPolicyResource,
      subscriptions,
      deadLetterQueue,
      mappings,
      ...(schedule !== undefined ? { schedule } : {}),
    };

    const outputs: [string, string, string][] = [
      ['hot-path-topic-arn', topic.arn, 'SNS topic of hot-path matches (subscribe with a filter policy on the "rule" or "event_type" attribute)'],
      ['hot-path-table-name', table.name, 'DynamoDB table of hot-path matches'],
    ];
    for (const [oid, value, description] of outputs) new TerraformOutput(this, oid, { value, description }).overrideLogicalId(oid);
  }
}

// ---------------------------------------------------------------------------------------------
// Operations, as plain data (wired into modules/alarms.ts and modules/dashboard.ts by the stack)
// ---------------------------------------------------------------------------------------------

const RUNBOOK = 'docs/hot-path.md#runbook-';
const ALARM_DEFAULTS = { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'notBreaching' } as const;

export interface HotPathAlarmOptions {
  /**
   * Iterator age above which the hot path is considered behind the stream.
   * @default 60 (the hot path promises alerts within seconds)
   */
  readonly iteratorAgeThresholdSeconds?: number;
}

export const HOT_PATH_ITERATOR_AGE_THRESHOLD_SECONDS = 60;

/** The hot path's alarms as data (empty without rules): iterator age, errors, throttles, DLQ depth. */
export function hotPathAlarmDefinitions(spec: HotPathSpec, prefix: NamePrefix, opts: HotPathAlarmOptions = {}): AlarmDefinition[] {
  if (spec.rules.length === 0) return [];
  const fn = spec.functionName;
  const threshold = opts.iteratorAgeThresholdSeconds ?? HOT_PATH_ITERATOR_AGE_THRESHOLD_SECONDS;
  // The FunctionName dimension aggregates all versions and aliases of the function (Lambda's
  // metrics docs, docs/hot-path.md [L12]): one alarm covers every consumer's alias.
  const lambda = (metricName: string, stat: string) => ({ kind: 'metric' as const, namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: fn }, stat });
  return [
    {
      ...ALARM_DEFAULTS,
      id: 'hot-path-iterator-age',
      alarmName: naming.alarmName(prefix, fn, 'iterator-age'),
      description: `The hot path ${fn} is behind the root stream: the age of the last record it read is above ${threshold} s (Lambda IteratorAge, maximum); alerts are late.`,
      runbook: `${RUNBOOK}iterator-age`,
      source: lambda('IteratorAge', 'Maximum'),
      periodSeconds: 60,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: threshold * 1000,
    },
    {
      ...ALARM_DEFAULTS,
      id: 'hot-path-errors',
      alarmName: naming.alarmName(prefix, fn, 'errors'),
      description: `Invocations of ${fn} failed (Lambda Errors, sum above 0): window batches or schedule ticks are being retried.`,
      runbook: `${RUNBOOK}errors`,
      source: lambda('Errors', 'Sum'),
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    {
      ...ALARM_DEFAULTS,
      id: 'hot-path-throttles',
      alarmName: naming.alarmName(prefix, fn, 'throttles'),
      description: `Invocations of ${fn} were throttled (Lambda Throttles, sum above 0).`,
      runbook: `${RUNBOOK}throttles`,
      source: lambda('Throttles', 'Sum'),
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    {
      ...ALARM_DEFAULTS,
      id: 'hot-path-dlq-depth',
      alarmName: naming.alarmName(prefix, spec.deadLetterQueueName, 'dlq-depth'),
      description: `Lambda gave up on hot-path batches: records of ${spec.deadLetterQueueName} name their shard and sequence numbers (ApproximateNumberOfMessagesVisible above 0).`,
      runbook: `${RUNBOOK}dlq-depth`,
      source: { kind: 'metric', namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: spec.deadLetterQueueName }, stat: 'Maximum' },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
  ];
}

type MetricRow = readonly (string | Readonly<Record<string, unknown>>)[];

/** Same shape as modules/dashboard.ts widget specs. */
export interface HotPathWidgetSpec {
  readonly title: string;
  readonly metrics: readonly MetricRow[];
  readonly stat?: string;
  readonly threshold?: { readonly label: string; readonly value: number };
}

/** The hot path's dashboard row (empty without rules). */
export function hotPathDashboardWidgets(spec: HotPathSpec, environment: string, opts: HotPathAlarmOptions = {}): HotPathWidgetSpec[] {
  if (spec.rules.length === 0) return [];
  const fn = spec.functionName;
  const emf = (name: string): MetricRow => [METRIC_NAMESPACE, name, 'Environment', environment, 'Function', METRIC_FUNCTION];
  return [
    {
      // FunctionName aggregates every version and alias (what the alarm reads); Resource
      // (`<function>:<alias>`) is one alias, so each consumer's lag shows on its own line.
      title: `Hot path ${fn}: iterator age (ms), all consumers and each alias`,
      metrics: [
        ['AWS/Lambda', 'IteratorAge', 'FunctionName', fn, { label: 'all consumers' }],
        ...hotPathConsumers(spec).map((c): MetricRow => ['AWS/Lambda', 'IteratorAge', 'FunctionName', fn, 'Resource', `${fn}:${c.alias}`, { label: c.alias }]),
      ],
      stat: 'Maximum',
      threshold: { label: 'alarm', value: (opts.iteratorAgeThresholdSeconds ?? HOT_PATH_ITERATOR_AGE_THRESHOLD_SECONDS) * 1000 },
    },
    {
      title: `Hot path ${fn}: matches, notifications, stored, duplicates`,
      metrics: [emf('Matches'), emf('Notified'), emf('Stored'), emf('Duplicates')],
      stat: 'Sum',
    },
    {
      // FunctionName: every alias and the schedule's unqualified invocations together.
      title: `Hot path ${fn}: invocations, errors, failed records`,
      metrics: [['AWS/Lambda', 'Invocations', 'FunctionName', fn], ['AWS/Lambda', 'Errors', 'FunctionName', fn], emf('FailedRecords')],
      stat: 'Sum',
    },
    {
      title: `Hot-path dead-letter queue ${spec.deadLetterQueueName}: messages visible`,
      metrics: [['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', spec.deadLetterQueueName]],
      stat: 'Maximum',
    },
  ];
}
