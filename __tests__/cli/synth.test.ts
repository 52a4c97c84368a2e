import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(result.stdout).toMatch(/Synthesized 2 stack\(s\) \(tracking-dev, tracking-prod\) with 2 event type\(s\) each/);
  });

  it('uses config/tracking.yaml when TRACKING_CONFIG is not set', () => {
    const result = synth(undefined, dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/from config\/tracking\.yaml/);
    expect(existsSync(path.join(dir, 'out', 'stacks', 'tracking-dev', 'cdk.tf.json'))).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['an invalid config', minimalConfig().replace('page_view', 'Page View'), /applications\[0\]\.eventTypes\[0\]: has characters that are not allowed/],
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
