import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REQUIRED_TERRAFORM_VERSION } from '../../stacks/backend';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly steps?: Step[];
  readonly permissions?: Record<string, string>;
}
interface Workflow {
  readonly on: Record<string, { inputs?: Record<string, { default?: unknown; required?: boolean }> } | null>;
  readonly jobs: Record<string, Job>;
}

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = files.map((f) => [f, parse(readFileSync(path.join(WORKFLOWS, f), 'utf8')) as Workflow] as const);
const scripts = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

function runs(w: Workflow): string[] {
  return Object.values(w.jobs).flatMap((j) => (j.steps ?? []).flatMap((s) => (s.run !== undefined ? [s.run] : [])));
}

describe.each(workflows)('%s', (_file, workflow) => {
  it('parses, with jobs', () => {
    // Prepare / Act: parsed above.

    // Assess
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
  });

  it('runs only npm scripts that exist in package.json', () => {
    // Prepare
    const used = runs(workflow).flatMap((r) => [...r.matchAll(/\bnpm (?:run(?:-script)?\s+([\w:-]+)|(test|start))\b/g)].map((m) => m[1] ?? m[2]!));

    // Act
    const missing = used.filter((s) => !scripts.includes(s));

    // Assess
    expect(missing).toEqual([]);
  });

  it('references only files that exist', () => {
    // Prepare
    const local = Object.values(workflow.jobs).flatMap((j) => [j.uses, ...(j.steps ?? []).map((s) => s.uses)]).filter((u): u is string => u?.startsWith('./') ?? false);
    const inRuns = runs(workflow).flatMap((r) => [...r.matchAll(/\b((?:scripts|config|dist)\/[\w./-]+\.(?:mjs|ts|js|ya?ml))\b/g)].map((m) => m[1]!));
    const defaults = Object.values(workflow.on.workflow_call?.inputs ?? {})
      .map((i) => i.default)
      .filter((d): d is string => typeof d === 'string' && /^(config|scripts)\//.test(d));
    const withPaths = Object.values(workflow.jobs).flatMap((j) => Object.values(j.with ?? {})).filter((v): v is string => typeof v === 'string' && /^config\//.test(v));

    // Act
    const missing = [...local, ...inRuns.filter((p) => !p.startsWith('dist/')), ...defaults, ...withPaths].filter((p) => !existsSync(path.join(ROOT, p)));

    // Assess
    expect(missing).toEqual([]);
  });
});

describe('tracking pipeline workflow', () => {
  const pipeline = workflows.find(([f]) => f === 'tracking-pipeline.yml')?.[1];

  it('reviews and plans pull requests, with the plan role through OIDC', () => {
    // Prepare
    const jobs = pipeline!.jobs;

    // Act
    const reviewRuns = (jobs.review?.steps ?? []).map((s) => s.run ?? '').join('\n');
    const creds = (jobs.plan?.steps ?? []).find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));

    // Assess
    expect(reviewRuns).toContain('npm run review -- ');
    expect((jobs.review?.steps ?? []).some((s) => s.uses?.startsWith('actions/github-script'))).toBe(true);
    expect(creds?.with?.['role-to-assume']).toBe('${{ inputs.plan-role-arn }}');
    expect(jobs.plan?.permissions?.['id-token']).toBe('write');
    expect(pipeline!.on.workflow_call?.inputs?.['plan-role-arn']?.required).toBe(true);
  });

  it('plans and applies only the stacks the review lists, one at a time', () => {
    // Prepare
    const jobs = pipeline!.jobs;
    const runsOf = (job: string): string => (jobs[job]?.steps ?? []).map((s) => s.run ?? '').join('\n');
    // Act / Assess
    for (const [job, mode] of [['plan', 'plan'], ['apply-first', 'apply'], ['apply-next', 'apply']] as const) {
      expect(runsOf(job)).toMatch(/npm run review -- --base "\$\w+" --allow-destroy --stacks-out stacks\.json/);
      expect(runsOf(job)).toContain(`bash scripts/terraform-stacks.sh ${mode} stacks.json`);
    }
    expect(jobs.plan?.steps?.some((s) => s.uses?.startsWith('actions/checkout') && (s.with?.['fetch-depth'] as number) === 0)).toBe(true);
    expect(pipeline!.on.workflow_call?.inputs?.['terraform-parallelism']?.default).toBe('4');
  });

  it('applies one environment after the other, each behind a GitHub environment', () => {
    // Prepare
    const jobs = pipeline!.jobs;

    // Act
    const first = jobs['apply-first'];
    const next = jobs['apply-next'];

    // Assess
    expect(first?.environment).toBe('${{ inputs.first-environment }}');
    expect(next?.environment).toBe('${{ inputs.next-environment }}');
    expect(next?.needs).toBe('apply-first');
    expect(first?.needs).toBe('check');
    for (const j of [first, next]) expect(j?.if).toContain("github.ref == 'refs/heads/main'");
  });

  it('defaults to a Terraform version that satisfies the stacks\' required_version', () => {
    // Prepare
    const version = String(pipeline!.on.workflow_call?.inputs?.['terraform-version']?.default);
    // Act
    const [major, minor] = version.split('.').map(Number);
    // Assess: S3-native locking (use_lockfile) is generally available from 1.11 (REQUIRED_TERRAFORM_VERSION)
    expect(REQUIRED_TERRAFORM_VERSION).toBe('>= 1.11.0');
    expect(major! > 1 || (major === 1 && minor! >= 11)).toBe(true);
  });

  it('is called by ci.yml with both roles', () => {
    // Prepare
    const ci = workflows.find(([f]) => f === 'ci.yml')?.[1];

    // Act
    const call = Object.values(ci!.jobs).find((j) => j.uses === './.github/workflows/tracking-pipeline.yml');

    // Assess
    expect(call?.with).toEqual(expect.objectContaining({ 'plan-role-arn': expect.any(String), 'deploy-role-arn': expect.any(String) }));
    expect(Object.keys(ci!.on).sort()).toEqual(['pull_request', 'push']);
  });
});
