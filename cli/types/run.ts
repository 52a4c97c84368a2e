/**
 * `tracking types` as a function: what the command does, without its argument parsing or its
 * printing (the yargs command module and the temporary entry ./main.ts call it).
 *
 * `out` ending in `.ts` writes the one-file TypeScript form; anything else is a folder that gets
 * the package form (./catalog.ts). `check` writes nothing and says whether the output is up to date.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderPackage, renderTypeScript } from './catalog';
import { configFile, EXIT, UsageError } from './main-args';
import { catalogModel, DEFAULT_TYPES_OUT } from './types';

export interface TypesOptions {
  /** The tracking config (already chosen by the caller: --config, $TRACKING_CONFIG or the default). */
  readonly config: string;
  /**
   * A `.ts` file (one TypeScript module) or a folder (a package: ESM, CommonJS and declarations).
   * @default generated/tracking-events.ts
   */
  readonly out?: string;
  /**
   * Write nothing; report whether the output is up to date.
   * @default false
   */
  readonly check?: boolean;
}

export interface TypesResult {
  readonly config: string;
  /** The file or folder, as given (resolved against the working directory). */
  readonly out: string;
  readonly form: 'typescript' | 'package';
  /** Every file of the output. */
  readonly files: readonly string[];
  /** Files whose content differs from what the config gives (before writing). */
  readonly stale: readonly string[];
  /** Files written (none with `check`). */
  readonly written: readonly string[];
  /** True when nothing is stale after the run. */
  readonly upToDate: boolean;
}

/** `--out` names something that cannot take this form (a folder for a .ts file, a file for a folder): a usage error. */
export class TypesOutputError extends UsageError {
  public constructor(message: string) {
    super(message);
    this.name = 'TypesOutputError';
  }
}

const isTypeScriptFile = (out: string): boolean => /\.(c|m)?ts$/.test(out) && !out.endsWith('.d.ts');

/** What the output's files should hold: path -> content. */
export function typesOutput(config: string, out: string = DEFAULT_TYPES_OUT): { form: TypesResult['form']; files: Record<string, string> } {
  const model = catalogModel(config);
  if (isTypeScriptFile(out)) return { form: 'typescript', files: { [out]: renderTypeScript(model) } };
  const files = renderPackage(model);
  return { form: 'package', files: Object.fromEntries(Object.entries(files).map(([name, text]) => [path.join(out, name), text])) };
}

function kind(p: string): 'file' | 'dir' | 'none' {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'none';
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes (or checks) the catalog module of a config. Throws ConfigError for an invalid config. */
export function runTypes(options: TypesOptions): TypesResult {
  const out = path.resolve(options.out ?? DEFAULT_TYPES_OUT);
  const { form, files } = typesOutput(options.config, out);
  const at = kind(out);
  if (form === 'typescript' && at === 'dir') throw new TypesOutputError(`--out ${out} is a folder; give a .ts file for the TypeScript form, or a folder name without .ts for the package form`);
  if (form === 'package' && at === 'file') throw new TypesOutputError(`--out ${out} is a file; the package form is a folder (give a .ts file for the one-file TypeScript form)`);
  const stale = Object.entries(files)
    .filter(([file, text]) => read(file) !== text)
    .map(([file]) => file);
  const written: string[] = [];
  if (options.check !== true) {
    for (const file of stale) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, files[file]!);
      written.push(file);
    }
  }
  return {
    config: options.config,
    out,
    form,
    files: Object.keys(files),
    stale,
    written,
    upToDate: options.check === true ? stale.length === 0 : true,
  };
}

/** The command's arguments, as the yargs module and the temporary entry pass them. */
export interface TypesArgs {
  /** @default $TRACKING_CONFIG, else config/tracking.yaml */
  readonly config?: string;
  readonly out?: string;
  readonly check?: boolean;
  readonly json?: boolean;
}

/**
 * `tracking types`: runs, prints the result (stdout; `--json`: one JSON document) and returns the
 * exit code (0, or 1 when `--check` finds the output out of date). Throws UsageError (2) for a
 * missing config or a bad `--out`, ConfigError (1) for an invalid config.
 */
export function typesCommand(args: TypesArgs): number {
  const config = configFile(args.config);
  const result = runTypes({ config, ...(args.out !== undefined ? { out: args.out } : {}), check: args.check === true });
  if (args.json === true) console.log(JSON.stringify(result, null, 2));
  else if (args.check === true) {
    if (result.upToDate) console.log(`${result.out} is up to date with ${config}`);
    else console.error(`${result.out} is not up to date with ${config} (${result.stale.length} file(s) differ); run \`npx tracking types\``);
  } else console.log(result.written.length > 0 ? `Wrote ${result.out} from ${config} (${result.written.length} file(s))` : `${result.out} is up to date with ${config}`);
  return result.upToDate ? EXIT.ok : EXIT.findings;
}
