/**
 * `npm run review -- --base <git-ref>`: synthesizes the tracking config at a base ref and in the
 * working tree, then prints a Markdown summary of the resource changes per stack, destructive
 * changes first. Exits 2 on a destructive change unless --allow-destroy is given, 1 on an error.
 * Offline: no AWS credentials, no terraform binary.
 *
 * Options:
 *   --base <ref>        git ref to compare against (required)
 *   --repo <dir>        git repository holding the config (default: the current directory)
 *   --config <path>     config file, relative to --repo (default: $TRACKING_CONFIG or config/tracking.yaml)
 *   --config-only       synthesize the base ref's config with the working tree's code, instead of
 *                       exporting the base ref and synthesizing it with its own code
 *   --app <dir>         project whose built synth (dist/main.js) synthesizes the working tree and,
 *                       with --config-only, the base config (default: the current directory)
 *   --allow-destroy     exit 0 even when the change is destructive
 *   --allow-breaking-contracts
 *                       exit 0 even when an event contract changes in a breaking way
 *   --prices <file>     price overrides for the cost change (see npm run cost)
 *   --out <file>        also write the Markdown to this file
 *   --stacks-out <file> write the stacks a plan or apply must cover, dependencies first, as JSON
 *                       `{"stacks": [{"id": "tracking-dev", "environment": "dev"}, ...]}` (the CI
 *                       workflow plans and applies only these, with scripts/terraform-stacks.sh)
 *   --keep              keep the temporary directory (for debugging)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { contractsFromConfigText, eventTypesOf } from '../config/contracts';
import { configPathFromEnv } from '../config/loader';
import { reviewCostSection } from './cost-lib';
import { breakingChanges, classifySchemaChanges, renderSchemaChanges, type SchemaChange } from './schema-compat';
import { diffStacks, readStacks, renderMarkdown, ReviewError, type ReviewResult } from './review-lib';

export interface ReviewOptions {
  readonly base: string;
  readonly repo: string;
  readonly config: string;
  readonly app: string;
  readonly configOnly: boolean;
  readonly allowDestroy: boolean;
  readonly allowBreakingContracts: boolean;
  readonly prices?: string;
  readonly out?: string;
  readonly stacksOut?: string;
  readonly keep: boolean;
}

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_DESTRUCTIVE = 2;

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ReviewOptions {
  let base: string | undefined;
  let repo = cwd;
  let config: string | undefined;
  let app = cwd;
  let configOnly = false;
  let allowDestroy = false;
  let allowBreakingContracts = false;
  let out: string | undefined;
  let stacksOut: string | undefined;
  let prices: string | undefined;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ReviewError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--base': base = value(); break;
      case '--repo': repo = path.resolve(cwd, value()); break;
      case '--config': config = value(); break;
      case '--app': app = path.resolve(cwd, value()); break;
      case '--config-only': configOnly = true; break;
      case '--allow-destroy': allowDestroy = true; break;
      case '--allow-breaking-contracts': allowBreakingContracts = true; break;
      case '--out': out = path.resolve(cwd, value()); break;
      case '--stacks-out': stacksOut = path.resolve(cwd, value()); break;
      case '--prices': prices = path.resolve(cwd, value()); break;
      case '--keep': keep = true; break;
      default: throw new ReviewError(`unknown option ${arg}; usage: npm run review -- --base <git-ref> [--repo <dir>] [--config <path>] [--config-only] [--allow-destroy] [--allow-breaking-contracts] [--out <file>] [--stacks-out <file>]`);
    }
  }
  if (base === undefined) throw new ReviewError('missing --base <git-ref>: the ref to compare the working tree against (for example origin/main)');
  return {
    base,
    repo,
    config: config ?? configPathFromEnv(env),
    app,
    configOnly,
    allowDestroy,
    allowBreakingContracts,
    keep,
    ...(out !== undefined ? { out } : {}),
    ...(stacksOut !== undefined ? { stacksOut } : {}),
    ...(prices !== undefined ? { prices } : {}),
  };
}

function git(repo: string, args: readonly string[]): string {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new ReviewError(`cannot run git: ${r.error.message}`);
  if (r.status !== 0) throw new ReviewError(`git ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs `node dist/main.js` of `appDir` with the given config and output directory. */
export function synthesize(appDir: string, configFile: string, outdir: string, what: string): Promise<void> {
  const main = path.join(appDir, 'dist', 'main.js');
  if (!existsSync(main)) {
    return Promise.reject(new ReviewError(`cannot synthesize ${what}: ${main} does not exist; run \`node scripts/build.mjs\` first`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      cwd: appDir,
      env: { ...process.env, TRACKING_CONFIG: configFile, CDKTF_OUTDIR: outdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('error', (err) => reject(new ReviewError(`cannot synthesize ${what}: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new ReviewError(`cannot synthesize ${what} (exit ${code}):\n${stderr.trim().split('\n').slice(-20).join('\n')}`));
    });
  });
}

/** Exports the base ref into `dir`, builds it with its own code, and returns the app dir. */
function prepareBaseTree(o: Pick<ReviewOptions, 'base' | 'repo' | 'app'>, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('git', ['-C', o.repo, 'archive', '--format=tar', o.base], { maxBuffer: 1024 * 1024 * 1024 });
  if (archive.status !== 0) throw new ReviewError(`cannot export ${o.base}: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new ReviewError(`cannot unpack ${o.base}: ${untar.stderr.toString().trim()}`);
  for (const f of ['scripts/build.mjs', 'main.ts']) {
    if (!existsSync(path.join(dir, f))) {
      throw new ReviewError(
        `cannot synthesize the base ref ${o.base}: it has no ${f} (a different project layout). ` +
          'Rerun with --config-only to synthesize its config with the working tree\'s code.',
      );
    }
  }
  symlinkSync(path.join(o.app, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  // The CDK Terrain packages (docs/cdk-terrain.md): a base in cdktn mode builds against them.
  const terrain = path.join(o.app, 'terrain', 'node_modules');
  if (existsSync(terrain) && existsSync(path.join(dir, 'terrain')) && !existsSync(path.join(dir, 'terrain', 'node_modules'))) {
    symlinkSync(terrain, path.join(dir, 'terrain', 'node_modules'), 'dir');
  }
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new ReviewError(`cannot build the base ref ${o.base}:\n${build.stderr.trim()}`);
  return dir;
}

/** What synthesizing a base ref and the working tree needs. */
export type SynthesisOptions = Pick<ReviewOptions, 'base' | 'repo' | 'config' | 'app' | 'configOnly'>;

/**
 * Synthesizes the config at the base ref (with the base's own code, or with --config-only the
 * working tree's code) and in the working tree, into `<tmp>/base-out` and `<tmp>/head-out`.
 */
export async function synthesizeBaseAndHead(
  o: SynthesisOptions,
  tmp: string,
): Promise<{ baseOut: string; headOut: string; baseConfig: string; headConfig: string }> {
  const top = git(o.repo, ['rev-parse', '--show-toplevel']).trim();
  try {
    git(o.repo, ['rev-parse', '--verify', '--quiet', `${o.base}^{commit}`]);
  } catch (err) {
    throw new ReviewError(`unknown git ref ${o.base} in ${top}; fetch it first (CI: actions/checkout with fetch-depth: 0)`, { cause: err });
  }
  const headConfig = path.resolve(o.repo, o.config);
  if (!existsSync(headConfig)) throw new ReviewError(`config ${headConfig} does not exist in the working tree`);
  const rel = path.relative(top, headConfig).split(path.sep).join('/');

  let baseSynth: Promise<void>;
  let baseConfig: string;
  if (o.configOnly) {
    // The config's folder at the base ref (schema files and the moves file live next to the config).
    const dir = path.join(tmp, 'base-config');
    mkdirSync(dir, { recursive: true });
    const relDir = path.posix.dirname(rel);
    const archive = spawnSync('git', ['-C', top, 'archive', '--format=tar', o.base, '--', relDir === '.' ? rel : relDir], { maxBuffer: 1024 * 1024 * 1024 });
    if (archive.status !== 0) throw new ReviewError(`cannot synthesize the base ref ${o.base}: it has no ${rel} (${archive.stderr.toString().trim()})`);
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new ReviewError(`cannot unpack ${rel} at ${o.base}: ${untar.stderr.toString().trim()}`);
    baseConfig = path.join(dir, rel);
    if (!existsSync(baseConfig)) throw new ReviewError(`cannot synthesize the base ref ${o.base}: it has no ${rel}`);
    baseSynth = synthesize(o.app, baseConfig, path.join(tmp, 'base-out'), `the base ref ${o.base}`);
  } else {
    const baseApp = prepareBaseTree(o, path.join(tmp, 'base-tree'));
    baseConfig = path.join(baseApp, rel);
    if (!existsSync(baseConfig)) throw new ReviewError(`cannot synthesize the base ref ${o.base}: it has no ${rel}`);
    baseSynth = synthesize(baseApp, baseConfig, path.join(tmp, 'base-out'), `the base ref ${o.base}`);
  }
  const headSynth = synthesize(o.app, headConfig, path.join(tmp, 'head-out'), 'the working tree');
  const settled = await Promise.allSettled([baseSynth, headSynth]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return { baseOut: path.join(tmp, 'base-out'), headOut: path.join(tmp, 'head-out'), baseConfig, headConfig };
}

/** Runs the review; returns the result, the Markdown and the exit code. */
/** Contract changes between the base and the working tree's configs (docs/contracts.md, "Compatibility"). */
export function contractChanges(baseConfig: string, headConfig: string): SchemaChange[] {
  const baseText = readFileSync(baseConfig, 'utf8');
  const headText = readFileSync(headConfig, 'utf8');
  return classifySchemaChanges(
    contractsFromConfigText(baseText, baseConfig),
    contractsFromConfigText(headText, headConfig),
    eventTypesOf(parse(baseText)).map((t) => t.key),
    eventTypesOf(parse(headText)).map((t) => t.key),
  );
}

export async function runReview(o: ReviewOptions): Promise<{ result: ReviewResult; contracts: SchemaChange[]; markdown: string; exitCode: number }> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'tracking-review-'));
  try {
    const { baseOut, headOut, baseConfig, headConfig } = await synthesizeBaseAndHead(o, tmp);
    const result = diffStacks(readStacks(baseOut), readStacks(headOut));
    const contracts = contractChanges(baseConfig, headConfig);
    const markdown = [
      renderMarkdown(result, o.base),
      ...(contracts.length > 0 ? [renderSchemaChanges(contracts)] : []),
      // The pull request's monthly cost change (npm run cost); never fails the review.
      reviewCostSection(baseConfig, headConfig, o.prices),
    ].join('\n');
    const blocked = (result.destructive.length > 0 && !o.allowDestroy) || (breakingChanges(contracts).length > 0 && !o.allowBreakingContracts);
    return { result, contracts, markdown, exitCode: blocked ? EXIT_DESTRUCTIVE : EXIT_OK };
  } finally {
    if (o.keep) console.error(`review: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  try {
    const o = parseArgs(process.argv.slice(2));
    const { result, contracts, markdown, exitCode } = await runReview(o);
    process.stdout.write(`${markdown}\n`);
    if (o.out !== undefined) writeFileSync(o.out, `${markdown}\n`);
    if (o.stacksOut !== undefined) {
      const stacks = result.changedStacks.map((id) => ({ id, environment: result.stackEnvironments[id] ?? null }));
      writeFileSync(o.stacksOut, `${JSON.stringify({ stacks })}\n`);
    }
    if (exitCode === EXIT_DESTRUCTIVE) {
      if (result.destructive.length > 0 && !o.allowDestroy) {
        console.error(`review: ${result.destructive.length} destructive change(s); rerun with --allow-destroy if they are intended`);
      }
      const breaking = breakingChanges(contracts).length;
      if (breaking > 0 && !o.allowBreakingContracts) {
        console.error(`review: ${breaking} breaking contract change(s); rerun with --allow-breaking-contracts if they are intended`);
      }
    }
    return exitCode;
  } catch (err) {
    console.error(`review: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_ERROR;
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
