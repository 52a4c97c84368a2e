import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/loader';
import { asList, deploy, instancesOf, policyDocuments, resourcesOf } from '../helpers/deploy';

/** Valid names: lowercase letters and digits, "_" and "-" inside. */
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,4})?$/);

const eventType = fc.oneof(
  name,
  fc.record(
    {
      name,
      transform: fc.constantFrom('lambda', 'native'),
      compression: fc.constantFrom('GZIP', 'HADOOP_SNAPPY', 'UNCOMPRESSED'),
      buffering: fc.record({ sizeMiB: fc.integer({ min: 1, max: 128 }), intervalSeconds: fc.integer({ min: 0, max: 900 }) }, { requiredKeys: [] }),
    },
    { requiredKeys: ['name'] },
  ),
);

const typeName = (t: string | { name: string }) => (typeof t === 'string' ? t : t.name);

/** Any valid config: unique names, 1-2 environments, 1-3 applications of 1-5 event types. */
const config = fc
  .record({
    environments: fc.uniqueArray(fc.constantFrom('dev', 'stage', 'prod'), { minLength: 1, maxLength: 2 }),
    region: fc.constantFrom('eu-central-1', 'us-east-1', 'ap-southeast-2'),
    rootStream: fc.boolean(),
    applications: fc.uniqueArray(
      fc.record({ name, eventTypes: fc.uniqueArray(eventType, { minLength: 1, maxLength: 5, selector: typeName }) }),
      { minLength: 1, maxLength: 3, selector: (a) => a.name },
    ),
  })
  .filter((c) => {
    // Names joined with "-" must not collide (the loader rejects that; covered in its tests).
    const streams = c.applications.flatMap((a) => a.eventTypes.map((t) => `${a.name}-${typeName(t)}`));
    return new Set(streams).size === streams.length;
  });

describe('for any valid config', () => {
  it('each environment has one wired delivery stream per event type, one hardened bucket, and no "*" in IAM', () => {
    fc.assert(
      fc.property(config, (c) => {
        // Prepare
        const yaml = stringify({
          project: 'p',
          environments: Object.fromEntries(c.environments.map((e) => [e, { region: c.region, rootStream: { enabled: c.rootStream } }])),
          applications: c.applications,
        });
        const resolved = parseConfig(yaml);
        for (const env of resolved.environments) {
          // Act
          const { json } = deploy(yaml, env.name);
          // Assess: exactly one stream per event type, keyed by it
          const streams = instancesOf(json, 'aws_kinesis_firehose_delivery_stream');
          const logStreams = instancesOf(json, 'aws_cloudwatch_log_stream');
          const keys = env.eventTypes.map((t) => t.key).sort();
          expect([...streams.keys()].sort()).toEqual(env.eventTypes.map((t) => `aws_kinesis_firehose_delivery_stream.${t.resourceName}`).sort());
          expect(logStreams.size).toBe(keys.length);
          const bucketRef = expect.stringMatching(/^\$\{aws_s3_bucket\.events-bucket_[A-F0-9]+\.arn\}$/);
          for (const t of env.eventTypes) {
            const s = streams.get(`aws_kinesis_firehose_delivery_stream.${t.resourceName}`)!;
            const s3 = s.extended_s3_configuration as Record<string, unknown>;
            expect(s.name).toBe(t.deliveryStreamName);
            expect(s3.bucket_arn).toEqual(bucketRef);
            expect(s3.prefix).toBe(t.prefix);
            expect(s3.error_output_prefix).toContain('!{firehose:error-output-type}');
            expect((s3.cloudwatch_logging_options as Record<string, unknown>).log_stream_name).toBe(t.logStreamName);
            expect(logStreams.get(`aws_cloudwatch_log_stream.${t.resourceName}`)!.name).toBe(t.logStreamName);
            const processors = (s3.processing_configuration as { processors: { type: string; parameters?: { parameter_name: string; parameter_value: string }[] }[] }).processors;
            if (t.transform === 'lambda') {
              expect(processors[0]!.parameters![0]!.parameter_value).toMatch(/^\$\{aws_lambda_function\.jsonl-transform_function_[A-F0-9]+\.arn\}:\$LATEST$/);
            } else expect(processors).toEqual([{ type: 'AppendDelimiterToRecord' }]);
          }
          // One hardened bucket
          expect(Object.keys(resourcesOf(json, 'aws_s3_bucket'))).toHaveLength(1);
          for (const type of ['aws_s3_bucket_public_access_block', 'aws_s3_bucket_policy', 'aws_s3_bucket_versioning', 'aws_s3_bucket_server_side_encryption_configuration', 'aws_s3_bucket_ownership_controls']) {
            expect(Object.keys(resourcesOf(json, type))).toHaveLength(1);
          }
          // The root stream exists exactly when switched on
          expect(Object.keys(resourcesOf(json, 'aws_kinesis_stream'))).toHaveLength(c.rootStream ? 1 : 0);
          // No "*" action or resource (KMS key policies excepted: there "*" means "this key")
          for (const { doc } of policyDocuments(json).filter((p) => !p.where.startsWith('aws_kms_key.'))) {
            for (const s of doc.Statement) {
              if (s.Effect === 'Allow') expect(asList(s.Action).filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
              expect(asList(s.Resource)).not.toContain('*');
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
