/**
 * `npm run validate` (node scripts/build.mjs && node dist/scripts/validate.js): checks the
 * synthesized Terraform with real Terraform, offline. For the example config and the every-option
 * fixture (or the configs given), it synthesizes into a temporary folder, then runs on a scratch
 * copy of every stack: `terraform init -backend=false`, `terraform validate`, and `terraform test`
 * with a mock AWS provider (a plan run, then an apply run). Then the AWS rules check reads what the
 * mock apply evaluated and reports what AWS, S3, Athena and Lambda would refuse or break at apply
 * time or run time (scripts/aws-rules/). See docs/terraform-check.md and docs/aws-rules.md.
 *
 * Usage: node dist/scripts/validate.js [options] [config.yaml ...]
 *   (no config)              config/tracking.yaml and __tests__/fixtures/every-option.yaml
 *   --synthesized <dir>      check the stacks already synthesized in <dir> (a cdktf.out folder); repeatable
 *   --rules-only             only the AWS rules check (synth, mock plan and apply, the rules; no terraform validate)
 *   --no-rules               only the Terraform checks (no AWS rules check)
 *   --lambda-filter-quota <n>  Lambda filters per event source mapping in the account: 5 (default) to 10
 *   --min-record-bytes <n>   smallest record producers send to a delivery stream with a Lambda processor (default 13)
 *   --provider-source <s>    auto (default; or $TRACKING_TF_PROVIDER_SOURCE), mirror or registry
 *   --plugin-dir <dir>       provider mirror root (default: $TRACKING_TF_PLUGIN_DIR, the usual places, a search of /)
 *   --concurrency <n>        stacks checked at once (default 2)
 *   --timeout <seconds>      upper bound of one terraform command (default 1800)
 *   --json <file>            also write the results as JSON
 *   --keep                   keep the temporary folder (synthesized stacks, scratch copies)
 *
 * Exit codes: 0 every check passed; 1 a check, an AWS rule or a synth failed; 2 the checks cannot run
 * (no terraform, no provider, bad usage). It never passes without running terraform.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_RULES, checkRules, DEFAULT_RULE_OPTIONS, formatViolation, type RulesReport } from './aws-rules';
import { mockStateOptions } from './aws-rules/state';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_TIMEOUT_SECONDS,
  describeProvider,
  findStacks,
  formatDiagnostic,
  formatPhase,
  PHASES,
  pinnedAwsVersion,
  synthConfig,
  SynthFailedError,
  TerraformCheckError,
  TerraformChecker,
  type PhaseResult,
  type ProviderSourceMode,
  type StackInput,
  type StackResult,
} from './terraform-check';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

/** The configs checked when none is given: the example and the fixture that turns on every option. */
export const DEFAULT_CONFIGS: readonly { readonly label: string; readonly file: string }[] = [
  { label: 'example', file: 'config/tracking.yaml' },
  { label: 'every-option', file: '__tests__/fixtures/every-option.yaml' },
];

const USAGE =
  'usage: node dist/scripts/validate.js [--synthesized <dir>]... [--provider-source auto|mirror|registry] [--plugin-dir <dir>] ' +
  '[--concurrency <n>] [--timeout <seconds>] [--json <file>] [--keep] [--rules-only | --no-rules] [--lambda-filter-quota <5-10>] ' +
  '[--min-record-bytes <n>] [config.yaml ...]';

/** Bad command line. */
export class UsageError extends TerraformCheckError {
  public constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export interface ValidateOptions {
  readonly configs: readonly { readonly label: string; readonly file: string }[];
  readonly synthesized: readonly string[];
  readonly providerSource?: ProviderSourceMode;
  readonly pluginDir?: string;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  readonly json?: string;
  readonly keep: boolean;
  /** Run the AWS rules check. @default true */
  readonly rules: boolean;
  /** Only the AWS rules check: no `terraform validate`. @default false */
  readonly rulesOnly: boolean;
  /** @default 5 */
  readonly lambdaFilterQuota: number;
  /** @default 13 */
  readonly minRecordBytes: number;
}

export function parseArgs(argv: readonly string[], cwd = process.cwd()): ValidateOptions | 'help' {
  const files: string[] = [];
  const synthesized: string[] = [];
  let providerSource: ProviderSourceMode | undefined;
  let pluginDir: string | undefined;
  let concurrency = DEFAULT_CONCURRENCY;
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  let json: string | undefined;
  let keep = false;
  let rules = true;
  let rulesOnly = false;
  let lambdaFilterQuota = DEFAULT_RULE_OPTIONS.lambdaFilterQuota;
  let minRecordBytes = DEFAULT_RULE_OPTIONS.firehoseMinRecordBytes;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${arg} must be a positive integer, got "${v}"`);
      return n;
    };
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--synthesized': synthesized.push(path.resolve(cwd, value())); break;
      case '--provider-source': {
        const v = value();
        if (v !== 'auto' && v !== 'mirror' && v !== 'registry') throw new UsageError(`--provider-source must be auto, mirror or registry, got "${v}"`);
        providerSource = v;
        break;
      }
      case '--plugin-dir': pluginDir = path.resolve(cwd, value()); break;
      case '--concurrency': concurrency = positive(value()); break;
      case '--timeout': timeoutSeconds = positive(value()); break;
      case '--json': json = path.resolve(cwd, value()); break;
      case '--keep': keep = true; break;
      case '--rules-only': rulesOnly = true; break;
      case '--no-rules': rules = false; break;
      case '--lambda-filter-quota': {
        lambdaFilterQuota = positive(value());
        if (lambdaFilterQuota < 5 || lambdaFilterQuota > 10) throw new UsageError(`--lambda-filter-quota must be 5 to 10 (Lambda's default quota is 5, raisable to 10), got ${lambdaFilterQuota}`);
        break;
      }
      case '--min-record-bytes': minRecordBytes = positive(value()); break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        files.push(arg);
    }
  }
  if (rulesOnly && !rules) throw new UsageError('--rules-only and --no-rules contradict each other');
  const configs =
    files.length > 0 || synthesized.length > 0 ? labelled(files) : DEFAULT_CONFIGS.map((c) => ({ ...c }));
  return {
    configs,
    synthesized,
    ...(providerSource !== undefined ? { providerSource } : {}),
    ...(pluginDir !== undefined ? { pluginDir } : {}),
    concurrency,
    timeoutSeconds,
    ...(json !== undefined ? { json } : {}),
    keep,
    rules,
    rulesOnly,
    lambdaFilterQuota,
    minRecordBytes,
  };
}

/** Labels configs by file name, unique. */
function labelled(files: readonly string[]): { label: string; file: string }[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = path.basename(file).replace(/\.ya?ml$/, '') || 'config';
    let label = base;
    for (let n = 2; used.has(label); n++) label = `${base}-${n}`;
    used.add(label);
    return { label, file };
  });
}

/** The project root: the first folder above this file with a package.json (works from scripts/ and dist/scripts/). */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function cell(r: PhaseResult | undefined): string {
  if (r === undefined) return '-';
  if (r.skipped) return 'skipped';
  return `${r.ok ? 'ok' : 'FAILED'} ${r.seconds.toFixed(1)}s`;
}

function row(name: string, cells: readonly string[], width: number): string {
  return `  ${name.padEnd(width)}  ${cells.map((c) => c.padEnd(12)).join(' ')}`.trimEnd();
}

export async function runValidate(o: ValidateOptions, out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const started = process.hrtime.bigint();
  const root = projectRoot();
  const work = mkdtempSync(path.join(tmpdir(), 'tracking-validate-'));
  let checker: TerraformChecker | undefined;
  try {
    checker = await TerraformChecker.create({
      scratchRoot: path.join(work, 'scratch'),
      keep: o.keep,
      concurrency: o.concurrency,
      timeoutSeconds: o.timeoutSeconds,
      ...(o.providerSource !== undefined ? { providerSource: o.providerSource } : {}),
      ...(o.pluginDir !== undefined ? { pluginDir: o.pluginDir } : {}),
      // The rules read what the mock apply evaluated: the same runs, kept with -verbose.
      ...(o.rules ? { mockState: mockStateOptions({ skipValidate: o.rulesOnly }) } : {}),
    });
    out(`terraform-check: Terraform ${checker.terraformVersion} (${checker.terraform})`);

    const stacks: StackInput[] = [];
    let synthFailed = false;
    for (const c of o.configs) {
      try {
        const s = synthConfig({ root, config: c.file, outdir: path.join(work, c.label, 'out'), label: c.label });
        out(`synth: ${c.file} -> ${s.stacks.length} stack(s) (${s.stacks.map((x) => x.id).join(', ')}) in ${s.seconds.toFixed(1)} s`);
        stacks.push(...s.stacks);
      } catch (err) {
        if (!(err instanceof SynthFailedError)) throw err;
        synthFailed = true;
        out(`synth: ${c.file} FAILED\n${err.message}`);
      }
    }
    for (const dir of o.synthesized) {
      const found = findStacks(dir, path.basename(dir));
      if (found.length === 0) {
        synthFailed = true;
        out(`stacks: ${dir} holds no stacks/<id>/cdk.tf.json`);
      } else out(`stacks: ${dir} -> ${found.length} stack(s) (${found.map((x) => x.id).join(', ')})`);
      stacks.push(...found);
    }

    // Resolve the provider before the checks, so its line (and the version skew) comes first.
    const pinnedVersions = new Set<string>();
    for (const s of stacks) {
      try {
        const v = pinnedAwsVersion(JSON.parse(readFileSync(path.join(s.dir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>);
        if (v !== undefined) pinnedVersions.add(v);
      } catch {
        // reported by the check of that stack
      }
    }
    for (const v of pinnedVersions) {
      const p = await checker.provider(v);
      out(`provider: ${describeProvider(p)}`);
      for (const n of p.notes) out(`  note: ${n}`);
    }

    const width = Math.max(5, ...stacks.map((s) => `${s.label ?? 'stacks'}/${s.id}`.length));
    const phases = o.rulesOnly ? PHASES.filter((p) => p !== 'validate') : PHASES;
    out('');
    out(row('stack', phases.map((p) => (p === 'plan' ? 'mock plan' : p === 'apply' ? 'mock apply' : p)), width));
    const results: StackResult[] = await checker.checkStacks(stacks);
    // Rows in input order, after all finished (progress order would interleave with 2 at a time).
    for (const r of results) out(row(r.stack, phases.map((p) => cell(r.phases.find((x) => x.phase === p))), width));

    const changes = new Map<string, string[]>();
    for (const r of results) for (const c of r.changes) changes.set(c, [...(changes.get(c) ?? []), r.stack]);
    if (changes.size > 0) {
      out('');
      out('Changes made to the scratch copies (never to the synthesized folders):');
      for (const [c, where] of changes) out(`  - ${c} (${where.length === results.length ? `all ${where.length} stacks` : where.join(', ')})`);
    }
    const all = results.flatMap((r) => r.phases);
    const failed = all.filter((p) => !p.ok && !p.skipped);
    const warnings = all.filter((p) => p.ok && p.diagnostics.some((d) => d.severity === 'warning'));
    if (warnings.length > 0) {
      out('');
      out('Warnings:');
      for (const p of warnings) {
        out(`${p.stack} ${p.phase}:`);
        for (const d of p.diagnostics) out(formatDiagnostic(d));
      }
    }
    if (failed.length > 0) {
      out('');
      out('Failures:');
      for (const p of failed) out(formatPhase(p));
    }
    let rules: RulesReport | undefined;
    if (o.rules) {
      rules = checkRules(results, { options: { lambdaFilterQuota: o.lambdaFilterQuota, firehoseMinRecordBytes: o.minRecordBytes } });
      out('');
      out(
        `AWS rules (${ALL_RULES.length} rules, docs/aws-rules.md) over what the mock apply evaluated: ` +
          `${rules.violations.length === 0 ? 'no violation' : `${rules.violations.length} violation(s)`}` +
          `${rules.unchecked.length > 0 ? `; not checked (no mock apply state): ${rules.unchecked.join(', ')}` : ''}`,
      );
      for (const v of rules.violations) out(formatViolation(v));
    }
    const skipped = all.filter((p) => p.skipped).length;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const provider = results.find((r) => r.provider)?.provider;
    const skew = provider?.rewritten ? `; checked with hashicorp/aws ${provider.version}, the stacks pin ${provider.pinned}` : '';
    // A stack without a state is a failure of the rules check unless its mock run already failed (reported above).
    const stateless = rules?.unchecked.filter((name) => results.find((r) => r.stack === name)?.ok !== false) ?? [];
    const rulesOk = rules === undefined || (rules.violations.length === 0 && stateless.length === 0);
    const ok = failed.length === 0 && skipped === 0 && !synthFailed && results.length > 0 && rulesOk;
    out('');
    out(
      `Result: ${ok ? 'PASSED' : 'FAILED'}: ${all.length - failed.length - skipped} of ${all.length} checks passed` +
        `${failed.length > 0 ? `, ${failed.length} failed` : ''}${skipped > 0 ? `, ${skipped} not run` : ''}` +
        `${synthFailed ? ', and a synth failed or a --synthesized folder held no stack (see above)' : ''} (${results.length} stacks${skew}) in ${seconds.toFixed(1)} s` +
        `${rules !== undefined ? `; AWS rules: ${rules.violations.length} violation(s)${rules.unchecked.length > 0 ? ` (${rules.unchecked.length} stack(s) not checked: no mock apply state)` : ''}` : ''}`,
    );
    if (o.json !== undefined) {
      mkdirSync(path.dirname(o.json), { recursive: true });
      // The mock plans and states are large; the violations say what the rules found in them.
      const stacksOut = results.map(({ mockOutput: _omit, ...rest }) => rest);
      writeFileSync(
        o.json,
        `${JSON.stringify(
          {
            ok,
            terraform: { path: checker.terraform, version: checker.terraformVersion },
            provider,
            seconds,
            stacks: stacksOut,
            ...(rules !== undefined ? { rules: { violations: rules.violations, unchecked: rules.unchecked } } : {}),
          },
          null,
          2,
        )}\n`,
      );
    }
    if (o.keep) out(`kept ${work}`);
    return ok ? EXIT_OK : EXIT_FAILED;
  } finally {
    checker?.dispose();
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let o: ValidateOptions | 'help';
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return EXIT_CANNOT_RUN;
  }
  if (o === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  try {
    return await runValidate(o);
  } catch (err) {
    if (err instanceof TerraformCheckError) {
      console.error(err.message);
      console.error('Result: FAILED: the Terraform checks did not run.');
      return EXIT_CANNOT_RUN;
    }
    throw err;
  }
}

if (require.main === module) {
  // exitCode, not process.exit(): a piped stdout/stderr is flushed before the process ends.
  void main().then((code) => {
    process.exitCode = code;
  });
}
