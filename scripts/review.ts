/**
 * `npm run review -- --base <git-ref>`: synthesizes the tracking config at a base ref and in the
 * working tree, then prints a Markdown summary of the resource changes per stack, destructive
 * changes first, the contract changes and the cost change. Exits 2 on a destructive or breaking
 * change unless allowed, 1 on an error. Offline: no AWS credentials, no terraform binary.
 * `--help` lists the options (REVIEW_COMMAND below).
 *
 * This file is an entry point only: nothing imports it. What migrate shares with it lives in
 * review-synth.ts and review-lib.ts (__tests__/ops/entry-points.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { contractsFromConfigText, eventTypesOf } from '../config/contracts';
import { configPathFromEnv } from '../config/loader';
import { reviewCostSection } from './cost-lib';
import { breakingChanges, classifySchemaChanges, renderSchemaChanges, type SchemaChange } from './schema-compat';
import { helpText, usageLine, wantsHelp, type CliCommand } from './cli-help';
import { diffStacks, readStacks, renderMarkdown, ReviewError, type ReviewResult } from './review-lib';
import { synthesizeBaseAndHead, type SynthesisOptions } from './review-synth';

export interface ReviewOptions extends SynthesisOptions {
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

export const REVIEW_COMMAND: CliCommand = {
  command: 'npm run review --',
  summary:
    'Synthesizes the tracking config at a base git ref and in the working tree, and prints a Markdown summary: ' +
    'destructive changes first, the stacks to plan and apply, resource, contract and cost changes. Offline: no AWS credentials, no terraform.',
  options: [
    { flag: '--base', value: '<git-ref>', required: true, help: 'git ref to compare against (for example origin/main)' },
    { flag: '--repo', value: '<dir>', help: 'git repository holding the config (default: the current directory)' },
    { flag: '--config', value: '<path>', help: 'config file, relative to --repo (default: $TRACKING_CONFIG or config/tracking.yaml)' },
    { flag: '--config-only', help: "synthesize the base ref's config (and the files it references) with the working tree's code, instead of the base ref's own code" },
    { flag: '--app', value: '<dir>', help: 'project whose built synth (dist/main.js) runs (default: the current directory)' },
    { flag: '--allow-destroy', help: 'exit 0 even when the change is destructive' },
    { flag: '--allow-breaking-contracts', help: 'exit 0 even when an event contract changes in a breaking way' },
    { flag: '--prices', value: '<file>', help: 'price overrides for the cost change (see npm run cost)' },
    { flag: '--out', value: '<file>', help: 'also write the Markdown to this file' },
    { flag: '--stacks-out', value: '<file>', help: 'write the stacks to plan and apply, dependencies first, as JSON {"stacks": [{"id", "environment"}]}' },
    { flag: '--keep', help: 'keep the temporary directory (for debugging)' },
  ],
  exitCodes: [
    [EXIT_OK, 'reviewed; nothing blocks the change'],
    [EXIT_ERROR, 'the review could not run (bad arguments, unknown ref, a synth that failed)'],
    [EXIT_DESTRUCTIVE, 'a destructive or breaking contract change that was not allowed'],
  ],
};

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
      default: throw new ReviewError(`unknown option ${arg}; ${usageLine(REVIEW_COMMAND)} (--help explains each)`);
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

/** Runs the review; returns the result, the Markdown and the exit code. */
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

async function main(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(REVIEW_COMMAND));
    return EXIT_OK;
  }
  try {
    const o = parseArgs(argv);
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
  // exitCode, not exit(): stdout is written in full before the process ends.
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
