/**
 * Every AWS rule on a hand-written stack that breaks it, as Terraform evaluates the stack: one mock
 * apply (real terraform, mock provider) of __tests__/aws-rules/rules-stack.ts, then the rules over
 * the applied state. Each rule must report the resource that breaks it and spare the one next to
 * it that keeps it. Also checks what mockApplyState returns: evaluated values, realistic identities,
 * and the difference between configured and provider-computed values.
 *
 * Without terraform on PATH these tests fail with the install instructions: they never pass silently.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_RULES, runRules, type StackView, type Violation } from '../../scripts/aws-rules';
import { configured, knownAtPlan, mockApplyState, type MockApplyResult } from '../../scripts/aws-rules/state';
import { formatPhase } from '../../scripts/terraform-check';
import { ACCOUNT, EXPECTED, REGION, writeRulesStack } from './rules-stack';

const LONG = 15 * 60_000;

let work: string;
let applied: MockApplyResult;
let violations: Violation[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'aws-rules-stack-'));
  const stack = writeRulesStack(work);
  applied = await mockApplyState(stack.dir, { label: 'rules', scratchRoot: path.join(work, 'scratch') });
  if (applied.state !== undefined) {
    const view: StackView = { label: 'rules', id: stack.id, config: applied.config, state: applied.state };
    violations = runRules([view], ALL_RULES);
  }
}, LONG);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const resource = (address: string) => {
  const r = applied.state?.resources.find((x) => x.address === address);
  if (r === undefined) throw new Error(`${address} is not in the applied state`);
  return r;
};

describe('mockApplyState', () => {
  it('applies the hand-written stack with the mock provider and returns its state', () => {
    for (const p of applied.result.phases) if (!p.ok) throw new Error(formatPhase(p));
    expect(applied.result.phases.map((p) => p.phase)).toEqual(['init', 'validate', 'plan', 'apply']);
    expect(applied.ok).toBe(true);
    expect(applied.state!.resources.length).toBeGreaterThan(30);
  });

  it('gives resources the identities AWS would build from their names, so references evaluate to distinct ARNs', () => {
    expect(resource('aws_lambda_function.fn').values.arn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:rules-fn`);
    expect(resource('aws_lambda_function.other').values.arn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:rules-other-fn`);
    expect(resource('aws_lambda_alias.live').values.arn).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:rules-fn:live`);
    expect(resource('aws_s3_bucket.lake').values.id).toBe('rules-lake');
    // A reference to a computed attribute, as Terraform evaluated it.
    expect(resource('aws_lambda_event_source_mapping.via_alias').values.function_name).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:rules-fn:live`);
    expect(resource('aws_lambda_event_source_mapping.first').values.event_source_arn).toBe(`arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/rules-src`);
    expect(resource('aws_s3_bucket_lifecycle_configuration.lake').values.bucket).toBe('rules-lake');
    const execution = String(resource('aws_apigatewayv2_api.api').values.execution_arn);
    expect(execution).toMatch(new RegExp(`^arn:aws:execute-api:${REGION}:${ACCOUNT}:[a-z0-9]{10}$`));
    expect(resource('aws_lambda_permission.post').values.source_arn).toBe(`${execution}/*/POST/events`);
  });

  it('reads templates as Terraform evaluates them: "$${" stays a literal "${", a reference resolves', () => {
    const params = (address: string) => resource(address).values.parameters as Record<string, string>;
    expect(params('aws_glue_catalog_table.escaped')['storage.location.template']).toBe('s3://${aws_s3_bucket.lake.bucket}/events/gz/year=${year}/');
    expect(params('aws_glue_catalog_table.gz')['storage.location.template']).toBe('s3://rules-lake/events/gz/year=${year}/');
  });

  it('tells configured values from values the mock provider made up', () => {
    const lifecycle = resource('aws_s3_bucket_lifecycle_configuration.lake');
    // The deprecated rule-level prefix is not configured: the mock fills it with a random string.
    expect(typeof (lifecycle.values.rule as { prefix: unknown }[])[0]!.prefix).toBe('string');
    expect(configured(lifecycle, ['rule', 0, 'prefix'])).toBeUndefined();
    expect(knownAtPlan(lifecycle, ['rule', 0, 'prefix'])).toBe(false);
    expect(configured(lifecycle, ['rule', 0, 'filter', 0, 'prefix'])).toBe('');
    expect(configured(lifecycle, ['rule', 0, 'expiration', 0, 'days'])).toBe(400);
  });
});

describe('each AWS rule reports the resource that breaks it, and only that', () => {
  it('covers every rule with a breaking resource here, or in rules.unit.test.ts', () => {
    const here = Object.keys(EXPECTED);
    const unitOnly = ['firehose-buffering'];
    expect([...here, ...unitOnly].sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (rule, { breaks, spared }) => {
    const found = violations.filter((v) => v.rule === rule);
    const addresses = new Set(found.map((v) => v.address));
    for (const b of breaks) expect({ rule, address: b, reported: addresses.has(b) }).toEqual({ rule, address: b, reported: true });
    for (const s of spared) expect({ rule, address: s, reported: addresses.has(s) }).toEqual({ rule, address: s, reported: false });
    // Nothing else: every resource this rule reports is one written to break it.
    expect([...addresses].filter((a) => !breaks.includes(a))).toEqual([]);
    for (const v of found) {
      expect(v.stack).toBe('rules/rules');
      expect(v.sources.length).toBeGreaterThan(0);
      for (const s of v.sources) expect(s.url).toMatch(/^https:\/\//);
      expect(v.message.length).toBeGreaterThan(10);
    }
  });

  it('names the offending values', () => {
    const esm = violations.find((v) => v.rule === 'lambda-esm-unique')!;
    expect(esm.value).toEqual({
      event_source_arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/rules-src`,
      function_name: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rules-fn`,
    });
    const lifecycle = violations.filter((v) => v.rule === 's3-lifecycle-read-objects');
    expect(lifecycle.map((v) => (v.value as { object: string }).object)).toEqual(['s3://rules-lake/catalog/rules.json']);
    expect(lifecycle[0]!.message).toContain('"expire-all"');
    const transitions = violations.filter((v) => v.rule === 's3-lifecycle-transitions').map((v) => v.message);
    expect(transitions.some((m) => m.includes('"ia-then-glacier"') && m.includes('15 days after'))).toBe(true);
    expect(transitions.some((m) => m.includes('"ia-too-early"') && m.includes('at least 30'))).toBe(true);
    const escaped = violations.find((v) => v.rule === 'athena-table-location' && v.address === 'aws_glue_catalog_table.escaped')!;
    expect(escaped.message).toContain('${aws_s3_bucket.lake.bucket}');
    const processor = violations.filter((v) => v.rule === 'firehose-processor').map((v) => v.message);
    expect(processor.some((m) => m.includes('BufferIntervalInSeconds "1000"'))).toBe(true);
    expect(processor.some((m) => m.includes('6,000,000-byte'))).toBe(true);
  });
});
