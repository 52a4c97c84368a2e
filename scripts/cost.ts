/**
 * `npm run cost` (node scripts/build.mjs && node dist/scripts/cost.js): the estimated monthly cost
 * of the tracking config, per environment and event type, from the dated price table
 * config/prices.json. See docs/cost.md.
 *
 * Usage: node dist/scripts/cost.js [options]
 *   --config <path>     tracking config (default: $TRACKING_CONFIG or config/tracking.yaml)
 *   --env <name>        only this environment (repeatable)
 *   --prices <file>     JSON deep-merged over config/prices.json (one price, a region, or a whole table)
 *   --json              print JSON instead of Markdown tables
 *   --out <file>        also write the output to this file
 *
 * Exit codes: 0 printed; 1 the config or the price table is invalid; 2 bad usage.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrackingPipelineError } from '../config/errors';
import { configPathFromEnv, loadConfig } from '../config/loader';
import { costJson, estimateCost, loadPriceTable, renderCostMarkdown } from './cost-lib';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = 'usage: npm run cost -- [--config <tracking.yaml>] [--env <name>]... [--prices <file.json>] [--json] [--out <file>]';

/** Bad command line. */
export class CostUsageError extends TrackingPipelineError {
  public constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'CostUsageError';
  }
}

export interface CostCliOptions {
  readonly config: string;
  readonly environments?: readonly string[];
  readonly prices?: string;
  readonly json: boolean;
  readonly out?: string;
}

export function parseCostArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CostCliOptions | 'help' {
  let config: string | undefined;
  const environments: string[] = [];
  let prices: string | undefined;
  let json = false;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CostUsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--config': config = path.resolve(cwd, value()); break;
      case '--env': environments.push(value()); break;
      case '--prices': prices = path.resolve(cwd, value()); break;
      case '--json': json = true; break;
      case '--out': out = path.resolve(cwd, value()); break;
      default: throw new CostUsageError(`unknown option ${arg}`);
    }
  }
  return {
    config: config ?? path.resolve(cwd, configPathFromEnv(env)),
    ...(environments.length > 0 ? { environments } : {}),
    ...(prices !== undefined ? { prices } : {}),
    json,
    ...(out !== undefined ? { out } : {}),
  };
}

/** Runs the estimate; returns the text to print. Throws TrackingPipelineError on bad input. */
export function runCost(o: CostCliOptions): string {
  const config = loadConfig(o.config);
  const table = loadPriceTable(o.prices);
  const estimate = estimateCost(config, table, o.environments !== undefined ? { environments: o.environments } : {});
  const label = o.prices !== undefined ? `config/prices.json with ${path.basename(o.prices)} merged over it` : 'config/prices.json';
  return o.json ? `${JSON.stringify(costJson(estimate, table), null, 2)}` : renderCostMarkdown(estimate, table, label);
}

function main(): number {
  let o: CostCliOptions | 'help';
  try {
    o = parseCostArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return EXIT_USAGE;
  }
  if (o === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  try {
    const text = runCost(o);
    process.stdout.write(`${text}\n`);
    if (o.out !== undefined) writeFileSync(o.out, `${text}\n`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof TrackingPipelineError) {
      console.error(`cost: ${err.message}`);
      return EXIT_FAILED;
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = main();
}
