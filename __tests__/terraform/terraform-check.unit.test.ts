/**
 * The pure parts of scripts/terraform-check.ts: the scratch copy's JSON, the generated mock test
 * file, the ARN defaults, and how Terraform's diagnostics are read and shown. No terraform here
 * (terraform.test.ts and harness.test.ts run it).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import {
  compareVersions,
  describeProvider,
  findProviderMirror,
  findTerraform,
  formatDiagnostic,
  formatPhase,
  hclString,
  importProblems,
  mirrorVersions,
  mockProvidersFor,
  mockValue,
  parseJsonDiagnostics,
  parseTestEvents,
  parseTextDiagnostics,
  partitionOf,
  prepareStackJson,
  referencedAttributes,
  renderMockTest,
  serializeStack,
  terraformMissingMessage,
  terraformPlatform,
  toDiagnostic,
  withoutImportBlocks,
  type MockContext,
  type PhaseResult,
} from '../../scripts/terraform-check';

/** The shape cdktf writes: `terraform` is the last key, backend and provider pin inside it. */
function stackJson(): Record<string, unknown> {
  return {
    '//': { metadata: { stackName: 'tracking-dev' } },
    data: { aws_caller_identity: { context_caller: {} }, aws_partition: { context_partition: {} } },
    provider: { aws: [{ region: 'eu-central-1', allowed_account_ids: ['111122223333'] }] },
    resource: {
      aws_sns_topic: { alarms_topic: { name: 'acme-dev-tracking-alarms' } },
      aws_cloudwatch_metric_alarm: {
        freshness: {
          alarm_name: 'freshness',
          alarm_actions: ['${aws_sns_topic.alarms_topic.arn}'],
          ok_actions: ['${aws_sns_topic.alarms_topic.arn}'],
        },
      },
      aws_kinesis_firehose_delivery_stream: {
        delivery: {
          for_each: '${local.streams}',
          name: '${each.value.name}',
          extended_s3_configuration: {
            role_arn: '${aws_iam_role.firehose.arn}',
            processing_configuration: { processors: [{ parameters: [{ parameter_value: '${aws_lambda_function.transform.arn}:$LATEST' }] }] },
          },
        },
      },
      aws_cloudwatch_log_stream: {
        stream: { for_each: '${local.streams}', log_group_name: '${aws_cloudwatch_log_group.logs.name}' },
      },
      aws_kms_alias: { key: { target_key_id: '${aws_kms_key.topic["main"].key_id}' } },
    },
    terraform: {
      backend: { local: { path: 'terraform.tracking-dev.tfstate' } },
      required_providers: { aws: { source: 'aws', version: '6.25.0' } },
    },
  };
}

const ctx: MockContext = { region: 'eu-central-1', account: '123456789012', partition: 'aws' };

describe('prepareStackJson (the scratch copy)', () => {
  it('removes the backend and rewrites the aws version, and says so', () => {
    // Prepare
    const stack = stackJson();
    // Act
    const { json, changes } = prepareStackJson(stack, '5.100.0');
    // Assess
    const tf = json.terraform as { backend?: unknown; required_providers: { aws: { version: string; source: string } } };
    expect(tf.backend).toBeUndefined();
    expect(tf.required_providers.aws).toEqual({ source: 'aws', version: '5.100.0' });
    expect(changes).toEqual([
      expect.stringMatching(/^removed terraform\.backend \(local\)/),
      expect.stringMatching(/^rewrote terraform\.required_providers\.aws\.version "6\.25\.0" -> "5\.100\.0"/),
    ]);
  });

  it('does not modify its input', () => {
    const stack = stackJson();
    const before = JSON.stringify(stack);
    prepareStackJson(stack, '5.100.0');
    expect(JSON.stringify(stack)).toBe(before);
  });

  it('leaves the version alone when the pinned provider is available', () => {
    const { json, changes } = prepareStackJson(stackJson(), '6.25.0');
    expect((json.terraform as { required_providers: { aws: { version: string } } }).required_providers.aws.version).toBe('6.25.0');
    expect(changes.some((c) => c.startsWith('rewrote'))).toBe(false);
  });

  it('keeps the line numbers of everything before the terraform block (diagnostic lines match the synthesized file)', () => {
    // Prepare
    const original = serializeStack(stackJson()).split('\n');
    // Act
    const copy = serializeStack(prepareStackJson(stackJson(), '5.100.0').json).split('\n');
    // Assess
    const tfLine = original.indexOf('  "terraform": {');
    expect(tfLine).toBeGreaterThan(10);
    expect(copy.slice(0, tfLine + 1)).toEqual(original.slice(0, tfLine + 1));
  });
});

describe('import blocks', () => {
  const withImports = (): Record<string, unknown> => {
    const { terraform, ...rest } = stackJson();
    return {
      ...rest,
      import: [
        { id: 'acme-dev-tracking-alarms', to: 'aws_sns_topic.alarms_topic' },
        { id: 'x', to: 'aws_kinesis_firehose_delivery_stream.delivery["web-shop/page_view"]' },
      ],
      terraform,
    };
  };

  it('blanks them out for the mock run, keeping every other line where it was', () => {
    // Prepare: cdktf sorts keys, so "import" sits between "data" and "output".
    const stack = withImports();
    const sorted = Object.fromEntries(Object.keys(stack).sort().map((k) => [k, stack[k]]));
    const text = serializeStack(sorted);
    // Act
    const { text: out, removed } = withoutImportBlocks(text);
    // Assess
    expect(removed).toBe(2);
    const before = text.split('\n');
    const after = out.split('\n');
    expect(after).toHaveLength(before.length);
    before.forEach((line, i) => {
      if (after[i] !== '') expect(after[i]).toBe(line);
    });
    const expected = { ...sorted };
    delete expected.import;
    expect(JSON.parse(out)).toEqual(expected);
  });

  it('keeps the JSON valid when the import block is the last key, and leaves a stack without imports alone', () => {
    const text = serializeStack({ resource: { aws_sns_topic: { t: {} } }, import: [{ id: 'a', to: 'aws_sns_topic.t' }] });
    expect(JSON.parse(withoutImportBlocks(text).text)).toEqual({ resource: { aws_sns_topic: { t: {} } } });
    const plain = serializeStack(stackJson());
    expect(withoutImportBlocks(plain)).toEqual({ text: plain, removed: 0 });
  });

  it('reports import targets the stack does not declare, unknown for_each keys and missing ids (validate does not)', () => {
    // Prepare
    const stack = withImports();
    (stack.resource as Record<string, Record<string, Record<string, unknown>>>).aws_kinesis_firehose_delivery_stream!.delivery!.for_each = {
      'web-shop/page_view': {},
    };
    expect(importProblems(stack)).toEqual([]);
    stack.import = [
      { id: 'a', to: 'aws_sns_topic.nope' },
      { id: 'b', to: 'aws_kinesis_firehose_delivery_stream.delivery["web-shop/typo"]' },
      { id: '', to: 'aws_sns_topic.alarms_topic' },
    ];
    // Act
    const problems = importProblems(stack);
    // Assess
    expect(problems.map((p) => [p.address, p.summary])).toEqual([
      ['aws_sns_topic.nope', expect.stringMatching(/^import target aws_sns_topic\.nope does not exist in this stack/)],
      [
        'aws_kinesis_firehose_delivery_stream.delivery["web-shop/typo"]',
        'import target aws_kinesis_firehose_delivery_stream.delivery["web-shop/typo"]: aws_kinesis_firehose_delivery_stream.delivery has no for_each key "web-shop/typo"',
      ],
      ['aws_sns_topic.alarms_topic', 'import block for aws_sns_topic.alarms_topic has no id'],
    ]);
  });
});

describe('hclString', () => {
  it('escapes quotes, backslashes, newlines and both template sequences', () => {
    expect(hclString('a"b\\c\nd ${x} %{if y}')).toBe('"a\\"b\\\\c\\nd $${x} %%{if y}"');
  });

  it('never leaves a template sequence or a raw line break in its output, and HCL reads back the input (property)', () => {
    /**
     * How HCL reads a quoted template, left to right (checked with `terraform console`: "$$${{" is
     * "$" then the escape "$${", i.e. "$${{"): the escapes "$${" and "%%{" are literal "${" and
     * "%{"; an unescaped "${" or "%{" starts a template sequence (returned as undefined).
     */
    const readHcl = (quoted: string): string | undefined => {
      const body = quoted.slice(1, -1);
      let out = '';
      for (let i = 0; i < body.length; ) {
        if (body.startsWith('$${', i) || body.startsWith('%%{', i)) {
          out += `${body[i]}{`;
          i += 3;
        } else if (body.startsWith('${', i) || body.startsWith('%{', i)) {
          return undefined;
        } else if (body[i] === '\\') {
          const e = body[i + 1];
          out += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e;
          i += 2;
        } else {
          out += body[i];
          i++;
        }
      }
      return out;
    };
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '%', '{', '}', '"', '\\', '\n', 'a', ' ') }), (s) => {
        const out = hclString(s);
        expect(out.startsWith('"') && out.endsWith('"')).toBe(true);
        expect(out).not.toMatch(/\n/);
        expect(readHcl(out)).toBe(s);
      }),
      { examples: [['$${{'], ['%%{'], ['$$$'], ['a${x}%{y}']] },
    );
  });
});

describe('mock values', () => {
  it.each<[string, string, string]>([
    ['aws_sns_topic', 'arn', 'arn:aws:sns:eu-central-1:123456789012:mock-topic'],
    ['aws_iam_role', 'arn', 'arn:aws:iam::123456789012:role/mock-role'],
    ['aws_s3_bucket', 'arn', 'arn:aws:s3:::mock-bucket'],
    ['aws_kms_key', 'arn', 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['aws_kms_key', 'key_id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['aws_kms_alias', 'target_key_arn', 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['aws_kinesis_stream', 'id', 'arn:aws:kinesis:eu-central-1:123456789012:stream/mock-stream'],
    ['aws_sqs_queue', 'id', 'https://sqs.eu-central-1.amazonaws.com/123456789012/mock-queue'],
    ['aws_lambda_function', 'qualified_arn', 'arn:aws:lambda:eu-central-1:123456789012:function:mock-function:1'],
    [
      'aws_lambda_function',
      'invoke_arn',
      'arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:mock-function/invocations',
    ],
    ['aws_cloudwatch_dashboard', 'dashboard_arn', 'arn:aws:cloudwatch::123456789012:dashboard/mock-dashboard'],
    ['aws_lambda_event_source_mapping', 'function_arn', 'arn:aws:lambda:eu-central-1:123456789012:function:mock-function'],
    ['aws_glacier_vault', 'arn', 'arn:aws:glacier:eu-central-1:123456789012:glacier-vault/mock'],
  ])('%s.%s is %s', (type, attr, expected) => {
    expect(mockValue('resource', type, attr, ctx)).toBe(expected);
  });

  it('leaves attributes it has no rule for to the mock provider', () => {
    expect(mockValue('resource', 'aws_s3_bucket', 'bucket_domain_name', ctx)).toBeUndefined();
    expect(mockValue('resource', 'aws_iam_role', 'id', ctx)).toBeUndefined();
  });

  it('gives the data sources the account, partition and region of the provider', () => {
    const cn: MockContext = { region: 'cn-north-1', account: '111122223333', partition: partitionOf('cn-north-1') };
    expect(mockValue('data', 'aws_caller_identity', 'account_id', cn)).toBe('111122223333');
    expect(mockValue('data', 'aws_partition', 'partition', cn)).toBe('aws-cn');
    expect(mockValue('data', 'aws_partition', 'dns_suffix', cn)).toBe('amazonaws.com.cn');
    expect(mockValue('data', 'aws_region', 'name', cn)).toBe('cn-north-1');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });
});

describe('referencedAttributes', () => {
  it('finds resource and data references, with indexes, inside larger expressions', () => {
    // Act
    const refs = referencedAttributes({
      a: '${aws_kms_key.topic["main"].key_id}',
      b: ['${aws_lambda_function.transform.arn}:$LATEST'],
      c: { d: '${jsonencode({ Resource = aws_sqs_queue.dlq.arn, Account = data.aws_caller_identity.me.account_id })}' },
      e: '${aws_cloudwatch_log_stream.stream[each.key].name}',
      f: '${var.aws_thing.arn} ${local.aws_x.y}',
      g: 'aws_sns_topic.plain.arn (not an expression)',
    });
    // Assess
    expect(refs.map((r) => `${r.kind} ${r.type}.${r.attr}`)).toEqual([
      'data aws_caller_identity.account_id',
      'resource aws_cloudwatch_log_stream.name',
      'resource aws_kms_key.key_id',
      'resource aws_lambda_function.arn',
      'resource aws_sqs_queue.arn',
    ]);
  });
});

describe('mockProvidersFor and renderMockTest', () => {
  it('gives every referenced ARN a well-formed default in the provider\'s region and allowed account', () => {
    // Act
    const [p] = mockProvidersFor(stackJson());
    // Assess
    expect(p!.context).toEqual({ region: 'eu-central-1', account: '111122223333', partition: 'aws' });
    expect(p!.resources.aws_sns_topic).toEqual({ arn: 'arn:aws:sns:eu-central-1:111122223333:mock-topic' });
    expect(p!.resources.aws_iam_role).toEqual({ arn: 'arn:aws:iam::111122223333:role/mock-role' });
    expect(p!.resources.aws_kms_key).toEqual({ key_id: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(p!.resources.aws_cloudwatch_log_group).toBeUndefined(); // only .name is read, which is configured
    expect(p!.data.aws_caller_identity!.account_id).toBe('111122223333');
    expect(p!.data.aws_partition!.partition).toBe('aws');
  });

  it('mocks every aliased provider configuration too', () => {
    const stack = stackJson();
    stack.provider = { aws: [{ region: 'eu-central-1' }, { alias: 'us', region: 'us-east-1' }] };
    const text = renderMockTest(mockProvidersFor(stack), ['plan']);
    expect(text.match(/^mock_provider "aws" \{$/gm)).toHaveLength(2);
    expect(text).toContain('  alias = "us"');
    expect(text).toContain('arn = "arn:aws:sns:us-east-1:123456789012:mock-topic"');
  });

  it('writes the mock provider, then a plan run and an apply run, in that order', () => {
    // Act
    const text = renderMockTest(mockProvidersFor(stackJson()), ['plan', 'apply']);
    // Assess
    expect(text).toContain(
      [
        '  mock_resource "aws_sns_topic" {',
        '    defaults = {',
        '      arn = "arn:aws:sns:eu-central-1:111122223333:mock-topic"',
        '    }',
        '  }',
      ].join('\n'),
    );
    expect(text).toContain('  mock_data "aws_caller_identity" {');
    const plan = text.indexOf('run "plan" {\n  command = plan\n}');
    const apply = text.indexOf('run "apply" {\n  command = apply\n}');
    expect(plan).toBeGreaterThan(text.indexOf('mock_provider "aws" {'));
    expect(apply).toBeGreaterThan(plan);
  });
});

describe('diagnostics', () => {
  // As `terraform test -json` printed them for a stack whose Lambda role was a random mock string.
  const events = [
    '{"@level":"info","@message":"Terraform 1.11.4","type":"version","@timestamp":"2026-11-22T06:32:46.455749Z"}',
    '{"@level":"info","@message":"  \\"plan\\"... in progress","@testfile":"tests/mock.tftest.hcl","@testrun":"plan","@timestamp":"2026-11-22T06:32:47.322841Z","test_run":{"path":"tests/mock.tftest.hcl","run":"plan","progress":"starting","elapsed":0},"type":"test_run"}',
    '{"@level":"info","@message":"  \\"plan\\"... pass","@testfile":"tests/mock.tftest.hcl","@testrun":"plan","@timestamp":"2026-11-22T06:32:49.368843Z","test_run":{"path":"tests/mock.tftest.hcl","run":"plan","progress":"complete","status":"pass"},"type":"test_run"}',
    '{"@level":"info","@message":"  \\"apply\\"... in progress","@testfile":"tests/mock.tftest.hcl","@testrun":"apply","@timestamp":"2026-11-22T06:32:49.368902Z","test_run":{"path":"tests/mock.tftest.hcl","run":"apply","progress":"starting","elapsed":0},"type":"test_run"}',
    '{"@level":"info","@message":"  \\"apply\\"... fail","@testfile":"tests/mock.tftest.hcl","@testrun":"apply","@timestamp":"2026-11-22T06:32:50.324609Z","test_run":{"path":"tests/mock.tftest.hcl","run":"apply","progress":"complete","status":"error"},"type":"test_run"}',
    '{"@level":"error","@message":"Error: \\"role\\" (u08cm194) is an invalid ARN: arn: invalid prefix","@testfile":"tests/mock.tftest.hcl","@testrun":"apply","@timestamp":"2026-11-22T06:32:50.328311Z","diagnostic":{"severity":"error","summary":"\\"role\\" (u08cm194) is an invalid ARN: arn: invalid prefix","detail":"","address":"aws_lambda_function.router","range":{"filename":"cdk.tf.json","start":{"line":1002,"column":13,"byte":42170},"end":{"line":1002,"column":67,"byte":42224}},"snippet":{"context":"resource.aws_lambda_function.router","code":"        \\"role\\": \\"${aws_iam_role.router.arn}\\",","start_line":1002}},"type":"diagnostic"}',
    '{"@level":"info","@message":"Failure! 1 passed, 1 failed.","@timestamp":"2026-11-22T06:32:50.599595Z","test_summary":{"status":"error","passed":1,"failed":0,"errored":1,"skipped":0},"type":"test_summary"}',
  ].join('\n');

  it('reads each run\'s status, time span and diagnostics from `terraform test -json`', () => {
    // Act
    const ev = parseTestEvents(events);
    // Assess
    expect(ev.runs.get('plan')).toMatchObject({ status: 'pass' });
    expect(ev.runs.get('apply')).toMatchObject({ status: 'error' });
    const plan = ev.runs.get('plan')!;
    expect((plan.end! - plan.start!) / 1000).toBeCloseTo(2.046, 2);
    expect(ev.diagnostics.get('plan')).toBeUndefined();
    expect(ev.diagnostics.get('apply')).toEqual([
      {
        severity: 'error',
        summary: '"role" (u08cm194) is an invalid ARN: arn: invalid prefix',
        file: 'cdk.tf.json',
        line: 1002,
        column: 13,
        address: 'aws_lambda_function.router',
        code: '"role": "${aws_iam_role.router.arn}",',
      },
    ]);
    expect(parseJsonDiagnostics(events)).toHaveLength(1);
  });

  it('takes the address from the snippet context when the diagnostic has none (validate)', () => {
    const d = toDiagnostic({
      severity: 'error',
      summary: 'Unsupported argument',
      detail: 'An argument named "not_an_argument" is not expected here.',
      range: { filename: 'cdk.tf.json', start: { line: 12, column: 9 } },
      snippet: { context: 'resource.aws_sns_topic.alarms', code: '        "not_an_argument": true' },
    });
    expect(d.address).toBe('aws_sns_topic.alarms');
    expect(toDiagnostic({ summary: 's', snippet: { context: 'data.aws_kms_key.k' } }).address).toBe('data.aws_kms_key.k');
  });

  it('formats a diagnostic with its summary, address, file:line, source line and detail', () => {
    const text = formatDiagnostic({
      severity: 'error',
      summary: 'Unsupported argument',
      detail: 'An argument named "not_an_argument" is not expected here.\n\nSecond paragraph.',
      file: 'cdk.tf.json',
      line: 12,
      column: 9,
      address: 'aws_sns_topic.alarms',
      code: '"not_an_argument": true',
    });
    expect(text.split('\n')).toEqual([
      '  error: Unsupported argument',
      '    address: aws_sns_topic.alarms',
      '    at: cdk.tf.json:12:9   "not_an_argument": true',
      '    | An argument named "not_an_argument" is not expected here.',
      '    |',
      '    | Second paragraph.',
    ]);
  });

  it('formats a failed phase with its diagnostics, and a skipped one as SKIPPED', () => {
    const failed: PhaseResult = {
      stack: 'example/tracking-dev',
      phase: 'apply',
      ok: false,
      skipped: false,
      seconds: 1.26,
      diagnostics: [{ severity: 'error', summary: 'boom', address: 'aws_x.y' }],
    };
    expect(formatPhase(failed)).toBe('example/tracking-dev apply: FAILED (1.3 s)\n  error: boom\n    address: aws_x.y');
    expect(formatPhase({ ...failed, ok: false, skipped: true, diagnostics: [] })).toMatch(/^example\/tracking-dev apply: SKIPPED/);
  });

  it('reads Error blocks from text output (terraform init before 1.9)', () => {
    const text = [
      'Initializing provider plugins...',
      '- Finding hashicorp/aws versions matching "9.9.9"...',
      '',
      'Error: Failed to query available provider packages',
      '',
      'Could not retrieve the list of available versions for provider hashicorp/aws:',
      'no available releases match the given constraints 9.9.9',
    ].join('\n');
    expect(parseTextDiagnostics(text)).toEqual([
      {
        severity: 'error',
        summary: 'Failed to query available provider packages',
        detail: 'Could not retrieve the list of available versions for provider hashicorp/aws:\nno available releases match the given constraints 9.9.9',
      },
    ]);
  });
});

describe('versions, platforms and the provider line', () => {
  it('orders versions numerically', () => {
    expect(compareVersions('5.100.0', '6.25.0')).toBeLessThan(0);
    expect(compareVersions('5.100.0', '5.99.1')).toBeGreaterThan(0);
    expect(compareVersions('1.11.4', '1.7.0')).toBeGreaterThan(0);
    expect(compareVersions('6.0.0-beta1', '6.0.0')).toBeLessThan(0);
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0);
  });

  it('names platforms as Terraform does', () => {
    expect(terraformPlatform('linux', 'x64')).toBe('linux_amd64');
    expect(terraformPlatform('darwin', 'arm64')).toBe('darwin_arm64');
  });

  it('states the version skew whenever the constraint was rewritten', () => {
    const line = describeProvider({ source: 'mirror', pinned: '6.25.0', version: '5.100.0', pluginDir: '/opt/tf-plugins', rewritten: true, notes: [] });
    expect(line).toMatch(/hashicorp\/aws 5\.100\.0 from the filesystem mirror \/opt\/tf-plugins; VERSION SKEW: the stacks pin 6\.25\.0/);
    const same = describeProvider({ source: 'registry', pinned: '6.25.0', version: '6.25.0', pluginDir: '/x', rewritten: false, notes: [] });
    expect(same).toBe('hashicorp/aws 6.25.0 (the pinned version) from the Terraform registry');
  });
});

describe('finding terraform and a provider mirror', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-find-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable terraform on PATH and ignores a non-executable one', () => {
    // Prepare
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(path.join(a, 'terraform'), 'not executable');
    writeFileSync(path.join(b, 'terraform'), '#!/bin/sh\n');
    chmodSync(path.join(b, 'terraform'), 0o755);
    // Act / Assess
    expect(findTerraform({ PATH: [a, b].join(path.delimiter) })).toBe(path.join(b, 'terraform'));
    expect(findTerraform({ PATH: a })).toBeUndefined();
    expect(findTerraform({})).toBeUndefined();
  });

  it('explains how to install terraform and that the check does not pass without it', () => {
    const m = terraformMissingMessage();
    expect(m).toMatch(/`terraform` CLI was not found on PATH/);
    expect(m).toMatch(/does not pass without it/);
    expect(m).toMatch(/developer\.hashicorp\.com\/terraform\/install/);
  });

  it('lists the versions of a mirror for this platform, unpacked and packed layouts, highest first', () => {
    // Prepare
    const aws = path.join(dir, 'registry.terraform.io', 'hashicorp', 'aws');
    mkdirSync(path.join(aws, '5.100.0', 'linux_amd64'), { recursive: true });
    writeFileSync(path.join(aws, '5.100.0', 'linux_amd64', 'terraform-provider-aws_v5.100.0_x5'), '');
    mkdirSync(path.join(aws, '5.9.0', 'darwin_arm64'), { recursive: true });
    writeFileSync(path.join(aws, '5.9.0', 'darwin_arm64', 'terraform-provider-aws_v5.9.0_x5'), '');
    writeFileSync(path.join(aws, 'terraform-provider-aws_6.25.0_linux_amd64.zip'), '');
    // Act / Assess
    expect(mirrorVersions(dir, 'linux_amd64')).toEqual(['6.25.0', '5.100.0']);
    expect(mirrorVersions(dir, 'darwin_arm64')).toEqual(['5.9.0']);
    expect(mirrorVersions(path.join(dir, 'missing'), 'linux_amd64')).toEqual([]);
  });

  it('uses the mirror named by TRACKING_TF_PLUGIN_DIR before the usual places', () => {
    const aws = path.join(dir, 'registry.terraform.io', 'hashicorp', 'aws', '5.1.0', 'linux_amd64');
    mkdirSync(aws, { recursive: true });
    writeFileSync(path.join(aws, 'terraform-provider-aws_v5.1.0_x5'), '');
    expect(findProviderMirror({ env: { TRACKING_TF_PLUGIN_DIR: dir, HOME: dir }, platform: 'linux_amd64', search: false })).toEqual({
      root: dir,
      versions: ['5.1.0'],
    });
    expect(findProviderMirror({ root: path.join(dir, 'none'), platform: 'linux_amd64' })).toBeUndefined();
  });
});
