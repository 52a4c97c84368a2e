/**
 * A CDK Terrain build of the same app, checked (issue 16). The app's sources are compiled twice,
 * against cdktf (node_modules) and against CDK Terrain (terrain/node_modules, by the esbuild plugin
 * of scripts/build.mjs), both synthesize the example config and the every-option fixture, and every
 * output file is compared (scripts/cdktn-compare.ts, also `npm run cdktn:compare`). The outputs
 * must be identical apart from the differences docs/cdk-terrain.md lists, each with its exact
 * values. Then: the sources type-check against CDK Terrain's bindings, and real Terraform validates
 * and mock-plans the CDK Terrain synth.
 *
 * Nothing here is skipped. `npm ci` does not install CDK Terrain (terrain/, about 480 MB): when it
 * is missing or not the locked versions, this file installs it first with the command users run,
 * `npm run terrain:install` (terrain/install.mjs: `npm ci --prefix terrain`, from the npm registry),
 * saying so on stderr. Without terraform, the tests fail and say how to install it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  classify,
  compareConfigs,
  diffJson,
  diffTrees,
  expectedDifferences,
  installedVersions,
  synthWith,
  type Comparison,
  type Difference,
} from '../../scripts/cdktn-compare';
import { TerraformChecker, type StackResult } from '../../scripts/terraform-check';

const ROOT = path.join(__dirname, '..', '..');
const CONFIGS = ['config/tracking.yaml', '__tests__/fixtures/every-option.yaml'] as const;
const BUILD_DIR = path.join(ROOT, 'dist', `.toolchain-cdktn-${process.pid}`);

let work: string;
let comparison: Comparison;

/** `node terrain/install.mjs` (= `npm run terrain:install`): a no-op when installed as locked; its progress on stderr. */
function installTerrainIfMissing(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'terrain', 'install.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`the CDK Terrain packages could not be installed (terrain/install.mjs exited ${r.status ?? r.signal}); see its output above`);
}

beforeAll(() => {
  installTerrainIfMissing();
  work = mkdtempSync(path.join(tmpdir(), 'toolchain-cdktn-'));
  comparison = compareConfigs({ root: ROOT, configs: CONFIGS, work, buildDir: BUILD_DIR, keepBuilds: true });
}, 10 * 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(BUILD_DIR, { recursive: true, force: true });
});

describe('the CDK Terrain install (terrain/)', () => {
  it('pins cdktn 0.24.0, @cdktn/provider-aws 25.x and constructs 10.x exactly, installed from its lockfile', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'terrain', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'terrain', 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(manifest.dependencies.cdktn).toBe('0.24.0');
    expect(manifest.dependencies['@cdktn/provider-aws']).toMatch(/^25\.\d+\.\d+$/);
    expect(manifest.dependencies.constructs).toMatch(/^10\.\d+\.\d+$/);
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      expect(lock.packages[`node_modules/${name}`]?.version).toBe(version);
      const installed = JSON.parse(readFileSync(path.join(ROOT, 'terrain', 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
      expect(installed.version).toBe(version);
    }
  });

  it('leaves the main dependency tree on cdktf', () => {
    expect(existsSync(path.join(ROOT, 'node_modules', 'cdktn'))).toBe(false);
    expect(existsSync(path.join(ROOT, 'node_modules', '@cdktn'))).toBe(false);
  });
});

describe('the cdktn build', () => {
  it('loads CDK Terrain\'s packages from terrain/node_modules and nothing of cdktf', () => {
    const js = readFileSync(comparison.apps.cdktn, 'utf8');
    const required = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    expect(required.filter((r) => /(^|\/)(cdktf|@cdktf)(\/|$)/.test(r))).toEqual([]);
    expect(required.filter((r) => r === 'constructs' || r.startsWith('constructs/'))).toEqual([]);
    expect(required.some((r) => /\/terrain\/node_modules\/cdktn\//.test(r))).toBe(true);
    expect(required.some((r) => /\/terrain\/node_modules\/@cdktn\/provider-aws\//.test(r))).toBe(true);
    expect(required.some((r) => /\/terrain\/node_modules\/constructs\//.test(r))).toBe(true);
    for (const c of comparison.configs) expect(c.synthOutput.cdktn).toMatch(/with CDK Terrain \(cdktn\)$/);
    for (const c of comparison.configs) expect(c.synthOutput.cdktf).not.toMatch(/CDK Terrain/);
  });

  it('type-checks the sources against CDK Terrain\'s packages (terrain/tsconfig.json), with no cdktf file in the program', () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(ROOT, 'terrain', 'tsconfig.json'), '--listFilesOnly'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status).toBe(0);
    const files = r.stdout.split('\n');
    expect(files.filter((f) => /\/terrain\/node_modules\/@cdktn\/provider-aws\/lib\//.test(f)).length).toBeGreaterThan(20);
    expect(files.filter((f) => f.includes(`${ROOT}/node_modules/cdktf/`) || f.includes(`${ROOT}/node_modules/@cdktf/`))).toEqual([]);
    const check = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(ROOT, 'terrain', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    expect(check.stdout).toBe('');
    expect(check.status).toBe(0);
  }, 5 * 60_000);
});

describe.each(CONFIGS)('synthesized from %s', (config) => {
  const result = () => {
    const c = comparison.configs.find((x) => x.config === config);
    if (c === undefined) throw new Error(`no comparison for ${config}`);
    return c;
  };

  it('has no difference other than the documented ones', () => {
    expect(result().unexpected).toEqual([]);
  });

  it('has each documented difference in every stack, with its exact values, and the manifest version', () => {
    // Assess: exactly these, so that docs/cdk-terrain.md is updated when CDK Terrain changes
    const c = result();
    expect(c.stacks.length).toBeGreaterThan(0);
    const got = c.expected.map((e) => `${e.difference.file} ${e.id}`).sort();
    const want = [
      'manifest.json manifest-version',
      ...c.stacks.flatMap((s) => ['cdk-version', 'aws-provider-version', 'aws-provider-source'].map((id) => `stacks/${s}/cdk.tf.json ${id}`)),
    ].sort();
    expect(got).toEqual(want);
    const v = comparison.versions;
    expect([v.cdktf, v.cdktn]).toEqual(['0.21.0', '0.24.0']);
    // Both binding packages wrap the same major of the AWS provider.
    expect(v.aws.cdktf.split('.')[0]).toBe(v.aws.cdktn.split('.')[0]);
  });

  it('gives every Lambda function the same archive path and source_code_hash; the archives hold the same files', () => {
    const c = result();
    expect(c.lambdas.length).toBeGreaterThan(0);
    expect(c.lambdas.filter((l) => !l.same)).toEqual([]);
    for (const l of c.lambdas) expect(l.sourceCodeHash).toEqual(expect.any(String));
    // Every archive is either byte-identical or (the zip bytes only) listed with identical entries.
    const zips = listZips(c.outdirs.cdktf);
    expect(zips.length).toBeGreaterThan(0);
    for (const a of c.archives) expect(zips).toContain(a.file);
    for (const a of c.archives) expect(a.entries).toContain('index.js');
  });
});

function listZips(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    return e.isDirectory() ? listZips(dir, rel) : e.name.endsWith('.zip') ? [rel] : [];
  });
}

describe('the comparison (so that the checks above cannot pass by comparing nothing)', () => {
  it('finds value, missing-key, key-order and array differences', () => {
    const d = diffJson(
      { a: 1, b: { c: 'x', d: [1, 2] }, e: true, f: { g: 1, h: 2 } },
      { a: 2, b: { c: 'x', d: [1] }, f: { h: 2, g: 1 }, z: null },
      'f.json',
    );
    expect(d.map((x) => `${x.kind} ${x.path.join('.')}`).sort()).toEqual(['key-order f', 'value a', 'value b.d', 'value e', 'value z'].sort());
  });

  it('classifies a documented difference only with its exact values', () => {
    const v = installedVersions(ROOT);
    const rules = expectedDifferences(v);
    const at = ['terraform', 'required_providers', 'aws', 'version'];
    const right: Difference = { file: 'stacks/x/cdk.tf.json', path: at, kind: 'value', cdktf: v.aws.cdktf, cdktn: v.aws.cdktn };
    const wrongValue: Difference = { ...right, cdktn: '7.0.0' };
    const wrongFile: Difference = { ...right, file: 'stacks/x/other.json' };
    const wrongPath: Difference = { ...right, path: ['provider', 'aws', '0', 'region'] };
    const { expected, unexpected } = classify([right, wrongValue, wrongFile, wrongPath], rules);
    expect(expected.map((e) => e.id)).toEqual(['aws-provider-version']);
    expect(unexpected).toEqual([wrongValue, wrongFile, wrongPath]);
  });

  it('finds a changed value, a missing file and different archive contents in real synth outputs', () => {
    // Prepare: a copy of the cdktn output of the example with three changes
    const c = comparison.configs.find((x) => x.config === 'config/tracking.yaml')!;
    const copy = path.join(work, 'tampered');
    cpSync(c.outdirs.cdktn, copy, { recursive: true });
    const stack = path.join(copy, 'stacks', c.stacks[0]!, 'cdk.tf.json');
    const json = JSON.parse(readFileSync(stack, 'utf8')) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const [type, instances] = Object.entries(json.resource)[0]!;
    const name = Object.keys(instances)[0]!;
    instances[name]!.tracking_test_change = 1;
    writeFileSync(stack, JSON.stringify(json));
    rmSync(path.join(copy, 'tracking-manifest.json'));
    // stacks/<id>/assets/<asset name>/<content hash>/archive.zip: another function's archive
    const assetName = (z: string): string => z.split('/')[3] ?? '';
    const zips = listZips(copy).filter((z) => z.startsWith(`stacks/${c.stacks[0]!}/`));
    const other = listZips(copy).find((z) => assetName(z) !== assetName(zips[0]!))!;
    expect(other).toBeDefined();
    cpSync(path.join(copy, other), path.join(copy, zips[0]!));
    // Act
    const { differences } = diffTrees(c.outdirs.cdktf, copy);
    const { unexpected } = classify(differences, expectedDifferences(comparison.versions));
    // Assess
    const summary = unexpected.map((d) => `${d.kind} ${d.file} ${d.path.join('.')}`);
    expect(summary).toContain(`value stacks/${c.stacks[0]!}/cdk.tf.json resource.${type}.${name}.tracking_test_change`);
    expect(summary).toContain('file tracking-manifest.json ');
    expect(summary).toContain(`content ${zips[0]!} `);
  });
});

describe('token stack traces (stacks/no-token-stack-traces.ts)', () => {
  let probe: string;
  beforeAll(() => {
    probe = path.join(work, 'probe.js');
    // At exit, in the app's process: CDK Terrain's switch, and the creation stack of a new token
    // from the same CDK module instance the app used (public API).
    writeFileSync(
      probe,
      `const fs = require('node:fs');
process.on('exit', () => {
  const cdk = require(process.env.PROBE_CDK);
  const token = cdk.Lazy.anyValue({ produce: () => 1 });
  fs.writeFileSync(process.env.PROBE_OUT, JSON.stringify({ env: process.env.CDKTN_DISABLE_CREATION_STACK ?? null, frames: token.creationStack.length }));
});
`,
    );
  });

  const cases = [
    ['cdktf', false],
    ['cdktf', true],
    ['cdktn', false],
    ['cdktn', true],
  ] as const;

  it.each(cases)('with %s (TRACKING_TOKEN_STACK_TRACES=1: %s)', (cdk, traces) => {
    // Prepare
    const cdkModule = cdk === 'cdktf' ? require.resolve('cdktf', { paths: [ROOT] }) : path.join(ROOT, 'terrain', 'node_modules', 'cdktn', 'lib', 'index.js');
    const out = path.join(work, `probe-${cdk}-${traces}.json`);
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probe}`, PROBE_CDK: cdkModule, PROBE_OUT: out };
    delete env.CDKTN_DISABLE_CREATION_STACK;
    if (traces) env.TRACKING_TOKEN_STACK_TRACES = '1';
    else delete env.TRACKING_TOKEN_STACK_TRACES;
    // Act
    const run = synthWith(ROOT, comparison.apps[cdk], 'config/tracking.yaml', path.join(work, `traces-${cdk}-${traces}`), env);
    // Assess
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { env: string | null; frames: number };
    if (traces) expect(seen.frames).toBeGreaterThan(0);
    else expect(seen.frames).toBe(0);
    // CDK Terrain through its public switch; cdktf through the pre-loaded no-op (the switch is not set).
    expect(seen.env).toBe(cdk === 'cdktn' && !traces ? 'true' : null);
    expect(run.stderr).not.toMatch(/DeprecationWarning/);
  });

  it('writes the same Terraform with and without the traces, with either CDK', () => {
    for (const cdk of ['cdktf', 'cdktn'] as const) {
      const read = (traces: boolean): string => {
        const dir = path.join(work, `traces-${cdk}-${traces}`);
        return readFileSync(path.join(dir, 'stacks', 'tracking-dev', 'cdk.tf.json'), 'utf8').split(dir).join('<dir>');
      };
      expect(read(false)).toBe(read(true));
    }
  });
});

describe('real Terraform on the CDK Terrain synth of the example', () => {
  let results: StackResult[] = [];
  let checker: TerraformChecker | undefined;

  beforeAll(async () => {
    checker = await TerraformChecker.create({ scratchRoot: path.join(work, 'terraform') });
    const c = comparison.configs.find((x) => x.config === 'config/tracking.yaml')!;
    const dir = path.join(c.outdirs.cdktn, 'stacks', 'tracking-dev');
    results = await checker.checkStacks([{ id: 'tracking-dev', dir, label: 'cdktn' }]);
  }, 30 * 60_000);

  afterAll(() => checker?.dispose());

  it('inits, validates, mock-plans and mock-applies tracking-dev (required_providers source "hashicorp/aws")', () => {
    const r = results[0];
    expect(r).toBeDefined();
    const failed = r!.phases.filter((p) => !p.ok).map((p) => `${p.phase}: ${p.diagnostics.map((d) => d.summary).join('; ')} ${p.output ?? ''}`);
    expect(failed).toEqual([]);
    expect(r!.phases.map((p) => p.phase)).toEqual(['init', 'validate', 'plan', 'apply']);
    // The provider the check ran with, and the skew when the mirror is not the pinned version.
    expect(r!.provider?.pinned).toBe(comparison.versions.aws.cdktn);
  });
});
