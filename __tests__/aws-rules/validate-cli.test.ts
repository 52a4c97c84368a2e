/**
 * `npm run validate` with the AWS rules check, through the built command (dist/scripts/validate.js,
 * built by the global setup) as users run it: the hand-written stack of rules-stack.ts passes every
 * Terraform check (a mock plan and apply accept it) and fails the rules check, with each violation's
 * address, rule and source on stdout and in --json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs, UsageError } from '../../scripts/validate';
import { EXPECTED, writeRulesStack } from './rules-stack';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'scripts', 'validate.js');
const LONG = 20 * 60_000;

function cli(args: readonly string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: LONG });
}

describe('command line', () => {
  it('runs the rules by default, alone with --rules-only, not at all with --no-rules', () => {
    const d = parseArgs([]);
    expect(d).toMatchObject({ rules: true, rulesOnly: false, lambdaFilterQuota: 5, minRecordBytes: 13 });
    expect(parseArgs(['--rules-only'])).toMatchObject({ rules: true, rulesOnly: true });
    expect(parseArgs(['--no-rules'])).toMatchObject({ rules: false, rulesOnly: false });
    expect(parseArgs(['--lambda-filter-quota', '10', '--min-record-bytes', '40'])).toMatchObject({ lambdaFilterQuota: 10, minRecordBytes: 40 });
  });

  it('refuses contradictory or out-of-range rule options', () => {
    expect(() => parseArgs(['--rules-only', '--no-rules'])).toThrow(UsageError);
    expect(() => parseArgs(['--lambda-filter-quota', '11'])).toThrow(/5 to 10/);
    expect(() => parseArgs(['--min-record-bytes', '0'])).toThrow(/positive integer/);
  });

  it('--help lists the rules options', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--rules-only/);
    expect(r.stdout).toMatch(/--no-rules/);
  });
});

describe('on the hand-written stack that breaks the rules', () => {
  let dir: string;
  let rulesOnly: ReturnType<typeof cli>;
  let terraformOnly: ReturnType<typeof cli>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'validate-rules-'));
    writeRulesStack(dir);
    rulesOnly = cli(['--rules-only', '--synthesized', path.join(dir, 'out'), '--json', path.join(dir, 'rules.json')]);
    terraformOnly = cli(['--no-rules', '--synthesized', path.join(dir, 'out')]);
  }, LONG);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every Terraform check: a mock plan and apply accept what AWS would refuse', () => {
    expect(terraformOnly.stderr).toBe('');
    expect(terraformOnly.stdout).not.toMatch(/AWS rules/);
    expect(terraformOnly.stdout).toMatch(/^ {2}out\/rules +ok [\d.]+s +ok [\d.]+s +ok [\d.]+s +ok [\d.]+s$/m);
    expect(terraformOnly.stdout).toMatch(/^Result: PASSED: 4 of 4 checks passed \(1 stacks/m);
    expect(terraformOnly.status).toBe(0);
  });

  it('fails the rules check with exit code 1, each violation with its address, rule and source', () => {
    expect(rulesOnly.stderr).toBe('');
    expect(rulesOnly.status).toBe(1);
    // No terraform validate column in --rules-only.
    expect(rulesOnly.stdout).toMatch(/^ {2}stack +init +mock plan +mock apply$/m);
    expect(rulesOnly.stdout).toMatch(/^AWS rules \(\d+ rules, docs\/aws-rules\.md\) over what the mock apply evaluated: \d+ violation\(s\)$/m);
    expect(rulesOnly.stdout).toMatch(
      /^ {2}out\/rules aws_lambda_event_source_mapping\.second\n {4}rule: {3}lambda-esm-unique: [^\n]+\n {4}what: {3}[^\n]+\n {4}value: {2}[^\n]+\n {4}source: AWS Lambda API Reference: CreateEventSourceMapping[^\n]+<https:\/\/docs\.aws\.amazon\.com\/lambda\/latest\/api\/API_CreateEventSourceMapping\.html>$/m,
    );
    expect(rulesOnly.stdout).toMatch(/^Result: FAILED: 3 of 3 checks passed \(1 stacks[^\n]*; AWS rules: \d+ violation\(s\)$/m);
  });

  it('writes the violations to --json, the same the library finds', () => {
    const json = JSON.parse(readFileSync(path.join(dir, 'rules.json'), 'utf8')) as {
      ok: boolean;
      rules: { violations: { rule: string; stack: string; address: string; value: unknown; sources: { url: string }[] }[]; unchecked: string[] };
      stacks: Record<string, unknown>[];
    };
    expect(json.ok).toBe(false);
    expect(json.rules.unchecked).toEqual([]);
    const found = [...new Set(json.rules.violations.map((v) => `${v.rule} ${v.address}`))].sort();
    const expected = Object.entries(EXPECTED)
      .flatMap(([rule, e]) => e.breaks.map((b) => `${rule} ${b}`))
      .sort();
    expect(found).toEqual(expected);
    for (const v of json.rules.violations) expect(v.sources.length).toBeGreaterThan(0);
    // The mock plans and states stay out of the file.
    for (const s of json.stacks) expect(s).not.toHaveProperty('mockOutput');
  });
});
