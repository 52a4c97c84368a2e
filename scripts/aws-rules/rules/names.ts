/**
 * Every physical name synth wrote, within its AWS limit and pattern: the names as Terraform
 * evaluated them, checked against config/naming.ts NAME_RULES (the rules the loader applies to the
 * names it builds) and, for the kinds NAME_RULES does not cover, against the API's own constraints.
 */
import { bucketNameProblem } from '../../../config/aws-rules';
import { NAME_RULES, type NameKind } from '../../../config/naming';
import { str, type Finding, type Rule, type RuleSource } from '../engine';

interface NameRule {
  readonly max: number;
  readonly pattern: RegExp;
  readonly what: string;
}

/** Name kinds NAME_RULES does not have, with the API's constraints. */
const EXTRA_RULES = {
  eventRule: { max: 64, pattern: /^[.\-_A-Za-z0-9]+$/, what: 'EventBridge rule name' },
  lambdaAlias: { max: 128, pattern: /^(?!\d+$)[a-zA-Z0-9_-]+$/, what: 'Lambda alias name' },
  apiStage: { max: 128, pattern: /^(\$default|[A-Za-z0-9_-]+)$/, what: 'API Gateway stage name' },
  metricFilter: { max: 512, pattern: /^[^:*]+$/, what: 'CloudWatch Logs metric filter name' },
  statementId: { max: 100, pattern: /^[a-zA-Z0-9_.-]+$/, what: 'Lambda permission statement id' },
} as const;

type Kind = NameKind | keyof typeof EXTRA_RULES;

/** Where each kind's limit comes from. */
const SOURCES: Readonly<Record<Kind, RuleSource>> = {
  deliveryStream: { title: 'Amazon Data Firehose API Reference: CreateDeliveryStream (DeliveryStreamName)', url: 'https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html' },
  bucket: { title: 'Amazon S3 User Guide: General purpose bucket naming rules', url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html' },
  logGroup: { title: 'Amazon CloudWatch Logs API Reference: CreateLogGroup (logGroupName)', url: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html' },
  logStream: { title: 'Amazon CloudWatch Logs API Reference: CreateLogStream (logStreamName)', url: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html' },
  lambdaFunction: { title: 'AWS Lambda API Reference: CreateFunction (FunctionName)', url: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html' },
  iamRole: { title: 'IAM API Reference: CreateRole (RoleName)', url: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html' },
  iamPolicy: { title: 'IAM API Reference: CreatePolicy and PutRolePolicy (PolicyName)', url: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html' },
  kinesisStream: { title: 'Amazon Kinesis Data Streams API Reference: CreateStream (StreamName)', url: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html' },
  kinesisConsumer: { title: 'Amazon Kinesis Data Streams API Reference: RegisterStreamConsumer (ConsumerName)', url: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RegisterStreamConsumer.html' },
  sqsQueue: { title: 'Amazon SQS API Reference: CreateQueue (QueueName)', url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html' },
  snsTopic: { title: 'Amazon SNS API Reference: CreateTopic (Name)', url: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html' },
  alarm: { title: 'Amazon CloudWatch API Reference: PutMetricAlarm (AlarmName)', url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html' },
  dashboard: { title: 'Amazon CloudWatch API Reference: PutDashboard (DashboardName)', url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html' },
  dynamodbTable: { title: 'Amazon DynamoDB API Reference: CreateTable (TableName)', url: 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html' },
  glueDatabase: { title: 'Amazon Athena User Guide: Name databases, tables, and columns', url: 'https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html' },
  glueTable: { title: 'Amazon Athena User Guide: Name databases, tables, and columns', url: 'https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html' },
  athenaWorkgroup: { title: 'Amazon Athena API Reference: CreateWorkGroup (Name)', url: 'https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html' },
  apiGateway: { title: 'Amazon API Gateway Version 2 API Reference: Apis (name)', url: 'https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html' },
  ssmParameter: { title: 'AWS Systems Manager API Reference: PutParameter (Name)', url: 'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html' },
  kmsAlias: { title: 'AWS KMS API Reference: CreateAlias (AliasName)', url: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html' },
  eventRule: { title: 'Amazon EventBridge API Reference: PutRule (Name)', url: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html' },
  lambdaAlias: { title: 'AWS Lambda API Reference: CreateAlias (Name)', url: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html' },
  apiStage: { title: 'Amazon API Gateway Version 2 API Reference: Stages (stageName)', url: 'https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages.html' },
  metricFilter: { title: 'Amazon CloudWatch Logs API Reference: PutMetricFilter (filterName)', url: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html' },
  statementId: { title: 'AWS Lambda API Reference: AddPermission (StatementId)', url: 'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html' },
};

/** Which attribute of which resource type holds a physical name, and its kind. */
export const NAMED_ATTRIBUTES: readonly { readonly type: string; readonly attr: string; readonly kind: Kind }[] = [
  { type: 'aws_kinesis_firehose_delivery_stream', attr: 'name', kind: 'deliveryStream' },
  { type: 'aws_s3_bucket', attr: 'bucket', kind: 'bucket' },
  { type: 'aws_cloudwatch_log_group', attr: 'name', kind: 'logGroup' },
  { type: 'aws_cloudwatch_log_stream', attr: 'name', kind: 'logStream' },
  { type: 'aws_lambda_function', attr: 'function_name', kind: 'lambdaFunction' },
  { type: 'aws_iam_role', attr: 'name', kind: 'iamRole' },
  { type: 'aws_iam_policy', attr: 'name', kind: 'iamPolicy' },
  { type: 'aws_iam_role_policy', attr: 'name', kind: 'iamPolicy' },
  { type: 'aws_kinesis_stream', attr: 'name', kind: 'kinesisStream' },
  { type: 'aws_kinesis_stream_consumer', attr: 'name', kind: 'kinesisConsumer' },
  { type: 'aws_sqs_queue', attr: 'name', kind: 'sqsQueue' },
  { type: 'aws_sns_topic', attr: 'name', kind: 'snsTopic' },
  { type: 'aws_cloudwatch_metric_alarm', attr: 'alarm_name', kind: 'alarm' },
  { type: 'aws_cloudwatch_composite_alarm', attr: 'alarm_name', kind: 'alarm' },
  { type: 'aws_cloudwatch_dashboard', attr: 'dashboard_name', kind: 'dashboard' },
  { type: 'aws_dynamodb_table', attr: 'name', kind: 'dynamodbTable' },
  { type: 'aws_glue_catalog_database', attr: 'name', kind: 'glueDatabase' },
  { type: 'aws_glue_catalog_table', attr: 'name', kind: 'glueTable' },
  { type: 'aws_athena_workgroup', attr: 'name', kind: 'athenaWorkgroup' },
  { type: 'aws_apigatewayv2_api', attr: 'name', kind: 'apiGateway' },
  { type: 'aws_ssm_parameter', attr: 'name', kind: 'ssmParameter' },
  { type: 'aws_kms_alias', attr: 'name', kind: 'kmsAlias' },
  { type: 'aws_cloudwatch_event_rule', attr: 'name', kind: 'eventRule' },
  { type: 'aws_lambda_alias', attr: 'name', kind: 'lambdaAlias' },
  { type: 'aws_apigatewayv2_stage', attr: 'name', kind: 'apiStage' },
  { type: 'aws_cloudwatch_log_metric_filter', attr: 'name', kind: 'metricFilter' },
  { type: 'aws_lambda_permission', attr: 'statement_id', kind: 'statementId' },
];

function ruleOf(kind: Kind): NameRule {
  return kind in EXTRA_RULES ? EXTRA_RULES[kind as keyof typeof EXTRA_RULES] : NAME_RULES[kind as NameKind];
}

/** The first problem of a name of a kind, or undefined. FIFO queues and topics may end in ".fifo". */
export function nameProblem(kind: Kind, name: string): string | undefined {
  const rule = ruleOf(kind);
  const length = [...name].length;
  if (length === 0) return `${rule.what} is empty`;
  if (length > rule.max) return `${rule.what} ${JSON.stringify(name)} is ${length} characters; AWS allows at most ${rule.max}`;
  const body = (kind === 'sqsQueue' || kind === 'snsTopic') && name.endsWith('.fifo') ? name.slice(0, -'.fifo'.length) : name;
  if (!rule.pattern.test(body)) return `${rule.what} ${JSON.stringify(name)} does not match AWS's pattern ${rule.pattern.source}`;
  if (kind === 'bucket') {
    const p = bucketNameProblem(name);
    if (p !== undefined) return `${rule.what} ${JSON.stringify(name)} ${p}`;
  }
  if (kind === 'kmsAlias' && name.startsWith('alias/aws/')) return `${rule.what} ${JSON.stringify(name)} uses the prefix alias/aws/, which AWS reserves`;
  return undefined;
}

export const physicalNames: Rule = {
  id: 'physical-names',
  family: 'names',
  title: 'Every physical name synth wrote is within its AWS length limit and pattern (config/naming.ts NAME_RULES, and the API constraints of the other kinds)',
  sources: [...new Map(Object.values(SOURCES).map((s) => [s.url, s])).values()],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    for (const stack of ctx.stacks) {
      for (const r of stack.state.resources) {
        if (r.mode !== 'managed') continue;
        for (const n of NAMED_ATTRIBUTES) {
          if (n.type !== r.type) continue;
          const name = str(r, [n.attr]);
          if (name === undefined) continue;
          const problem = nameProblem(n.kind, name);
          if (problem !== undefined) out.push({ stack, address: r.address, message: `${n.attr}: ${problem} (${SOURCES[n.kind].title})`, value: name });
        }
      }
    }
    return out;
  },
};

export const NAME_RULE_LIST: readonly Rule[] = [physicalNames];
