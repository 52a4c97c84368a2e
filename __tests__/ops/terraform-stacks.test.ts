/**
 * scripts/terraform-stacks.sh: plans or applies the stacks a review listed, one at a time, in the
 * review's order, filtered by environment. Runs the real script with a stand-in `terraform` on the
 * PATH that records its calls.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'terraform-stacks.sh');

describe('terraform-stacks.sh', () => {
  let dir: string;
  beforeEach(() => {
    // Prepare: a project folder with synthesized stacks and a terraform that logs its arguments
    dir = mkdtempSync(path.join(tmpdir(), 'tf-stacks-'));
    for (const id of ['tracking-dev', 'tracking-dev-web', 'tracking-prod']) {
      mkdirSync(path.join(dir, 'cdktf.out', 'stacks', id), { recursive: true });
      writeFileSync(path.join(dir, 'cdktf.out', 'stacks', id, 'cdk.tf.json'), '{}');
    }
    mkdirSync(path.join(dir, 'bin'));
    const fake = path.join(dir, 'bin', 'terraform');
    writeFileSync(fake, `#!/usr/bin/env bash\necho "$*" >> "${path.join(dir, 'calls.log')}"\necho "Plan: 1 to add, 0 to change, 0 to destroy."\n`);
    chmodSync(fake, 0o755);
    writeFileSync(
      path.join(dir, 'stacks.json'),
      JSON.stringify({ stacks: [{ id: 'tracking-dev', environment: 'dev' }, { id: 'tracking-dev-web', environment: 'dev' }, { id: 'tracking-prod', environment: 'prod' }] }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync('bash', [SCRIPT, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, PARALLELISM: '3', GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md') } });
  const calls = () => readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n');

  it('applies the stacks of one environment in the listed order (core first), with the parallelism given', () => {
    // Act
    const r = run('apply', 'stacks.json', 'dev');
    // Assess
    expect(r.status).toBe(0);
    expect(calls()).toEqual([
      '-chdir=cdktf.out/stacks/tracking-dev init -input=false',
      '-chdir=cdktf.out/stacks/tracking-dev apply -input=false -auto-approve -lock-timeout=5m -parallelism=3',
      '-chdir=cdktf.out/stacks/tracking-dev-web init -input=false',
      '-chdir=cdktf.out/stacks/tracking-dev-web apply -input=false -auto-approve -lock-timeout=5m -parallelism=3',
    ]);
  });

  it('plans every listed stack and writes a summary', () => {
    const r = run('plan', 'stacks.json');
    expect(r.status).toBe(0);
    expect(calls().filter((c) => c.includes(' plan '))).toHaveLength(3);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/### Plan: `tracking-prod`\n\nPlan: 1 to add/);
  });

  it('does nothing when the review listed no stack', () => {
    writeFileSync(path.join(dir, 'stacks.json'), '{"stacks":[]}');
    const r = run('apply', 'stacks.json', 'dev');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/No stack changes in dev: nothing to apply/);
  });

  it('refuses an unknown mode', () => {
    expect(run('destroy', 'stacks.json').status).toBe(2);
  });
});
