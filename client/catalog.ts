/**
 * The known event types of one environment and where each goes, read from the synthesized
 * manifest or from the YAML config. Stream names come from the manifest or from the resolved
 * model, which takes them from config/naming: the client never builds a name itself.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/loader';
import { ManifestError, parseManifest, type TrackingManifest } from '../config/manifest';
import { eventTypeKey } from '../config/naming';
import {
  ProjectMismatchError,
  RegionMismatchError,
  RootStreamUnavailableError,
  UnknownEnvironmentError,
} from './errors';
import type { ResolvedOptions } from './options';

/** One known event type. */
export interface CatalogEntry {
  readonly app: string;
  readonly eventType: string;
  /** `<app>/<eventType>`. */
  readonly key: string;
  readonly deliveryStream: string;
}

export interface Catalog {
  readonly project: string;
  readonly environment: string;
  readonly region: string;
  /** Kinesis root stream name, or null when the environment has none. */
  readonly rootStream: string | null;
  /** Application -> event type -> entry. */
  readonly apps: ReadonlyMap<string, ReadonlyMap<string, CatalogEntry>>;
  /** Where the catalog came from, for messages. */
  readonly source: string;
}

/** Loads the catalog the options point to and checks project, environment, region and mode. */
export function loadCatalog(o: Pick<ResolvedOptions, 'project' | 'environment' | 'config' | 'manifest' | 'region' | 'mode'>): Catalog {
  const catalog = o.config !== undefined ? fromConfig(o.config, o.environment, o.project) : fromManifest(o.manifest!, o.environment, o.project);
  if (o.region !== undefined && o.region !== catalog.region) {
    throw new RegionMismatchError(o.environment, catalog.region, o.region);
  }
  if (o.mode === 'root-stream' && catalog.rootStream === null) throw new RootStreamUnavailableError(o.environment);
  return catalog;
}

function fromConfig(file: string, environment: string, project: string): Catalog {
  const config = loadConfig(file);
  checkProject(config.project, project, file);
  const env = config.environments.find((e) => e.name === environment);
  if (env === undefined) throw new UnknownEnvironmentError(environment, config.environments.map((e) => e.name), file);
  return {
    project,
    environment,
    region: env.region,
    rootStream: env.rootStream.enabled ? env.rootStream.streamName : null,
    apps: index(env.eventTypes.map((t) => ({ app: t.application, eventType: t.name, key: t.key, deliveryStream: t.deliveryStreamName }))),
    source: file,
  };
}

function fromManifest(manifest: string | TrackingManifest, environment: string, project: string): Catalog {
  const source = typeof manifest === 'string' ? manifest : 'the manifest object';
  const m = parseManifest(typeof manifest === 'string' ? readJson(manifest) : manifest, source);
  checkProject(m.project, project, source);
  const env = m.environments[environment];
  if (env === undefined) throw new UnknownEnvironmentError(environment, Object.keys(m.environments).sort(), source);
  const entries = Object.values(env.eventTypes).map((t) => ({
    app: t.application,
    eventType: t.eventType,
    key: eventTypeKey(t.application, t.eventType),
    deliveryStream: t.deliveryStream,
  }));
  return { project, environment, region: env.region, rootStream: env.rootStream, apps: index(entries), source };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ManifestError(`cannot read ${file} (${(err as Error).message}); run \`npm run synth\` to write it`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ManifestError(`${file} is not valid JSON; run \`npm run synth\` to write a new one`);
  }
}

function checkProject(actual: string, expected: string, source: string): void {
  if (actual !== expected) {
    throw new ProjectMismatchError(`${source} describes project "${actual}", but the tracker was created for project "${expected}"`);
  }
}

function index(entries: readonly CatalogEntry[]): Map<string, Map<string, CatalogEntry>> {
  const apps = new Map<string, Map<string, CatalogEntry>>();
  for (const e of entries) {
    let types = apps.get(e.app);
    if (types === undefined) {
      types = new Map();
      apps.set(e.app, types);
    }
    types.set(e.eventType, e);
  }
  return apps;
}

/** Explains why `app/eventType` is unknown, naming what is known. */
export function unknownHint(catalog: Catalog, app: string): string {
  const types = catalog.apps.get(app);
  if (types === undefined) {
    return `application "${app}" is not declared in ${catalog.source} (known: ${[...catalog.apps.keys()].sort().join(', ') || 'none'})`;
  }
  return `application "${app}" declares ${[...types.keys()].sort().join(', ')} in ${catalog.source}; add the event type there and deploy`;
}
