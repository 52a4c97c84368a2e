/**
 * `tracking openapi` as a function: what the command does, without its argument parsing or its
 * printing (the yargs command module and the temporary entry ./main.ts call it). Writes the
 * document as JSON, or as YAML when `out` ends in .yaml / .yml; returns it as text without `out`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/loader';
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
