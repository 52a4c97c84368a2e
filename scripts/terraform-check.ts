/**
 * Real Terraform over the synthesized stacks, offline: for every stack folder
 * (`<outdir>/stacks/<id>/cdk.tf.json` and its `assets/`) a scratch copy gets
 *
 *   1. `terraform init -backend=false` (from a local provider mirror with `-plugin-dir`, or from the
 *      registry when the pinned provider can be downloaded),
 *   2. `terraform validate -json`,
 *   3. `terraform test` with a generated `tests/mock.tftest.hcl`: a `mock_provider "aws"` (defaults
 *      that make the ARNs the stack's policies, alarms and mappings parse well-formed) and two runs,
 *      `command = plan` then `command = apply`.
 *
 * The scratch copy is the only thing changed: `terraform.backend` is removed and, when the provider
 * available is not the pinned one (the local mirror holds hashicorp/aws 5.100.0, the stacks pin
 * 6.25.0), `terraform.required_providers.aws.version` is rewritten to it. Every such change is
 * reported with the result, never silent. The synthesized folders are never written to.
 *
 * Used by `scripts/validate.ts` (the `validate` CLI), by `__tests__/terraform/` and by the
 * plan-scope benchmark (`mockPlanStack`). See docs/terraform-check.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { TrackingPipelineError } from '../config/errors';

// ---------------------------------------------------------------------------------------------
// Constants and errors
// ---------------------------------------------------------------------------------------------

/** Account id the mock data sources return when the provider does not restrict accounts. */
export const MOCK_ACCOUNT_ID = '123456789012';
/** Environment variable naming a provider mirror root (checked before the usual places). */
export const PLUGIN_DIR_ENV = 'TRACKING_TF_PLUGIN_DIR';
/** Environment variable choosing where the provider comes from: auto (default), mirror or registry. */
export const PROVIDER_SOURCE_ENV = 'TRACKING_TF_PROVIDER_SOURCE';
/** `terraform test` with `mock_provider` needs 1.7; the stacks' S3 backend locking (`use_lockfile`) needs 1.11. */
export const MIN_TERRAFORM_VERSION = '1.7.0';
/** Stacks checked at once by default (the project's machines have 2 cores). */
export const DEFAULT_CONCURRENCY = 2;
/** Upper bound for one terraform command. Large stacks need long plans (see docs/terraform-check.md). */
export const DEFAULT_TIMEOUT_SECONDS = 1_800;
/** Relative path of the generated test file inside the scratch copy. */
export const MOCK_TEST_FILE = path.join('tests', 'mock.tftest.hcl');

const MIRROR_SUBDIR = path.join('registry.terraform.io', 'hashicorp', 'aws');

/** The checks cannot run (as opposed to: they ran and found problems). */
export class TerraformCheckError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerraformCheckError';
  }
}

/** No usable `terraform` binary. */
export class TerraformNotFoundError extends TerraformCheckError {
  public constructor(message: string) {
    super(message);
    this.name = 'TerraformNotFoundError';
  }
}

/** Neither a provider mirror nor the registry can supply hashicorp/aws. */
export class ProviderUnavailableError extends TerraformCheckError {
  public constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** Synthesizing a config failed. */
export class SynthFailedError extends TerraformCheckError {
  public constructor(message: string) {
    super(message);
    this.name = 'SynthFailedError';
  }
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export type Phase = 'init' | 'validate' | 'plan' | 'apply';
export const PHASES: readonly Phase[] = ['init', 'validate', 'plan', 'apply'];

/** One Terraform diagnostic, normalized from `-json` output (or from text when a command has no JSON mode). */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  /** File of the stack copy, such as `cdk.tf.json` (its lines match the synthesized file up to the `terraform` block). */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Resource or data source address, such as `aws_lambda_function.router["x"]`. */
  readonly address?: string;
  /** The offending source line. */
  readonly code?: string;
}

export interface PhaseResult {
  /** `<label>/<stack id>`, such as `example/tracking-dev`. */
  readonly stack: string;
  readonly phase: Phase;
  readonly ok: boolean;
  /** True when the phase did not run because an earlier one failed (ok is then false). */
  readonly skipped: boolean;
  readonly seconds: number;
  readonly diagnostics: readonly Diagnostic[];
  /** The end of the command's raw output, when it failed without a parsable diagnostic. */
  readonly output?: string;
}

export interface StackResult {
  readonly stack: string;
  readonly label: string;
  readonly id: string;
  /** The synthesized folder that was checked (never modified). */
  readonly dir: string;
  /** Scratch copy (deleted unless `keep`). */
  readonly scratchDir: string;
  readonly provider?: ProviderSetup;
  /** What the scratch copy changed in cdk.tf.json, one line each. */
  readonly changes: readonly string[];
  readonly phases: readonly PhaseResult[];
  readonly ok: boolean;
  /**
   * With `CheckerOptions.mockState`: what the mock runs printed with `-verbose` (the plan of the
   * plan run and the state of the apply run, without their provider schemas). Absent otherwise,
   * and when the runs did not get that far.
   */
  readonly mockOutput?: MockRunOutput;
}

/** The `-verbose` output of the mock runs of one stack, as Terraform's JSON renderer writes it. */
export interface MockRunOutput {
  /** `test_plan` of the plan run: `resource_changes[]` with `change.after` and `change.after_unknown`. */
  readonly plan?: Record<string, unknown>;
  /** `test_state` of the apply run: `root_module.resources[]` with `values`, `child_modules`, `outputs`. */
  readonly state?: Record<string, unknown>;
}

/** A synthesized stack folder. */
export interface StackInput {
  /** Stack id (the folder name), such as `tracking-dev`. */
  readonly id: string;
  /** Folder holding cdk.tf.json and assets/. */
  readonly dir: string;
  /** Groups stacks in reports, such as the config they came from. @default "stacks" */
  readonly label?: string;
}

// ---------------------------------------------------------------------------------------------
// Finding terraform and the provider
// ---------------------------------------------------------------------------------------------

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The `terraform` binary on PATH, or undefined. */
export function findTerraform(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const names = process.platform === 'win32' ? ['terraform.exe'] : ['terraform'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** What to tell a user whose machine has no terraform. */
export function terraformMissingMessage(): string {
  return [
    'terraform-check: the `terraform` CLI was not found on PATH, so the synthesized stacks cannot be checked.',
    `This check does not pass without it: it needs Terraform ${MIN_TERRAFORM_VERSION} or later for \`terraform test\` with`,
    'mock providers (1.11 or later for the stacks\' S3 backend locking).',
    'Install it, then rerun:',
    '  - Debian/Ubuntu: HashiCorp\'s apt repository (https://developer.hashicorp.com/terraform/install), `apt-get install terraform`',
    '  - macOS: `brew tap hashicorp/tap && brew install hashicorp/tap/terraform`',
    '  - any OS: unzip a release from https://releases.hashicorp.com/terraform/ into a folder on PATH',
  ].join('\n');
}

/** `linux_amd64`, `darwin_arm64`, ... as Terraform names platforms. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const a = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  const os = platform === 'win32' ? 'windows' : platform;
  return `${os}_${a}`;
}

/** Compares dotted versions (`5.100.0` < `6.25.0`); a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): { nums: number[]; pre: string } => {
    const [main = '', pre = ''] = v.replace(/^v/, '').split('-', 2);
    return { nums: main.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === '') return 1;
  if (y.pre === '') return -1;
  return x.pre < y.pre ? -1 : 1;
}

/**
 * Versions of hashicorp/aws a mirror root holds for this platform, highest first. Both layouts of
 * a filesystem mirror count: unpacked (`<v>/<platform>/terraform-provider-aws*`) and packed
 * (`terraform-provider-aws_<v>_<platform>.zip`).
 */
export function mirrorVersions(root: string, platform: string = terraformPlatform()): string[] {
  const dir = path.join(root, MIRROR_SUBDIR);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const versions = new Set<string>();
  for (const e of entries) {
    const packed = new RegExp(`^terraform-provider-aws_(.+)_${platform}\\.zip$`).exec(e);
    if (packed?.[1] !== undefined) {
      versions.add(packed[1]);
      continue;
    }
    const platformDir = path.join(dir, e, platform);
    try {
      if (readdirSync(platformDir).some((f) => f.startsWith('terraform-provider-aws'))) versions.add(e);
    } catch {
      // not a version folder for this platform
    }
  }
  return [...versions].sort((a, b) => compareVersions(b, a));
}

/** The usual mirror roots, in the order they are tried. */
export function mirrorCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  const list = [
    env[PLUGIN_DIR_ENV],
    '/opt/tf-plugins',
    path.join(home, '.terraform.d', 'plugins'),
    path.join(xdg, 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
  return [...new Set(list.filter((d): d is string => d !== undefined && d !== ''))];
}

const WALK_SKIP = new Set(['proc', 'sys', 'dev', 'run', 'node_modules', '.git', '.terraform', 'cdktf.out']);

/**
 * Searches the file system like `find <start> -maxdepth <depth> -path '*registry.terraform.io/hashicorp/aws'`
 * (symlinks not followed; /proc, /sys, node_modules, .git and .terraform folders skipped) and
 * returns the mirror roots found.
 */
export function searchMirrorRoots(start = '/', maxDepth = 7): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth >= maxDepth) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || WALK_SKIP.has(e.name)) continue;
      const full = path.join(dir, e.name);
      if (e.name === 'aws' && full.endsWith(`${path.sep}${MIRROR_SUBDIR}`)) {
        found.push(path.dirname(path.dirname(path.dirname(full))));
        continue;
      }
      walk(full, depth + 1);
    }
  };
  walk(start, 0);
  return found;
}

export interface ProviderMirror {
  readonly root: string;
  /** Highest first. */
  readonly versions: readonly string[];
}

/**
 * The first mirror root (explicit, then the usual places, then a bounded search of the file system)
 * that holds hashicorp/aws for this platform.
 */
export function findProviderMirror(
  opts: { readonly root?: string; readonly env?: NodeJS.ProcessEnv; readonly search?: boolean; readonly platform?: string } = {},
): ProviderMirror | undefined {
  const platform = opts.platform ?? terraformPlatform();
  const tried = opts.root !== undefined ? [opts.root] : mirrorCandidates(opts.env);
  for (const root of tried) {
    const versions = mirrorVersions(root, platform);
    if (versions.length > 0) return { root, versions };
  }
  if (opts.root !== undefined || opts.search === false) return undefined;
  for (const root of searchMirrorRoots()) {
    const versions = mirrorVersions(root, platform);
    if (versions.length > 0) return { root, versions };
  }
  return undefined;
}

export type ProviderSourceMode = 'auto' | 'mirror' | 'registry';

/** Where the provider of the checks comes from, and how it relates to the pinned version. */
export interface ProviderSetup {
  readonly source: 'mirror' | 'registry';
  /** The version the stacks pin (`terraform.required_providers.aws.version`). */
  readonly pinned: string;
  /** The version the checks ran with. */
  readonly version: string;
  /** Passed to `terraform init -plugin-dir`. */
  readonly pluginDir: string;
  /** True when the scratch copies' version constraint was rewritten (version skew). */
  readonly rewritten: boolean;
  /** Why this source was chosen (for example why the registry was not used). */
  readonly notes: readonly string[];
}

/** One line describing the provider the checks use, with the skew stated when there is one. */
export function describeProvider(p: ProviderSetup): string {
  const from = p.source === 'mirror' ? `the filesystem mirror ${p.pluginDir}` : 'the Terraform registry';
  if (!p.rewritten) return `hashicorp/aws ${p.version} (the pinned version) from ${from}`;
  return (
    `hashicorp/aws ${p.version} from ${from}; VERSION SKEW: the stacks pin ${p.pinned}, so each scratch copy's ` +
    `required_providers.aws.version is rewritten to ${p.version}. Arguments and validations that exist only in ` +
    `${p.pinned} are not checked by Terraform here (the cdktf bindings check ${p.pinned}'s attribute names at compile time).`
  );
}

// ---------------------------------------------------------------------------------------------
// Pure parts: stack JSON, mock provider test file, diagnostics
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `terraform.required_providers.aws.version` of a stack, if any. */
export function pinnedAwsVersion(stack: Json): string | undefined {
  const tf = isObj(stack.terraform) ? stack.terraform : {};
  const rp = isObj(tf.required_providers) ? tf.required_providers : {};
  const aws = rp.aws;
  if (isObj(aws) && typeof aws.version === 'string') return aws.version;
  return undefined;
}

export interface PreparedStack {
  readonly json: Json;
  /** One line per change, for the report. */
  readonly changes: readonly string[];
}

/**
 * The scratch copy of a stack: the same JSON (keys in the same order, so lines before the
 * `terraform` block keep their numbers) without `terraform.backend`, and with the aws provider
 * constraint set to `providerVersion` when it differs. Does not modify its input.
 */
export function prepareStackJson(stack: Json, providerVersion: string): PreparedStack {
  const json = JSON.parse(JSON.stringify(stack)) as Json;
  const changes: string[] = [];
  const tf = json.terraform;
  if (isObj(tf)) {
    if (tf.backend !== undefined) {
      const kinds = isObj(tf.backend) ? Object.keys(tf.backend).join(', ') : 'backend';
      delete tf.backend;
      changes.push(`removed terraform.backend (${kinds}): the checks keep no state (terraform init -backend=false)`);
    }
    const rp = tf.required_providers;
    if (isObj(rp) && isObj(rp.aws)) {
      const before = rp.aws.version;
      if (before !== providerVersion) {
        rp.aws.version = providerVersion;
        changes.push(
          `rewrote terraform.required_providers.aws.version ${JSON.stringify(before)} -> "${providerVersion}" (the provider available to the check)`,
        );
      }
    }
  }
  return { json, changes };
}

/** Serializes like cdktf does (2-space JSON, no final newline). */
export function serializeStack(json: Json): string {
  return JSON.stringify(json, null, 2);
}

/**
 * The stack text for the mock plan and apply: its `import` blocks replaced by blank lines, because
 * mock providers cannot import ("Cannot import resources from mock providers"), so the imported
 * resources are planned as new ones. Blank lines keep every other line where it was, so
 * diagnostics still point at the synthesized file's lines. `terraform validate` does not check
 * import targets (Terraform does at plan); `importProblems` does, before this.
 */
export function withoutImportBlocks(text: string): { readonly text: string; readonly removed: number } {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    return { text, removed: 0 };
  }
  const imports = json.import;
  if (imports === undefined) return { text, removed: 0 };
  const removed = Array.isArray(imports) ? imports.length : 1;
  const rest: Json = { ...json };
  delete rest.import;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^ {2}"import": [[{]$/.test(l));
  const end = start === -1 ? -1 : lines.findIndex((l, i) => i > start && /^ {2}[\]}],?$/.test(l));
  if (start !== -1 && end !== -1) {
    const last = !lines[end]!.endsWith(',');
    for (let i = start; i <= end; i++) lines[i] = '';
    if (last) {
      // The block was the last key: the key before it must lose its comma.
      let k = start - 1;
      while (k >= 0 && lines[k] === '') k--;
      if (k >= 0) lines[k] = lines[k]!.replace(/,$/, '');
    }
    const blanked = lines.join('\n');
    try {
      if (JSON.stringify(JSON.parse(blanked)) === JSON.stringify(rest)) return { text: blanked, removed };
    } catch {
      // fall through to re-serializing
    }
  }
  return { text: serializeStack(rest), removed };
}

/**
 * What `terraform validate` does not check about `import` blocks (Terraform checks it only at plan,
 * which the mock provider cannot run with imports): each block's `to` must name a resource the
 * stack declares (and, when its `for_each` is a literal map, one of its keys), and its `id` must be
 * a non-empty string.
 */
export function importProblems(stack: Json): Diagnostic[] {
  const raw = stack.import;
  const blocks = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const resources = isObj(stack.resource) ? stack.resource : {};
  const out: Diagnostic[] = [];
  for (const b of blocks) {
    const block = isObj(b) ? b : {};
    const to = typeof block.to === 'string' ? block.to : '';
    const problem = (summary: string): void => {
      out.push({ severity: 'error', summary, ...(to !== '' ? { address: to } : {}), file: 'cdk.tf.json' });
    };
    const m = /^(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\[(.+)\])?$/.exec(to);
    if (!m) {
      problem(`import block "to" ${JSON.stringify(to)} is not a resource address of this stack`);
      continue;
    }
    const byType = resources[m[1]!];
    const resource = isObj(byType) ? byType[m[2]!] : undefined;
    if (!isObj(resource)) {
      problem(`import target ${m[1]}.${m[2]} does not exist in this stack (Terraform would fail the plan: "Configuration for import target does not exist")`);
    } else if (m[3] !== undefined && isObj(resource.for_each)) {
      let key: unknown;
      try {
        key = JSON.parse(m[3]);
      } catch {
        key = undefined;
      }
      if (typeof key === 'string' && !(key in resource.for_each)) {
        problem(`import target ${to}: ${m[1]}.${m[2]} has no for_each key ${JSON.stringify(key)}`);
      }
    }
    if (typeof block.id !== 'string' || block.id === '') problem(`import block for ${to || '(no target)'} has no id`);
  }
  return out;
}

/** An HCL quoted string: escapes quotes, backslashes, control characters and template sequences. */
export function hclString(s: string): string {
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    // A function, not a replacement string: in one, "$$" means a single "$".
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{');
  return `"${body}"`;
}

export interface MockContext {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

/** The partition of a region (aws, aws-cn, aws-us-gov, ...). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

const MOCK_UUID = '1234abcd-12ab-34cd-56ef-1234567890ab';

/** ARN of a mock resource of a given type. */
export function mockArn(type: string, c: MockContext): string {
  const { partition: p, region: r, account: a } = c;
  const fn = `arn:${p}:lambda:${r}:${a}:function:mock-function`;
  const table: Record<string, string> = {
    aws_s3_bucket: `arn:${p}:s3:::mock-bucket`,
    aws_iam_role: `arn:${p}:iam::${a}:role/mock-role`,
    aws_iam_policy: `arn:${p}:iam::${a}:policy/mock-policy`,
    aws_iam_user: `arn:${p}:iam::${a}:user/mock-user`,
    aws_iam_instance_profile: `arn:${p}:iam::${a}:instance-profile/mock-profile`,
    aws_caller_identity: `arn:${p}:iam::${a}:user/mock-caller`,
    aws_kms_key: `arn:${p}:kms:${r}:${a}:key/${MOCK_UUID}`,
    aws_kms_alias: `arn:${p}:kms:${r}:${a}:alias/mock-alias`,
    aws_sns_topic: `arn:${p}:sns:${r}:${a}:mock-topic`,
    aws_sns_topic_subscription: `arn:${p}:sns:${r}:${a}:mock-topic:${MOCK_UUID}`,
    aws_sqs_queue: `arn:${p}:sqs:${r}:${a}:mock-queue`,
    aws_kinesis_stream: `arn:${p}:kinesis:${r}:${a}:stream/mock-stream`,
    aws_kinesis_stream_consumer: `arn:${p}:kinesis:${r}:${a}:stream/mock-stream/consumer/mock-consumer:1700000000`,
    aws_kinesis_firehose_delivery_stream: `arn:${p}:firehose:${r}:${a}:deliverystream/mock-delivery-stream`,
    aws_lambda_function: fn,
    aws_lambda_alias: `${fn}:mock-alias`,
    aws_lambda_layer_version: `arn:${p}:lambda:${r}:${a}:layer:mock-layer:1`,
    aws_lambda_event_source_mapping: `arn:${p}:lambda:${r}:${a}:event-source-mapping:${MOCK_UUID}`,
    aws_cloudwatch_log_group: `arn:${p}:logs:${r}:${a}:log-group:mock-log-group`,
    aws_cloudwatch_log_stream: `arn:${p}:logs:${r}:${a}:log-group:mock-log-group:log-stream:mock-log-stream`,
    aws_cloudwatch_metric_alarm: `arn:${p}:cloudwatch:${r}:${a}:alarm:mock-alarm`,
    aws_cloudwatch_composite_alarm: `arn:${p}:cloudwatch:${r}:${a}:alarm:mock-composite-alarm`,
    aws_cloudwatch_dashboard: `arn:${p}:cloudwatch::${a}:dashboard/mock-dashboard`,
    aws_cloudwatch_event_rule: `arn:${p}:events:${r}:${a}:rule/mock-rule`,
    aws_dynamodb_table: `arn:${p}:dynamodb:${r}:${a}:table/mock-table`,
    aws_glue_catalog_database: `arn:${p}:glue:${r}:${a}:database/mock-database`,
    aws_glue_catalog_table: `arn:${p}:glue:${r}:${a}:table/mock-database/mock-table`,
    aws_athena_workgroup: `arn:${p}:athena:${r}:${a}:workgroup/mock-workgroup`,
  };
  const known = table[type];
  if (known !== undefined) return known;
  const rest = type.replace(/^aws_/, '');
  return `arn:${p}:${serviceOf(type)}:${r}:${a}:${rest.replace(/_/g, '-')}/mock`;
}

/** AWS service (ARN namespace) of a provider type name, by its prefix. */
export function serviceOf(type: string): string {
  const rest = type.replace(/^aws_/, '');
  const prefixes: [string, string][] = [
    ['kinesis_firehose', 'firehose'],
    ['cloudwatch_log', 'logs'],
    ['cloudwatch_event', 'events'],
    ['cloudwatch', 'cloudwatch'],
    ['s3', 's3'],
    ['iam', 'iam'],
    ['kms', 'kms'],
    ['sns', 'sns'],
    ['sqs', 'sqs'],
    ['lambda', 'lambda'],
    ['kinesis', 'kinesis'],
    ['dynamodb', 'dynamodb'],
    ['glue', 'glue'],
    ['athena', 'athena'],
    ['ssm', 'ssm'],
  ];
  for (const [prefix, service] of prefixes) if (rest === prefix || rest.startsWith(`${prefix}_`)) return service;
  return rest.split('_')[0] ?? rest;
}

/** Which resource type's ARN an `<x>_arn` attribute holds. */
const ARN_ATTRIBUTE_TYPES: Record<string, string> = {
  target_key_arn: 'aws_kms_key',
  kms_key_arn: 'aws_kms_key',
  key_arn: 'aws_kms_key',
  function_arn: 'aws_lambda_function',
  role_arn: 'aws_iam_role',
  policy_arn: 'aws_iam_policy',
  topic_arn: 'aws_sns_topic',
  queue_arn: 'aws_sqs_queue',
  stream_arn: 'aws_kinesis_stream',
  bucket_arn: 'aws_s3_bucket',
  log_group_arn: 'aws_cloudwatch_log_group',
  dashboard_arn: 'aws_cloudwatch_dashboard',
};

/** Types whose `id` is their ARN. */
const ID_IS_ARN = new Set([
  'aws_sns_topic',
  'aws_sns_topic_subscription',
  'aws_iam_policy',
  'aws_kinesis_stream',
  'aws_kinesis_stream_consumer',
  'aws_kinesis_firehose_delivery_stream',
]);

/**
 * The mock value of one computed attribute of a resource or data source, or undefined to let the
 * mock provider generate one (a random 8-character string). Well-formed ARNs are what matters: the
 * provider validates them at apply time (alarm actions, roles, event sources, ...).
 */
export function mockValue(kind: 'resource' | 'data', type: string, attr: string, c: MockContext): string | undefined {
  if (kind === 'data') {
    const data: Record<string, Record<string, string>> = {
      aws_caller_identity: { account_id: c.account, arn: mockArn('aws_caller_identity', c), user_id: 'AIDAMOCKUSERID000000', id: c.account },
      aws_partition: {
        partition: c.partition,
        dns_suffix: c.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
        reverse_dns_prefix: c.partition === 'aws-cn' ? 'cn.com.amazonaws' : 'com.amazonaws',
        id: c.partition,
      },
      aws_region: { name: c.region, region: c.region, id: c.region, endpoint: `ec2.${c.region}.amazonaws.com`, description: c.region },
    };
    const v = data[type]?.[attr];
    if (v !== undefined) return v;
  }
  const fnArn = mockArn('aws_lambda_function', c);
  if (type === 'aws_lambda_function') {
    const invoke = (target: string): string => `arn:${c.partition}:apigateway:${c.region}:lambda:path/2015-03-31/functions/${target}/invocations`;
    const special: Record<string, string> = {
      qualified_arn: `${fnArn}:1`,
      invoke_arn: invoke(fnArn),
      qualified_invoke_arn: invoke(`${fnArn}:1`),
      version: '1',
    };
    if (special[attr] !== undefined) return special[attr];
  }
  if (attr === 'arn') return mockArn(type, c);
  if (attr.endsWith('_arn')) {
    const target = ARN_ATTRIBUTE_TYPES[attr];
    if (target !== undefined) return mockArn(target, c);
    return `arn:${c.partition}:${serviceOf(type)}:${c.region}:${c.account}:${attr.replace(/_arn$/, '').replace(/_/g, '-')}/mock`;
  }
  if (attr === 'id') {
    if (ID_IS_ARN.has(type)) return mockArn(type, c);
    if (type === 'aws_sqs_queue') return mockValue(kind, type, 'url', c);
    if (type === 'aws_kms_key') return MOCK_UUID;
    return undefined;
  }
  if (type === 'aws_sqs_queue' && attr === 'url') return `https://sqs.${c.region}.amazonaws.com/${c.account}/mock-queue`;
  if (type === 'aws_kms_key' && attr === 'key_id') return MOCK_UUID;
  if (attr === 'owner' || attr === 'owner_id' || attr === 'account_id') return c.account;
  return undefined;
}

export interface Reference {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly attr: string;
}

const REFERENCE = /(?<![\w.-])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])*\.([a-z_][a-z0-9_]*)/g;

/** Every `<type>.<name>[...].<attribute>` and `data.<type>...` the stack's expressions read. */
export function referencedAttributes(stack: Json): Reference[] {
  const seen = new Map<string, Reference>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return;
      for (const m of v.matchAll(REFERENCE)) {
        const ref: Reference = { kind: m[1] !== undefined ? 'data' : 'resource', type: m[2]!, attr: m[4]! };
        seen.set(`${ref.kind} ${ref.type} ${ref.attr}`, ref);
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isObj(v)) Object.values(v).forEach(visit);
  };
  visit(stack);
  return [...seen.values()].sort((a, b) => `${a.kind}${a.type}${a.attr}`.localeCompare(`${b.kind}${b.type}${b.attr}`));
}

/** One `mock_provider "aws"` block (one per provider configuration, aliases included). */
export interface MockProvider {
  readonly alias?: string;
  readonly context: MockContext;
  /** type -> attribute -> value */
  readonly resources: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly data: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** `override_resource` blocks: computed values for one resource (instance) each. @default none */
  readonly overrides?: readonly ResourceOverride[];
}

/**
 * An `override_resource` block inside a mock provider: the values of computed attributes of one
 * resource or resource instance (attributes the configuration sets keep their configured value).
 */
export interface ResourceOverride {
  /** Resource address, such as `aws_lambda_function.router` or `aws_s3_object.x["k"]`. */
  readonly target: string;
  readonly values: Readonly<Record<string, string>>;
}

/** The aws provider configurations of a stack, each with the region and account the mocks use. */
export function providerContexts(stack: Json): { alias?: string; context: MockContext }[] {
  const raw = isObj(stack.provider) ? stack.provider.aws : undefined;
  const list = Array.isArray(raw) ? raw : isObj(raw) ? [raw] : [{}];
  return list.map((p) => {
    const cfg = isObj(p) ? p : {};
    const region = typeof cfg.region === 'string' && !cfg.region.includes('${') ? cfg.region : 'us-east-1';
    const allowed = Array.isArray(cfg.allowed_account_ids) ? cfg.allowed_account_ids : [];
    const account = typeof allowed[0] === 'string' && /^\d{12}$/.test(allowed[0]) ? allowed[0] : MOCK_ACCOUNT_ID;
    const context: MockContext = { region, account, partition: partitionOf(region) };
    return typeof cfg.alias === 'string' ? { alias: cfg.alias, context } : { context };
  });
}

/**
 * Mock providers for a stack: for every attribute its expressions read (and every attribute of the
 * caller identity, partition and region data sources it declares), a well-formed value where
 * the attribute is an ARN, an id that is an ARN or URL, or account/partition/region data.
 * Attributes the configuration sets keep their configured value (mock defaults only fill computed ones).
 */
export function mockProvidersFor(stack: Json): MockProvider[] {
  const refs = referencedAttributes(stack);
  const declaredData = isObj(stack.data) ? Object.keys(stack.data) : [];
  const alwaysData: Record<string, string[]> = {
    aws_caller_identity: ['account_id', 'arn', 'user_id', 'id'],
    aws_partition: ['partition', 'dns_suffix', 'reverse_dns_prefix', 'id'],
    aws_region: ['name', 'region', 'id', 'endpoint', 'description'],
  };
  return providerContexts(stack).map(({ alias, context }) => {
    const resources: Record<string, Record<string, string>> = {};
    const data: Record<string, Record<string, string>> = {};
    const add = (kind: 'resource' | 'data', type: string, attr: string): void => {
      const value = mockValue(kind, type, attr, context);
      if (value === undefined) return;
      const into = kind === 'data' ? data : resources;
      (into[type] ??= {})[attr] = value;
    };
    for (const type of declaredData) for (const attr of alwaysData[type] ?? []) add('data', type, attr);
    for (const r of refs) add(r.kind, r.type, r.attr);
    return { ...(alias !== undefined ? { alias } : {}), context, resources, data };
  });
}

function renderDefaults(block: 'mock_resource' | 'mock_data', byType: Readonly<Record<string, Readonly<Record<string, string>>>>): string[] {
  const out: string[] = [];
  for (const type of Object.keys(byType).sort()) {
    const attrs = byType[type]!;
    const names = Object.keys(attrs).sort();
    if (names.length === 0) continue;
    out.push(`  ${block} ${hclString(type)} {`, '    defaults = {');
    for (const n of names) out.push(`      ${n} = ${hclString(attrs[n]!)}`);
    out.push('    }', '  }');
  }
  return out;
}

/**
 * The generated `terraform test` file: the mock providers, then one run per command in order
 * (`command = plan`, `command = apply`). Runs share state, as `terraform test` does.
 */
export function renderMockTest(providers: readonly MockProvider[], runs: readonly ('plan' | 'apply')[]): string {
  const lines = [
    '# Generated by scripts/terraform-check.ts: mock plan and apply of this stack, offline.',
    '# https://developer.hashicorp.com/terraform/language/tests/mocking',
    '',
  ];
  for (const p of providers) {
    lines.push('mock_provider "aws" {');
    if (p.alias !== undefined) lines.push(`  alias = ${hclString(p.alias)}`);
    lines.push(...renderDefaults('mock_resource', p.resources), ...renderDefaults('mock_data', p.data));
    for (const o of p.overrides ?? []) {
      lines.push('  override_resource {', `    target = ${o.target}`, '    values = {');
      for (const n of Object.keys(o.values).sort()) lines.push(`      ${n} = ${hclString(o.values[n]!)}`);
      lines.push('    }', '  }');
    }
    lines.push('}', '');
  }
  for (const r of runs) lines.push(`run ${hclString(r)} {`, `  command = ${r}`, '}', '');
  return lines.join('\n');
}

interface RawDiagnostic {
  severity?: string;
  summary?: string;
  detail?: string;
  address?: string;
  range?: { filename?: string; start?: { line?: number; column?: number } };
  snippet?: { context?: string | null; code?: string };
}

/** A Terraform `-json` diagnostic as a `Diagnostic`. */
export function toDiagnostic(raw: RawDiagnostic): Diagnostic {
  const context = raw.snippet?.context ?? undefined;
  const fromContext =
    context !== undefined && /^(resource|data)\./.test(context)
      ? context.replace(/^resource\./, '')
      : context !== undefined && /^(output|module|locals|provider)\b/.test(context)
        ? context
        : undefined;
  const address = raw.address ?? fromContext;
  const code = raw.snippet?.code?.trim();
  return {
    severity: raw.severity === 'warning' ? 'warning' : 'error',
    summary: raw.summary ?? '(no summary)',
    ...(raw.detail ? { detail: raw.detail } : {}),
    ...(raw.range?.filename !== undefined ? { file: raw.range.filename } : {}),
    ...(raw.range?.start?.line !== undefined ? { line: raw.range.start.line } : {}),
    ...(raw.range?.start?.column !== undefined ? { column: raw.range.start.column } : {}),
    ...(address !== undefined && address !== '' ? { address } : {}),
    ...(code !== undefined && code !== '' ? { code } : {}),
  };
}

/**
 * Diagnostics from Terraform's human-readable output (for commands without `-json`, such as
 * `init` in 1.11): each `Error:` / `Warning:` block, its first line as the summary.
 */
export function parseTextDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Strip the box-drawing gutter (│ ╷ ╵) that terraform adds when stderr is a terminal.
  const lines = text.split('\n').map((l) => l.replace(/^[│╷╵]\s?/, ''));
  for (let i = 0; i < lines.length; i++) {
    const m = /^(Error|Warning): (.*)$/.exec(lines[i]!.trim());
    if (!m) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^(Error|Warning): |^Terraform has been successfully initialized/.test(lines[j]!.trim())) body.push(lines[j++]!);
    const detail = body.join('\n').trim();
    out.push({ severity: m[1] === 'Warning' ? 'warning' : 'error', summary: m[2]!.trim(), ...(detail ? { detail } : {}) });
    i = j - 1;
  }
  return out;
}

function dedupeDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = [d.severity, d.summary, d.detail, d.address, d.file, d.line, d.column].join('\0');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A diagnostic as indented, readable text (several lines). */
export function formatDiagnostic(d: Diagnostic, indent = '  '): string {
  const lines = [`${indent}${d.severity}: ${d.summary}`];
  if (d.address !== undefined) lines.push(`${indent}  address: ${d.address}`);
  if (d.file !== undefined) {
    const where = `${d.file}${d.line !== undefined ? `:${d.line}` : ''}${d.column !== undefined ? `:${d.column}` : ''}`;
    lines.push(`${indent}  at: ${where}${d.code !== undefined ? `   ${shorten(d.code, 160)}` : ''}`);
  }
  if (d.detail !== undefined) {
    for (const l of d.detail.trim().split('\n')) lines.push(`${indent}  ${l.length > 0 ? `| ${l}` : '|'}`);
  }
  return lines.join('\n');
}

/** A phase result as text: one header line, then its diagnostics (or the output tail). */
export function formatPhase(r: PhaseResult): string {
  const status = r.skipped ? 'SKIPPED' : r.ok ? 'ok' : 'FAILED';
  const lines = [`${r.stack} ${r.phase}: ${status} (${r.seconds.toFixed(1)} s)`];
  for (const d of r.diagnostics) lines.push(formatDiagnostic(d));
  if (r.diagnostics.length === 0 && r.output !== undefined && !r.ok) {
    lines.push('  output (last lines):', ...r.output.split('\n').map((l) => `  | ${l}`));
  }
  return lines.join('\n');
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

interface TestEvents {
  readonly runs: Map<string, { status?: string; start?: number; end?: number }>;
  readonly diagnostics: Map<string, Diagnostic[]>;
  /** Diagnostics not tied to a run (the test file itself). */
  readonly fileDiagnostics: Diagnostic[];
}

/** Reads `terraform test -json` output: per run, its status, its time span and its diagnostics. */
export function parseTestEvents(stdout: string): TestEvents {
  const runs = new Map<string, { status?: string; start?: number; end?: number }>();
  const diagnostics = new Map<string, Diagnostic[]>();
  const fileDiagnostics: Diagnostic[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let ev: Json;
    try {
      ev = JSON.parse(line) as Json;
    } catch {
      continue;
    }
    const at = typeof ev['@timestamp'] === 'string' ? Date.parse(ev['@timestamp']) : undefined;
    const runName = typeof ev['@testrun'] === 'string' ? ev['@testrun'] : undefined;
    if (ev.type === 'test_run' && isObj(ev.test_run) && typeof ev.test_run.run === 'string') {
      const r = runs.get(ev.test_run.run) ?? {};
      if (ev.test_run.progress === 'starting' && r.start === undefined) r.start = at;
      if (ev.test_run.progress === 'complete') {
        r.end = at;
        if (typeof ev.test_run.status === 'string') r.status = ev.test_run.status;
      }
      runs.set(ev.test_run.run, r);
    } else if (ev.type === 'diagnostic' && isObj(ev.diagnostic)) {
      const d = toDiagnostic(ev.diagnostic as RawDiagnostic);
      if (runName !== undefined) diagnostics.set(runName, [...(diagnostics.get(runName) ?? []), d]);
      else fileDiagnostics.push(d);
    }
  }
  return { runs, diagnostics, fileDiagnostics };
}

/**
 * The plan and state that `terraform test -json -verbose` prints for each run (`test_plan` after a
 * plan run, `test_state` after an apply run), by run name, without the provider schemas each of
 * them repeats (about 13 MB for hashicorp/aws).
 */
export function parseVerboseOutputs(stdout: string): Map<string, MockRunOutput> {
  const out = new Map<string, MockRunOutput>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"-verbose flag enabled')) continue;
    let ev: Json;
    try {
      ev = JSON.parse(line) as Json;
    } catch {
      continue;
    }
    const run = typeof ev['@testrun'] === 'string' ? ev['@testrun'] : undefined;
    if (run === undefined) continue;
    const kind = ev.type === 'test_plan' ? 'plan' : ev.type === 'test_state' ? 'state' : undefined;
    const body = kind !== undefined ? ev[`test_${kind}`] : undefined;
    if (kind === undefined || !isObj(body)) continue;
    const rest: Json = { ...body };
    delete rest.provider_schemas;
    out.set(run, { ...out.get(run), [kind]: rest });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running terraform
// ---------------------------------------------------------------------------------------------

interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly timedOut: boolean;
  readonly spawnError?: string;
}

function runCommand(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutSeconds: number },
): Promise<CommandResult> {
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    }, opts.timeoutSeconds * 1000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ code: null, stdout: '', stderr: '', seconds: seconds(), timedOut, spawnError: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: seconds(),
        timedOut,
      });
    });
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Warnings every scratch copy gets by design: with `-plugin-dir`, the lock file only holds this
 * platform's checksums. The copy is thrown away, so this says nothing about the stack.
 */
const EXPECTED_INIT_WARNINGS = new Set(['Incomplete lock file information for providers']);

/** Diagnostics in a command's `-json` event stream (`"type":"diagnostic"` lines). */
export function parseJsonDiagnostics(stdout: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const ev = JSON.parse(line) as Json;
      if (ev.type === 'diagnostic' && isObj(ev.diagnostic)) out.push(toDiagnostic(ev.diagnostic as RawDiagnostic));
    } catch {
      // not an event line
    }
  }
  return out;
}

/** Diagnostics of a command, from its JSON events, else from its text. */
function commandDiagnostics(r: CommandResult): Diagnostic[] {
  const fromJson = parseJsonDiagnostics(r.stdout);
  return fromJson.length > 0 ? fromJson : parseTextDiagnostics(`${r.stderr}\n${r.stdout}`);
}

/** Why a command failed, as diagnostics: parsed ones, else a synthetic one naming the exit code. */
function failureDiagnostics(r: CommandResult, what: string, timeoutSeconds: number): Diagnostic[] {
  if (r.spawnError !== undefined) return [{ severity: 'error', summary: `cannot run ${what}: ${r.spawnError}` }];
  if (r.timedOut) return [{ severity: 'error', summary: `${what} did not finish within ${timeoutSeconds} s and was stopped` }];
  const parsed = commandDiagnostics(r).filter((d) => d.severity === 'error');
  return parsed.length > 0 ? parsed : [{ severity: 'error', summary: `${what} exited with code ${String(r.code)}` }];
}

export interface CheckerOptions {
  /** The terraform binary. @default the first `terraform` on PATH */
  readonly terraform?: string;
  /** Where the provider comes from. @default $TRACKING_TF_PROVIDER_SOURCE, else "auto" */
  readonly providerSource?: ProviderSourceMode;
  /** Mirror root to use. @default $TRACKING_TF_PLUGIN_DIR, the usual places, then a search of / (depth 7) */
  readonly pluginDir?: string;
  /** Parent of the scratch copies; never inside a cdktf.out folder. @default a new folder under the OS temp dir */
  readonly scratchRoot?: string;
  /** Keep the scratch copies after dispose(). @default false */
  readonly keep?: boolean;
  /** Stacks checked at once. @default 2 */
  readonly concurrency?: number;
  /** Upper bound of one terraform command, in seconds. @default 1800 */
  readonly timeoutSeconds?: number;
  /** Environment of the terraform commands (TF_* variables that change behaviour are overridden). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Called as each stack finishes. */
  readonly onStack?: (r: StackResult) => void;
  /**
   * Keep what the mock runs evaluated: `terraform test` runs with `-verbose`, and each StackResult
   * carries the plan and the applied state (`mockOutput`). @default off
   */
  readonly mockState?: MockStateOptions;
}

/** How the mock runs are set up when their plan and state are kept (`CheckerOptions.mockState`). */
export interface MockStateOptions {
  /** Changes the mock providers of a stack before the test file is written (for example to add `override_resource` blocks). */
  readonly providers?: (stack: Json, providers: readonly MockProvider[]) => MockProvider[];
  /** Skip `terraform validate` (its phase is then absent from the result). @default false */
  readonly skipValidate?: boolean;
  /**
   * Run the mock apply only, without the plan run before it (about a fifth less terraform CPU
   * time; the local runtime needs the applied state only). The plan's `after_unknown` is then
   * absent from `mockOutput`. @default false
   */
  readonly applyOnly?: boolean;
}

/** Wall times of one mock plan (and apply) of a stack, for benchmarks. */
export interface MockPlanTiming {
  readonly stack: string;
  readonly ok: boolean;
  readonly initSeconds: number;
  /** Wall time of `terraform test` (plan, and apply when asked): the figure to compare. */
  readonly wallSeconds: number;
  /** Time of the plan run alone (from terraform's event timestamps). */
  readonly planSeconds?: number;
  readonly applySeconds?: number;
  readonly diagnostics: readonly Diagnostic[];
  readonly provider: ProviderSetup;
}

/**
 * Runs the checks. Create one with `TerraformChecker.create()` (fails with TerraformNotFoundError
 * when there is no terraform), use it for any number of stacks, then `dispose()`.
 */
export class TerraformChecker {
  public readonly terraform: string;
  public readonly terraformVersion: string;
  public readonly scratchRoot: string;
  private readonly opts: CheckerOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly providers = new Map<string, Promise<ProviderSetup>>();
  private readonly ownsScratch: boolean;
  private counter = 0;

  private constructor(terraform: string, version: string, scratchRoot: string, ownsScratch: boolean, opts: CheckerOptions) {
    this.terraform = terraform;
    this.terraformVersion = version;
    this.scratchRoot = scratchRoot;
    this.ownsScratch = ownsScratch;
    this.opts = opts;
    const cliConfig = path.join(scratchRoot, 'terraformrc.empty');
    writeFileSync(cliConfig, '');
    const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
    // Options that would change what these commands do, or share state between stacks.
    for (const k of Object.keys(env)) if (k.startsWith('TF_CLI_ARGS')) delete env[k];
    delete env.TF_DATA_DIR;
    delete env.TF_WORKSPACE;
    // An explicitly configured CLI file that exists is kept (it may hold a corporate registry
    // mirror); otherwise an empty one (this image points TF_CLI_CONFIG_FILE at a missing file).
    if (env.TF_CLI_CONFIG_FILE === undefined || env.TF_CLI_CONFIG_FILE === '' || !existsSync(env.TF_CLI_CONFIG_FILE)) {
      env.TF_CLI_CONFIG_FILE = cliConfig;
    }
    env.CHECKPOINT_DISABLE = '1';
    env.TF_IN_AUTOMATION = '1';
    env.TF_INPUT = '0';
    this.env = env;
  }

  public static async create(opts: CheckerOptions = {}): Promise<TerraformChecker> {
    const env = opts.env ?? process.env;
    const terraform = opts.terraform ?? findTerraform(env);
    if (terraform === undefined) throw new TerraformNotFoundError(terraformMissingMessage());
    const v = spawnSync(terraform, ['version', '-json'], {
      encoding: 'utf8',
      env: { ...env, CHECKPOINT_DISABLE: '1' },
      timeout: 60_000,
    });
    if (v.error !== undefined || v.status !== 0) {
      throw new TerraformNotFoundError(
        `terraform-check: ${terraform} does not run (${v.error?.message ?? `exit code ${String(v.status)}: ${tail(v.stderr ?? '', 5)}`}).\n${terraformMissingMessage()}`,
      );
    }
    let version = '';
    try {
      version = String((JSON.parse(v.stdout) as Json).terraform_version ?? '');
    } catch {
      version = /Terraform v(\S+)/.exec(v.stdout)?.[1] ?? '';
    }
    if (version === '' || compareVersions(version, MIN_TERRAFORM_VERSION) < 0) {
      throw new TerraformNotFoundError(
        `terraform-check: ${terraform} is Terraform ${version || '(unknown version)'}; the checks need ${MIN_TERRAFORM_VERSION} or later ` +
          `(\`terraform test\` with mock_provider).\n${terraformMissingMessage()}`,
      );
    }
    let scratchRoot: string;
    let owns = false;
    if (opts.scratchRoot !== undefined) {
      scratchRoot = path.resolve(opts.scratchRoot);
      mkdirSync(scratchRoot, { recursive: true });
    } else {
      scratchRoot = mkdtempSync(path.join(tmpdir(), 'tracking-tf-check-'));
      owns = true;
    }
    if (realpathSync(scratchRoot).split(path.sep).includes('cdktf.out')) {
      throw new TerraformCheckError(`terraform-check: the scratch folder ${scratchRoot} is inside a cdktf.out folder; choose another (synth deletes and rewrites cdktf.out)`);
    }
    return new TerraformChecker(terraform, version, scratchRoot, owns, opts);
  }

  private get timeoutSeconds(): number {
    return this.opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  }

  private tf(args: readonly string[], cwd: string): Promise<CommandResult> {
    return runCommand(this.terraform, args, { cwd, env: this.env, timeoutSeconds: this.timeoutSeconds });
  }

  /** The provider for stacks that pin `pinned` (resolved once per pinned version). */
  public provider(pinned: string): Promise<ProviderSetup> {
    let p = this.providers.get(pinned);
    if (p === undefined) {
      p = this.resolveProvider(pinned);
      this.providers.set(pinned, p);
    }
    return p;
  }

  /**
   * auto: a mirror holding the pinned version; else the registry (the pinned version, downloaded
   * once per run into the scratch folder); else the highest version in a mirror, with the
   * constraint rewritten (version skew); else ProviderUnavailableError.
   */
  private async resolveProvider(pinned: string): Promise<ProviderSetup> {
    const modeRaw = this.opts.providerSource ?? this.env[PROVIDER_SOURCE_ENV] ?? 'auto';
    if (modeRaw !== 'auto' && modeRaw !== 'mirror' && modeRaw !== 'registry') {
      throw new TerraformCheckError(`terraform-check: provider source "${modeRaw}" is not one of auto, mirror, registry (${PROVIDER_SOURCE_ENV} or --provider-source)`);
    }
    const mode: ProviderSourceMode = modeRaw;
    const notes: string[] = [];
    const mirror =
      mode === 'registry'
        ? undefined
        : findProviderMirror({ ...(this.opts.pluginDir !== undefined ? { root: this.opts.pluginDir } : {}), env: this.env });
    const fromMirror = (version: string): ProviderSetup => ({
      source: 'mirror',
      pinned,
      version,
      pluginDir: mirror!.root,
      rewritten: version !== pinned,
      notes,
    });
    if (mirror?.versions.includes(pinned)) return fromMirror(pinned);
    if (mode !== 'mirror') {
      const dir = path.join(this.scratchRoot, `provider-registry-${safeName(pinned)}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'main.tf.json'),
        JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: pinned } } } }, null, 2),
      );
      const r = await this.tf(this.initArgs([]), dir);
      if (r.code === 0) {
        const lock = readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8');
        const version = /provider "registry\.terraform\.io\/hashicorp\/aws"\s*\{\s*version\s*=\s*"([^"]+)"/.exec(lock)?.[1] ?? pinned;
        return { source: 'registry', pinned, version, pluginDir: path.join(dir, '.terraform', 'providers'), rewritten: version !== pinned, notes };
      }
      const why = failureDiagnostics(r, 'terraform init', this.timeoutSeconds)
        .map((d) => `${d.summary}${d.detail ? `: ${d.detail.replace(/\s+/g, ' ')}` : ''}`)
        .join('; ');
      notes.push(`the registry could not supply hashicorp/aws ${pinned} (${shorten(why, 400)})`);
      if (mode === 'registry') {
        throw new ProviderUnavailableError(`terraform-check: cannot download hashicorp/aws ${pinned} from the registry: ${why}`);
      }
    }
    if (mirror !== undefined && mirror.versions[0] !== undefined) return fromMirror(mirror.versions[0]);
    const searched = this.opts.pluginDir !== undefined ? [this.opts.pluginDir] : [...mirrorCandidates(this.env), '/ (to depth 7)'];
    throw new ProviderUnavailableError(
      [
        `terraform-check: no hashicorp/aws provider for ${terraformPlatform()}.`,
        ...notes.map((n) => `  - ${n}`),
        `  - no filesystem mirror holding it in: ${searched.join(', ')}`,
        `Give the checks network access to registry.terraform.io, or a mirror (terraform providers mirror <dir>) in ${PLUGIN_DIR_ENV}.`,
      ].join('\n'),
    );
  }

  /** A fresh scratch copy of a stack folder, with the prepared cdk.tf.json. */
  private copyStack(stack: StackInput, json: Json, providerVersion: string): { dir: string; changes: readonly string[] } {
    const src = path.resolve(stack.dir);
    const dir = path.join(this.scratchRoot, `${String(++this.counter).padStart(3, '0')}-${safeName(stack.label ?? 'stacks')}-${safeName(stack.id)}`);
    const rel = path.relative(src, dir);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new TerraformCheckError(`terraform-check: the scratch copy ${dir} would be inside the stack folder ${src}`);
    }
    const excluded = /^(\.terraform|\.terraform\.lock\.hcl|.*\.tfstate(\.backup)?|.*\.tfplan|tests)$/;
    cpSync(src, dir, {
      recursive: true,
      filter: (from) => {
        const r = path.relative(src, from);
        return r === '' || !excluded.test(r.split(path.sep)[0]!);
      },
    });
    const prepared = prepareStackJson(json, providerVersion);
    writeFileSync(path.join(dir, 'cdk.tf.json'), serializeStack(prepared.json));
    return { dir, changes: prepared.changes };
  }

  /** `terraform init` arguments: `-json` where supported (1.9 and later). */
  private initArgs(extra: readonly string[]): string[] {
    const json = compareVersions(this.terraformVersion, '1.9.0') >= 0 ? ['-json'] : ['-no-color'];
    return ['init', '-backend=false', '-input=false', ...json, ...extra];
  }

  private async init(stackName: string, dir: string, provider: ProviderSetup): Promise<PhaseResult> {
    const r = await this.tf(this.initArgs([`-plugin-dir=${provider.pluginDir}`]), dir);
    const ok = r.code === 0 && !r.timedOut;
    const diagnostics = dedupeDiagnostics(commandDiagnostics(r)).filter((d) => !EXPECTED_INIT_WARNINGS.has(d.summary));
    return {
      stack: stackName,
      phase: 'init',
      ok,
      skipped: false,
      seconds: r.seconds,
      diagnostics: ok || diagnostics.some((d) => d.severity === 'error') ? diagnostics : [...diagnostics, ...failureDiagnostics(r, 'terraform init', this.timeoutSeconds)],
      ...(ok ? {} : { output: tail(r.stderr || r.stdout) }),
    };
  }

  private async validate(stackName: string, dir: string): Promise<PhaseResult> {
    const r = await this.tf(['validate', '-json', '-no-color'], dir);
    let parsed: { valid?: boolean; diagnostics?: RawDiagnostic[] } | undefined;
    try {
      parsed = JSON.parse(r.stdout) as { valid?: boolean; diagnostics?: RawDiagnostic[] };
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || r.timedOut) {
      return {
        stack: stackName,
        phase: 'validate',
        ok: false,
        skipped: false,
        seconds: r.seconds,
        diagnostics: failureDiagnostics(r, 'terraform validate', this.timeoutSeconds),
        output: tail(r.stderr || r.stdout),
      };
    }
    const diagnostics = dedupeDiagnostics((parsed.diagnostics ?? []).map(toDiagnostic));
    return { stack: stackName, phase: 'validate', ok: parsed.valid === true && r.code === 0, skipped: false, seconds: r.seconds, diagnostics };
  }

  /** `terraform test` with the generated mock test file; one PhaseResult per run. */
  private async mockTest(
    stackName: string,
    dir: string,
    json: Json,
    runs: readonly ('plan' | 'apply')[],
  ): Promise<{ phases: PhaseResult[]; wallSeconds: number; changes: string[]; output?: MockRunOutput }> {
    const file = path.join(dir, 'cdk.tf.json');
    const stripped = withoutImportBlocks(readFileSync(file, 'utf8'));
    const changes: string[] = [];
    if (stripped.removed > 0) {
      writeFileSync(file, stripped.text);
      changes.push(
        `removed ${stripped.removed} import block(s) for the mock plan and apply only (their targets were checked against the ` +
          "stack's resources): mock providers cannot import, so the imported resources are planned as new",
      );
    }
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    const state = this.opts.mockState;
    const base = mockProvidersFor(json);
    const providers = state?.providers !== undefined ? state.providers(json, base) : base;
    writeFileSync(path.join(dir, MOCK_TEST_FILE), renderMockTest(providers, runs));
    const r = await this.tf(['test', '-json', '-no-color', ...(state !== undefined ? ['-verbose'] : [])], dir);
    const ev = parseTestEvents(r.stdout);
    const phases = runs.map((name, i): PhaseResult => {
      const run = ev.runs.get(name);
      const seconds = run?.start !== undefined && run.end !== undefined ? (run.end - run.start) / 1000 : 0;
      let diagnostics = dedupeDiagnostics(ev.diagnostics.get(name) ?? []);
      let ok = run?.status === 'pass';
      const skipped = run?.status === 'skip';
      if (i === 0 && ev.fileDiagnostics.length > 0) {
        diagnostics = dedupeDiagnostics([...ev.fileDiagnostics, ...diagnostics]);
        if (ev.fileDiagnostics.some((d) => d.severity === 'error')) ok = false;
      }
      if (run === undefined || run.status === undefined) {
        ok = false;
        if (diagnostics.length === 0) diagnostics = failureDiagnostics(r, 'terraform test', this.timeoutSeconds);
      }
      // A non-zero exit with every run passing (for example a failed teardown) fails the last run.
      if (i === runs.length - 1 && ok && r.code !== 0) {
        ok = false;
        diagnostics = [...diagnostics, ...failureDiagnostics(r, 'terraform test', this.timeoutSeconds)];
      }
      return {
        stack: stackName,
        phase: name,
        ok,
        skipped,
        seconds,
        diagnostics,
        ...(ok ? {} : { output: tail(r.stderr || r.stdout) }),
      };
    });
    if (state === undefined) return { phases, wallSeconds: r.seconds, changes };
    const verbose = parseVerboseOutputs(r.stdout);
    const output: MockRunOutput = { ...verbose.get('plan'), ...(verbose.get('apply')?.state !== undefined ? { state: verbose.get('apply')!.state } : {}) };
    return { phases, wallSeconds: r.seconds, changes, ...(output.plan !== undefined || output.state !== undefined ? { output } : {}) };
  }

  /** init, validate, mock plan and mock apply of one stack. Never throws for a failing stack. */
  public async checkStack(stack: StackInput): Promise<StackResult> {
    const label = stack.label ?? 'stacks';
    const name = `${label}/${stack.id}`;
    const skippedFrom = (from: number, why: string): PhaseResult[] =>
      PHASES.slice(from).map((phase) => ({ stack: name, phase, ok: false, skipped: true, seconds: 0, diagnostics: [], output: why }));
    const base = { stack: name, label, id: stack.id, dir: stack.dir };
    /** The stack cannot even be initialized: init fails with this error, every later phase is skipped. */
    const initFailed = (summary: string): StackResult => {
      const init: PhaseResult = { stack: name, phase: 'init', ok: false, skipped: false, seconds: 0, diagnostics: [{ severity: 'error', summary }] };
      return { ...base, scratchDir: '', changes: [], phases: [init, ...skippedFrom(1, 'not run: init failed')], ok: false };
    };
    let json: Json;
    try {
      json = JSON.parse(readFileSync(path.join(stack.dir, 'cdk.tf.json'), 'utf8')) as Json;
    } catch (err) {
      return initFailed(`cannot read ${path.join(stack.dir, 'cdk.tf.json')}: ${(err as Error).message}`);
    }
    const pinned = pinnedAwsVersion(json);
    if (pinned === undefined) return initFailed('the stack pins no aws provider version (terraform.required_providers.aws.version)');
    const provider = await this.provider(pinned);
    const copied = this.copyStack(stack, json, provider.version);
    const dir = copied.dir;
    const changes = [...copied.changes];
    const prepared = JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as Json;
    const phases: PhaseResult[] = [];
    const init = await this.init(name, dir, provider);
    phases.push(init);
    if (!init.ok) phases.push(...skippedFrom(1, 'not run: init failed'));
    let mockOutput: MockRunOutput | undefined;
    if (init.ok) {
      const imports = importProblems(prepared);
      let validate: PhaseResult | undefined;
      if (this.opts.mockState?.skipValidate !== true) {
        const checked = await this.validate(name, dir);
        validate = imports.length === 0 ? checked : { ...checked, ok: false, diagnostics: [...checked.diagnostics, ...imports] };
      } else if (imports.length > 0) {
        // `terraform validate` skipped on request; the import targets are still checked.
        validate = { stack: name, phase: 'validate', ok: false, skipped: false, seconds: 0, diagnostics: imports };
      }
      if (validate !== undefined) phases.push(validate);
      if (validate !== undefined && !validate.ok) phases.push(...skippedFrom(2, 'not run: validate failed'));
      else {
        const test = await this.mockTest(name, dir, prepared, this.opts.mockState?.applyOnly === true ? ['apply'] : ['plan', 'apply']);
        phases.push(...test.phases);
        changes.push(...test.changes);
        mockOutput = test.output;
      }
    }
    const result: StackResult = {
      ...base,
      scratchDir: dir,
      provider,
      changes,
      phases,
      ok: phases.every((p) => p.ok),
      ...(mockOutput !== undefined ? { mockOutput } : {}),
    };
    if (!this.opts.keep) rmSync(dir, { recursive: true, force: true });
    return result;
  }

  /** Checks stacks, `concurrency` at a time (default 2), in input order. */
  public async checkStacks(stacks: readonly StackInput[]): Promise<StackResult[]> {
    const results: StackResult[] = new Array<StackResult>(stacks.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < stacks.length) {
        const i = next++;
        const r = await this.checkStack(stacks[i]!);
        results[i] = r;
        this.opts.onStack?.(r);
      }
    };
    const n = Math.max(1, Math.min(this.opts.concurrency ?? DEFAULT_CONCURRENCY, stacks.length));
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  /**
   * Mock plan (and apply, when asked) of one stack folder, with wall times: for the plan-scope
   * benchmark. Runs init first (not counted in wallSeconds) and skips validate.
   */
  public async mockPlan(stackDir: string, opts: { readonly apply?: boolean; readonly label?: string } = {}): Promise<MockPlanTiming> {
    const id = path.basename(path.resolve(stackDir));
    const name = `${opts.label ?? 'bench'}/${id}`;
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as Json;
    const pinned = pinnedAwsVersion(json);
    if (pinned === undefined) throw new TerraformCheckError(`terraform-check: ${stackDir}/cdk.tf.json pins no aws provider version`);
    const provider = await this.provider(pinned);
    const { dir } = this.copyStack({ id, dir: stackDir, label: opts.label ?? 'bench' }, json, provider.version);
    try {
      const init = await this.init(name, dir, provider);
      if (!init.ok) return { stack: name, ok: false, initSeconds: init.seconds, wallSeconds: 0, diagnostics: init.diagnostics, provider };
      const prepared = JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as Json;
      const { phases, wallSeconds } = await this.mockTest(name, dir, prepared, opts.apply ? ['plan', 'apply'] : ['plan']);
      const plan = phases.find((p) => p.phase === 'plan');
      const apply = phases.find((p) => p.phase === 'apply');
      return {
        stack: name,
        ok: phases.every((p) => p.ok),
        initSeconds: init.seconds,
        wallSeconds,
        ...(plan ? { planSeconds: plan.seconds } : {}),
        ...(apply ? { applySeconds: apply.seconds } : {}),
        diagnostics: phases.flatMap((p) => p.diagnostics),
        provider,
      };
    } finally {
      if (!this.opts.keep) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Removes the scratch folder (unless keep, or it was given by the caller). */
  public dispose(): void {
    if (this.opts.keep) return;
    if (this.ownsScratch) rmSync(this.scratchRoot, { recursive: true, force: true });
    else {
      for (const e of readdirSync(this.scratchRoot)) {
        if (/^(provider-registry-|\d+-)|^terraformrc\.empty$/.test(e)) rmSync(path.join(this.scratchRoot, e), { recursive: true, force: true });
      }
    }
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Convenience: checks stacks with a checker of its own (created, then disposed). */
export async function checkStacks(
  stacks: readonly StackInput[],
  opts: CheckerOptions = {},
): Promise<{ terraform: string; terraformVersion: string; results: StackResult[] }> {
  const checker = await TerraformChecker.create(opts);
  try {
    return { terraform: checker.terraform, terraformVersion: checker.terraformVersion, results: await checker.checkStacks(stacks) };
  } finally {
    checker.dispose();
  }
}

/**
 * For the plan-scope benchmark (issue #11): mock plan (and apply with `apply: true`) of one
 * synthesized stack folder, returning wall times. Pass `checker` to reuse one across calls (the
 * provider is resolved once per checker).
 */
export async function mockPlanStack(
  stackDir: string,
  opts: CheckerOptions & { readonly apply?: boolean; readonly checker?: TerraformChecker } = {},
): Promise<MockPlanTiming> {
  const checker = opts.checker ?? (await TerraformChecker.create(opts));
  try {
    return await checker.mockPlan(stackDir, { ...(opts.apply !== undefined ? { apply: opts.apply } : {}) });
  } finally {
    if (opts.checker === undefined) checker.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Synthesized stacks
// ---------------------------------------------------------------------------------------------

/** Every `<outdir>/stacks/<id>/cdk.tf.json`, by id. */
export function findStacks(outdir: string, label?: string): StackInput[] {
  const root = path.join(outdir, 'stacks');
  let ids: string[];
  try {
    ids = readdirSync(root).filter((id) => existsSync(path.join(root, id, 'cdk.tf.json')));
  } catch {
    return [];
  }
  return ids.sort().map((id) => ({ id, dir: path.join(root, id), ...(label !== undefined ? { label } : {}) }));
}

export interface SynthResult {
  readonly config: string;
  readonly outdir: string;
  readonly stacks: readonly StackInput[];
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/**
 * Synthesizes a config with the compiled app (`node dist/main.js`, built by scripts/build.mjs)
 * into `outdir`. Throws SynthFailedError with the app's output when it fails.
 */
export function synthConfig(opts: {
  readonly root: string;
  readonly config: string;
  readonly outdir: string;
  readonly label?: string;
  readonly env?: NodeJS.ProcessEnv;
}): SynthResult {
  const app = path.join(opts.root, 'dist', 'main.js');
  if (!existsSync(app)) throw new SynthFailedError(`terraform-check: ${app} does not exist; build first (node scripts/build.mjs)`);
  const config = path.resolve(opts.root, opts.config);
  const outdir = path.resolve(opts.outdir);
  mkdirSync(path.dirname(outdir), { recursive: true });
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [app], {
    cwd: opts.root,
    env: { ...(opts.env ?? process.env), TRACKING_CONFIG: config, CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error !== undefined || r.status !== 0) {
    throw new SynthFailedError(
      `terraform-check: synth of ${opts.config} failed (${r.error?.message ?? `exit code ${String(r.status)}`}):\n${tail(`${r.stderr ?? ''}\n${r.stdout ?? ''}`, 60)}`,
    );
  }
  const stacks = findStacks(outdir, opts.label);
  if (stacks.length === 0) throw new SynthFailedError(`terraform-check: synth of ${opts.config} wrote no stack under ${outdir}/stacks`);
  return { config: opts.config, outdir, stacks, stdout: r.stdout, stderr: r.stderr, seconds };
}
