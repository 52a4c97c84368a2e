/**
 * `npm run migrate -- --base <git-ref>`: writes the moves file for resources that change stack
 * between the base ref (what is deployed) and the working tree: moving an environment from one
 * stack to shards (`stacks.layout: sharded`), or an event type to another shard. Synth turns the
 * file into `import` blocks in the new stacks and `removed` blocks (destroy = false) in the old
 * ones; nothing is destroyed and no `terraform state mv` is needed. See docs/operations.md,
 * "Moving to sharded stacks".
 *
 * Options:
 *   --base <ref>      git ref of what is deployed (required)
 *   --repo <dir>      git repository holding the config (default: the current directory)
 *   --config <path>   config file, relative to --repo (default: $TRACKING_CONFIG or config/tracking.yaml)
 *   --out <file>      the moves file (default: the config's stacks.moves, else tracking.moves.json next to the config)
 *   --config-only     synthesize the base config with the working tree's code
 *   --app <dir>       project whose built synth (dist/main.js) runs (default: the current directory)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { configPathFromEnv } from '../config/loader';
import { MOVES_VERSION } from '../config/moves';
import { computeMoves, summarizeMoves } from './migrate-lib';
import { readStacks, ReviewError } from './review-lib';
import { synthesizeBaseAndHead, type SynthesisOptions } from './review';

export interface MigrateOptions extends SynthesisOptions {
  readonly out?: string;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): MigrateOptions {
  let base: string | undefined;
  let repo = cwd;
  let config: string | undefined;
  let app = cwd;
  let configOnly = false;
  let out: string | undefined;
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
      case '--out': out = path.resolve(cwd, value()); break;
      default: throw new ReviewError(`unknown option ${arg}; usage: npm run migrate -- --base <git-ref> [--repo <dir>] [--config <path>] [--out <file>] [--config-only]`);
    }
  }
  if (base === undefined) throw new ReviewError('missing --base <git-ref>: the ref that is deployed (for example origin/main)');
  return { base, repo, config: config ?? configPathFromEnv(env), app, configOnly, ...(out !== undefined ? { out } : {}) };
}

/** The moves file path: --out, else the config's stacks.moves, else tracking.moves.json next to the config. */
function movesPath(o: MigrateOptions, configFile: string): { file: string; named: boolean } {
  if (o.out !== undefined) return { file: o.out, named: false };
  const doc = parse(readFileSync(configFile, 'utf8')) as { stacks?: { moves?: unknown } } | null;
  const named = doc?.stacks?.moves;
  if (typeof named === 'string') return { file: path.resolve(path.dirname(configFile), named), named: true };
  return { file: path.join(path.dirname(configFile), 'tracking.moves.json'), named: false };
}

export async function runMigrate(o: MigrateOptions): Promise<string> {
  const configFile = path.resolve(o.repo, o.config);
  if (!existsSync(configFile)) throw new ReviewError(`config ${configFile} does not exist`);
  const { file, named } = movesPath(o, configFile);
  // The working tree's config may already name the moves file: synth needs it to exist.
  if (named && !existsSync(file)) writeFileSync(file, `${JSON.stringify({ version: MOVES_VERSION, moves: [] }, null, 2)}\n`);
  const tmp = mkdtempSync(path.join(tmpdir(), 'tracking-migrate-'));
  try {
    const { baseOut, headOut } = await synthesizeBaseAndHead(o, tmp);
    const moves = computeMoves(readStacks(baseOut), readStacks(headOut), o.base);
    writeFileSync(file, `${JSON.stringify(moves, null, 2)}\n`);
    const rel = path.relative(path.dirname(configFile), file).split(path.sep).join('/');
    return [
      summarizeMoves(moves),
      '',
      `Wrote ${file}.`,
      named
        ? 'The config names it in stacks.moves: synth now adds the import and removed blocks.'
        : `Name it in the config so that synth adds the import and removed blocks:\n  stacks:\n    moves: ${rel}`,
      'Then: npm run review, and apply in the order it lists (each core before its shards). See docs/operations.md, "Moving to sharded stacks".',
    ].join('\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  try {
    console.log(await runMigrate(parseArgs(process.argv.slice(2))));
    return 0;
  } catch (err) {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
