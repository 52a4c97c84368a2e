/**
 * The known event types of one environment and where each goes, read from one of two sources:
 *
 * - the **catalog module** `tracking types --out <dir>` generates (cli/types): event types, their
 *   streams and the root stream per environment, and the contracts. A producer in another
 *   repository commits or publishes it; its type parameter types `track()`.
 * - the **manifest** synth writes (`cdktf.out/tracking-manifest.json`), by path or parsed: names
 *   only, no contracts.
 *
 * Stream names come from the catalog or the manifest, which take them from config/naming: the
 * tracker never builds a name itself. Dependency-free (no YAML, no config loader), so the
 * published package carries nothing of the infrastructure side.
 */
import { readFileSync } from 'node:fs';
import { ManifestError, parseManifest, type TrackingManifest } from '../../config/manifest';
import {
  CatalogError,
  ProjectMismatchError,
  RegionMismatchError,
  RootStreamUnavailableError,
  UnknownEnvironmentError,
} from './errors';

/** Event shapes per application and event type (what a catalog module's `TrackingEvents` is). */
export type EventMap = { readonly [app: string]: { readonly [eventType: string]: object } };

/** Format name and version of the catalog modules this tracker reads. */
export const CATALOG_FORMAT = 'tracking-catalog';
export const CATALOG_VERSION = 1;

/** One environment of a catalog module. */
export interface CatalogEnvironment {
  readonly region: string;
  /** Kinesis root stream name, or null when the environment has none. */
  readonly rootStream: string | null;
  /** `<app>/<eventType>` -> delivery stream name. */
  readonly deliveryStreams: { readonly [key: string]: string };
}

/** The contract of one event type, as the config resolves it (the normalized JSON Schema). */
export interface CatalogContract {
  /** `enforce`: the pipeline refuses violating events; `observe`: it accepts them and counts them. */
  readonly mode: 'enforce' | 'observe';
  /** SHA-256 of the normalized schema's canonical JSON (the same as the pipeline's). */
  readonly hash: string;
  /** The normalized JSON Schema (draft 2020-12 subset; envelope fields declared). */
  readonly schema: { readonly [keyword: string]: unknown };
}

/** One event type of a catalog module. */
export interface CatalogEventType {
  readonly app: string;
  readonly eventType: string;
  readonly contract: CatalogContract | null;
}

/**
 * What `tracking types --out <dir>` writes (format `tracking-catalog`, version 1): pass it as
 * `catalog` to `createTracker`. `E` (never set at run time) carries the event shapes, `Env` the
 * environment names, so that a wrong event type, field or environment is a compile error.
 */
export interface TrackingCatalog<E extends EventMap = EventMap, Env extends string = string> {
  readonly format: typeof CATALOG_FORMAT;
  readonly version: typeof CATALOG_VERSION;
  readonly project: string;
  readonly environments: { readonly [K in Env]: CatalogEnvironment };
  /** `<app>/<eventType>` -> event type. */
  readonly eventTypes: { readonly [key: string]: CatalogEventType };
  /** Type only: the event shapes by application and event type. Never set at run time. */
  readonly events?: E;
}

/** The event shapes a catalog module carries. */
export type EventsOf<C> = C extends { readonly events?: infer E } ? (NonNullable<E> extends EventMap ? NonNullable<E> : EventMap) : EventMap;
/** The environment names a catalog module declares. */
export type EnvironmentOf<C> = C extends { readonly environments: infer V } ? keyof V & string : string;

/** One known event type of the chosen environment. */
export interface CatalogEntry {
  readonly app: string;
  readonly eventType: string;
  /** `<app>/<eventType>`. */
  readonly key: string;
  readonly deliveryStream: string;
  /** Its contract (catalog modules only; a manifest has none). */
  readonly contract?: CatalogContract;
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
  /** True when it came from a catalog module (which carries the contracts). */
  readonly hasContracts: boolean;
}

/** What `loadCatalog` reads from the resolved options. */
export interface CatalogChoice {
  readonly project?: string;
  readonly environment: string;
  readonly catalog?: TrackingCatalog;
  readonly manifest?: string | TrackingManifest;
  readonly region?: string;
  readonly mode: 'direct' | 'root-stream';
}

/** Loads the catalog the options point to and checks project, environment, region and mode. */
export function loadCatalog(o: CatalogChoice): Catalog {
  const catalog = o.catalog !== undefined ? fromModule(o.catalog, o.environment, o.project) : fromManifest(o.manifest!, o.environment, o.project);
  if (o.region !== undefined && o.region !== catalog.region) {
    throw new RegionMismatchError(o.environment, catalog.region, o.region);
  }
  if (o.mode === 'root-stream' && catalog.rootStream === null) throw new RootStreamUnavailableError(o.environment);
  return catalog;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** A short value for a message: strings cut to 64 characters, numbers as they are, other values by type. */
const short = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v) : typeof v === 'number' ? String(v) : v === null ? 'null' : typeof v;

/** Reads a catalog module's data, checking its shape (it may come from another version or be edited by hand). */
function fromModule(data: TrackingCatalog, environment: string, project: string | undefined): Catalog {
  const source = 'the catalog module';
  const fix = 'regenerate it with `npx tracking types --out <dir>`';
  const c = data as unknown;
  if (!isObject(c) || c.format !== CATALOG_FORMAT) {
    throw new CatalogError(`${source} is not a tracking catalog (format "${CATALOG_FORMAT}"); pass the \`catalog\` export of the module \`tracking types --out <dir>\` writes`);
  }
  if (c.version !== CATALOG_VERSION) {
    throw new CatalogError(`${source} has version ${short(c.version)}; this tracker reads version ${CATALOG_VERSION}: ${fix} with the tracker's version, or upgrade the tracker`);
  }
  if (typeof c.project !== 'string' || !isObject(c.environments) || !isObject(c.eventTypes)) {
    throw new CatalogError(`${source} lacks project, environments or eventTypes: ${fix}`);
  }
  if (project !== undefined) checkProject(c.project, project, source);
  if (!own(c.environments, environment)) throw new UnknownEnvironmentError(environment, Object.keys(c.environments).sort(), source);
  const env = c.environments[environment];
  if (!isObject(env) || typeof env.region !== 'string' || !(env.rootStream === null || typeof env.rootStream === 'string') || !isObject(env.deliveryStreams)) {
    throw new CatalogError(`environment "${environment}" of ${source} lacks region, rootStream or deliveryStreams: ${fix}`);
  }
  const entries: CatalogEntry[] = [];
  for (const [key, t] of Object.entries(c.eventTypes)) {
    if (!isObject(t) || typeof t.app !== 'string' || typeof t.eventType !== 'string' || key !== `${t.app}/${t.eventType}`) {
      throw new CatalogError(`event type ${short(key)} of ${source} is malformed: ${fix}`);
    }
    const stream = env.deliveryStreams[key];
    if (typeof stream !== 'string') throw new CatalogError(`environment "${environment}" of ${source} has no delivery stream for ${short(key)}: ${fix}`);
    let contract: CatalogContract | undefined;
    if (t.contract !== null && t.contract !== undefined) {
      const k = t.contract as Partial<CatalogContract>;
      if (!isObject(k) || (k.mode !== 'enforce' && k.mode !== 'observe') || typeof k.hash !== 'string' || !isObject(k.schema)) {
        throw new CatalogError(`the contract of ${short(key)} in ${source} is malformed: ${fix}`);
      }
      contract = k as CatalogContract;
    }
    entries.push({ app: t.app, eventType: t.eventType, key, deliveryStream: stream, ...(contract !== undefined ? { contract } : {}) });
  }
  return { project: c.project, environment, region: env.region, rootStream: env.rootStream as string | null, apps: index(entries), source, hasContracts: true };
}

function fromManifest(manifest: string | TrackingManifest, environment: string, project: string | undefined): Catalog {
  const source = typeof manifest === 'string' ? manifest : 'the manifest object';
  const m = parseManifest(typeof manifest === 'string' ? readJson(manifest) : manifest, source);
  if (project !== undefined) checkProject(m.project, project, source);
  const env = m.environments[environment];
  if (env === undefined) throw new UnknownEnvironmentError(environment, Object.keys(m.environments).sort(), source);
  const entries = Object.values(env.eventTypes).map((t) => ({
    app: t.application,
    eventType: t.eventType,
    key: `${t.application}/${t.eventType}`,
    deliveryStream: t.deliveryStream,
  }));
  return { project: m.project, environment, region: env.region, rootStream: env.rootStream, apps: index(entries), source, hasContracts: false };
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
