import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseManifest } from '../../config/manifest';
import { minimalConfig } from '../helpers/deploy';

const ROOT = path.join(__dirname, '..', '..');

/** Runs the compiled app (built by the global setup) as `npm run synth` does. */
function synth(configText: string | undefined, dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: path.join(dir, 'out') };
  if (configText !== undefined) {
    writeFileSync(path.join(dir, 'tracking.yaml'), configText);
    env.TRACKING_CONFIG = path.join(dir, 'tracking.yaml');
  } else delete env.TRACKING_CONFIG;
  return spawnSync(process.execPath, ['dist/main.js'], { cwd: ROOT, env, encoding: 'utf8' });
}

describe('synth (the compiled app)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'synth-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one stack per environment and the manifest for the file in TRACKING_CONFIG', () => {
    // Prepare
    const yaml = minimalConfig().replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1 }\n  prod: { region: us-east-1 }');
    // Act
    const result = synth(yaml, dir);
    // Assess
    expect(result.status).toBe(0);
    expect(readdirSync(path.join(dir, 'out', 'stacks')).sort()).toEqual(['tracking-dev', 'tracking-prod']);
    const stack = JSON.parse(readFileSync(path.join(dir, 'out', 'stacks', 'tracking-prod', 'cdk.tf.json'), 'utf8')) as {
      provider: { aws: { region: string }[] };
    };
    expect(stack.provider.aws[0]!.region).toBe('us-east-1');
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(dir, 'out', 'tracking-manifest.json'), 'utf8')));
    expect(manifest.environments.prod!.eventTypes['web-shop/page_view']!.deliveryStream).toBe('acme-prod-web-shop-page_view');
    expect(result.stdout).toMatch(/Synthesized 2 stack\(s\) \(tracking-dev, tracking-prod\) with 2 event type\(s\) per environment/);
  });

  it('records in the manifest which stack (and state) holds each event type', () => {
    // Prepare
    const yaml = minimalConfig().replace('project: acme', 'project: acme\nstacks: { layout: sharded }');
    // Act
    const result = synth(yaml, dir);
    // Assess
    expect(result.status).toBe(0);
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(dir, 'out', 'tracking-manifest.json'), 'utf8')));
    expect(manifest.environments.dev!.eventTypes['web-shop/page_view']!.stack).toBe('tracking-dev-web-shop');
    expect(readdirSync(path.join(dir, 'out', 'stacks')).sort()).toEqual(['tracking-dev', 'tracking-dev-web-shop']);
  });

  it('uses config/tracking.yaml when TRACKING_CONFIG is not set', () => {
    const result = synth(undefined, dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/from config\/tracking\.yaml/);
    expect(existsSync(path.join(dir, 'out', 'stacks', 'tracking-dev', 'cdk.tf.json'))).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['an invalid config', minimalConfig().replace('page_view', 'Page View'), /applications\[0\]\.eventTypes\[0\]: "Page View": has characters that are not allowed/],
    ['a YAML syntax error', 'project: [acme\n', /YAML syntax error/],
  ])('exits non-zero with the message and no stack trace on %s', (_name, yaml, message) => {
    // Act
    const result = synth(yaml, dir);
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Invalid tracking config/);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dir, 'out', 'stacks'))).toBe(false);
  });

  it('prints the whole error list through a pipe, however long (no cut at 64 KB)', () => {
    // Prepare: 3,000 invalid event type names, one problem each (several hundred KB of messages)
    const types = Array.from({ length: 3000 }, (_, i) => `      - Bad.Name.${i}\n`).join('');
    const yaml = `project: acme\nstacks: { layout: single }\nenvironments:\n  dev: { region: us-east-1 }\napplications:\n  - name: web-shop\n    eventTypes:\n${types}`;
    // Act
    const result = synth(yaml, dir);
    // Assess
    expect(result.status).toBe(1);
    expect(Buffer.byteLength(result.stderr)).toBeGreaterThan(256 * 1024);
    expect(result.stderr).toMatch(/^Invalid tracking config \(3000 problems\):/);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3001);
    expect(lines.at(-1)).toMatch(/applications\[0\]\.eventTypes\[2999\]: "Bad\.Name\.2999": has characters that are not allowed/);
  });

  it('creates an output folder under folders that do not exist yet', () => {
    // Act
    const result = spawnSync(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TRACKING_CONFIG: 'config/tracking.yaml', CDKTF_OUTDIR: path.join(dir, 'a', 'b', 'c') },
    });
    // Assess
    expect(result.status).toBe(0);
    expect(existsSync(path.join(dir, 'a', 'b', 'c', 'stacks', 'tracking-dev', 'cdk.tf.json'))).toBe(true);
  });

  it('says clearly when the output folder cannot be created', () => {
    // Prepare: a file where a folder should be
    writeFileSync(path.join(dir, 'file'), 'x');
    // Act
    const result = spawnSync(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TRACKING_CONFIG: 'config/tracking.yaml', CDKTF_OUTDIR: path.join(dir, 'file', 'out') },
    });
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cannot create the synth output folder ".*file\/out" \(CDKTF_OUTDIR\) \(ENOTDIR\)/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('keeps local state outside the synth output, where neither synth nor rm -rf cdktf.out deletes it', () => {
    // Prepare: a project folder of its own, synthesized with two environments, and state files
    // where Terraform (run in cdktf.out/stacks/<stack>) would write them
    const yaml = minimalConfig().replace('dev: { region: eu-central-1 }', 'dev: { region: eu-central-1 }\n  prod: { region: us-east-1 }');
    writeFileSync(path.join(dir, 'tracking.yaml'), yaml);
    const run = (config: string) =>
      spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, TRACKING_CONFIG: config, CDKTF_OUTDIR: 'cdktf.out' },
      });
    expect(run('tracking.yaml').status).toBe(0);
    const stateFiles = ['tracking-dev', 'tracking-prod'].map((id) => {
      const stackDir = path.join(dir, 'cdktf.out', 'stacks', id);
      const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as { terraform: { backend: { local: { path: string } } } };
      const file = path.resolve(stackDir, json.terraform.backend.local.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '{"version":4}');
      return file;
    });
    // Act: what `cdktf synth` does to a stack it no longer synthesizes, then `rm -rf cdktf.out`
    rmSync(path.join(dir, 'cdktf.out', 'stacks', 'tracking-prod'), { recursive: true, force: true });
    rmSync(path.join(dir, 'cdktf.out'), { recursive: true, force: true });
    // Assess
    expect(stateFiles).toEqual([path.join(dir, 'terraform-state', 'tracking-dev.tfstate'), path.join(dir, 'terraform-state', 'tracking-prod.tfstate')]);
    for (const f of stateFiles) expect(readFileSync(f, 'utf8')).toBe('{"version":4}');
  });

  it('writes byte-identical Terraform with and without cdktf\'s token stack traces', () => {
    // Prepare
    const yaml = minimalConfig();
    const withTraces = mkdtempSync(path.join(tmpdir(), 'synth-traces-'));
    try {
      // Act
      const fast = synth(yaml, dir);
      writeFileSync(path.join(withTraces, 'tracking.yaml'), yaml);
      const slow = spawnSync(process.execPath, ['dist/main.js'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TRACKING_CONFIG: path.join(withTraces, 'tracking.yaml'), CDKTF_OUTDIR: path.join(withTraces, 'out'), TRACKING_TOKEN_STACK_TRACES: '1' },
      });
      // Assess
      expect([fast.status, slow.status]).toEqual([0, 0]);
      const read = (d: string) => readFileSync(path.join(d, 'out', 'stacks', 'tracking-dev', 'cdk.tf.json'), 'utf8').split(d).join('<dir>');
      expect(read(dir)).toBe(read(withTraces));
    } finally {
      rmSync(withTraces, { recursive: true, force: true });
    }
  });
});
