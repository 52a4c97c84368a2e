/**
 * `npm run cdktn:compare [-- config.yaml ...]`: synthesizes tracking configs with cdktf and with CDK
 * Terrain (the cdktn build of the same sources: `node scripts/build.mjs app --cdk=cdktn`, which
 * resolves cdktf, @cdktf/provider-aws and constructs to terrain/node_modules), then compares every
 * file of the two outputs:
 *
 *   - every JSON file (each stack's cdk.tf.json, manifest.json, tracking-manifest.json) value by
 *     value and key order by key order;
 *   - the file tree (asset folders are content hashes, so equal paths mean equal asset hashes);
 *   - each Lambda archive entry by entry (the zip bytes differ: cdktf stores file times and uses
 *     another deflate encoder, cdktn a fixed time; Terraform sees the same `filename` and
 *     `source_code_hash`);
 *   - any other file byte by byte.
 *
 * Each difference is either one of the documented ones (docs/cdk-terrain.md: the CDK's version in
 * the metadata and the manifest, the AWS provider's version constraint and its source address
 * spelling) or unexpected. Exit codes: 0 only documented differences; 1 an unexpected difference
 * or a failed build or synth; 2 bad usage or missing CDK Terrain packages.
 *
 * Usage: node dist/scripts/cdktn-compare.js [--json <file>] [--keep] [config.yaml ...]
 *   (no config)   $TRACKING_CONFIG, else config/tracking.yaml
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { TrackingPipelineError } from '../config/errors';

// ---------------------------------------------------------------------------------------------
// Errors and setup
// ---------------------------------------------------------------------------------------------

/** The comparison cannot run (as opposed to: it ran and found differences). */
export class CdktnCompareError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CdktnCompareError';
  }
}

export type Cdk = 'cdktf' | 'cdktn';
export const CDKS: readonly Cdk[] = ['cdktf', 'cdktn'];

/** The project root: the folder holding cdktf.json above `start`. */
export function projectRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'cdktf.json'))) return dir;
    if (path.dirname(dir) === dir) throw new CdktnCompareError(`cdktn-compare: cdktf.json not found above ${start}`);
  }
}

/** Versions of the two CDKs and of the AWS provider each binding package wraps. */
export interface CdkVersions {
  readonly cdktf: string;
  readonly cdktn: string;
  /** `@cdktf/provider-aws` and `@cdktn/provider-aws` package versions. */
  readonly bindings: { readonly cdktf: string; readonly cdktn: string };
  /** The hashicorp/aws version each binding package was generated from (and pins in the stacks). */
  readonly aws: { readonly cdktf: string; readonly cdktn: string };
}

interface PackageJson {
  readonly version?: string;
  readonly cdktf?: { readonly provider?: { readonly version?: string } };
}

function readPackage(dir: string, what: string): PackageJson {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) {
    throw new CdktnCompareError(
      `cdktn-compare: ${what} is not installed (${file} is missing). ` +
        (dir.includes(`${path.sep}terrain${path.sep}`)
          ? 'Install the CDK Terrain packages with `npm ci --prefix terrain` (`npm ci` runs it through the postinstall script unless scripts are ignored).'
          : 'Run `npm ci`.'),
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

/** Reads the installed versions: cdktf from node_modules, CDK Terrain from terrain/node_modules. */
export function installedVersions(root: string): CdkVersions {
  const nm = path.join(root, 'node_modules');
  const tnm = path.join(root, 'terrain', 'node_modules');
  const cdktf = readPackage(path.join(nm, 'cdktf'), 'cdktf');
  const cdktn = readPackage(path.join(tnm, 'cdktn'), 'cdktn');
  const awsCdktf = readPackage(path.join(nm, '@cdktf', 'provider-aws'), '@cdktf/provider-aws');
  const awsCdktn = readPackage(path.join(tnm, '@cdktn', 'provider-aws'), '@cdktn/provider-aws');
  const v = (p: PackageJson, what: string, pick: (p: PackageJson) => string | undefined): string => {
    const s = pick(p);
    if (s === undefined) throw new CdktnCompareError(`cdktn-compare: the package.json of ${what} has no version`);
    return s;
  };
  return {
    cdktf: v(cdktf, 'cdktf', (p) => p.version),
    cdktn: v(cdktn, 'cdktn', (p) => p.version),
    bindings: { cdktf: v(awsCdktf, '@cdktf/provider-aws', (p) => p.version), cdktn: v(awsCdktn, '@cdktn/provider-aws', (p) => p.version) },
    aws: {
      cdktf: v(awsCdktf, '@cdktf/provider-aws (cdktf.provider.version)', (p) => p.cdktf?.provider?.version),
      cdktn: v(awsCdktn, '@cdktn/provider-aws (cdktf.provider.version)', (p) => p.cdktf?.provider?.version),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Differences
// ---------------------------------------------------------------------------------------------

/** One difference between the cdktf output and the cdktn output. */
export interface Difference {
  /** File relative to the synth output folder, with `/`: `stacks/tracking-dev/cdk.tf.json`. */
  readonly file: string;
  /** Path of keys inside a JSON file ([] for the whole file). */
  readonly path: readonly string[];
  /** `value`: values differ; `key-order`: same keys in another order; `file`: only in one output; `content`: bytes or archive entries differ. */
  readonly kind: 'value' | 'key-order' | 'file' | 'content';
  /** The cdktf side (undefined when missing). */
  readonly cdktf?: unknown;
  /** The cdktn side (undefined when missing). */
  readonly cdktn?: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Value differences between two JSON documents, and objects whose keys are in another order. */
export function diffJson(a: unknown, b: unknown, file: string, at: readonly string[] = []): Difference[] {
  if (isObject(a) && isObject(b)) {
    const out: Difference[] = [];
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    for (const k of ka) {
      if (!(k in b)) out.push({ file, path: [...at, k], kind: 'value', cdktf: a[k] });
      else out.push(...diffJson(a[k], b[k], file, [...at, k]));
    }
    for (const k of kb) if (!(k in a)) out.push({ file, path: [...at, k], kind: 'value', cdktn: b[k] });
    const common = ka.filter((k) => k in b);
    const commonB = kb.filter((k) => k in a);
    if (common.join('\0') !== commonB.join('\0')) out.push({ file, path: at, kind: 'key-order', cdktf: common, cdktn: commonB });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [{ file, path: at, kind: 'value', cdktf: a, cdktn: b }];
    return a.flatMap((x, i) => diffJson(x, b[i], file, [...at, String(i)]));
  }
  if (a === b) return [];
  // Different types, or different scalars.
  return [{ file, path: at, kind: 'value', cdktf: a, cdktn: b }];
}

/** The entries of a zip archive (stored or deflated), by name. Reads the central directory. */
export function readZip(buf: Buffer): Map<string, Buffer> {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CdktnCompareError('cdktn-compare: not a zip archive (no end of central directory record)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new CdktnCompareError('cdktn-compare: corrupt zip central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue; // a folder entry
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataStart, dataStart + compressed);
    if (method === 0) entries.set(name, Buffer.from(data));
    else if (method === 8) entries.set(name, inflateRawSync(data));
    else throw new CdktnCompareError(`cdktn-compare: zip entry ${name} uses compression method ${method}`);
  }
  return entries;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** A Lambda archive whose bytes differ while its entries are the same. */
export interface ArchiveNote {
  readonly file: string;
  readonly entries: readonly string[];
}

/** Compares two synth output folders: file tree, JSON values and key order, archive entries, other bytes. */
export function diffTrees(cdktfDir: string, cdktnDir: string): { differences: Difference[]; files: number; archives: ArchiveNote[] } {
  const a = listFiles(cdktfDir);
  const b = listFiles(cdktnDir);
  const inB = new Set(b);
  const inA = new Set(a);
  const differences: Difference[] = [];
  const archives: ArchiveNote[] = [];
  for (const f of a) if (!inB.has(f)) differences.push({ file: f, path: [], kind: 'file', cdktf: 'present' });
  for (const f of b) if (!inA.has(f)) differences.push({ file: f, path: [], kind: 'file', cdktn: 'present' });
  for (const f of a.filter((x) => inB.has(x))) {
    const x = readFileSync(path.join(cdktfDir, f));
    const y = readFileSync(path.join(cdktnDir, f));
    if (f.endsWith('.json')) {
      differences.push(...diffJson(JSON.parse(x.toString('utf8')), JSON.parse(y.toString('utf8')), f));
    } else if (f.endsWith('.zip')) {
      if (x.equals(y)) continue;
      const za = readZip(x);
      const zb = readZip(y);
      const names = [...za.keys()].sort();
      const same = names.join('\0') === [...zb.keys()].sort().join('\0') && names.every((n) => za.get(n)!.equals(zb.get(n)!));
      if (same) archives.push({ file: f, entries: names });
      else differences.push({ file: f, path: [], kind: 'content', cdktf: names, cdktn: [...zb.keys()].sort() });
    } else if (!x.equals(y)) {
      differences.push({ file: f, path: [], kind: 'content' });
    }
  }
  return { differences, files: a.length, archives };
}

// ---------------------------------------------------------------------------------------------
// The documented differences
// ---------------------------------------------------------------------------------------------

/** A documented difference (docs/cdk-terrain.md), with its exact values. */
export interface ExpectedDifference {
  readonly id: 'cdk-version' | 'manifest-version' | 'aws-provider-version' | 'aws-provider-source';
  readonly why: string;
  readonly matches: (d: Difference) => boolean;
}

const STACK_FILE = /^stacks\/[^/]+\/cdk\.tf\.json$/;
const samePath = (d: Difference, p: readonly string[]): boolean => d.path.length === p.length && d.path.every((k, i) => k === p[i]);

/** The differences docs/cdk-terrain.md lists, for the installed versions. Anything else is unexpected. */
export function expectedDifferences(v: CdkVersions): ExpectedDifference[] {
  const value = (d: Difference, file: RegExp | string, p: readonly string[], from: unknown, to: unknown): boolean =>
    d.kind === 'value' && (typeof file === 'string' ? d.file === file : file.test(d.file)) && samePath(d, p) && d.cdktf === from && d.cdktn === to;
  return [
    {
      id: 'cdk-version',
      why: `the CDK's version in each stack's metadata comment ("//"), which Terraform ignores: cdktf ${v.cdktf} -> cdktn ${v.cdktn}`,
      matches: (d) => value(d, STACK_FILE, ['//', 'metadata', 'version'], v.cdktf, v.cdktn),
    },
    {
      id: 'manifest-version',
      why: `the CDK's version in manifest.json (read by the CDK CLI, not by Terraform): ${v.cdktf} -> ${v.cdktn}`,
      matches: (d) => value(d, 'manifest.json', ['version'], v.cdktf, v.cdktn),
    },
    {
      id: 'aws-provider-version',
      why:
        `the AWS provider version each binding package pins: @cdktf/provider-aws ${v.bindings.cdktf} wraps hashicorp/aws ${v.aws.cdktf}, ` +
        `@cdktn/provider-aws ${v.bindings.cdktn} wraps ${v.aws.cdktn}; \`terraform init -upgrade\` installs it (docs/cdk-terrain.md)`,
      matches: (d) => value(d, STACK_FILE, ['terraform', 'required_providers', 'aws', 'version'], v.aws.cdktf, v.aws.cdktn),
    },
    {
      id: 'aws-provider-source',
      why: 'the provider source spelling: cdktf writes "aws", cdktn "hashicorp/aws"; Terraform reads both as registry.terraform.io/hashicorp/aws, the address in the state',
      matches: (d) => value(d, STACK_FILE, ['terraform', 'required_providers', 'aws', 'source'], 'aws', 'hashicorp/aws'),
    },
  ];
}

export interface Classified {
  readonly expected: readonly { readonly difference: Difference; readonly id: ExpectedDifference['id'] }[];
  readonly unexpected: readonly Difference[];
}

export function classify(differences: readonly Difference[], rules: readonly ExpectedDifference[]): Classified {
  const expected: { difference: Difference; id: ExpectedDifference['id'] }[] = [];
  const unexpected: Difference[] = [];
  for (const d of differences) {
    const rule = rules.find((r) => r.matches(d));
    if (rule === undefined) unexpected.push(d);
    else expected.push({ difference: d, id: rule.id });
  }
  return { expected, unexpected };
}

// ---------------------------------------------------------------------------------------------
// Build, synth, compare
// ---------------------------------------------------------------------------------------------

function tail(s: string, lines = 30): string {
  return s.trim().split('\n').slice(-lines).join('\n');
}

/** Builds the app against one CDK into `outdir` (inside the project) and returns its main.js. */
export function buildApp(root: string, cdk: Cdk, outdir: string): string {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'app', `--cdk=${cdk}`, `--outdir=${outdir}`], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.error !== undefined || r.status !== 0) {
    throw new CdktnCompareError(`cdktn-compare: the ${cdk} build failed (${r.error?.message ?? `exit ${String(r.status)}`}):\n${tail(`${r.stderr}\n${r.stdout}`)}`);
  }
  return path.join(outdir, 'main.js');
}

export interface SynthRun {
  readonly outdir: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built app on a config (TRACKING_CONFIG, CDKTF_OUTDIR), as scripts/terraform-check.ts synthConfig does. */
export function synthWith(root: string, app: string, config: string, outdir: string, env: NodeJS.ProcessEnv = process.env): SynthRun {
  const r = spawnSync(process.execPath, [app], {
    cwd: root,
    env: { ...env, TRACKING_CONFIG: path.resolve(root, config), CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error !== undefined || r.status !== 0) {
    throw new CdktnCompareError(`cdktn-compare: synth of ${config} with ${app} failed (${r.error?.message ?? `exit ${String(r.status)}`}):\n${tail(`${r.stderr}\n${r.stdout}`)}`);
  }
  return { outdir, stdout: r.stdout, stderr: r.stderr };
}

/** A Lambda function's archive reference in one stack, as both CDKs wrote it. */
export interface LambdaAsset {
  readonly stack: string;
  readonly address: string;
  readonly filename: unknown;
  readonly sourceCodeHash: unknown;
  readonly same: boolean;
}

function lambdaAssets(cdktfDir: string, cdktnDir: string): LambdaAsset[] {
  const out: LambdaAsset[] = [];
  const stacks = path.join(cdktfDir, 'stacks');
  if (!existsSync(stacks)) return out;
  for (const id of readdirSync(stacks).sort()) {
    const fa = path.join(stacks, id, 'cdk.tf.json');
    const fb = path.join(cdktnDir, 'stacks', id, 'cdk.tf.json');
    if (!existsSync(fa) || !existsSync(fb)) continue;
    const fns = (f: string): Record<string, Record<string, unknown>> =>
      ((JSON.parse(readFileSync(f, 'utf8')) as { resource?: { aws_lambda_function?: Record<string, Record<string, unknown>> } }).resource
        ?.aws_lambda_function ?? {});
    const a = fns(fa);
    const b = fns(fb);
    for (const name of Object.keys(a).sort()) {
      const x = a[name]!;
      const y = b[name] ?? {};
      out.push({
        stack: id,
        address: `aws_lambda_function.${name}`,
        filename: x.filename,
        sourceCodeHash: x.source_code_hash,
        same: x.filename === y.filename && x.source_code_hash === y.source_code_hash,
      });
    }
  }
  return out;
}

export interface ConfigComparison {
  readonly config: string;
  /** Where the two outputs were written. */
  readonly outdirs: Readonly<Record<Cdk, string>>;
  readonly stacks: readonly string[];
  readonly files: number;
  readonly expected: Classified['expected'];
  readonly unexpected: Classified['unexpected'];
  /** Lambda archives whose bytes differ while their entries are identical. */
  readonly archives: readonly ArchiveNote[];
  readonly lambdas: readonly LambdaAsset[];
  /** The apps' own output lines (the cdktn one ends with "with CDK Terrain (cdktn)"). */
  readonly synthOutput: Readonly<Record<Cdk, string>>;
}

export interface Comparison {
  readonly versions: CdkVersions;
  /** The two builds (main.js of each). */
  readonly apps: Readonly<Record<Cdk, string>>;
  readonly configs: readonly ConfigComparison[];
  readonly ok: boolean;
}

export interface CompareOptions {
  readonly root: string;
  readonly configs: readonly string[];
  /** Folder for the synth outputs (created; removed by the caller). */
  readonly work: string;
  /** Build folder inside the project. @default `dist/.cdktn-compare-<pid>` (removed at the end unless keepBuilds) */
  readonly buildDir?: string;
  /** @default false */
  readonly keepBuilds?: boolean;
}

/** Builds the app with both CDKs and compares their synth of every config. */
export function compareConfigs(o: CompareOptions): Comparison {
  const versions = installedVersions(o.root);
  const rules = expectedDifferences(versions);
  const buildDir = o.buildDir ?? path.join(o.root, 'dist', `.cdktn-compare-${process.pid}`);
  try {
    const apps = { cdktf: buildApp(o.root, 'cdktf', path.join(buildDir, 'cdktf')), cdktn: buildApp(o.root, 'cdktn', path.join(buildDir, 'cdktn')) };
    const configs = o.configs.map((config, i): ConfigComparison => {
      const base = path.join(o.work, `${i}-${path.basename(config).replace(/\.ya?ml$/, '')}`);
      const outdirs = { cdktf: path.join(base, 'cdktf'), cdktn: path.join(base, 'cdktn') };
      const runs = { cdktf: synthWith(o.root, apps.cdktf, config, outdirs.cdktf), cdktn: synthWith(o.root, apps.cdktn, config, outdirs.cdktn) };
      const tree = diffTrees(outdirs.cdktf, outdirs.cdktn);
      const { expected, unexpected } = classify(tree.differences, rules);
      const stacksDir = path.join(outdirs.cdktf, 'stacks');
      return {
        config,
        outdirs,
        stacks: existsSync(stacksDir) ? readdirSync(stacksDir).filter((s) => statSync(path.join(stacksDir, s)).isDirectory()).sort() : [],
        files: tree.files,
        expected,
        unexpected,
        archives: tree.archives,
        lambdas: lambdaAssets(outdirs.cdktf, outdirs.cdktn),
        synthOutput: { cdktf: runs.cdktf.stdout.trim(), cdktn: runs.cdktn.stdout.trim() },
      };
    });
    const ok = configs.every((c) => c.unexpected.length === 0 && c.lambdas.every((l) => l.same));
    return { versions, apps, configs, ok };
  } finally {
    if (!o.keepBuilds) rmSync(buildDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const show = (v: unknown): string => {
  const s = v === undefined ? '(missing)' : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};
const where = (d: Difference): string => `${d.file}${d.path.length > 0 ? ` ${d.path.map((k) => (/^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k))).join('.')}` : ''}`;

export function renderReport(c: Comparison): string {
  const v = c.versions;
  const lines = [
    `cdktf ${v.cdktf} (@cdktf/provider-aws ${v.bindings.cdktf}, hashicorp/aws ${v.aws.cdktf}) vs CDK Terrain cdktn ${v.cdktn} (@cdktn/provider-aws ${v.bindings.cdktn}, hashicorp/aws ${v.aws.cdktn})`,
  ];
  const rules = new Map(expectedDifferences(v).map((r) => [r.id, r.why]));
  for (const cfg of c.configs) {
    lines.push('', `${cfg.config}: ${cfg.stacks.length} stack(s) (${cfg.stacks.join(', ')}), ${cfg.files} files compared`);
    const byRule = new Map<string, Difference[]>();
    for (const e of cfg.expected) byRule.set(e.id, [...(byRule.get(e.id) ?? []), e.difference]);
    for (const [id, ds] of byRule) {
      lines.push(`  documented: ${rules.get(id as ExpectedDifference['id'])}`);
      for (const d of ds) lines.push(`    ${where(d)}: ${show(d.cdktf)} -> ${show(d.cdktn)}`);
    }
    if (cfg.unexpected.length === 0) lines.push('  no other difference');
    for (const d of cfg.unexpected) lines.push(`  UNEXPECTED (${d.kind}): ${where(d)}: cdktf ${show(d.cdktf)}, cdktn ${show(d.cdktn)}`);
    const lambdasSame = cfg.lambdas.filter((l) => l.same).length;
    lines.push(`  Lambda functions: ${lambdasSame} of ${cfg.lambdas.length} with the same filename and source_code_hash`);
    for (const l of cfg.lambdas.filter((x) => !x.same)) lines.push(`    DIFFERENT: ${l.stack} ${l.address}`);
    if (cfg.archives.length > 0) {
      lines.push(`  Lambda archives: ${cfg.archives.length} differ in their zip bytes only (cdktf stores file times and deflates differently; cdktn writes fixed times); their entries are identical`);
    }
  }
  lines.push('', c.ok ? 'Result: only the documented differences (docs/cdk-terrain.md).' : 'Result: FAILED: differences that docs/cdk-terrain.md does not list.');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

export const EXIT_OK = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_CANNOT_RUN = 2;

const USAGE = 'usage: node dist/scripts/cdktn-compare.js [--json <file>] [--keep] [config.yaml ...]';

export interface CliOptions {
  readonly configs: readonly string[];
  readonly json?: string;
  readonly keep: boolean;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions | 'help' {
  const configs: string[] = [];
  let json: string | undefined;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--keep') keep = true;
    else if (arg === '--json') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CdktnCompareError(`--json needs a file\n${USAGE}`);
      json = v;
    } else if (arg.startsWith('-')) throw new CdktnCompareError(`unknown option ${arg}\n${USAGE}`);
    else configs.push(arg);
  }
  const fallback = env.TRACKING_CONFIG !== undefined && env.TRACKING_CONFIG !== '' ? env.TRACKING_CONFIG : 'config/tracking.yaml';
  return { configs: configs.length > 0 ? configs : [fallback], ...(json !== undefined ? { json } : {}), keep };
}

function main(): void {
  let opts: CliOptions | 'help';
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = EXIT_CANNOT_RUN;
    return;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  const root = projectRoot();
  const work = mkdtempSync(path.join(tmpdir(), 'cdktn-compare-'));
  try {
    for (const c of opts.configs) {
      if (!existsSync(path.resolve(root, c))) throw new CdktnCompareError(`cdktn-compare: config ${c} does not exist`);
    }
    const result = compareConfigs({ root, configs: opts.configs, work });
    console.log(renderReport(result));
    if (opts.json !== undefined) {
      mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
      writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
    }
    if (opts.keep) console.log(`outputs kept in ${work}`);
    process.exitCode = result.ok ? EXIT_OK : EXIT_DIFFERENT;
  } catch (err) {
    if (!(err instanceof CdktnCompareError)) throw err;
    console.error(err.message);
    process.exitCode = /not installed|does not exist/.test(err.message) ? EXIT_CANNOT_RUN : EXIT_DIFFERENT;
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) main();
