/**
 * A hand-written stack (cdk.tf.json the way cdktf writes it) that breaks each AWS rule Terraform
 * lets through, next to a resource that keeps it, for the rules tests. What each rule must report
 * (`breaks`) and must not report (`spared`) is listed in EXPECTED.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StackInput } from '../../scripts/terraform-check';

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/rules-role`;

const fn = (name: string): Record<string, unknown> => ({
  function_name: name,
  role: ROLE,
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  filename: 'assets/fn/archive.zip',
  source_code_hash: 'x',
});

/** A policy document of about `bytes` bytes (compact JSON). */
function bigPolicy(bytes: number): string {
  const statements: unknown[] = [];
  let i = 0;
  while (JSON.stringify({ Version: '2012-10-17', Statement: statements }).length < bytes) {
    statements.push({
      Sid: `Statement${i++}`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:DescribeKey',
      Resource: '*',
    });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const smallPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
});

const pattern = (app: string): { pattern: string } => ({ pattern: JSON.stringify({ data: { app: [app] } }) });

const stream = (name: string, prefix: string, compression: string, processorBuffer: string, interval?: string): Record<string, unknown> => ({
  name,
  destination: 'extended_s3',
  extended_s3_configuration: {
    bucket_arn: '${aws_s3_bucket.lake.arn}',
    role_arn: ROLE,
    prefix: `${prefix}year=!{timestamp:yyyy}/`,
    error_output_prefix: `errors/${name}/!{firehose:error-output-type}/`,
    compression_format: compression,
    buffering_size: 64,
    buffering_interval: 300,
    processing_configuration: {
      enabled: true,
      processors: [
        {
          type: 'Lambda',
          parameters: [
            { parameter_name: 'LambdaArn', parameter_value: '${aws_lambda_function.fn.arn}:$LATEST' },
            { parameter_name: 'BufferSizeInMBs', parameter_value: processorBuffer },
            ...(interval !== undefined ? [{ parameter_name: 'BufferIntervalInSeconds', parameter_value: interval }] : []),
          ],
        },
      ],
    },
  },
});

const table = (name: string, location: string, template: string): Record<string, unknown> => ({
  name,
  database_name: '${aws_glue_catalog_database.db.name}',
  table_type: 'EXTERNAL_TABLE',
  parameters: { EXTERNAL: 'TRUE', 'projection.enabled': 'true', 'projection.year.type': 'integer', 'projection.year.range': '2025,2030', 'storage.location.template': template },
  partition_keys: [{ name: 'year', type: 'string' }],
  storage_descriptor: {
    location,
    input_format: 'org.apache.hadoop.mapred.TextInputFormat',
    output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    columns: [{ name: 'raw', type: 'string' }],
    ser_de_info: { serialization_library: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe' },
  },
});

export const RESOURCES: Record<string, Record<string, unknown>> = {
  aws_s3_bucket: { lake: { bucket: 'rules-lake' }, other: { bucket: 'rules-other' } },
  aws_s3_bucket_lifecycle_configuration: {
    // Breaks: an empty prefix expires the catalog object; transitions 15 days apart; IA after 10 days.
    lake: {
      bucket: '${aws_s3_bucket.lake.id}',
      rule: [
        { id: 'expire-all', status: 'Enabled', filter: { prefix: '' }, expiration: { days: 400 } },
        { id: 'expire-events', status: 'Enabled', filter: { prefix: 'events/' }, expiration: { days: 30 } },
        {
          id: 'ia-then-glacier',
          status: 'Enabled',
          filter: { prefix: 'events/' },
          transition: [
            { days: 30, storage_class: 'STANDARD_IA' },
            { days: 45, storage_class: 'GLACIER' },
          ],
        },
        { id: 'ia-too-early', status: 'Enabled', filter: { prefix: 'errors/' }, transition: [{ days: 10, storage_class: 'STANDARD_IA' }] },
      ],
    },
    // Keeps: data only, transitions 60 days apart; a tag filter the object does not carry.
    other: {
      bucket: '${aws_s3_bucket.other.id}',
      rule: [
        { id: 'expire-events', status: 'Enabled', filter: { prefix: 'events/' }, expiration: { days: 400 } },
        {
          id: 'ia-then-glacier',
          status: 'Enabled',
          filter: { prefix: 'events/' },
          transition: [
            { days: 30, storage_class: 'STANDARD_IA' },
            { days: 90, storage_class: 'GLACIER' },
          ],
        },
        { id: 'tagged', status: 'Enabled', filter: { tag: { key: 'retention', value: 'short' } }, expiration: { days: 1 } },
      ],
    },
  },
  aws_s3_object: {
    // Breaks: repeats default tags under override_provider (and the lake's expire-all covers it).
    catalog: {
      bucket: '${aws_s3_bucket.lake.id}',
      key: 'catalog/rules.json',
      content: '{}',
      tags: { project: 'rules', owner: 'data' },
      override_provider: { default_tags: { tags: {} } },
    },
    // Breaks: 9 own tags + 2 default tags = 11.
    many_tags: {
      bucket: '${aws_s3_bucket.other.id}',
      key: 'notes/many.txt',
      content: 'x',
      tags: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, 'v'])),
    },
    // Keeps: its own tags only, none repeating the defaults; 3 tags.
    fine: {
      bucket: '${aws_s3_bucket.other.id}',
      key: 'catalog/fine.json',
      content: '{}',
      tags: { owner: 'data', project: 'another-value', kind: 'catalog' },
      override_provider: { default_tags: { tags: {} } },
    },
  },
  aws_kinesis_stream: { src: { name: 'rules-src', shard_count: 1 } },
  aws_lambda_function: { fn: fn('rules-fn'), other: fn('rules-other-fn') },
  aws_lambda_alias: { live: { name: 'live', function_name: '${aws_lambda_function.fn.function_name}', function_version: '$LATEST' } },
  aws_lambda_event_source_mapping: {
    // first and second collide (same stream, same unqualified function); via_alias and other_fn do not.
    first: { function_name: '${aws_lambda_function.fn.arn}', event_source_arn: '${aws_kinesis_stream.src.arn}', starting_position: 'LATEST' },
    second: { function_name: '${aws_lambda_function.fn.arn}', event_source_arn: '${aws_kinesis_stream.src.arn}', starting_position: 'LATEST' },
    // Breaks the filter quota: 6 filters (Lambda's default quota is 5).
    via_alias: {
      function_name: '${aws_lambda_alias.live.arn}',
      event_source_arn: '${aws_kinesis_stream.src.arn}',
      starting_position: 'LATEST',
      filter_criteria: { filter: ['a', 'b', 'c', 'd', 'e', 'f'].map(pattern) },
    },
    other_fn: {
      function_name: '${aws_lambda_function.other.function_name}',
      event_source_arn: '${aws_kinesis_stream.src.arn}',
      starting_position: 'LATEST',
      filter_criteria: { filter: ['a', 'b'].map(pattern) },
    },
  },
  aws_apigatewayv2_api: { api: { name: 'rules-api', protocol_type: 'HTTP' } },
  aws_apigatewayv2_integration: {
    fn: { api_id: '${aws_apigatewayv2_api.api.id}', integration_type: 'AWS_PROXY', integration_uri: '${aws_lambda_function.fn.arn}', payload_format_version: '2.0' },
  },
  aws_apigatewayv2_route: {
    post: { api_id: '${aws_apigatewayv2_api.api.id}', route_key: 'POST /events', target: 'integrations/${aws_apigatewayv2_integration.fn.id}' },
    // Breaks: its only permission names the management ARN, so no permission matches its calls.
    health: { api_id: '${aws_apigatewayv2_api.api.id}', route_key: 'GET /health', target: 'integrations/${aws_apigatewayv2_integration.fn.id}' },
  },
  aws_apigatewayv2_stage: { default: { api_id: '${aws_apigatewayv2_api.api.id}', name: '$default', auto_deploy: true } },
  aws_cloudwatch_event_rule: { tick: { name: 'rules-tick', schedule_expression: 'rate(1 minute)' } },
  aws_sns_topic: { t: { name: 'rules-topic' } },
  aws_lambda_permission: {
    post: {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.fn.function_name}',
      principal: 'apigateway.amazonaws.com',
      source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*/POST/events',
      statement_id: 'ApiPost',
    },
    // Breaks: an apigateway (management) ARN, not an execute-api ARN.
    health: {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.fn.function_name}',
      principal: 'apigateway.amazonaws.com',
      source_arn: '${aws_apigatewayv2_api.api.arn}/*/GET/health',
      statement_id: 'ApiHealth',
    },
    // Breaks: a route the API does not have.
    missing_route: {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.fn.function_name}',
      principal: 'apigateway.amazonaws.com',
      source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*/DELETE/events',
      statement_id: 'ApiDelete',
    },
    tick: {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.other.function_name}',
      principal: 'events.amazonaws.com',
      source_arn: '${aws_cloudwatch_event_rule.tick.arn}',
      statement_id: 'Tick',
    },
    // Breaks: EventBridge calls carry an events ARN, not a topic ARN.
    wrong_service: {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.other.function_name}',
      principal: 'events.amazonaws.com',
      source_arn: '${aws_sns_topic.t.arn}',
      statement_id: 'WrongService',
    },
  },
  aws_kinesis_firehose_delivery_stream: {
    // Breaks: ZIP under a table; Firehose's default 1 MB processor buffer; a 1,000 s processor interval.
    zip: stream('rules-zip', 'events/zip/', 'ZIP', '1', '1000'),
    gz: stream('rules-gz', 'events/gz/', 'GZIP', '0.5', '60'),
  },
  aws_glue_catalog_database: { db: { name: 'rules_db' } },
  aws_glue_catalog_table: {
    zip: table('zip', 's3://${aws_s3_bucket.lake.bucket}/events/zip/', 's3://${aws_s3_bucket.lake.bucket}/events/zip/year=$${year}/'),
    gz: table('gz', 's3://${aws_s3_bucket.lake.bucket}/events/gz/', 's3://${aws_s3_bucket.lake.bucket}/events/gz/year=$${year}/'),
    // Breaks: the bucket reference escaped together with Athena's placeholder stays literal text.
    escaped: table('escaped', 's3://rules-lake/events/gz/', 's3://$${aws_s3_bucket.lake.bucket}/events/gz/year=$${year}/'),
    // Breaks: another bucket, and no trailing slash.
    elsewhere: table('elsewhere', 's3://someone-elses-bucket/events', 's3://someone-elses-bucket/events/year=$${year}/'),
    // Breaks the name rule: Athena reads only lowercase letters, digits and "_".
    badname: table('bad-name', 's3://rules-lake/events/gz/', 's3://rules-lake/events/gz/year=$${year}/'),
  },
  aws_kms_key: {
    // Breaks: a key policy over 32,768 bytes.
    big: { description: 'too large a policy', deletion_window_in_days: 7, policy: bigPolicy(40_000) },
    small: { description: 'fine', deletion_window_in_days: 30, policy: smallPolicy },
  },
};

/** What each rule reports on this stack (addresses), and what it must not. */
export const EXPECTED: Readonly<Record<string, { readonly breaks: readonly string[]; readonly spared: readonly string[] }>> = {
  'lambda-esm-unique': {
    breaks: ['aws_lambda_event_source_mapping.second'],
    spared: ['aws_lambda_event_source_mapping.first', 'aws_lambda_event_source_mapping.via_alias', 'aws_lambda_event_source_mapping.other_fn'],
  },
  'lambda-filter-criteria': { breaks: ['aws_lambda_event_source_mapping.via_alias'], spared: ['aws_lambda_event_source_mapping.other_fn'] },
  's3-lifecycle-read-objects': {
    breaks: ['aws_s3_bucket_lifecycle_configuration.lake'],
    spared: ['aws_s3_bucket_lifecycle_configuration.other'],
  },
  's3-lifecycle-transitions': { breaks: ['aws_s3_bucket_lifecycle_configuration.lake'], spared: ['aws_s3_bucket_lifecycle_configuration.other'] },
  'athena-readable-compression': { breaks: ['aws_glue_catalog_table.zip'], spared: ['aws_glue_catalog_table.gz'] },
  'athena-table-location': {
    breaks: ['aws_glue_catalog_table.escaped', 'aws_glue_catalog_table.elsewhere'],
    spared: ['aws_glue_catalog_table.gz', 'aws_glue_catalog_table.zip'],
  },
  's3-object-tag-count': { breaks: ['aws_s3_object.many_tags'], spared: ['aws_s3_object.fine', 'aws_s3_object.catalog'] },
  'default-tags-repeated': { breaks: ['aws_s3_object.catalog'], spared: ['aws_s3_object.fine', 'aws_s3_object.many_tags'] },
  'lambda-permission-source-arn': {
    breaks: ['aws_lambda_permission.health', 'aws_lambda_permission.missing_route', 'aws_lambda_permission.wrong_service'],
    spared: ['aws_lambda_permission.post', 'aws_lambda_permission.tick'],
  },
  'apigateway-route-permission': { breaks: ['aws_apigatewayv2_route.health'], spared: ['aws_apigatewayv2_route.post'] },
  'firehose-processor': { breaks: ['aws_kinesis_firehose_delivery_stream.zip'], spared: ['aws_kinesis_firehose_delivery_stream.gz'] },
  'kms-key-limits': { breaks: ['aws_kms_key.big'], spared: ['aws_kms_key.small'] },
  'physical-names': { breaks: ['aws_glue_catalog_table.badname'], spared: ['aws_glue_catalog_table.gz', 'aws_s3_bucket.lake'] },
};

/** Writes `<root>/out/stacks/<id>/cdk.tf.json` (provider with default tags, pinned 6.25.0, local backend). */
export function writeRulesStack(root: string, id = 'rules', resources: Record<string, Record<string, unknown>> = RESOURCES): StackInput {
  const dir = path.join(root, 'out', 'stacks', id);
  mkdirSync(path.join(dir, 'assets', 'fn'), { recursive: true });
  writeFileSync(path.join(dir, 'assets', 'fn', 'archive.zip'), 'not really a zip');
  const json = {
    provider: {
      aws: [{ region: REGION, allowed_account_ids: [ACCOUNT], default_tags: [{ tags: { project: 'rules', environment: 'test' } }] }],
    },
    resource: resources,
    terraform: {
      backend: { local: { path: `terraform.${id}.tfstate` } },
      required_providers: { aws: { source: 'aws', version: '6.25.0' } },
    },
  };
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));
  return { id, dir, label: 'rules' };
}
