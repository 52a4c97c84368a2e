import fc from 'fast-check';
import { stringify } from 'yaml';
import { alarmDefinitions, CLOUDWATCH_KEY_ACTIONS, METRICS_INSIGHTS_MAX_WINDOW_SECONDS, subscriptionId, transformAlarmDefinitions } from '../../modules/alarms';
import { configYaml, envOf, resourcesOf, synthOps, type EventTypeInput } from './ops-helpers';

type Alarm = {
  alarm_name: string;
  alarm_actions: string[];
  ok_actions: string[];
  comparison_operator: string;
  threshold: number;
  treat_missing_data: string;
  evaluation_periods: number;
  period?: number;
  namespace?: string;
  metric_name?: string;
  statistic?: string;
  extended_statistic?: string;
  dimensions?: Record<string, string>;
  metric_query?: { id: string; expression: string; period: number; return_data: boolean }[];
};

const TOPIC_ARN = '${aws_sns_topic.alarms_topic_CB6504A9.arn}';

function alarmsByName(yamlText: string): Map<string, Alarm> {
  const json = synthOps(envOf(yamlText));
  return new Map((resourcesOf(json, 'aws_cloudwatch_metric_alarm') as Alarm[]).map((a) => [a.alarm_name, a]));
}

describe('alarm topic', () => {
  it('is encrypted with a customer managed key that CloudWatch may use, with rotation on', () => {
    // Prepare
    const json = synthOps(envOf(configYaml()));

    // Act
    const [topic] = resourcesOf(json, 'aws_sns_topic') as { name: string; kms_master_key_id: string }[];
    const [key] = resourcesOf(json, 'aws_kms_key') as { enable_key_rotation: boolean; policy: string }[];
    const [alias] = resourcesOf(json, 'aws_kms_alias') as { name: string }[];

    // Assess
    expect(topic?.name).toBe('acme-dev-tracking-alarms');
    expect(topic?.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.[\w-]+\.arn\}$/);
    expect(topic?.kms_master_key_id).not.toContain('alias/aws/sns');
    expect(key?.enable_key_rotation).toBe(true);
    expect(alias?.name).toBe('alias/acme-dev-tracking-alarms');
    const policy = JSON.parse(key!.policy) as { Statement: { Sid: string; Principal: Record<string, string>; Action: string[]; Condition?: Record<string, Record<string, string>> }[] };
    // The documented key statement for CloudWatch (SNS Developer Guide, sns-key-management.html,
    // "Enable compatibility between event sources from AWS services and encrypted topics"): the
    // service principal, the two actions (step 2), and the confused-deputy conditions (step 3).
    const cw = policy.Statement.find((s) => s.Principal.Service === 'cloudwatch.amazonaws.com');
    expect(cw).toEqual({
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': expect.stringMatching(/^\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}$/) as unknown },
        ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:cloudwatch:eu-central-1:\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:alarm:acme-dev \* \*$/) as unknown },
      },
    });
    expect([...CLOUDWATCH_KEY_ACTIONS]).toEqual(cw?.Action);
    // The key admits CloudWatch under exactly the conditions the topic policy does: a page that passes
    // one policy is never refused by the other.
    const [topicPolicy] = resourcesOf(json, 'aws_sns_topic_policy') as { policy: string }[];
    const topicCw = (JSON.parse(topicPolicy!.policy) as { Statement: { Sid: string; Condition?: unknown }[] }).Statement.find((s) => s.Sid === 'CloudWatchAlarmsPublish');
    expect(cw?.Condition).toEqual(topicCw?.Condition);
    // The account may use the key through IAM, so an administrator can publish a test page.
    const account = policy.Statement.find((s) => s.Sid === 'AccountPublishesThroughIam');
    expect(account?.Principal.AWS).toMatch(/:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:root$/);
    expect(account?.Action).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
    for (const s of policy.Statement) {
      expect(s.Action.every((a) => a !== '*' && !a.endsWith(':*'))).toBe(true);
    }
  });

  it('lets only CloudWatch alarms of this environment publish', () => {
    // Prepare
    const json = synthOps(envOf(configYaml()));

    // Act
    const [policy] = resourcesOf(json, 'aws_sns_topic_policy') as { policy: string }[];
    const doc = JSON.parse(policy!.policy) as {
      Statement: { Sid: string; Action: string; Resource: string; Principal: Record<string, string>; Condition?: Record<string, Record<string, string>> }[];
    };

    // Assess: CloudWatch with the confused-deputy conditions the CloudWatch User Guide documents,
    // and the account's own principals (through IAM), so that administrators can send a test page.
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['CloudWatchAlarmsPublish', 'AccountPublishesThroughIam']);
    const [cw, account] = doc.Statement;
    expect(cw).toMatchObject({ Action: 'sns:Publish', Resource: TOPIC_ARN, Principal: { Service: 'cloudwatch.amazonaws.com' } });
    expect(cw?.Condition?.StringEquals?.['aws:SourceAccount']).toContain('data.aws_caller_identity');
    expect(cw?.Condition?.ArnLike?.['aws:SourceArn']).toMatch(/:cloudwatch:eu-central-1:.*:alarm:acme-dev \* \*$/);
    expect(account).toMatchObject({ Action: 'sns:Publish', Resource: TOPIC_ARN, Principal: { AWS: expect.stringMatching(/:root$/) } });
    expect(account?.Condition).toBeUndefined();
  });

  it('subscribes the configured endpoints with ids that do not depend on their order', () => {
    // Prepare
    const subs = [
      { protocol: 'email', endpoint: 'oncall@example.com' },
      { protocol: 'https', endpoint: 'https://hooks.example.com/x' },
    ];

    // Act
    const a = synthOps(envOf(configYaml({ alarms: { subscriptions: subs } })));
    const b = synthOps(envOf(configYaml({ alarms: { subscriptions: [...subs].reverse() } })));

    // Assess
    expect(a.resource.aws_sns_topic_subscription).toEqual(b.resource.aws_sns_topic_subscription);
    expect(Object.values(a.resource.aws_sns_topic_subscription ?? {})).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ protocol: 'email', endpoint: 'oncall@example.com', topic_arn: TOPIC_ARN }),
        expect.objectContaining({ protocol: 'https', endpoint: 'https://hooks.example.com/x', topic_arn: TOPIC_ARN }),
      ]),
    );
    expect(subscriptionId('email', 'a@b.c')).not.toBe(subscriptionId('email', 'a@b.d'));
  });

  it('also notifies an existing topic on ALARM and OK', () => {
    // Prepare
    const existing = 'arn:aws:sns:eu-central-1:123456789012:oncall';

    // Act
    const alarms = [...alarmsByName(configYaml({ alarms: { topicArn: existing } })).values()];

    // Assess
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) {
      expect(a.alarm_actions).toEqual([TOPIC_ARN, existing]);
      expect(a.ok_actions).toEqual([TOPIC_ARN, existing]);
    }
  });
});

describe('aggregated delivery stream alarms (Metrics Insights)', () => {
  describe.each([
    ['data-freshness', 'MAX("DeliveryToS3.DataFreshness")', 'GreaterThanThreshold', 1800, 300],
    ['s3-delivery-success', 'MIN("DeliveryToS3.Success")', 'LessThanThreshold', 1, 900],
    ['throttled-records', 'SUM("ThrottledRecords")', 'GreaterThanThreshold', 0, 300],
    ['transform-success', 'MIN("ExecuteProcessing.Success")', 'LessThanThreshold', 1, 300],
  ])('%s', (signal, select, operator, threshold, period) => {
    it('queries every delivery stream as one series, with its threshold, notBreaching and both actions', () => {
      // Prepare
      const yamlText = configYaml({ alarms: { freshnessThresholdSeconds: 1800 } });

      // Act
      const alarm = alarmsByName(yamlText).get(`acme-dev delivery-streams ${signal}`);

      // Assess
      expect(alarm).toBeDefined();
      expect(alarm!.metric_query).toEqual([
        expect.objectContaining({ id: 'q1', return_data: true, period, expression: `SELECT ${select} FROM SCHEMA("AWS/Firehose", DeliveryStreamName)` }),
      ]);
      expect(alarm!.metric_query![0]!.expression).not.toMatch(/GROUP BY/i);
      expect(alarm!.comparison_operator).toBe(operator);
      expect(alarm!.threshold).toBe(threshold);
      expect(alarm!.treat_missing_data).toBe('notBreaching');
      expect(alarm!.alarm_actions).toEqual([TOPIC_ARN]);
      expect(alarm!.ok_actions).toEqual([TOPIC_ARN]);
      expect(alarm!.namespace).toBeUndefined();
    });
  });
});

describe('per-stream alarms', () => {
  it('exist only for the event types listed in perStreamAlarms, on their own stream', () => {
    // Prepare
    const yamlText = configYaml({ alarms: { perStreamAlarms: ['shop/page_view'] } });

    // Act
    const alarms = alarmsByName(yamlText);
    const perStream = [...alarms.values()].filter((a) => a.dimensions?.DeliveryStreamName !== undefined);

    // Assess
    expect(perStream.map((a) => a.alarm_name).sort()).toEqual([
      'acme-dev acme-dev-shop-page_view data-freshness',
      'acme-dev acme-dev-shop-page_view s3-delivery-success',
      'acme-dev acme-dev-shop-page_view throttled-records',
      'acme-dev acme-dev-shop-page_view transform-success',
    ]);
    for (const a of perStream) {
      expect(a.namespace).toBe('AWS/Firehose');
      expect(a.dimensions).toEqual({ DeliveryStreamName: 'acme-dev-shop-page_view' });
      expect(a.ok_actions).toEqual(a.alarm_actions);
    }
  });

  it('never crash on event types whose keys differ only by where "/" and "--" are: the loader names the collision', () => {
    // Prepare: two applications whose keys once gave the same construct id ("a--b--c"), and whose
    // Athena table names still collide
    const yamlText = stringify({
      project: 'acme',
      environments: { dev: { region: 'eu-central-1', alarms: { perStreamAlarms: ['a--b/c', 'a/b--c'] } } },
      applications: [
        { name: 'a--b', eventTypes: ['c'] },
        { name: 'a', eventTypes: ['b--c'] },
      ],
    });
    // Act / Assess: a clean config error, not a synth crash
    expect(() => envOf(yamlText)).toThrow(/Glue table name "a__b__c" of a\/b--c collides with the table of a--b\/c/);
  });

  it('skip the transform alarm for a native stream', () => {
    // Prepare
    const yamlText = configYaml({ alarms: { perStreamAlarms: ['shop/checkout'] } });

    // Act
    const names = [...alarmsByName(yamlText).keys()];

    // Assess
    expect(names).toContain('acme-dev acme-dev-shop-checkout data-freshness');
    expect(names).not.toContain('acme-dev acme-dev-shop-checkout transform-success');
  });
});

describe('transform Lambda alarms', () => {
  describe.each([
    ['errors', 'Errors', 'Sum', undefined, 0],
    ['throttles', 'Throttles', 'Sum', undefined, 0],
    ['duration', 'Duration', undefined, 'p99', 96_000],
  ])('%s', (signal, metric, statistic, extended, threshold) => {
    it('watches the transform function with its threshold', () => {
      // Prepare
      const yamlText = configYaml({ timeoutSeconds: 120 });

      // Act
      const alarm = alarmsByName(yamlText).get(`acme-dev acme-dev-jsonl-transform ${signal}`);

      // Assess
      expect(alarm).toMatchObject({
        namespace: 'AWS/Lambda',
        metric_name: metric,
        dimensions: { FunctionName: 'acme-dev-jsonl-transform' },
        comparison_operator: 'GreaterThanThreshold',
        threshold,
        treat_missing_data: 'notBreaching',
        ok_actions: [TOPIC_ARN],
        alarm_actions: [TOPIC_ARN],
      });
      expect(alarm!.statistic).toBe(statistic);
      expect(alarm!.extended_statistic).toBe(extended);
    });
  });
});

describe('root stream alarms', () => {
  describe.each([
    ['acme-dev-fanout-router iterator-age', 'AWS/Lambda', 'IteratorAge', { FunctionName: 'acme-dev-fanout-router' }, 'Maximum', 300_000],
    ['acme-dev-root write-throughput-exceeded', 'AWS/Kinesis', 'WriteProvisionedThroughputExceeded', { StreamName: 'acme-dev-root' }, 'Sum', 0],
    ['acme-dev-fanout-router-dlq dlq-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: 'acme-dev-fanout-router-dlq' }, 'Maximum', 0],
  ])('%s', (suffix, namespace, metric, dimensions, statistic, threshold) => {
    it('exists with the root stream on, and not without it', () => {
      // Prepare
      const name = `acme-dev ${suffix}`;

      // Act
      const on = alarmsByName(configYaml({ rootStream: true })).get(name);
      const off = alarmsByName(configYaml({ rootStream: false })).get(name);

      // Assess
      expect(on).toMatchObject({ namespace, metric_name: metric, dimensions, statistic, threshold, comparison_operator: 'GreaterThanThreshold' });
      expect(on!.ok_actions).toEqual([TOPIC_ARN]);
      expect(off).toBeUndefined();
    });
  });
});

describe('dead-letter queue alarm', () => {
  /**
   * CloudWatch's documented treatment of missing data for a 1-of-1 alarm ("Configuring how CloudWatch
   * alarms treat missing data"): notBreaching counts a missing point as good, breaching as bad,
   * ignore keeps the current state, missing goes to INSUFFICIENT_DATA.
   */
  function evaluate(points: readonly (number | undefined)[], treatMissingData: string, threshold: number): string[] {
    let state = 'INSUFFICIENT_DATA';
    return points.map((p) => {
      if (p !== undefined) state = p > threshold ? 'ALARM' : 'OK';
      else if (treatMissingData === 'notBreaching') state = 'OK';
      else if (treatMissingData === 'breaching') state = 'ALARM';
      else if (treatMissingData === 'missing') state = 'INSUFFICIENT_DATA';
      return state;
    });
  }

  it('stays in ALARM while messages remain, even after SQS stops emitting metrics for an idle queue', () => {
    // Prepare: 3 messages arrive, then nobody touches the queue; SQS stops sending metrics once the
    // queue is inactive (SQS Developer Guide, "Monitoring Amazon SQS queues using CloudWatch").
    const alarm = alarmsByName(configYaml({ rootStream: true })).get('acme-dev acme-dev-fanout-router-dlq dlq-depth')!;
    const points = [0, 3, 3, 3, undefined, undefined, undefined, undefined];
    // Act
    const states = evaluate(points, alarm.treat_missing_data, alarm.threshold);
    // Assess
    expect(states.slice(1)).toEqual(Array(7).fill('ALARM'));
    // ...and it resolves once a data point shows the queue empty (after a redrive or a purge).
    expect(evaluate([...points, 0], alarm.treat_missing_data, alarm.threshold).at(-1)).toBe('OK');
    // The previous setting would have resolved the incident while the messages were still there.
    expect(evaluate(points, 'notBreaching', 0).at(-1)).toBe('OK');
  });
});

describe('alarm properties over generated configs', () => {
  const eventTypes = fc.uniqueArray(
    fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/), transform: fc.constantFrom<'lambda' | 'native'>('lambda', 'native') }),
    { minLength: 1, maxLength: 6, selector: (t) => t.name },
  );

  it('always notify on ALARM and OK, stay within Metrics Insights limits, and follow the config', () => {
    fc.assert(
      fc.property(eventTypes, fc.boolean(), fc.integer({ min: 60, max: 7200 }), (types: EventTypeInput[], rootStream, freshness) => {
        // Prepare
        const yamlText = configYaml({ eventTypes: types, rootStream, alarms: { freshnessThresholdSeconds: freshness } });
        const env = envOf(yamlText);

        // Act
        const alarms = [...alarmsByName(yamlText).values()];
        const lambdaTypes = types.some((t) => t.transform === 'lambda');
        const defs = [
          ...alarmDefinitions(env),
          ...(lambdaTypes ? transformAlarmDefinitions(env, { functionName: env.transformFunction.functionName, timeoutSeconds: env.transformFunction.timeoutSeconds }) : []),
        ];

        // Assess
        expect(alarms).toHaveLength(defs.length);
        expect(new Set(alarms.map((a) => a.alarm_name)).size).toBe(alarms.length);
        for (const a of alarms) {
          expect(a.alarm_actions).toEqual([TOPIC_ARN]);
          expect(a.ok_actions).toEqual(a.alarm_actions);
          expect(a.alarm_name.startsWith('acme-dev ')).toBe(true);
          if (a.metric_query) expect(a.metric_query[0]!.period * a.evaluation_periods).toBeLessThanOrEqual(METRICS_INSIGHTS_MAX_WINDOW_SECONDS);
        }
        const names = alarms.map((a) => a.alarm_name);
        const lambda = types.some((t) => t.transform === 'lambda');
        expect(names.includes('acme-dev acme-dev-jsonl-transform errors')).toBe(lambda);
        expect(names.includes('acme-dev delivery-streams transform-success')).toBe(lambda);
        expect(names.includes('acme-dev acme-dev-fanout-router iterator-age')).toBe(rootStream);
        expect(alarms.find((a) => a.alarm_name === 'acme-dev delivery-streams data-freshness')?.threshold).toBe(freshness);
      }),
      { numRuns: 15 },
    );
  });

  it('do not depend on the order of event types in the config', () => {
    // Prepare
    const types: EventTypeInput[] = [{ name: 'a' }, { name: 'b', transform: 'native' }, { name: 'c' }];
    const alarms = { perStreamAlarms: ['shop/a', 'shop/c'] };

    // Act
    const forward = synthOps(envOf(configYaml({ eventTypes: types, alarms })));
    const backward = synthOps(envOf(configYaml({ eventTypes: [...types].reverse(), alarms: { perStreamAlarms: ['shop/c', 'shop/a'] } })));

    // Assess
    expect(forward).toEqual(backward);
  });

  it('are not created when alarms are disabled', () => {
    // Prepare
    const yamlText = configYaml({ alarms: { enabled: false } });

    // Act
    const json = synthOps(envOf(yamlText));

    // Assess
    expect(resourcesOf(json, 'aws_cloudwatch_metric_alarm')).toHaveLength(0);
    expect(resourcesOf(json, 'aws_sns_topic')).toHaveLength(0);
  });
});
