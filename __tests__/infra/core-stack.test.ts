import { Testing } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { parseConfig } from '../../config/loader';
import { EventBucket } from '../../modules/event-bucket';
import { TRANSFORM_BUFFER_SIZE_MB } from '../../modules/delivery-stream';
import { asList, deploy, instancesOf, minimalConfig, policyDocuments, resourcesOf } from '../helpers/deploy';

const withDev = (settings: string) => minimalConfig().replace('dev: { region: eu-central-1 }', `dev: { region: eu-central-1, ${settings} }`);

describe('shared events bucket', () => {
  const bucketSpec = (settings = '') => parseConfig(withDev(settings)).environments[0]!.bucket;

  it('is hardened: public access blocked, owner-enforced, encrypted, versioned', () => {
    // Prepare / Act
    const synthesized = Testing.synthScope((scope) => new EventBucket(scope, 'bucket', { spec: bucketSpec() }));
    // Assess
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, { bucket: 'acme-dev-tracking-events', force_destroy: false });
    expect(synthesized).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
    expect(synthesized).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: 'Enabled' } });
  });

  it('uses SSE-KMS with a bucket key when a KMS key is configured', () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const synthesized = Testing.synthScope((scope) => new EventBucket(scope, 'bucket', { spec: bucketSpec(`bucket: { kmsKeyArn: "${key}" }`) }));
    expect(synthesized).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: key }, bucket_key_enabled: true }],
    });
  });

  it('denies every request that does not use TLS', () => {
    // Act
    const { json } = deploy(minimalConfig());
    // Assess
    const [policy] = Object.values(resourcesOf(json, 'aws_s3_bucket_policy'));
    const doc = JSON.parse(policy!.policy as string) as { Statement: Record<string, unknown>[] };
    expect(doc.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: [expect.stringMatching(/aws_s3_bucket\..*\.arn/), expect.stringMatching(/aws_s3_bucket\..*\.arn}\/\*$/)],
      }),
    );
  });

  it.each<[string, string, Record<string, unknown>[]]>([
    ['defaults only', '', []],
    [
      'expiry of the event-record roots',
      'bucket: { expireAfterDays: 400 }',
      [
        { id: 'expire-objects', filter: [{ prefix: 'events/' }], expiration: [{ days: 400 }] },
        { id: 'expire-errors', filter: [{ prefix: 'errors/' }], expiration: [{ days: 400 }] },
        { id: 'expire-unroutable', filter: [{ prefix: 'unroutable/' }], expiration: [{ days: 400 }] },
        { id: 'expire-redriven', filter: [{ prefix: 'redriven/' }], expiration: [{ days: 400 }] },
      ],
    ],
    [
      'transitions of the event-record roots',
      'bucket: { transitionToInfrequentAccessAfterDays: 30, transitionToGlacierAfterDays: 90 }',
      ['events/', 'errors/', 'unroutable/', 'redriven/'].map((prefix) => ({
        id: prefix === 'events/' ? 'transition-objects' : `transition-${prefix.slice(0, -1)}`,
        filter: [{ prefix }],
        transition: [{ days: 30, storage_class: 'STANDARD_IA' }, { days: 90, storage_class: 'GLACIER_IR' }],
      })),
    ],
  ])('lifecycle: aborts multipart uploads, expires old versions, plus %s', (_name, settings, extra) => {
    // Act
    const synthesized = Testing.synthScope((scope) => new EventBucket(scope, 'bucket', { spec: bucketSpec(settings) }));
    // Assess
    expect(synthesized).toHaveResource(S3BucketLifecycleConfiguration);
    const rules = JSON.parse(synthesized).resource.aws_s3_bucket_lifecycle_configuration as Record<string, { rule: unknown[] }>;
    expect(Object.values(rules)[0]!.rule).toMatchObject([
      { id: 'abort-incomplete-multipart-uploads', status: 'Enabled', filter: [{ prefix: '' }], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] },
      { id: 'expire-noncurrent-versions', status: 'Enabled', filter: [{ prefix: '' }], noncurrent_version_expiration: [{ noncurrent_days: 30 }] },
      // Athena query results under athena-results/ expire after 7 days.
      { status: 'Enabled', filter: [{ prefix: 'athena-results/' }], expiration: [{ days: 7 }] },
      ...extra,
    ]);
    expect(Object.values(rules)[0]!.rule).toHaveLength(3 + extra.length);
  });
});

describe('delivery streams', () => {
  const yaml = `project: acme
environments:
  dev: { region: eu-central-1 }
applications:
  - name: web-shop
    owner: team-shop
    eventTypes:
      - page_view
      - name: checkout_completed
        buffering: { sizeMiB: 16, intervalSeconds: 60 }
        compression: HADOOP_SNAPPY
  - name: mobile-app
    eventTypes:
      - name: app_open
        transform: native
`;

  it('creates exactly one delivery stream per event type, each its own resource named "<app>__<type>"', () => {
    // Act
    const streams = instancesOf(deploy(yaml).json, 'aws_kinesis_firehose_delivery_stream');
    // Assess
    expect([...streams.keys()].sort()).toEqual([
      'aws_kinesis_firehose_delivery_stream.mobile-app__app_open',
      'aws_kinesis_firehose_delivery_stream.web-shop__checkout_completed',
      'aws_kinesis_firehose_delivery_stream.web-shop__page_view',
    ]);
    expect([...streams.values()].map((s) => s.name).sort()).toEqual([
      'acme-dev-mobile-app-app_open',
      'acme-dev-web-shop-checkout_completed',
      'acme-dev-web-shop-page_view',
    ]);
  });

  it('wires each stream to the bucket, its own prefix, error prefix and log stream, with SSE', () => {
    // Act
    const { json } = deploy(yaml);
    const stream = instancesOf(json, 'aws_kinesis_firehose_delivery_stream').get('aws_kinesis_firehose_delivery_stream.web-shop__page_view')!;
    // Assess
    const s3 = stream.extended_s3_configuration as Record<string, unknown>;
    expect(stream).toMatchObject({ destination: 'extended_s3', server_side_encryption: { enabled: true, key_type: 'AWS_OWNED_CMK' } });
    expect(s3.bucket_arn).toMatch(/^\$\{aws_s3_bucket\.events-bucket_[A-F0-9]+\.arn\}$/);
    expect(s3.role_arn).toMatch(/^\$\{aws_iam_role\.firehose-role_[A-F0-9]+\.arn\}$/);
    expect(s3.prefix).toBe(
      'events/application=web-shop/event_type=page_view/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    );
    expect(s3.error_output_prefix).toBe(
      'errors/application=web-shop/event_type=page_view/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    );
    expect(s3.cloudwatch_logging_options).toEqual({
      enabled: true,
      log_group_name: '/aws/kinesisfirehose/acme-dev',
      log_stream_name: 'acme-dev-web-shop-page_view',
    });
    expect(s3).toMatchObject({ buffering_size: 64, buffering_interval: 300, compression_format: 'GZIP' });
    expect(stream.tags).toEqual({ owner: 'team-shop' });
  });

  it('gives every event type its own prefixes and log stream', () => {
    const streams = [...instancesOf(deploy(yaml).json, 'aws_kinesis_firehose_delivery_stream').values()];
    for (const key of ['prefix', 'error_output_prefix'] as const) {
      const values = streams.map((s) => (s.extended_s3_configuration as Record<string, unknown>)[key]);
      expect(new Set(values).size).toBe(streams.length);
    }
    const logStreams = streams.map((s) => ((s.extended_s3_configuration as Record<string, unknown>).cloudwatch_logging_options as Record<string, unknown>).log_stream_name);
    expect(new Set(logStreams).size).toBe(streams.length);
  });

  it('applies per-type buffering and compression overrides', () => {
    const stream = instancesOf(deploy(yaml).json, 'aws_kinesis_firehose_delivery_stream').get(
      'aws_kinesis_firehose_delivery_stream.web-shop__checkout_completed',
    )!;
    expect(stream.extended_s3_configuration).toMatchObject({ buffering_size: 16, buffering_interval: 60, compression_format: 'HADOOP_SNAPPY' });
  });

  it.each<[string, string, unknown[]]>([
    [
      'lambda',
      'web-shop/page_view',
      [
        {
          type: 'Lambda',
          parameters: [
            { parameter_name: 'LambdaArn', parameter_value: expect.stringMatching(/^\$\{aws_lambda_function\.jsonl-transform_function_[A-F0-9]+\.arn\}:\$LATEST$/) },
            { parameter_name: 'BufferSizeInMBs', parameter_value: TRANSFORM_BUFFER_SIZE_MB },
          ],
        },
      ],
    ],
    ['native', 'mobile-app__app_open', [{ type: 'AppendDelimiterToRecord' }]],
  ])('processes records with the %s transform, setting only non-default parameters in a fixed order', (_kind, name, expected) => {
    // Act
    const { json } = deploy(yaml);
    const body = json.resource!.aws_kinesis_firehose_delivery_stream![name === 'web-shop/page_view' ? 'web-shop__page_view' : name]!;
    // Assess: static processor blocks (no dynamic blocks: they cost Terraform per instance)
    expect(body.extended_s3_configuration).toMatchObject({ processing_configuration: { enabled: true, processors: expected } });
    expect(JSON.stringify(body)).not.toContain('dynamic');
  });

  it('creates one log group with retention and one log stream per delivery stream', () => {
    // Act
    const { json, synthesized } = deploy(yaml.replace('project: acme', 'project: acme\nlogRetentionDays: 90'));
    // Assess
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/kinesisfirehose/acme-dev', retention_in_days: 90 });
    const logStreams = instancesOf(json, 'aws_cloudwatch_log_stream');
    expect([...logStreams.keys()].sort()).toEqual([
      'aws_cloudwatch_log_stream.mobile-app__app_open',
      'aws_cloudwatch_log_stream.web-shop__checkout_completed',
      'aws_cloudwatch_log_stream.web-shop__page_view',
    ]);
    for (const s of logStreams.values()) {
      expect(s.log_group_name).toMatch(/^\$\{aws_cloudwatch_log_group\.delivery-logs_log-group_[A-F0-9]+\.name\}$/);
    }
    expect([...logStreams.values()].map((s) => s.name).sort()).toEqual([
      'acme-dev-mobile-app-app_open',
      'acme-dev-web-shop-checkout_completed',
      'acme-dev-web-shop-page_view',
    ]);
  });

  it('creates each stream after its own log stream (only) and the role policies', () => {
    const body = deploy(yaml).json.resource!.aws_kinesis_firehose_delivery_stream!['web-shop__page_view']!;
    expect((body.depends_on as string[]).filter((d) => d.startsWith('aws_cloudwatch_log_stream.'))).toEqual(['aws_cloudwatch_log_stream.web-shop__page_view']);
    expect(body.depends_on).toEqual(
      expect.arrayContaining([
        'aws_cloudwatch_log_stream.web-shop__page_view',
        expect.stringMatching(/^aws_iam_role_policy\.firehose-role_policy-s3-delivery_/),
        expect.stringMatching(/^aws_iam_role_policy\.firehose-role_policy-delivery-logs_/),
        expect.stringMatching(/^aws_iam_role_policy\.firehose-role_policy-transform_/),
      ]),
    );
  });

  it('carries the addresses of the last landed version (for_each instances) over with moved blocks', () => {
    const moved = (deploy(yaml).json.moved ?? []) as { from: string; to: string }[];
    expect(moved).toEqual(
      expect.arrayContaining([
        { from: 'aws_kinesis_firehose_delivery_stream.delivery["web-shop/page_view"]', to: 'aws_kinesis_firehose_delivery_stream.web-shop__page_view' },
        { from: 'aws_cloudwatch_log_stream.delivery["mobile-app/app_open"]', to: 'aws_cloudwatch_log_stream.mobile-app__app_open' },
      ]),
    );
    expect(moved).toHaveLength(6);
  });

  it('creates no transform Lambda when every event type uses the native transform', () => {
    const { json } = deploy(minimalConfig().replace('applications:', 'defaults: { transform: native }\napplications:'));
    expect(resourcesOf(json, 'aws_lambda_function')).toEqual({});
    expect(Object.values(resourcesOf(json, 'aws_iam_role_policy')).map((p) => p.name)).not.toContain('transform');
  });
});

describe('JSONL transform Lambda', () => {
  it('runs the esbuild bundle on nodejs22.x with its own log group and a content-tied hash', () => {
    // Act
    const { synthesized, json } = deploy(minimalConfig());
    // Assess
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'acme-dev-jsonl-transform',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      source_code_hash: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
      logging_config: { log_format: 'Text', log_group: expect.stringMatching(/aws_cloudwatch_log_group\.jsonl-transform_log-group/) },
    });
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/lambda/acme-dev-jsonl-transform', retention_in_days: 30 });
    const fn = Object.values(resourcesOf(json, 'aws_lambda_function'))[0]!;
    expect(fn.filename).toMatch(/^assets\/jsonl-transform_code_[A-F0-9]+\/[A-F0-9]+\/archive\.zip$/);
  });

  it('keeps the same source_code_hash across synths (plans show no Lambda update)', () => {
    const a = Object.values(resourcesOf(deploy(minimalConfig()).json, 'aws_lambda_function'))[0]!.source_code_hash;
    const b = Object.values(resourcesOf(deploy(minimalConfig()).json, 'aws_lambda_function'))[0]!.source_code_hash;
    expect(a).toBe(b);
  });

  it('has a role that can only write its own logs', () => {
    // Act
    const { json, synthesized } = deploy(minimalConfig());
    // Assess
    expect(synthesized).toHaveResourceWithProperties(IamRole, { name: 'acme-dev-jsonl-transform' });
    const policies = policyDocuments(json).filter((p) => p.where.startsWith('aws_iam_role_policy.jsonl-transform'));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.doc.Statement).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [expect.stringMatching(/^arn:\$\{data\.aws_partition\..*\}:logs:eu-central-1:\$\{data\.aws_caller_identity\..*\}:log-group:\/aws\/lambda\/acme-dev-jsonl-transform:log-stream:\*$/)],
      },
    ]);
  });
});

describe('Firehose IAM', () => {
  const statements = (yaml: string) =>
    policyDocuments(deploy(yaml).json)
      .filter((p) => p.where.startsWith('aws_iam_role_policy.firehose-role'))
      .flatMap((p) => p.doc.Statement.map((s) => ({ ...s, where: p.where })));

  it('grants exactly the actions Firehose needs, scoped to the prefixes, the log group and the Lambda', () => {
    // Act
    const all = statements(minimalConfig());
    // Assess
    const bySid = Object.fromEntries(all.map((s) => [s.Sid, s]));
    expect(bySid.Bucket).toMatchObject({ Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'] });
    expect(bySid.DataAndErrorPrefixes).toMatchObject({
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      Resource: [expect.stringMatching(/\.arn\}\/events\/\*$/), expect.stringMatching(/\.arn\}\/errors\/\*$/)],
    });
    expect(bySid.DeliveryErrorLogs).toMatchObject({
      Action: ['logs:PutLogEvents'],
      Resource: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.delivery-logs_log-group_[A-F0-9]+\.arn\}:log-stream:\*$/)],
    });
    // The transform function by its exact ARN, built from its name (no reference: no cycle between role and function).
    expect(bySid.InvokeTransform).toMatchObject({
      Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      Resource: [expect.stringMatching(/:lambda:eu-central-1:\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:function:acme-dev-jsonl-transform$/), expect.stringMatching(/:function:acme-dev-jsonl-transform:\*$/)],
    });
    expect(Object.keys(bySid).sort()).toEqual(['Bucket', 'DataAndErrorPrefixes', 'DeliveryErrorLogs', 'InvokeTransform']);
  });

  it('adds the bucket key permission only with SSE-KMS', () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const kms = statements(withDev(`bucket: { kmsKeyArn: "${key}" }`)).find((s) => s.Sid === 'BucketKey');
    expect(kms).toMatchObject({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [key] });
    expect(statements(minimalConfig()).find((s) => s.Sid === 'BucketKey')).toBeUndefined();
  });

  it('lets S3 use the bucket key with the encryption context S3 sends when the bucket has an S3 Bucket Key', () => {
    // Prepare: with a bucket key, S3 asks KMS for data keys with the *bucket* ARN as
    // kms:EncryptionContext:aws:s3:arn (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { json } = deploy(withDev(`bucket: { kmsKeyArn: "${key}" }, rootStream: { enabled: true, router: { unroutableDestination: s3 } }`));
    const bucketToken = `\${${Object.keys(resourcesOf(json, 'aws_s3_bucket')).map((id) => `aws_s3_bucket.${id}.arn`)[0]}}`;
    const bucketArn = 'arn:aws:s3:::acme-dev-tracking-events';
    const request = { 'kms:ViaService': 's3.eu-central-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': bucketArn };
    const kmsStatements = policyDocuments(json)
      .flatMap((p) => p.doc.Statement)
      .filter((st) => asList(st.Resource).includes(key));
    // Act / Assess
    expect(Object.values(resourcesOf(json, 'aws_s3_bucket_server_side_encryption_configuration'))[0]).toMatchObject({ rule: [{ bucket_key_enabled: true }] });
    expect(kmsStatements.map((st) => st.Sid).sort()).toEqual(['BucketKey', 'DecryptCatalog', 'EncryptUnroutable']);
    for (const st of kmsStatements) {
      const condition = JSON.parse(JSON.stringify(st.Condition).split(bucketToken).join(bucketArn)) as Record<string, Record<string, string>>;
      expect(conditionAllows(condition, request)).toBe(true);
      // ... and nothing else: another bucket's context, or a call not made through S3, is denied.
      expect(conditionAllows(condition, { ...request, 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::other-bucket' })).toBe(false);
      expect(conditionAllows(condition, { ...request, 'kms:ViaService': 'sqs.eu-central-1.amazonaws.com' })).toBe(false);
    }
  });

  it('trusts only Firehose, pinned to the account by sts:ExternalId', () => {
    const role = Object.values(resourcesOf(deploy(minimalConfig()).json, 'aws_iam_role')).find((r) => r.name === 'acme-dev-firehose')!;
    expect(JSON.parse(role.assume_role_policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': expect.stringMatching(/^\$\{data\.aws_caller_identity\..*\.account_id\}$/) } },
        },
      ],
    });
  });

  it('has no "*" action or resource in any IAM statement of the example config', () => {
    for (const environment of ['dev', 'prod']) {
      // KMS key policies are the one exception: there "Resource": "*" means "this key" and is the
      // only form AWS accepts; they are checked in the alarms tests.
      for (const { where, doc } of policyDocuments(deploy(undefined, environment).json).filter((p) => !p.where.startsWith('aws_kms_key.'))) {
        for (const s of doc.Statement) {
          const actions = asList(s.Action);
          if (s.Effect === 'Allow') expect({ where, actions: actions.filter((a) => a === '*' || a.endsWith(':*')) }).toEqual({ where, actions: [] });
          expect({ where, resources: asList(s.Resource).filter((r) => r === '*') }).toEqual({ where, resources: [] });
        }
      }
    }
  });
});

/** Evaluates the StringEquals / StringLike conditions of an IAM statement against request context keys. */
function conditionAllows(condition: Record<string, Record<string, string | string[]>>, request: Record<string, string>): boolean {
  return Object.entries(condition).every(([operator, entries]) =>
    Object.entries(entries).every(([key, expected]) => {
      const actual = request[key];
      if (actual === undefined) return false;
      const values = Array.isArray(expected) ? expected : [expected];
      if (operator === 'StringEquals') return values.includes(actual);
      if (operator === 'StringLike') {
        return values.some((v) => new RegExp(`^${v.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(actual));
      }
      throw new Error(`operator ${operator} not supported by this test`);
    }),
  );
}
