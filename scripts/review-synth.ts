/**
 * Synthesis of a base git ref and of the working tree, shared by `npm run review` and
 * `npm run migrate`: exports the base ref (the whole project, built with its own code; or with
 * --config-only the config and the files it references), runs the built synth (dist/main.js) on
 * each side into a temporary folder, and returns both output folders.
 *
 * This module has no command line of its own: esbuild copies every `require.main === module` block
 * of the files it bundles into the importing command, so a shared module with one would run that
 * main inside every command that imports it (__tests__/ops/entry-points.test.ts checks it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ReviewError } from './review-lib';

/** What synthesizing a base ref and the working tree needs. */
export interface SynthesisOptions {
  /** git ref to compare against. */
  readonly base: string;
  /** git repository holding the config. */
  readonly repo: string;
  /** config file, relative to `repo`. */
  readonly config: string;
  /** project whose built synth (dist/main.js) synthesizes the working tree (and, with `configOnly`, the base). */
  readonly app: string;
  /** synthesize the base ref's config with the working tree's code. */
  readonly configOnly: boolean;
}

export function git(repo: string, args: readonly string[]): string {
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

/** Exports `paths` (every file when empty) of `ref` into `dir`. */
function exportTree(repo: string, ref: string, paths: readonly string[], dir: string, what: string): void {
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('git', ['-C', repo, 'archive', '--format=tar', ref, ...(paths.length > 0 ? ['--', ...paths] : [])], { maxBuffer: 1024 * 1024 * 1024 });
  if (archive.status !== 0) throw new ReviewError(`cannot export ${what} at ${ref}: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new ReviewError(`cannot unpack ${what} at ${ref}: ${untar.stderr.toString().trim()}`);
}

/** Exports the base ref into `dir`, builds it with its own code, and returns the app dir. */
function prepareBaseTree(o: Pick<SynthesisOptions, 'base' | 'repo' | 'app'>, dir: string): string {
  exportTree(o.repo, o.base, [], dir, 'the project');
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

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The files a config names, as written (relative to the config file): the schema file of every
 * event type (`schema: <path>.json|.yaml|.yml`, config/contracts.ts) and the moves file
 * (`stacks.moves`, config/loader.ts). A config that does not parse names none: synth reports it.
 */
export function configReferences(configText: string): string[] {
  let data: unknown;
  try {
    data = parse(configText);
  } catch {
    return [];
  }
  if (!isRecord(data)) return [];
  const out = new Set<string>();
  for (const app of Array.isArray(data.applications) ? data.applications : []) {
    if (!isRecord(app) || !Array.isArray(app.eventTypes)) continue;
    for (const t of app.eventTypes) {
      if (isRecord(t) && typeof t.schema === 'string' && /\.(json|ya?ml)$/i.test(t.schema)) out.add(t.schema);
    }
  }
  if (isRecord(data.stacks) && typeof data.stacks.moves === 'string') out.add(data.stacks.moves);
  return [...out].sort();
}

/**
 * Exports the config `rel` (relative to the repository root `top`) of `ref`, and the files it
 * references that exist at that ref, into `dir`, at their places in the repository. A reference
 * that does not exist there is left to synth, which names it with its line in the config.
 */
function exportConfig(top: string, ref: string, rel: string, dir: string): string {
  const shown = spawnSync('git', ['-C', top, 'show', `${ref}:${rel}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (shown.status !== 0) throw new ReviewError(`cannot synthesize the base ref ${ref}: it has no ${rel} (${shown.stderr.trim()})`);
  const files = [rel];
  for (const reference of configReferences(shown.stdout)) {
    if (path.isAbsolute(reference)) continue; // the loader refuses it, with the reason
    const file = path.posix.normalize(path.posix.join(path.posix.dirname(rel), reference.split(path.sep).join('/')));
    if (file === '..' || file.startsWith('../')) {
      throw new ReviewError(`cannot synthesize the base ref ${ref} with --config-only: ${rel} references ${reference}, which is outside the repository ${top}`);
    }
    if (spawnSync('git', ['-C', top, 'cat-file', '-e', `${ref}:${file}`]).status === 0) files.push(file);
  }
  exportTree(top, ref, [...new Set(files)], dir, rel);
  return path.join(dir, rel);
}

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
    baseConfig = exportConfig(top, o.base, rel, path.join(tmp, 'base-config'));
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
