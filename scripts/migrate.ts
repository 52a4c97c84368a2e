/**
 * `npm run migrate -- --base <git-ref>`: writes the moves file for resources that change stack
 * between the base ref (what is deployed) and the working tree: moving an environment from one
 * stack to shards (`stacks.layout: sharded`), or an event type to another shard. Synth turns the
 * file into `import` blocks in the new stacks and `removed` blocks (destroy = false) in the old
 * ones; nothing is destroyed and no `terraform state mv` is needed. See docs/operations.md,
 * "Moving to sharded stacks".
 *
 * `--help` lists the options (MIGRATE_COMMAND below). This file is an entry point only: it imports
 * the synthesis it shares with the review from review-synth.ts, never review.ts, whose command line
 * esbuild would bundle and run too (__tests__/ops/entry-points.test.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { configPathFromEnv } from '../config/loader';
import { MOVES_VERSION } from '../config/moves';
import { computeMoves, summarizeMoves } from './migrate-lib';
import { helpText, usageLine, wantsHelp, type CliCommand } from './cli-help';
import { readStacks, ReviewError } from './review-lib';
import { synthesizeBaseAndHead, type SynthesisOptions } from './review-synth';

export interface MigrateOptions extends SynthesisOptions {
  readonly out?: string;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;

export const MIGRATE_COMMAND: CliCommand = {
  command: 'npm run migrate --',
  summary:
    'Writes the moves file for resources that change stack between the base ref (what is deployed) and the working tree ' +
    '(an environment moving to sharded stacks, an event type moving to another shard). Synth turns it into import blocks ' +
    'in the new stacks and removed blocks (destroy = false) in the old ones: nothing is destroyed. ' +
    'See docs/operations.md, "Moving to sharded stacks".',
  options: [
    { flag: '--base', value: '<git-ref>', required: true, help: 'git ref of what is deployed (for example origin/main)' },
    { flag: '--repo', value: '<dir>', help: 'git repository holding the config (default: the current directory)' },
    { flag: '--config', value: '<path>', help: 'config file, relative to --repo (default: $TRACKING_CONFIG or config/tracking.yaml)' },
    { flag: '--out', value: '<file>', help: "the moves file (default: the config's stacks.moves, else tracking.moves.json next to the config)" },
    { flag: '--config-only', help: "synthesize the base ref's config with the working tree's code" },
    { flag: '--app', value: '<dir>', help: 'project whose built synth (dist/main.js) runs (default: the current directory)' },
  ],
  exitCodes: [
    [EXIT_OK, 'the moves file was written'],
    [EXIT_ERROR, 'it could not be (bad arguments, unknown ref, a synth that failed, a move Terraform cannot express)'],
  ],
};

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
      default: throw new ReviewError(`unknown option ${arg}; ${usageLine(MIGRATE_COMMAND)} (--help explains each)`);
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

async function main(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(MIGRATE_COMMAND));
    return EXIT_OK;
  }
  try {
    console.log(await runMigrate(parseArgs(argv)));
    return EXIT_OK;
  } catch (err) {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_ERROR;
  }
}

if (require.main === module) {
  // exitCode, not exit(): stdout is written in full before the process ends.
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
