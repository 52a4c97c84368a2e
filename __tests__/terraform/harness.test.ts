/**
 * The harness itself, with real terraform on small hand-written stacks: it passes a correct stack,
 * and it reports a validate failure and an apply-time failure with the resource address, the file
 * and line, and Terraform's message. It never writes to the stack folder it checks.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatPhase, TerraformChecker, type PhaseResult, type StackInput, type StackResult } from '../../scripts/terraform-check';
import { alarm, TOPIC, writeStack } from './hand-written-stacks';

const LONG = 10 * 60_000;

const phase = (r: StackResult, p: PhaseResult['phase']): PhaseResult => r.phases.find((x) => x.phase === p)!;

describe('the Terraform harness on hand-written stacks', () => {
  let work: string;
  let checker: TerraformChecker;
  let good: StackInput;
  let results: Map<string, StackResult>;
  let goodBefore: string[];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'tf-harness-'));
    good = writeStack(work, 'good', {
      aws_sns_topic: TOPIC,
      aws_cloudwatch_metric_alarm: alarm('${aws_sns_topic.alarms.arn}'),
    });
    const invalid = writeStack(work, 'invalid', { aws_sns_topic: { alarms: { name: 'harness-alarms', not_an_argument: true } } });
    // Valid and plannable, but the alarm action is a queue URL, not an ARN: only apply sees it.
    const applyFails = writeStack(work, 'apply-fails', {
      aws_sqs_queue: { q: { name: 'harness-q' } },
      aws_cloudwatch_metric_alarm: alarm('${aws_sqs_queue.q.url}'),
    });
    // Moves between stacks become import blocks: planned as new resources under the mock provider.
    const imports = writeStack(work, 'imports', { aws_sns_topic: TOPIC }, 'harness', [{ id: 'arn:aws:sns:eu-west-1:111122223333:harness-alarms', to: 'aws_sns_topic.alarms' }]);
    const badImport = writeStack(work, 'bad-import', { aws_sns_topic: TOPIC }, 'harness', [{ id: 'x', to: 'aws_sns_topic.renamed' }]);
    goodBefore = readdirSync(good.dir).sort();
    checker = await TerraformChecker.create({ scratchRoot: path.join(work, 'scratch') });
    const list = await checker.checkStacks([good, invalid, applyFails, imports, badImport]);
    results = new Map(list.map((r) => [r.id, r]));
  }, LONG);

  afterAll(() => {
    checker?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('passes init, validate, mock plan and mock apply for a correct stack (the mock ARNs are well-formed)', () => {
    const r = results.get('good')!;
    for (const p of r.phases) if (!p.ok) throw new Error(formatPhase(p));
    expect(r.phases.map((p) => [p.phase, p.ok])).toEqual([
      ['init', true],
      ['validate', true],
      ['plan', true],
      ['apply', true],
    ]);
    expect(r.ok).toBe(true);
  });

  it('reports the version rewrite and the backend removal with the result', () => {
    const r = results.get('good')!;
    expect(r.changes.some((c) => c.startsWith('removed terraform.backend (local)'))).toBe(true);
    if (r.provider!.rewritten) {
      expect(r.changes).toContain(
        `rewrote terraform.required_providers.aws.version "6.25.0" -> "${r.provider!.version}" (the provider available to the check)`,
      );
    } else {
      expect(r.provider!.version).toBe('6.25.0');
    }
  });

  it('never writes to the stack folder it checks', () => {
    expect(readdirSync(good.dir).sort()).toEqual(goodBefore);
    expect(existsSync(path.join(good.dir, '.terraform'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(good.dir, 'cdk.tf.json'), 'utf8')).terraform.backend).toEqual({
      local: { path: 'terraform.good.tfstate' },
    });
  });

  it('fails validate with the address, file and line of an unsupported argument, and does not run plan or apply', () => {
    // Assess
    const r = results.get('invalid')!;
    const v = phase(r, 'validate');
    expect(v.ok).toBe(false);
    expect(v.diagnostics).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        summary: 'Extraneous JSON object property',
        detail: 'No argument or block type is named "not_an_argument".',
        address: 'aws_sns_topic.alarms',
        file: 'cdk.tf.json',
        line: expect.any(Number),
      }),
    );
    expect(formatPhase(v)).toMatch(/harness\/invalid validate: FAILED[\s\S]*error: Extraneous JSON object property[\s\S]*address: aws_sns_topic\.alarms[\s\S]*at: cdk\.tf\.json:\d+/);
    expect([phase(r, 'plan').skipped, phase(r, 'apply').skipped]).toEqual([true, true]);
    expect(r.ok).toBe(false);
  });

  it('passes plan but fails apply when a value only known after apply is invalid, naming the resource', () => {
    const r = results.get('apply-fails')!;
    expect(phase(r, 'validate').ok).toBe(true);
    expect(phase(r, 'plan').ok).toBe(true);
    const apply = phase(r, 'apply');
    expect(apply.ok).toBe(false);
    expect(apply.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'error', address: 'aws_cloudwatch_metric_alarm.lag', summary: expect.stringMatching(/alarm_actions\.0.*invalid ARN/) }),
    );
  });

  it('plans and applies a stack with import blocks, saying that they were left out of the mock run', () => {
    const r = results.get('imports')!;
    for (const p of r.phases) if (!p.ok) throw new Error(formatPhase(p));
    expect(r.changes).toContainEqual(expect.stringMatching(/^removed 1 import block\(s\) for the mock plan and apply only/));
  });

  it('fails validate when an import block targets a resource the stack does not declare', () => {
    const v = phase(results.get('bad-import')!, 'validate');
    expect(v.ok).toBe(false);
    expect(v.diagnostics).toContainEqual(
      expect.objectContaining({ address: 'aws_sns_topic.renamed', summary: expect.stringMatching(/^import target aws_sns_topic\.renamed does not exist in this stack/) }),
    );
  });

  it('times one mock plan and apply of a stack folder (the benchmark entry point)', async () => {
    // Act
    const t = await checker.mockPlan(good.dir, { apply: true });
    // Assess
    expect(t.ok).toBe(true);
    expect(t.wallSeconds).toBeGreaterThan(0);
    expect(t.planSeconds).toBeGreaterThan(0);
    expect(t.applySeconds).toBeGreaterThan(0);
    expect(t.planSeconds! + t.applySeconds!).toBeLessThanOrEqual(t.wallSeconds + 0.5);
  }, LONG);
});
