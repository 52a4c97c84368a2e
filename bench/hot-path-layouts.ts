/**
 * Hot-path layouts compared (docs/hot-path.md, "One mapping per function qualifier"). Lambda allows
 * one event source mapping per (event source, qualified function), so the hot path's consumers
 * (match rules; rate rules per window length) cannot all map the root stream to one function ARN.
 * Three layouts that satisfy the rule, synthesized for the same rules (the every-option hot path of
 * __tests__/fixtures/hot-path-config.yaml: 3 match rules, rate rules on 60 s and 300 s windows):
 *
 * - alias:                one published function, one alias and one mapping per consumer (chosen);
 * - function-per-consumer: one function (role, log group, policies) and one mapping per consumer;
 * - single-mapping:       one function, one unqualified mapping carrying every rule's filter and no
 *                          tumbling window (the function would have to keep the windows itself).
 *
 * Measured per layout: resources by type, bytes of cdk.tf.json, filter patterns per mapping
 * (compiled, and sent within the default quota of 5), standard readers on the root stream, and the
 * wall time of a mock `terraform plan` (terraform test, mock provider). The layouts other than
 * `alias` are prototypes for measurement only; the product uses modules/hot-path.ts.
 *
 *   npm run build && node dist/bench/hot-path-layouts.js [--no-plan]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { parse } from 'yaml';
import { hotPathConsumers, hotPathSchema, resolveHotPath, type HotPathSpec, type RawHotPath } from '../config/hot-path';
import { compileMappingFilter, mappingGroups, type MappingGroup } from '../functions/hot-path/filter-pattern';
import { buildRulesDocument, RULES_FILE } from '../functions/hot-path/rules';
import { AwsContext } from '../modules/aws-context';
import { HotPath, TABLE_ACTIONS, topicKeyPolicy, TOPIC_KEY_PUBLISHER_ACTIONS } from '../modules/hot-path';
import { NodejsFunction } from '../modules/nodejs-function';
import { KINESIS_READ_ACTIONS } from '../modules/root-stream';
import { TerraformChecker } from '../scripts/terraform-check';

const ROOT = path.resolve(__dirname, '..', '..');
const REGION = 'eu-central-1';
const STREAM_ARN = `arn:aws:kinesis:${REGION}:123456789012:stream/acme-bench-root`;
const PREFIX = { project: 'acme', environment: 'bench' } as const;
const DEFAULT_QUOTA = 5;

type Layout = 'alias' | 'function-per-consumer' | 'single-mapping';
const LAYOUTS: readonly Layout[] = ['alias', 'function-per-consumer', 'single-mapping'];

function everyOptionSpec(): HotPathSpec {
  const raw = (parse(readFileSync(path.join(ROOT, '__tests__', 'fixtures', 'hot-path-config.yaml'), 'utf8')) as { hotPath: unknown }).hotPath;
  return resolveHotPath(PREFIX, hotPathSchema.parse(raw) as RawHotPath, { streamRetentionHours: 168 })!;
}

/** The shared part of the prototypes: queue, table, topic and its key. */
function shared(scope: Construct, spec: HotPathSpec, context: AwsContext, publisherRoleArns: string[]) {
  const dlq = new SqsQueue(scope, 'dead-letter-queue', { name: spec.deadLetterQueueName, sqsManagedSseEnabled: true });
  const table = new DynamodbTable(scope, 'table', {
    name: spec.tableName,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'rule',
    rangeKey: 'event_id',
    attribute: [
      { name: 'rule', type: 'S' },
      { name: 'event_id', type: 'S' },
    ],
  });
  // One statement per publisher role (the real construct has one role).
  const policy = JSON.parse(topicKeyPolicy(context, publisherRoleArns[0]!)) as { Statement: { Principal: { AWS: string | string[] } }[] };
  policy.Statement[1]!.Principal.AWS = publisherRoleArns;
  const key = new KmsKey(scope, 'topic-key', { enableKeyRotation: true, policy: JSON.stringify(policy) });
  new KmsAlias(scope, 'topic-key-alias', { name: spec.topicKeyAlias, targetKeyId: key.keyId });
  const topic = new SnsTopic(scope, 'topic', { name: spec.topicName, kmsMasterKeyId: key.arn });
  new SnsTopicPolicy(scope, 'topic-policy', {
    arn: topic.arn,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: publisherRoleArns }, Action: 'sns:Publish', Resource: topic.arn }] }),
  });
  spec.subscriptions.forEach((s, i) => new SnsTopicSubscription(scope, `subscription-${i}`, { topicArn: topic.arn, protocol: s.protocol, endpoint: s.endpoint }));
  return { dlq, table, key, topic };
}

function mappingProps(spec: HotPathSpec, group: Pick<MappingGroup, 'rules' | 'windowSeconds'>, functionName: string, dlqArn: string) {
  const filter = compileMappingFilter(group.rules, spec.filterPatternQuota);
  return {
    eventSourceArn: STREAM_ARN,
    functionName,
    startingPosition: spec.mapping.startingPosition,
    batchSize: spec.mapping.batchSize,
    parallelizationFactor: 1,
    bisectBatchOnFunctionError: true,
    ...(group.windowSeconds === undefined ? { functionResponseTypes: ['ReportBatchItemFailures'] } : { tumblingWindowInSeconds: group.windowSeconds }),
    ...(filter.patterns !== undefined ? { filterCriteria: { filter: filter.patterns.map((pattern) => ({ pattern })) } } : {}),
    destinationConfig: { onFailure: { destinationArn: dlqArn } },
  };
}

function fn(scope: Construct, id: string, spec: HotPathSpec, context: AwsContext, functionName: string, consumers: ReturnType<typeof hotPathConsumers>): NodejsFunction {
  return new NodejsFunction(scope, id, {
    source: 'hot-path',
    functionName,
    context,
    logRetentionDays: 30,
    memoryMiB: spec.memoryMiB,
    timeoutSeconds: spec.timeoutSeconds,
    environment: { TABLE_NAME: spec.tableName, TOPIC_ARN: context.arn('sns', spec.topicName) },
    extraFiles: { [RULES_FILE]: buildRulesDocument(PREFIX.environment, spec, consumers) },
    assetName: `bench-layouts/${id}`,
  });
}

function policies(f: NodejsFunction, table: DynamodbTable, topic: SnsTopic, key: KmsKey, dlq: SqsQueue): void {
  f.addPolicy('kinesis-read', { Sid: 'ReadRootStream', Effect: 'Allow', Action: [...KINESIS_READ_ACTIONS], Resource: [STREAM_ARN] });
  f.addPolicy('matches-table', { Sid: 'WriteMatches', Effect: 'Allow', Action: [...TABLE_ACTIONS], Resource: [table.arn] });
  f.addPolicy(
    'notify',
    { Sid: 'PublishMatches', Effect: 'Allow', Action: ['sns:Publish'], Resource: [topic.arn] },
    { Sid: 'EncryptMatches', Effect: 'Allow', Action: [...TOPIC_KEY_PUBLISHER_ACTIONS], Resource: [key.arn] },
  );
  f.addPolicy('dlq', { Sid: 'SendToDeadLetterQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [dlq.arn] });
}

function schedule(scope: Construct, spec: HotPathSpec, f: NodejsFunction): void {
  const rule = new CloudwatchEventRule(scope, 'schedule', { name: spec.scheduleRuleName, scheduleExpression: 'rate(1 minute)' });
  new LambdaPermission(scope, 'schedule-permission', { action: 'lambda:InvokeFunction', functionName: f.function.functionName, principal: 'events.amazonaws.com', sourceArn: rule.arn });
  new CloudwatchEventTarget(scope, 'schedule-target', { rule: rule.name, arn: f.function.arn });
}

function build(scope: Construct, layout: Layout, spec: HotPathSpec, context: AwsContext): void {
  if (layout === 'alias') {
    new HotPath(scope, 'hot-path', { spec, prefix: PREFIX, streamArn: STREAM_ARN, context, logRetentionDays: 30 });
    return;
  }
  const groups = mappingGroups(spec);
  if (layout === 'function-per-consumer') {
    const fns = groups.map((g) => fn(scope, `function-${g.id}`, spec, context, `${spec.functionName}-${g.id}`, hotPathConsumers(spec)));
    const s = shared(scope, spec, context, fns.map((f) => f.role.arn));
    groups.forEach((g, i) => {
      policies(fns[i]!, s.table, s.topic, s.key, s.dlq);
      new LambdaEventSourceMapping(scope, `${g.id}-mapping`, mappingProps(spec, g, fns[i]!.function.arn, s.dlq.arn));
    });
    schedule(scope, spec, fns[groups.findIndex((g) => g.windowSeconds !== undefined)]!);
    return;
  }
  const f = fn(scope, 'function', spec, context, spec.functionName, []);
  const s = shared(scope, spec, context, [f.role.arn]);
  policies(f, s.table, s.topic, s.key, s.dlq);
  new LambdaEventSourceMapping(scope, 'mapping', mappingProps(spec, { rules: spec.rules }, f.function.arn, s.dlq.arn));
  schedule(scope, spec, f);
}

interface Figures {
  readonly layout: Layout;
  readonly resources: number;
  readonly byType: Record<string, number>;
  readonly bytes: number;
  readonly mappings: number;
  readonly filters: string;
  readonly planSeconds?: number;
}

async function main(): Promise<void> {
  const plan = !process.argv.includes('--no-plan');
  const spec = everyOptionSpec();
  const work = mkdtempSync(path.join(tmpdir(), 'hot-path-layouts-'));
  const checker = plan ? await TerraformChecker.create() : undefined;
  const out: Figures[] = [];
  try {
    for (const layout of LAYOUTS) {
      const app = new App({ outdir: path.join(work, layout) });
      const stack = new TerraformStack(app, layout);
      new AwsProvider(stack, 'aws', { region: REGION });
      build(stack, layout, spec, new AwsContext(stack, 'context', { region: REGION }));
      app.synth();
      const dir = path.join(work, layout, 'stacks', layout);
      const text = readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8');
      const json = JSON.parse(text) as { resource: Record<string, Record<string, unknown>> };
      const byType = Object.fromEntries(Object.entries(json.resource).map(([t, r]) => [t, Object.keys(r).length]));
      const groups = layout === 'single-mapping' ? [{ rules: spec.rules }] : mappingGroups(spec);
      const filters = groups
        .map((g) => {
          const f = compileMappingFilter(g.rules, DEFAULT_QUOTA);
          return `${f.compiledCount}->${f.patterns?.length ?? 0}${f.merged ? ' merged' : ''}`;
        })
        .join(', ');
      const timing = checker !== undefined ? await checker.mockPlan(dir, { label: 'layouts' }) : undefined;
      if (timing !== undefined && !timing.ok) throw new Error(`mock plan of ${layout} failed: ${timing.diagnostics.map((d) => d.summary).join('; ')}`);
      out.push({
        layout,
        resources: Object.values(byType).reduce((a, b) => a + b, 0),
        byType,
        bytes: Buffer.byteLength(text),
        mappings: byType.aws_lambda_event_source_mapping ?? 0,
        filters,
        ...(timing !== undefined ? { planSeconds: timing.wallSeconds } : {}),
      });
    }
  } finally {
    checker?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`Rules: ${spec.rules.length} (every-option hot path); consumers: ${hotPathConsumers(spec).map((c) => c.alias).join(', ')}; filter quota ${DEFAULT_QUOTA}.`);
  console.log('| layout | resources | cdk.tf.json bytes | mappings (standard readers) | filter patterns per mapping (compiled->sent) | mock plan s |');
  console.log('|---|---|---|---|---|---|');
  for (const f of out) {
    console.log(`| ${f.layout} | ${f.resources} | ${f.bytes} | ${f.mappings} | ${f.filters} | ${f.planSeconds?.toFixed(1) ?? '-'} |`);
  }
  for (const f of out) console.log(`${f.layout}: ${Object.entries(f.byType).map(([t, n]) => `${t.replace(/^aws_/, '')} ${n}`).join(', ')}`);
  console.log(`Machine: ${process.platform} ${process.arch}, Node ${process.version}, terraform ${checker?.terraformVersion ?? '(not run)'}.`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
