import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { parseConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';
import { AwsContext } from '../../modules/aws-context';
import { RootStream, type RootStreamProps } from '../../modules/root-stream';

interface Synth {
  readonly json: {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    output?: Record<string, { value: string }>;
    data?: Record<string, Record<string, Record<string, unknown>>>;
  };
  readonly construct: RootStream;
}

function yaml(rootStream: string, bucket = ''): string {
  return `
project: acme
environments:
  dev:
    region: eu-central-1
${bucket}
    rootStream:
${rootStream}
applications:
  - name: web-shop
    eventTypes: [page_view, add_to_cart]
  - name: mobile-app
    eventTypes: [app_open]
`;
}

function envOf(rootStream: string, bucket = ''): EnvironmentSpec {
  return parseConfig(yaml(rootStream, bucket)).environments[0]!;
}

/** Synthesizes a stack holding only the construct under test. */
function synth(env: EnvironmentSpec, extra: Partial<RootStreamProps> = {}): Synth {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: env.region });
  const context = new AwsContext(stack, 'context', { region: env.region });
  const construct = new RootStream(stack, 'root-stream', {
    env,
    context,
    bucketName: env.bucket.name,
    bucketArn: `arn:aws:s3:::${env.bucket.name}`,
    ...extra,
  });
  return { json: JSON.parse(Testing.synth(stack)), construct };
}

const only = <T>(byId: Record<string, T> | undefined): T => {
  const values = Object.values(byId ?? {});
  expect(values).toHaveLength(1);
  return values[0]!;
};

type Policy = { Statement: { Sid: string; Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, unknown>> }[] };
function rolePolicies(s: Synth): Record<string, Policy> {
  return Object.fromEntries(
    Object.values(s.json.resource.aws_iam_role_policy ?? {}).map((p) => [p.name as string, JSON.parse(p.policy as string) as Policy]),
  );
}

const DEFAULT = envOf('      enabled: true');

describe('stream', () => {
  it('is on-demand, KMS-encrypted with the AWS managed key, 168 h, without paid shard-level metrics by default', () => {
    // Act
    const s = synth(DEFAULT);
    // Assess: enhanced (shard-level) metrics are billed per shard and nothing reads them
    expect(only(s.json.resource.aws_kinesis_stream)).toEqual({
      name: 'acme-dev-root',
      stream_mode_details: { stream_mode: 'ON_DEMAND' },
      encryption_type: 'KMS',
      kms_key_id: 'alias/aws/kinesis',
      retention_period: 168,
    });
  });

  it('is provisioned with the configured shard count and retention', () => {
    // Act
    const s = synth(envOf('      enabled: true\n      mode: provisioned\n      shardCount: 4\n      retentionHours: 48'));
    // Assess
    expect(only(s.json.resource.aws_kinesis_stream)).toMatchObject({
      stream_mode_details: { stream_mode: 'PROVISIONED' },
      shard_count: 4,
      retention_period: 48,
    });
  });

  it('exports its name, ARN and the producer policy ARN', () => {
    // Act
    const s = synth(DEFAULT);
    // Assess
    expect(Object.keys(s.json.output ?? {}).sort()).toEqual(['root-stream-arn', 'root-stream-name', 'root-stream-producer-policy-arn']);
    expect((s.json.output as Record<string, { value: string }>)['root-stream-producer-policy-arn']!.value).toMatch(/^\$\{aws_iam_policy\..+\.arn\}$/);
  });
});

describe('router event source mapping', () => {
  describe.each([
    ['defaults', '      enabled: true', { batch_size: 500, maximum_batching_window_in_seconds: 1, parallelization_factor: 1, maximum_retry_attempts: 5, maximum_record_age_in_seconds: 86_400 }],
    [
      'overrides',
      '      enabled: true\n      router: { batchSize: 100, batchingWindowSeconds: 5, parallelizationFactor: 4, maximumRetryAttempts: 2, maximumRecordAgeSeconds: 3600 }',
      { batch_size: 100, maximum_batching_window_in_seconds: 5, parallelization_factor: 4, maximum_retry_attempts: 2, maximum_record_age_in_seconds: 3_600 },
    ],
  ])('%s', (_label, rs, settings) => {
    it('reads from TRIM_HORIZON, reports item failures, bisects, and sends discarded batches to the DLQ', () => {
      // Act
      const s = synth(envOf(rs));
      // Assess
      const mapping = only(s.json.resource.aws_lambda_event_source_mapping);
      expect(mapping).toMatchObject({
        ...settings,
        starting_position: 'TRIM_HORIZON',
        function_response_types: ['ReportBatchItemFailures'],
        bisect_batch_on_function_error: true,
        event_source_arn: expect.stringMatching(/^\$\{aws_kinesis_stream\..+\.arn\}$/),
        destination_config: { on_failure: { destination_arn: expect.stringMatching(/^\$\{aws_sqs_queue\..+\.arn\}$/) } },
      });
      // firehose, catalog, kinesis-read, dlq: Lambda checks the role when it creates the mapping.
      expect((mapping.depends_on as string[]).filter((d) => d.startsWith('aws_iam_role_policy.'))).toHaveLength(4);
    });
  });
});

describe('dead-letter queue', () => {
  it('keeps messages 14 days, encrypted with SQS managed SSE, under the name from config/naming', () => {
    // Act
    const s = synth(DEFAULT);
    // Assess
    expect(only(s.json.resource.aws_sqs_queue)).toEqual({
      name: 'acme-dev-fanout-router-dlq',
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 1_209_600,
    });
    expect(s.json.resource.aws_sqs_queue_policy).toBeUndefined();
  });
});

describe('router function', () => {
  it('ships no routing table: adding an event type leaves the router unchanged (it reads the catalog objects in the bucket)', () => {
    // Act
    const before = synth(DEFAULT);
    const after = synth(parseConfig(yaml('      enabled: true').replace('[page_view, add_to_cart]', '[page_view, add_to_cart, brand_new]')).environments[0]!);
    // Assess
    const fn = (s: Synth) => Object.values(s.json.resource.aws_lambda_function ?? {}).find((f) => f.function_name === 'acme-dev-fanout-router')!;
    expect(fn(after).source_code_hash).toBe(fn(before).source_code_hash);
    expect(fn(after).environment).toEqual(fn(before).environment);
    expect((fn(before).environment as { variables: Record<string, string> }).variables).toMatchObject({ ENVIRONMENT: 'dev', BUCKET_NAME: 'acme-dev-tracking-events' });
  });

  describe.each([
    ['sqs', { DLQ_URL: expect.stringContaining('aws_sqs_queue'), UNROUTABLE_DESTINATION: 'sqs', BUCKET_NAME: 'acme-dev-tracking-events' }, undefined],
    ['s3', { UNROUTABLE_DESTINATION: 's3', BUCKET_NAME: 'acme-dev-tracking-events' }, 'arn:aws:s3:::acme-dev-tracking-events/unroutable/*'],
  ])('unroutableDestination %s', (dest, vars, s3Resource) => {
    it('sets the environment and grants s3:PutObject on unroutable/ only when the bucket is the destination', () => {
      // Act
      const s = synth(envOf(`      enabled: true\n      router: { unroutableDestination: ${dest} }`));
      // Assess
      const fn = only(s.json.resource.aws_lambda_function) as { environment: { variables: Record<string, string> }; function_name: string };
      expect(fn.function_name).toBe('acme-dev-fanout-router');
      expect(fn.environment.variables).toMatchObject({ ENVIRONMENT: 'dev', ...vars });
      expect(fn.environment.variables.PROJECT).toBeUndefined();
      const s3 = rolePolicies(s)['unroutable-s3'];
      if (s3Resource === undefined) {
        expect(s3).toBeUndefined();
      } else {
        expect(s3!.Statement).toEqual([{ Sid: 'WriteUnroutable', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [s3Resource] }]);
      }
    });
  });

  it('log group has retention', () => {
    // Act
    const s = synth(DEFAULT);
    // Assess
    expect(only(s.json.resource.aws_cloudwatch_log_group)).toMatchObject({ name: '/aws/lambda/acme-dev-fanout-router', retention_in_days: 30 });
  });
});

describe('IAM scoping', () => {
  const CMK = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const BUCKET_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab';

  describe.each([
    ['AWS managed key, SQS', DEFAULT, {}],
    ['customer key, S3, SSE-KMS bucket', envOf(`      enabled: true\n      kmsKeyId: ${CMK}\n      router: { unroutableDestination: s3 }`), { bucketKmsKeyArn: BUCKET_KEY }],
    ['key alias, consumers', envOf(`      enabled: true\n      kmsKeyId: alias/tracking\n      consumers:\n        - { type: enhanced-fan-out, name: alerts }\n        - { type: lambda, name: hot, functionArn: "arn:aws:lambda:eu-central-1:123456789012:function:hot" }`), {}],
  ])('%s', (_label, env, extra) => {
    it('has no "*" action or resource, and scopes each router policy to its exact resources', () => {
      // Act
      const s = synth(env, extra);
      // Assess
      const docs = [
        ...Object.values(rolePolicies(s)),
        ...Object.values(s.json.resource.aws_iam_policy ?? {}).map((p) => JSON.parse(p.policy as string) as Policy),
      ];
      for (const st of docs.flatMap((d) => d.Statement)) {
        expect(st.Action.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
        expect(st.Resource.filter((r) => r === '*')).toEqual([]);
      }
      const p = rolePolicies(s);
      expect(p.firehose!.Statement).toEqual([
        {
          Sid: 'PutToEnvironmentDeliveryStreams',
          Effect: 'Allow',
          Action: ['firehose:PutRecordBatch'],
          Resource: [expect.stringMatching(/^arn:\$\{data\.aws_partition\..+\}:firehose:eu-central-1:\$\{data\.aws_caller_identity\..+\}:deliverystream\/acme-dev-\*$/)],
          // The prefix alone also matches project acme-dev's streams: only this environment's tags pass.
          Condition: { StringEquals: { 'aws:ResourceTag/project': 'acme', 'aws:ResourceTag/environment': 'dev' } },
        },
      ]);
      // The catalog objects only: list catalog/, read catalog/*.
      expect(p.catalog!.Statement.slice(0, 2)).toEqual([
        { Sid: 'ListCatalog', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::acme-dev-tracking-events'], Condition: { StringLike: { 's3:prefix': ['catalog/', 'catalog/*'] } } },
        { Sid: 'ReadCatalog', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-dev-tracking-events/catalog/*'] },
      ]);
      expect(p.catalog!.Statement.slice(2).map((st) => st.Sid)).toEqual('bucketKmsKeyArn' in extra ? ['DecryptCatalog'] : []);
      expect(p['kinesis-read']!.Statement[0]!.Action).toEqual([
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
        'kinesis:SubscribeToShard',
      ]);
      expect(p['kinesis-read']!.Statement[0]!.Resource).toEqual([expect.stringMatching(/^\$\{aws_kinesis_stream\..+\.arn\}$/)]);
      expect(p.dlq!.Statement[0]).toMatchObject({ Action: ['sqs:SendMessage'], Resource: [expect.stringMatching(/^\$\{aws_sqs_queue\..+\.arn\}$/)] });
    });
  });

  it('producers get PutRecord(s) on the stream only, and no KMS permission with the AWS managed key', () => {
    // Act
    const s = synth(DEFAULT);
    // Assess
    const policy = only(s.json.resource.aws_iam_policy);
    expect(policy.name).toBe('acme-dev-root-stream-producer');
    expect((JSON.parse(policy.policy as string) as Policy).Statement).toEqual([
      { Sid: 'PutToRootStream', Effect: 'Allow', Action: ['kinesis:PutRecord', 'kinesis:PutRecords'], Resource: [expect.stringMatching(/aws_kinesis_stream/)] },
    ]);
    expect(rolePolicies(s)['kinesis-kms']).toBeUndefined();
  });

  it('with a customer key: producers may GenerateDataKey, the router may Decrypt, each on that key only', () => {
    // Act
    const s = synth(envOf(`      enabled: true\n      kmsKeyId: ${CMK}`));
    // Assess
    const producer = JSON.parse(only(s.json.resource.aws_iam_policy).policy as string) as Policy;
    expect(producer.Statement[1]).toEqual({ Sid: 'EncryptWithStreamKey', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [CMK] });
    expect(rolePolicies(s)['kinesis-kms']!.Statement).toEqual([{ Sid: 'DecryptRootStream', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [CMK] }]);
  });

  it('resolves a key alias to its key ARN with a data source (IAM authorizes the key, not the alias)', () => {
    // Act
    const s = synth(envOf('      enabled: true\n      kmsKeyId: alias/tracking'));
    // Assess
    expect(only(s.json.data?.aws_kms_key)).toEqual({ key_id: 'alias/tracking' });
    expect(rolePolicies(s)['kinesis-kms']!.Statement[0]!.Resource).toEqual([expect.stringMatching(/^\$\{data\.aws_kms_key\..+\.arn\}$/)]);
  });
});

describe('hot-path consumers', () => {
  const FN = 'arn:aws:lambda:eu-central-1:123456789012:function:fraud-check';
  const env = envOf(
    [
      '      enabled: true',
      '      consumers:',
      `        - { type: lambda, name: fraud, functionArn: "${FN}" }`,
      `        - { type: lambda, name: fast, functionArn: "${FN}", enhancedFanOut: true, batchSize: 10, startingPosition: TRIM_HORIZON }`,
      '        - { type: enhanced-fan-out, name: realtime-alerts }',
    ].join('\n'),
  );

  it('registers enhanced fan-out consumers named by config/naming and maps Lambda consumers to the stream or their consumer', () => {
    // Act
    const s = synth(env);
    // Assess
    const consumers = Object.values(s.json.resource.aws_kinesis_stream_consumer ?? {});
    expect(consumers.map((c) => c.name).sort()).toEqual(['acme-dev-fast', 'acme-dev-realtime-alerts']);
    const mappings = Object.values(s.json.resource.aws_lambda_event_source_mapping ?? {}).filter((m) => m.function_name === FN);
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event_source_arn: expect.stringMatching(/aws_kinesis_stream\./), batch_size: 100, starting_position: 'LATEST' }),
        expect.objectContaining({ event_source_arn: expect.stringMatching(/aws_kinesis_stream_consumer\./), batch_size: 10, starting_position: 'TRIM_HORIZON' }),
      ]),
    );
    expect(mappings).toHaveLength(2);
    expect(s.construct.consumers.map((c) => [c.name, c.type, c.streamConsumer !== undefined, c.eventSourceMapping !== undefined])).toEqual([
      ['fast', 'lambda', true, true],
      ['fraud', 'lambda', false, true],
      ['realtime-alerts', 'enhanced-fan-out', true, false],
    ]);
  });
});
