/**
 * The HotPath construct, synthesized with cdktf's Testing.synthScope: mappings and their filters,
 * the tumbling windows, one alias per mapping (Lambda allows one mapping per event source and
 * qualified function), the table's settings, the topic and its key, IAM scoping (no "*"), the
 * schedule, and nothing at all without rules. Properties over random rule sets with fast-check.
 */
import { Testing } from 'cdktf';
import fc from 'fast-check';
import { LAMBDA_ALIAS_NAME, type HotPathSpec } from '../../config/hot-path';
import { compileMappingFilter, mappingGroups, MAX_PATTERN_LENGTH } from '../../functions/hot-path/filter-pattern';
import { parseRules, RULES_FILE } from '../../functions/hot-path/rules';
import { AwsContext } from '../../modules/aws-context';
import { HotPath, hotPathAlarmDefinitions, hotPathDashboardWidgets, type HotPathProps } from '../../modules/hot-path';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { everyOptionRaw, PREFIX, REGION, specOf, STREAM_ARN } from './factories';

type Resources = Record<string, Record<string, Record<string, unknown>>>;
interface Synth {
  readonly resource: Resources;
  readonly output?: Record<string, { value: string }>;
}

/** The asset folder of the last synthesized hot-path function (content-addressed: each synth's own). */
let lastBundleDir: string | undefined;

function synth(spec: HotPathSpec, extra: Partial<HotPathProps> = {}): Synth {
  const out = Testing.synthScope((scope) => {
    const context = new AwsContext(scope, 'context', { region: REGION });
    const hotPath = new HotPath(scope, 'hot-path', { spec, prefix: PREFIX, streamArn: STREAM_ARN, context, logRetentionDays: 30, ...extra });
    lastBundleDir = hotPath.resources?.function.bundle.dir;
  });
  return JSON.parse(out) as Synth;
}

const of = (s: Synth, type: string): Record<string, unknown>[] => Object.values(s.resource?.[type] ?? {});
const only = (s: Synth, type: string): Record<string, unknown> => {
  const all = of(s, type);
  expect(all).toHaveLength(1);
  return all[0]!;
};

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[] | string;
  Resource: string[] | string;
  Principal?: unknown;
}
const policies = (s: Synth): Record<string, Statement[]> =>
  Object.fromEntries(of(s, 'aws_iam_role_policy').map((p) => [p.name as string, (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement]));

const EVERY = (): HotPathSpec => specOf(everyOptionRaw());

describe('without rules', () => {
  it('creates nothing', () => {
    const spec: HotPathSpec = { ...EVERY(), rules: [] };
    const s = synth(spec);
    const types = Object.keys(s.resource ?? {});
    // Only the context's data sources remain (no resource block at all).
    expect(types).toEqual([]);
    expect(s.output).toBeUndefined();
    expect(hotPathAlarmDefinitions(spec, PREFIX)).toEqual([]);
    expect(hotPathDashboardWidgets(spec, 'dev')).toEqual([]);
  });
});

describe('every option', () => {
  const s = synth(EVERY());

  it('maps match rules once and each rate window once, with filters, window, retries and the DLQ', () => {
    // Assess
    const mappings = of(s, 'aws_lambda_event_source_mapping');
    expect(mappings).toHaveLength(3);
    const byWindow = new Map(mappings.map((m) => [m.tumbling_window_in_seconds ?? 0, m]));
    expect([...byWindow.keys()].sort()).toEqual([0, 300, 60].sort());
    for (const m of mappings) {
      expect(m).toMatchObject({
        event_source_arn: STREAM_ARN,
        starting_position: 'TRIM_HORIZON',
        batch_size: 200,
        maximum_batching_window_in_seconds: 1,
        parallelization_factor: 1,
        maximum_retry_attempts: 3,
        maximum_record_age_in_seconds: 3600,
        bisect_batch_on_function_error: true,
        destination_config: { on_failure: { destination_arn: expect.stringMatching(/aws_sqs_queue\..*\.arn/) } },
        function_name: expect.stringMatching(/^\$\{aws_lambda_alias\.[^.]+\.arn\}$/),
      });
      expect((m.depends_on as string[]).length).toBeGreaterThanOrEqual(4);
    }
    // Partial batch responses on the match mapping only (window batches fail as a whole).
    expect(byWindow.get(0)).toMatchObject({ function_response_types: ['ReportBatchItemFailures'] });
    expect(byWindow.get(60)).not.toHaveProperty('function_response_types');
    // The filters are the compiled ones, within the quota and Lambda's length limit.
    const spec = EVERY();
    for (const group of mappingGroups(spec)) {
      const m = byWindow.get(group.windowSeconds ?? 0)!;
      const patterns = ((m.filter_criteria as { filter: { pattern: string }[] }).filter ?? []).map((f) => f.pattern);
      expect(patterns).toEqual(compileMappingFilter(group.rules, spec.filterPatternQuota).patterns);
      expect(patterns.length).toBeLessThanOrEqual(5);
      for (const p of patterns) {
        expect(p.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        expect(Object.keys(JSON.parse(p) as object)).toEqual(['data']);
      }
    }
  });

  it('gives each mapping its own alias of the published function, named after its consumer', () => {
    // Assess: Lambda allows one mapping per (event source, qualified function).
    const fnName = Object.keys(s.resource.aws_lambda_function!)[0]!;
    expect(only(s, 'aws_lambda_function')).toMatchObject({ publish: true });
    const aliases = s.resource.aws_lambda_alias ?? {};
    const mappings = Object.entries(s.resource.aws_lambda_event_source_mapping ?? {});
    const aliasOf = (m: Record<string, unknown>): Record<string, unknown> => aliases[/^\$\{aws_lambda_alias\.([^.]+)\.arn\}$/.exec(m.function_name as string)![1]!]!;
    expect(Object.keys(aliases)).toHaveLength(mappings.length);
    expect(mappings.map(([, m]) => [m.tumbling_window_in_seconds ?? 0, aliasOf(m).name]).sort()).toEqual([
      [0, 'match'],
      [300, 'rate-300s'],
      [60, 'rate-60s'],
    ]);
    for (const a of Object.values(aliases)) {
      expect(a).toMatchObject({ function_name: `\${aws_lambda_function.${fnName}.function_name}`, function_version: `\${aws_lambda_function.${fnName}.version}` });
    }
    // Terraform addresses of the mappings are the consumer ids (kept from the unqualified design).
    expect(mappings.map(([id]) => id.replace(/_[0-9A-F]{8}$/, '')).sort()).toEqual(['hot-path_match-mapping', 'hot-path_rate-300s-mapping', 'hot-path_rate-60s-mapping']);
  });

  it('ships the consumers in the rules file, one per alias', () => {
    synth(EVERY());
    const rules = parseRules(readFileSync(path.join(lastBundleDir!, RULES_FILE), 'utf8'));
    expect(rules.consumers).toEqual([
      { kind: 'match', alias: 'match' },
      { kind: 'rate', alias: 'rate-60s', windowSeconds: 60 },
      { kind: 'rate', alias: 'rate-300s', windowSeconds: 300 },
    ]);
    expect(Object.values(s.resource.aws_lambda_alias ?? {}).map((a) => a.name).sort()).toEqual(rules.consumers.map((c) => c.alias).sort());
  });

  it('creates an on-demand table keyed (rule, event_id) with TTL, PITR and encryption', () => {
    expect(only(s, 'aws_dynamodb_table')).toEqual({
      name: 'acme-dev-hot-path-matches',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'rule',
      range_key: 'event_id',
      attribute: [
        { name: 'rule', type: 'S' },
        { name: 'event_id', type: 'S' },
      ],
      ttl: { attribute_name: 'expires_at', enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: false,
    });
  });

  it('encrypts the topic with its own rotating key that only the hot-path role may use to publish', () => {
    const topic = only(s, 'aws_sns_topic');
    expect(topic).toMatchObject({ name: 'acme-dev-hot-path', kms_master_key_id: expect.stringMatching(/aws_kms_key\..*\.arn/) });
    const key = only(s, 'aws_kms_key');
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    const statements = (JSON.parse(key.policy as string) as { Statement: Statement[] }).Statement;
    const publish = statements.find((x) => x.Sid === 'HotPathPublishes')!;
    expect(publish).toMatchObject({ Effect: 'Allow', Principal: { AWS: expect.stringMatching(/aws_iam_role\..*\.arn/) }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    expect(only(s, 'aws_kms_alias')).toMatchObject({ name: 'alias/acme-dev-hot-path' });
    const topicPolicy = JSON.parse(only(s, 'aws_sns_topic_policy').policy as string) as { Statement: Statement[] };
    expect(topicPolicy.Statement).toEqual([expect.objectContaining({ Action: 'sns:Publish', Principal: { AWS: expect.stringMatching(/aws_iam_role\..*\.arn/) } })]);
    expect(of(s, 'aws_sns_topic_subscription').map((x) => [x.protocol, x.endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['https', 'https://hooks.example.com/hot-path'],
    ]);
  });

  it('scopes IAM to exact ARNs: one policy per concern, no wildcard action or resource', () => {
    const p = policies(s);
    expect(Object.keys(p).sort()).toEqual(['dlq', 'kinesis-read', 'logs', 'matches-table', 'notify']);
    expect(p['kinesis-read']![0]!.Resource).toEqual([STREAM_ARN]);
    expect(p['matches-table']![0]).toMatchObject({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: [expect.stringMatching(/^\$\{aws_dynamodb_table\..*\.arn\}$/)] });
    expect(p.notify!.map((x) => [x.Action, x.Resource])).toEqual([
      [['sns:Publish'], [expect.stringMatching(/^\$\{aws_sns_topic\..*\.arn\}$/)]],
      [['kms:Decrypt', 'kms:GenerateDataKey'], [expect.stringMatching(/^\$\{aws_kms_key\..*\.arn\}$/)]],
    ]);
    expect(p.dlq![0]).toMatchObject({ Action: ['sqs:SendMessage'], Resource: [expect.stringMatching(/^\$\{aws_sqs_queue\..*\.arn\}$/)] });
    expect(p.logs![0]!.Resource).toEqual([expect.stringMatching(/:log-group:\/aws\/lambda\/acme-dev-hot-path:log-stream:\*$/)]);
    for (const statements of Object.values(p)) {
      for (const x of statements) {
        for (const a of [x.Action].flat()) expect(a).not.toContain('*');
        for (const r of [x.Resource].flat()) expect(r).not.toBe('*');
      }
    }
  });

  it('runs the function with its rules file, names from config/naming, and an encrypted DLQ', () => {
    const bundleDir = synth(EVERY()) && lastBundleDir!;
    const fn = only(s, 'aws_lambda_function');
    expect(fn).toMatchObject({
      function_name: 'acme-dev-hot-path',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      memory_size: 512,
      timeout: 30,
      environment: { variables: { TABLE_NAME: 'acme-dev-hot-path-matches', TOPIC_ARN: expect.stringMatching(/:sns:eu-central-1:.*:acme-dev-hot-path$/) } },
    });
    expect(only(s, 'aws_cloudwatch_log_group')).toMatchObject({ name: '/aws/lambda/acme-dev-hot-path', retention_in_days: 30 });
    expect(only(s, 'aws_sqs_queue')).toMatchObject({ name: 'acme-dev-hot-path-dlq', sqs_managed_sse_enabled: true, message_retention_seconds: 1_209_600 });
    const rules = parseRules(readFileSync(path.join(bundleDir, RULES_FILE), 'utf8'));
    expect(rules.rules.map((r) => r.name)).toEqual(EVERY().rules.map((r) => r.name));
  });

  it('schedules the fewerThan evaluation every minute, invokable only by its rule', () => {
    expect(only(s, 'aws_cloudwatch_event_rule')).toMatchObject({ name: 'acme-dev-hot-path-schedule', schedule_expression: 'rate(1 minute)' });
    expect(only(s, 'aws_lambda_permission')).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com', source_arn: expect.stringMatching(/aws_cloudwatch_event_rule\..*\.arn/) });
    expect(only(s, 'aws_cloudwatch_event_target')).toMatchObject({ arn: expect.stringMatching(/aws_lambda_function\..*\.arn/) });
  });

  it('outputs the topic ARN and the table name', () => {
    expect(Object.keys(s.output ?? {}).sort()).toEqual(['hot-path-table-name', 'hot-path-topic-arn']);
  });

  it('decrypts a customer-keyed stream only when given its key', () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const p = policies(synth(EVERY(), { streamKeyArn: key }));
    expect(p['kinesis-kms']).toEqual([{ Sid: 'DecryptRootStream', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [key] }]);
    expect(policies(s)).not.toHaveProperty('kinesis-kms');
  });
});

describe('alarms and dashboard row (data for modules/alarms.ts and modules/dashboard.ts)', () => {
  it('alarms on iterator age, errors, throttles and DLQ depth', () => {
    const defs = hotPathAlarmDefinitions(EVERY(), PREFIX, { iteratorAgeThresholdSeconds: 120 });
    expect(defs.map((d) => [d.id, d.alarmName, d.threshold])).toEqual([
      ['hot-path-iterator-age', 'acme-dev acme-dev-hot-path iterator-age', 120_000],
      ['hot-path-errors', 'acme-dev acme-dev-hot-path errors', 0],
      ['hot-path-throttles', 'acme-dev acme-dev-hot-path throttles', 0],
      ['hot-path-dlq-depth', 'acme-dev acme-dev-hot-path-dlq dlq-depth', 0],
    ]);
    expect(defs[3]!.source).toEqual({ kind: 'metric', namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'acme-dev-hot-path-dlq' }, stat: 'Maximum' });
    const widgets = hotPathDashboardWidgets(EVERY(), 'dev');
    expect(widgets.map((w) => w.title)).toEqual([
      'Hot path acme-dev-hot-path: iterator age (ms), all consumers and each alias',
      'Hot path acme-dev-hot-path: matches, notifications, stored, duplicates',
      'Hot path acme-dev-hot-path: invocations, errors, failed records',
      'Hot-path dead-letter queue acme-dev-hot-path-dlq: messages visible',
    ]);
    // One iterator-age line per consumer: the Resource dimension is "<function>:<alias>".
    expect(widgets[0]!.metrics.map((m) => m.slice(4, 6))).toEqual([
      [{ label: 'all consumers' }],
      ['Resource', 'acme-dev-hot-path:match'],
      ['Resource', 'acme-dev-hot-path:rate-60s'],
      ['Resource', 'acme-dev-hot-path:rate-300s'],
    ]);
  });
});

describe('any rule set (fast-check)', () => {
  const ruleArb = fc.oneof(
    fc.record({
      eventType: fc.constantFrom('web-shop/checkout_completed', 'web-shop/page_view', 'payments/payment_failed'),
      match: fc.oneof(
        fc.record({ field: fc.constantFrom('a', 'b.c'), op: fc.constant('>' as const), value: fc.integer({ min: -10, max: 10 }) }),
        fc.record({ any: fc.array(fc.record({ field: fc.constantFrom('a', 'b', 'c'), op: fc.constant('=' as const), value: fc.constantFrom('x', 'y', 'z') }), { minLength: 1, maxLength: 4 }) }),
      ),
    }),
    fc.record({
      eventType: fc.constantFrom('web-shop/checkout_completed', 'payments/payment_failed'),
      rate: fc.record({ moreThan: fc.integer({ min: 0, max: 100 }), windowSeconds: fc.constantFrom(60, 300) }),
    }),
  );

  it('has one mapping for match rules and one per window, filters within quota and length, and no "*" in IAM', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 5, max: 10 }), (rules, quota) => {
        const spec = specOf({ rules: rules.map((r, i) => ({ name: `rule-${i}`, ...r })), filterPatternQuota: quota });
        const s = synth(spec);
        const mappings = of(s, 'aws_lambda_event_source_mapping');
        const windows = new Set(spec.rules.flatMap((r) => (r.kind === 'rate' ? [r.windowSeconds] : [])));
        const hasMatch = spec.rules.some((r) => r.kind === 'match');
        expect(mappings).toHaveLength((hasMatch ? 1 : 0) + windows.size);
        expect(new Set(mappings.map((m) => m.tumbling_window_in_seconds).filter((w) => w !== undefined))).toEqual(windows);
        for (const m of mappings) {
          const filters = (m.filter_criteria as { filter: { pattern: string }[] } | undefined)?.filter ?? [];
          expect(filters.length).toBeLessThanOrEqual(quota);
          for (const f of filters) expect(f.pattern.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        }
        for (const statements of Object.values(policies(s))) {
          for (const x of statements) expect([x.Resource].flat()).not.toContain('*');
        }
        expect(of(s, 'aws_cloudwatch_event_rule')).toHaveLength(0);
      }),
      { numRuns: 25 },
    );
  });

  it('gives no two mappings the same (event source, qualified function), and each alias names the consumer its mapping feeds', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), (rules) => {
        // Prepare
        const spec = specOf({ rules: rules.map((r, i) => ({ name: `rule-${i}`, ...r })) });
        // Act
        const s = synth(spec);
        const consumers = parseRules(readFileSync(path.join(lastBundleDir!, RULES_FILE), 'utf8')).consumers;
        // Assess: the qualified function of each mapping, as AWS derives an alias ARN (function ARN ":" alias name).
        const keys = Object.values(s.resource.aws_lambda_event_source_mapping ?? {}).map((m) => {
          const ref = /^\$\{aws_lambda_alias\.([^.]+)\.arn\}$/.exec(m.function_name as string);
          expect(ref).not.toBeNull();
          const alias = s.resource.aws_lambda_alias![ref![1]!]!;
          const fnName = /^\$\{aws_lambda_function\.([^.]+)\.function_name\}$/.exec(alias.function_name as string)![1]!;
          const name = alias.name as string;
          expect(name).toMatch(LAMBDA_ALIAS_NAME);
          // The handler reads the alias to pick the path: the mapping's window must be its consumer's.
          const consumer = consumers.find((c) => c.alias === name);
          expect(consumer).toEqual(m.tumbling_window_in_seconds === undefined ? { kind: 'match', alias: name } : { kind: 'rate', alias: name, windowSeconds: m.tumbling_window_in_seconds });
          return `${m.event_source_arn as string} -> ${s.resource.aws_lambda_function![fnName]!.function_name as string}:${name}`;
        });
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys).toHaveLength(consumers.length);
      }),
      { numRuns: 25 },
    );
  });
});
