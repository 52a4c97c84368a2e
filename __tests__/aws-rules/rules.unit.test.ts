/**
 * The AWS rules on hand-made states (no terraform): the limits Terraform's provider already refuses
 * at validate (so no stack can carry them into a mock apply), the edges of each rule, and the
 * engine. rules-stack.test.ts runs the rules on a stack Terraform evaluated.
 */
import { ALL_RULES, runRules, type Rule, type StackView } from '../../scripts/aws-rules';
import { buffering, processors, worstCaseRequestBytes, LAMBDA_SYNC_PAYLOAD_BYTES } from '../../scripts/aws-rules/rules/firehose';
import { keyLimits, policyBytes } from '../../scripts/aws-rules/rules/kms';
import { esmUnique, filterCriteria, qualifiedFunctionArn } from '../../scripts/aws-rules/rules/lambda-mappings';
import { nameProblem } from '../../scripts/aws-rules/rules/names';
import { filterSelects, lifecycleSparesReadObjects, transitionProblems } from '../../scripts/aws-rules/rules/s3-lifecycle';
import { tableLocation } from '../../scripts/aws-rules/rules/athena';
import { identityValues, setInConfig, type StateResource } from '../../scripts/aws-rules/state';

type Values = Record<string, unknown>;

/** A state resource whose values all count as configured (no plan mask, no config block). */
const res = (type: string, name: string, values: Values): StateResource => ({ address: `${type}.${name}`, mode: 'managed', type, name, values });

const view = (id: string, resources: StateResource[], label = 'unit'): StackView => ({
  label,
  id,
  config: { provider: { aws: [{ region: 'eu-west-1', allowed_account_ids: ['111122223333'] }] } },
  state: { resources, outputs: {} },
});

const run = (rule: Rule, stacks: StackView[], options = {}) => runRules(stacks, [rule], options);

describe('firehose-buffering (the provider refuses these at validate; the rule states the API range)', () => {
  const s = (size: number, interval: number) => res('aws_kinesis_firehose_delivery_stream', `s${size}_${interval}`, { extended_s3_configuration: [{ buffering_size: size, buffering_interval: interval }] });

  it('reports sizes outside 1-128 MiB and intervals outside 0-900 s', () => {
    const v = run(buffering, [view('a', [s(0, 60), s(129, 60), s(64, 901), s(64, -1), s(1.5, 60)])]);
    expect(v.map((x) => x.address).sort()).toEqual([
      'aws_kinesis_firehose_delivery_stream.s0_60',
      'aws_kinesis_firehose_delivery_stream.s1.5_60',
      'aws_kinesis_firehose_delivery_stream.s129_60',
      'aws_kinesis_firehose_delivery_stream.s64_-1',
      'aws_kinesis_firehose_delivery_stream.s64_901',
    ]);
    expect(v[0]!.sources[0]!.url).toBe('https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html');
  });

  it('accepts the edges', () => {
    expect(run(buffering, [view('a', [s(1, 0), s(128, 900), s(64, 300)])])).toEqual([]);
  });
});

describe('firehose-processor', () => {
  const stream = (name: string, params: [string, string][], type = 'Lambda', kinesis = false) =>
    res('aws_kinesis_firehose_delivery_stream', name, {
      ...(kinesis ? { kinesis_source_configuration: [{ kinesis_stream_arn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/s' }] } : {}),
      extended_s3_configuration: [
        { processing_configuration: [{ enabled: true, processors: [{ type, parameters: params.map(([parameter_name, parameter_value]) => ({ parameter_name, parameter_value })) }] }] },
      ],
    });
  const arn = ['LambdaArn', 'arn:aws:lambda:eu-west-1:111122223333:function:t:$LATEST'] as [string, string];

  it('bounds the request Firehose sends the Lambda processor by 6 MB, at the smallest record producers send', () => {
    expect(worstCaseRequestBytes(0.5, 13, false)).toBeLessThanOrEqual(LAMBDA_SYNC_PAYLOAD_BYTES);
    expect(worstCaseRequestBytes(1, 13, false)).toBeGreaterThan(LAMBDA_SYNC_PAYLOAD_BYTES);
    expect(worstCaseRequestBytes(1, 40, false)).toBeLessThanOrEqual(LAMBDA_SYNC_PAYLOAD_BYTES);
    // Records read from a Kinesis stream carry their Kinesis metadata in the request.
    expect(worstCaseRequestBytes(0.5, 13, true)).toBeGreaterThan(LAMBDA_SYNC_PAYLOAD_BYTES);
    const v = run(processors, [view('a', [stream('ok', [arn, ['BufferSizeInMBs', '0.5']]), stream('dflt', [arn]), stream('kin', [arn, ['BufferSizeInMBs', '0.5']], 'Lambda', true)])]);
    expect(v.map((x) => x.address).sort()).toEqual(['aws_kinesis_firehose_delivery_stream.dflt', 'aws_kinesis_firehose_delivery_stream.kin']);
    expect(v.find((x) => x.address.endsWith('dflt'))!.message).toContain("(Firehose's default)");
    // With larger records (an option of the check), the default buffer fits.
    expect(run(processors, [view('a', [stream('dflt', [arn])])], { firehoseMinRecordBytes: 40 })).toEqual([]);
  });

  it('reports out-of-range and unknown parameters, and a missing or malformed LambdaArn', () => {
    const v = run(processors, [
      view('a', [
        stream('small', [arn, ['BufferSizeInMBs', '0.1']]),
        stream('big', [arn, ['BufferSizeInMBs', '3.5']]),
        stream('interval', [arn, ['BufferSizeInMBs', '0.5'], ['BufferIntervalInSeconds', '901']]),
        stream('retries', [arn, ['BufferSizeInMBs', '0.5'], ['NumberOfRetries', '-1']]),
        stream('unknown', [arn, ['BufferSizeInMBs', '0.5'], ['Foo', '1']]),
        stream('noarn', [['BufferSizeInMBs', '0.5']]),
        stream('badarn', [['LambdaArn', 'arn:aws:sqs:eu-west-1:111122223333:q'], ['BufferSizeInMBs', '0.5']]),
        stream('badtype', [], 'Transmogrify'),
        stream('delimiter', [], 'AppendDelimiterToRecord'),
      ]),
    ]);
    const by = (name: string) => v.filter((x) => x.address === `aws_kinesis_firehose_delivery_stream.${name}`).map((x) => x.message);
    expect(by('small')).toEqual([expect.stringContaining('BufferSizeInMBs "0.1" is outside 0.2-3')]);
    expect(by('big')).toEqual([expect.stringContaining('BufferSizeInMBs "3.5" is outside 0.2-3')]);
    expect(by('interval')).toEqual([expect.stringContaining('BufferIntervalInSeconds "901" is outside 0-900')]);
    expect(by('retries')).toEqual([expect.stringContaining('NumberOfRetries "-1" is not a whole number')]);
    expect(by('unknown')).toEqual([expect.stringContaining('parameter "Foo" is not a processor parameter')]);
    expect(by('noarn')).toEqual([expect.stringContaining('needs a LambdaArn parameter')]);
    expect(by('badarn')).toEqual([expect.stringContaining('is not a Lambda function ARN')]);
    expect(by('badtype')).toEqual([expect.stringContaining('is not a Firehose processor type')]);
    expect(by('delimiter')).toEqual([]);
  });
});

describe('kms-key-limits', () => {
  it('reports the deletion window, rotation period, description and aliases outside KMS limits (the provider refuses some of these at validate)', () => {
    const key = (name: string, values: Values) => res('aws_kms_key', name, { key_id: `id-${name}`, arn: `arn:aws:kms:eu-west-1:111122223333:key/id-${name}`, ...values });
    const aliases = Array.from({ length: 51 }, (_, i) => res('aws_kms_alias', `a${i}`, { name: `alias/a${i}`, target_key_id: 'id-aliased' }));
    const v = run(keyLimits, [
      view('a', [
        key('window', { deletion_window_in_days: 6 }),
        key('rotation', { rotation_period_in_days: 2561 }),
        key('description', { description: 'd'.repeat(8193) }),
        key('aliased', {}),
        key('fine', { deletion_window_in_days: 30, rotation_period_in_days: 365, description: 'ok', policy: '{"Version":"2012-10-17","Statement":[]}' }),
        ...aliases.slice(0, 51),
      ]),
    ]);
    expect(v.map((x) => x.address).sort()).toEqual(['aws_kms_key.aliased', 'aws_kms_key.description', 'aws_kms_key.rotation', 'aws_kms_key.window']);
  });

  it('measures the policy as the provider sends it: compact JSON', () => {
    expect(policyBytes('{ "a" :  [1, 2] }')).toBe('{"a":[1,2]}'.length);
    expect(policyBytes('not json')).toBe(8);
  });
});

describe('lambda-esm-unique and lambda-filter-criteria', () => {
  const ctx = { partition: 'aws', region: 'eu-west-1', account: '111122223333' };

  it('reads every form Lambda accepts for a function: name, partial ARN, full ARN, each with a qualifier', () => {
    const full = 'arn:aws:lambda:eu-west-1:111122223333:function:f';
    expect(qualifiedFunctionArn('f', ctx)).toBe(full);
    expect(qualifiedFunctionArn('f:live', ctx)).toBe(`${full}:live`);
    expect(qualifiedFunctionArn('111122223333:function:f', ctx)).toBe(full);
    expect(qualifiedFunctionArn(`${full}:7`, ctx)).toBe(`${full}:7`);
    expect(qualifiedFunctionArn('not a function', ctx)).toBeUndefined();
  });

  it('finds a collision across the stacks of one group (a name and an ARN of the same function), never across groups', () => {
    const m = (name: string, fn: string) => res('aws_lambda_event_source_mapping', name, { event_source_arn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/s', function_name: fn });
    const core = view('core', [m('a', 'f')]);
    const shard = view('shard', [m('b', 'arn:aws:lambda:eu-west-1:111122223333:function:f')]);
    const v = run(esmUnique, [core, shard]);
    expect(v.map((x) => `${x.stack} ${x.address}`)).toEqual(['unit/shard aws_lambda_event_source_mapping.b']);
    expect(run(esmUnique, [core, view('shard', [m('b', 'f')], 'another-config')])).toEqual([]);
    expect(run(esmUnique, [view('x', [m('a', 'f'), m('b', 'f:live'), m('c', 'f:1')])])).toEqual([]);
  });

  it('checks pattern length and JSON, and the filter quota the account has', () => {
    const f = (name: string, patterns: string[]) => res('aws_lambda_event_source_mapping', name, { filter_criteria: [{ filter: patterns.map((pattern) => ({ pattern })) }] });
    const long = JSON.stringify({ data: { k: ['x'.repeat(4100)] } });
    const six = Array.from({ length: 6 }, (_, i) => JSON.stringify({ data: { i: [i] } }));
    const stacks = [view('a', [f('long', [long]), f('notjson', ['{data']), f('array', ['[1]']), f('six', six)])];
    const v = run(filterCriteria, stacks);
    expect(v.map((x) => x.address).sort()).toEqual([
      'aws_lambda_event_source_mapping.array',
      'aws_lambda_event_source_mapping.long',
      'aws_lambda_event_source_mapping.notjson',
      'aws_lambda_event_source_mapping.six',
    ]);
    expect(run(filterCriteria, stacks, { lambdaFilterQuota: 10 }).map((x) => x.address)).not.toContain('aws_lambda_event_source_mapping.six');
    // 11 exceeds even a raised quota.
    expect(run(filterCriteria, [view('a', [f('eleven', [...six, ...six.slice(0, 5)])])], { lambdaFilterQuota: 10 })).toHaveLength(1);
  });
});

describe('S3 lifecycle', () => {
  it('encodes S3\'s transition constraints', () => {
    const t = (days: number, storageClass: string, noncurrent = false) => ({ days, storageClass, noncurrent });
    expect(transitionProblems([t(30, 'STANDARD_IA'), t(60, 'GLACIER')])).toEqual([]);
    expect(transitionProblems([t(29, 'STANDARD_IA')])).toEqual([expect.stringContaining('at least 30')]);
    expect(transitionProblems([t(30, 'ONEZONE_IA'), t(59, 'DEEP_ARCHIVE')])).toEqual([expect.stringContaining('at least 30 more')]);
    expect(transitionProblems([t(0, 'GLACIER'), t(90, 'STANDARD_IA')])).toEqual([expect.stringContaining('does not support')]);
    expect(transitionProblems([t(10, 'STANDARD_IA', true)])).toEqual([expect.stringContaining('noncurrent versions move to STANDARD_IA after 10 days')]);
    // Glacier Instant Retrieval and Intelligent-Tiering need no 30-day wait before them.
    expect(transitionProblems([t(0, 'INTELLIGENT_TIERING'), t(1, 'GLACIER_IR'), t(2, 'DEEP_ARCHIVE')])).toEqual([]);
  });

  it('selects objects by prefix, tags and size', () => {
    expect(filterSelects({ prefix: '', tags: {} }, 'catalog/x', {}, undefined)).toBe(true);
    expect(filterSelects({ prefix: 'events/', tags: {} }, 'catalog/x', {}, 1)).toBe(false);
    expect(filterSelects({ prefix: '', tags: { a: '1' } }, 'k', { a: '2' }, 1)).toBe(false);
    expect(filterSelects({ prefix: '', tags: {}, greaterThan: 100 }, 'k', {}, 50)).toBe(false);
    expect(filterSelects({ prefix: '', tags: {}, greaterThan: 100 }, 'k', {}, undefined)).toBe(true);
  });

  it('sees an object of a shard stack under the core stack\'s lifecycle rule; a readable transition does not count', () => {
    const lifecycle = (rule: Values) => res('aws_s3_bucket_lifecycle_configuration', 'l', { bucket: 'b', rule: [{ id: 'r', status: 'Enabled', filter: [{ prefix: '' }], ...rule }] });
    const object = res('aws_s3_object', 'catalog', { bucket: 'b', key: 'catalog/shard.json.gz', content: 'x' });
    const shard = view('shard', [object]);
    expect(run(lifecycleSparesReadObjects, [view('core', [lifecycle({ expiration: [{ days: 30 }] })]), shard])).toHaveLength(1);
    expect(run(lifecycleSparesReadObjects, [view('core', [lifecycle({ transition: [{ days: 30, storage_class: 'DEEP_ARCHIVE' }] })]), shard])).toHaveLength(1);
    expect(run(lifecycleSparesReadObjects, [view('core', [lifecycle({ transition: [{ days: 30, storage_class: 'STANDARD_IA' }] })]), shard])).toEqual([]);
    expect(run(lifecycleSparesReadObjects, [view('core', [lifecycle({ status: 'Disabled', expiration: [{ days: 30 }] })]), shard])).toEqual([]);
    // Another bucket's objects are not covered.
    expect(run(lifecycleSparesReadObjects, [view('core', [lifecycle({ expiration: [{ days: 30 }] })]), view('shard', [res('aws_s3_object', 'o', { bucket: 'other', key: 'k' })])])).toEqual([]);
  });
});

describe('athena-table-location', () => {
  it('reports an unevaluated directive and a template placeholder that is not a partition column', () => {
    const table = (name: string, location: string, template: string) =>
      res('aws_glue_catalog_table', name, { name, storage_descriptor: [{ location }], parameters: { 'storage.location.template': template }, partition_keys: [{ name: 'year' }] });
    const bucket = res('aws_s3_bucket', 'b', { bucket: 'lake' });
    const v = run(tableLocation, [
      view('a', [
        bucket,
        table('ok', 's3://lake/t/', 's3://lake/t/${year}/'),
        table('directive', 's3://lake/t/', 's3://lake/t/%{if x}y%{endif}/${year}/'),
        table('foreign', 's3://lake/t/', 's3://lake/t/${month}/'),
        table('doubleslash', 's3://lake/t//x/', 's3://lake/t/${year}/'),
      ]),
    ]);
    expect([...new Set(v.map((x) => x.address))].sort()).toEqual(['aws_glue_catalog_table.directive', 'aws_glue_catalog_table.doubleslash', 'aws_glue_catalog_table.foreign']);
  });
});

describe('physical names', () => {
  it('applies NAME_RULES and the API constraints of the other kinds', () => {
    expect(nameProblem('deliveryStream', 'a'.repeat(64))).toBeUndefined();
    expect(nameProblem('deliveryStream', 'a'.repeat(65))).toContain('at most 64');
    expect(nameProblem('sqsQueue', 'q.fifo')).toBeUndefined();
    expect(nameProblem('sqsQueue', 'q.x')).toContain('pattern');
    expect(nameProblem('bucket', 'xn--bucket')).toContain('reserved prefix');
    expect(nameProblem('kmsAlias', 'alias/aws/mine')).toContain('reserves');
    expect(nameProblem('lambdaAlias', '123')).toContain('pattern');
    expect(nameProblem('apiStage', '$default')).toBeUndefined();
    expect(nameProblem('eventRule', 'r'.repeat(65))).toContain('at most 64');
  });
});

describe('engine and state helpers', () => {
  it('reports a rule that throws as a violation of that rule, never as a pass', () => {
    const broken: Rule = { id: 'broken', family: 'x', title: 'x', sources: [{ title: 't', url: 'https://example.com' }], check: () => { throw new Error('boom'); } };
    const v = runRules([view('a', [])], [broken]);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toContain('boom');
  });

  it('has a source for every rule', () => {
    for (const r of ALL_RULES) {
      expect(r.sources.length).toBeGreaterThan(0);
      for (const s of r.sources) expect(s.url).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com|registry\.terraform\.io|developer\.hashicorp\.com)\//);
    }
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
  });

  it('tells configured attributes from computed ones by the configuration block', () => {
    const block = { rule: [{ filter: { prefix: '' } }], tags: '${local.tags}', dynamic: { setting: { for_each: [] } } };
    expect(setInConfig(block, ['rule', 0, 'filter', 0, 'prefix'])).toBe(true);
    expect(setInConfig(block, ['rule', 0, 'prefix'])).toBe(false);
    expect(setInConfig(block, ['tags', 'a'])).toBe(true);
    expect(setInConfig(block, ['setting', 0, 'name'])).toBe(true);
    expect(setInConfig(block, ['rule', 1])).toBe(false);
  });

  it('gives two resources at the same address in two stacks different made-up identities', () => {
    const stack = (region: string) => ({
      provider: { aws: [{ region }] },
      resource: { aws_apigatewayv2_api: { api: { name: 'x', protocol_type: 'HTTP' } }, aws_kms_key: { k: { description: 'k' } } },
    });
    const a = identityValues(stack('eu-west-1'));
    const b = identityValues(stack('us-east-1'));
    expect(a.get('aws_apigatewayv2_api.api')!.id).not.toBe(b.get('aws_apigatewayv2_api.api')!.id);
    expect(a.get('aws_kms_key.k')!.key_id).not.toBe(b.get('aws_kms_key.k')!.key_id);
    expect(a.get('aws_kms_key.k')!.key_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
