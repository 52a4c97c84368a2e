/**
 * `tracking openapi` as a function: what the command does, without its argument parsing or its
 * printing (the yargs command module and the temporary entry ./main.ts call it). Writes the
 * document as JSON, or as YAML when `out` ends in .yaml / .yml; returns it as text without `out`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/loader';
import { configFile, EXIT, UsageError } from '../types/main-args';
import { OpenApiError, openApiDocument, type OpenApiOptions } from './openapi';

export interface OpenApiRunOptions extends Omit<OpenApiOptions, 'environment'> {
  /**
   * The environment whose collector is described.
   * @default the config's only environment with a collector
   */
  readonly environment?: string;
  /** The tracking config (already chosen by the caller: --config, $TRACKING_CONFIG or the default). */
  readonly config: string;
  /**
   * Where to write it (`.json`, or `.yaml` / `.yml` for YAML).
   * @default none: the caller prints `text`
   */
  readonly out?: string;
}

export interface OpenApiResult {
  readonly config: string;
  readonly environment: string;
  readonly out?: string;
  readonly format: 'json' | 'yaml';
  /** The document as written (or to print). */
  readonly text: string;
  readonly document: Record<string, unknown>;
}

/** Generates the collector's OpenAPI document; throws ConfigError / OpenApiError. */
export function runOpenApi(options: OpenApiRunOptions): OpenApiResult {
  const config = loadConfig(options.config);
  let environment = options.environment;
  if (environment === undefined) {
    const withCollector = config.environments.filter((e) => (e as { collector?: unknown }).collector !== undefined).map((e) => e.name);
    if (withCollector.length !== 1) {
      throw new OpenApiError(
        withCollector.length === 0
          ? `no environment of ${options.config} has a collector; set environments.<env>.collector.enabled: true`
          : `several environments have a collector (${withCollector.join(', ')}): name one with --env`,
      );
    }
    environment = withCollector[0]!;
  }
  const document = openApiDocument(config, { ...options, environment });
  const format = options.out !== undefined && /\.ya?ml$/i.test(options.out) ? 'yaml' : 'json';
  const text = format === 'yaml' ? stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }) : `${JSON.stringify(document, null, 2)}\n`;
  let out: string | undefined;
  if (options.out !== undefined) {
    out = path.resolve(options.out);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
  return { config: options.config, environment, ...(out !== undefined ? { out } : {}), format, text, document };
}

/** The command's arguments, as the yargs module and the temporary entry pass them. */
export interface OpenApiArgs {
  /** @default $TRACKING_CONFIG, else config/tracking.yaml */
  readonly config?: string;
  /** @default $TRACKING_ENV, else the config's only environment with a collector */
  readonly env?: string;
  /** Applications (each may be comma-separated). */
  readonly app?: readonly string[];
  readonly out?: string;
  readonly json?: boolean;
}

/**
 * `tracking openapi`: writes the document (or prints it on stdout without `out`) and returns the
 * exit code. Throws UsageError (2) for a missing config, an environment without a collector or an
 * unknown application, ConfigError (1) for an invalid config.
 */
export function openApiCommand(args: OpenApiArgs): number {
  const config = configFile(args.config);
  const environment = args.env ?? (process.env.TRACKING_ENV || undefined);
  const applications = args.app?.flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  let result: OpenApiResult;
  try {
    result = runOpenApi({
      config,
      ...(environment !== undefined ? { environment } : {}),
      ...(applications !== undefined && applications.length > 0 ? { applications } : {}),
      ...(args.out !== undefined ? { out: args.out } : {}),
    });
  } catch (err) {
    if (err instanceof OpenApiError) throw new UsageError(err.message);
    throw err;
  }
  if (result.out === undefined) process.stdout.write(result.text);
  else if (args.json === true) console.log(JSON.stringify({ out: result.out, environment: result.environment, format: result.format, config }));
  else console.error(`Wrote ${result.out} (OpenAPI 3.1, the collector of ${result.environment}) from ${config}`);
  return EXIT.ok;
}
