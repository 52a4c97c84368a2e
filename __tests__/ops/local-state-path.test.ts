/**
 * The local backend's `path`, as Terraform itself resolves it. Without a backend, every stack keeps
 * its state in `terraform-state/<stack>.tfstate`: in the project root for the default synth output
 * (`cdktf.out`, where it always was), beside the synth output when that lives elsewhere, and in
 * both cases outside it. The path in the JSON never names the checkout's location, so two checkouts
 * of one config synthesize the same backend block (the review compares two such trees).
 *
 * Terraform runs in the synthesized stack folder on the stack's own backend block, with an output
 * in place of the stack's resources (no provider needed, so it runs offline): `terraform apply`
 * writes the state file the backend points at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findTerraform, terraformMissingMessage } from '../../scripts/terraform-check';
import { configYaml } from './ops-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const STACK = 'tracking-dev';

let work: string;
let cliConfig: string;
beforeAll(() => {
  if (findTerraform() === undefined) throw new Error(terraformMissingMessage());
  work = mkdtempSync(path.join(tmpdir(), 'local-state-'));
  // The machine's TF_CLI_CONFIG_FILE points at a file that does not exist (docs/terraform-check.md).
  cliConfig = path.join(work, 'empty.tfrc');
  writeFileSync(cliConfig, '');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A project folder holding only a config, synthesized by the built app with the given CDKTF_OUTDIR. */
function synthProject(project: string, outdir?: string): string {
  return synthWithLog(project, outdir).outdir;
}

function synthWithLog(project: string, outdir?: string): { outdir: string; stderr: string } {
  mkdirSync(project, { recursive: true });
  writeFileSync(path.join(project, 'tracking.yaml'), configYaml());
  const env: NodeJS.ProcessEnv = { ...process.env, TRACKING_CONFIG: 'tracking.yaml' };
  delete env.CDKTF_OUTDIR;
  if (outdir !== undefined) env.CDKTF_OUTDIR = outdir;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js')], { cwd: project, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  return { outdir: path.resolve(project, outdir ?? 'cdktf.out'), stderr: r.stderr };
}

function backendOf(outdir: string): { local?: { path: string } } {
  return (JSON.parse(readFileSync(path.join(outdir, 'stacks', STACK, 'cdk.tf.json'), 'utf8')) as { terraform: { backend: { local?: { path: string } } } }).terraform.backend;
}

function terraform(dir: string, args: readonly string[]): string {
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  const r = spawnSync(findTerraform()!, [...args], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${dir}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `terraform init` and `apply` in the stack folder, on the synthesized backend block with one output in place of the stack. */
function runTerraformOnBackend(outdir: string, marker: string): { local?: { path: string } } {
  const dir = path.join(outdir, 'stacks', STACK);
  const backend = backendOf(outdir);
  renameSync(path.join(dir, 'cdk.tf.json'), path.join(dir, 'cdk.tf.json.synthesized'));
  writeFileSync(path.join(dir, 'probe.tf.json'), JSON.stringify({ terraform: { backend }, output: { marker: { value: marker } } }));
  terraform(dir, ['init', '-input=false', '-no-color']);
  terraform(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
  return backend;
}

/** State files under a folder (not Terraform's own `.terraform/` working data). */
function stateFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.terraform') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...stateFilesUnder(full));
    else if (e.name.endsWith('.tfstate')) out.push(full);
  }
  return out;
}

const markerIn = (file: string): unknown => (JSON.parse(readFileSync(file, 'utf8')) as { outputs?: { marker?: { value?: unknown } } }).outputs?.marker?.value;

describe('local state, as Terraform resolves the backend path', () => {
  it('is the project\'s terraform-state/<stack>.tfstate for the default synth output, the same file as before, outside cdktf.out', () => {
    // Prepare
    const project = path.join(work, 'default', 'project');
    const outdir = synthProject(project);
    const stackDir = path.join(outdir, 'stacks', STACK);
    // The file earlier versions pointed at: terraform-state/ under the folder synth runs in
    const before = path.join(project, 'terraform-state', `${STACK}.tfstate`);

    // Act
    const backend = runTerraformOnBackend(outdir, 'default');

    // Assess
    expect(backend).toEqual({ local: { path: `../../../terraform-state/${STACK}.tfstate` } });
    expect(path.relative(stackDir, before).split(path.sep).join('/')).toBe(backend.local!.path);
    expect(stateFilesUnder(path.join(work, 'default'))).toEqual([before]);
    expect(markerIn(before)).toBe('default');
    // rm -rf cdktf.out leaves the state
    rmSync(outdir, { recursive: true, force: true });
    expect(existsSync(before)).toBe(true);
  });

  it('is beside a synth output outside the project, never inside it, and the path never names the checkout', () => {
    // Prepare: the review's layout, a synth output in a temporary folder elsewhere
    const project = path.join(work, 'elsewhere', 'checkout', 'project');
    const outdir = synthProject(project, path.join(work, 'elsewhere', 'review-tmp', 'head-out'));

    // Act
    const backend = runTerraformOnBackend(outdir, 'elsewhere');

    // Assess
    const file = path.join(work, 'elsewhere', 'review-tmp', 'terraform-state', `${STACK}.tfstate`);
    expect(backend).toEqual({ local: { path: `../../../terraform-state/${STACK}.tfstate` } });
    expect(stateFilesUnder(path.join(work, 'elsewhere'))).toEqual([file]);
    expect(markerIn(file)).toBe('elsewhere');
  });

  it('is the same backend block for two checkouts of one config at different paths', () => {
    // Prepare
    const a = synthProject(path.join(work, 'two', 'a', 'project'));
    const b = synthProject(path.join(work, 'two', 'b', 'deeper', 'checkout'));
    const c = synthProject(path.join(work, 'two', 'c', 'project'), path.join(work, 'two', 'tmp1', 'base-out'));
    const d = synthProject(path.join(work, 'two', 'd', 'x', 'y', 'project'), path.join(work, 'two', 'tmp2', 'head-out'));

    // Act / Assess
    expect(backendOf(b)).toEqual(backendOf(a));
    expect(backendOf(c)).toEqual(backendOf(a));
    expect(backendOf(d)).toEqual(backendOf(a));
  });

  it('says where to move a state file that an earlier version kept in the project for a synth output elsewhere', () => {
    // Prepare: state where earlier versions put it for CDKTF_OUTDIR outside the project
    const project = path.join(work, 'moved', 'project');
    const old = path.join(project, 'terraform-state', `${STACK}.tfstate`);
    mkdirSync(path.dirname(old), { recursive: true });
    writeFileSync(old, '{"version":4}');

    // Act
    const { stderr } = synthWithLog(project, path.join(work, 'moved', 'out'));

    // Assess
    const now = path.join(work, 'moved', 'terraform-state', `${STACK}.tfstate`);
    expect(stderr).toContain(`warning: the local state of ${STACK} is in ${old}, but with the synth output outside the project its backend now points at ${now}; move it before running terraform`);
    expect(stderr).toContain(`mv ${JSON.stringify(old)} ${JSON.stringify(now)}`);
  });
});
