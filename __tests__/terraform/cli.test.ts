/**
 * The `validate` CLI (dist/scripts/validate.js, built by the global setup) and .ci/run: they fail
 * clearly, with exit code 2, on a machine without terraform, and the CLI prints Terraform's
 * diagnostics and exits 1 when a stack fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findTerraform } from '../../scripts/terraform-check';
import { alarm, TOPIC, writeStack } from './hand-written-stacks';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'scripts', 'validate.js');

/** Runs the CLI; `env` replaces the given variables of this process's environment. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
}

/** The folder holding a command, found on this process's PATH (for a PATH without terraform). */
function which(cmd: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} is not on PATH`);
  return r.stdout.trim();
}

describe('without terraform on PATH', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'no-terraform-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the validate CLI fails with exit code 2, says what is missing and how to install it, and never says PASSED', () => {
    // Prepare: a PATH with nothing on it (node is started by its absolute path).
    const env = { PATH: dir };
    expect(findTerraform(env)).toBeUndefined();
    // Act
    const r = cli([], env);
    // Assess
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the `terraform` CLI was not found on PATH, so the synthesized stacks cannot be checked/);
    expect(r.stderr).toMatch(/does not pass without it/);
    expect(r.stderr).toMatch(/Install it, then rerun/);
    expect(r.stderr).toMatch(/Result: FAILED: the Terraform checks did not run\./);
    expect(r.stdout).not.toMatch(/PASSED/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('.ci/run stops before installing anything, with exit code 2 and the reason', () => {
    // Prepare: bash finds only `dirname` (its first command); node, npm and terraform are absent.
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(which('dirname'), path.join(bin, 'dirname'));
    // Act
    const r = spawnSync(which('bash'), [path.join(ROOT, '.ci', 'run')], { cwd: ROOT, env: { PATH: bin, HOME: dir }, encoding: 'utf8' });
    // Assess
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the terraform CLI is not on PATH/);
    expect(r.stderr).toMatch(/never passes silently/);
    expect(r.stdout).toBe('');
  });
});

describe('command line', () => {
  it('rejects an unknown option with exit code 2 and the usage', () => {
    const r = cli(['--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^unknown option --frobnicate\nusage: node dist\/scripts\/validate\.js/);
  });
});

describe('on synthesized stacks, one of which fails', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'validate-cli-'));
    writeStack(dir, 'good', { aws_sns_topic: TOPIC, aws_cloudwatch_metric_alarm: alarm('${aws_sns_topic.alarms.arn}') });
    writeStack(dir, 'bad', { aws_sqs_queue: { q: { name: 'harness-q' } }, aws_cloudwatch_metric_alarm: alarm('${aws_sqs_queue.q.url}') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a row per stack, the failure with its address and Terraform\'s message, the provider and skew, and exits 1', () => {
    // Act
    const json = path.join(dir, 'results.json');
    const r = cli(['--synthesized', path.join(dir, 'out'), '--json', json]);
    // Assess
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^terraform-check: Terraform \d+\.\d+\.\d+ \(/);
    expect(r.stdout).toMatch(/^provider: hashicorp\/aws \S+ /m);
    const results = JSON.parse(readFileSync(json, 'utf8')) as { ok: boolean; provider: { rewritten: boolean; pinned: string }; stacks: { id: string; ok: boolean }[] };
    if (results.provider.rewritten) expect(r.stdout).toMatch(/VERSION SKEW: the stacks pin 6\.25\.0/);
    expect(r.stdout).toMatch(/^ {2}out\/good +ok [\d.]+s +ok [\d.]+s +ok [\d.]+s +ok [\d.]+s$/m);
    expect(r.stdout).toMatch(/^ {2}out\/bad +ok [\d.]+s +ok [\d.]+s +ok [\d.]+s +FAILED [\d.]+s$/m);
    expect(r.stdout).toMatch(/Failures:\nout\/bad apply: FAILED[^\n]*\n {2}error: "alarm_actions\.0" [^\n]*invalid ARN[^\n]*\n {4}address: aws_cloudwatch_metric_alarm\.lag\n {4}at: cdk\.tf\.json:\d+/);
    expect(r.stdout).toMatch(/^Result: FAILED: 7 of 8 checks passed, 1 failed \(2 stacks/m);
    expect(results.ok).toBe(false);
    expect(results.stacks.map((s) => [s.id, s.ok])).toEqual([
      ['bad', false],
      ['good', true],
    ]);
  }, 10 * 60_000);
});
