/**
 * The catalog of an environment's declared event types, read at run time from the events bucket by
 * the HTTP collector and by the fan-out router.
 *
 * Every stack that holds event types (the single stack, or each shard stack) publishes one catalog
 * object, `catalog/<stack id>.json.gz` (modules/catalog-object.ts): a contract table
 * (./contract-table.ts) listing its event types, their delivery streams and their compiled
 * contracts. A reader lists the prefix, reads the objects whose ETag changed, and merges them. So
 * neither Lambda's code nor its configuration lists event types, and adding one changes only the
 * stack that holds it.
 *
 * - No catalog object at all is treated as unavailable, never as "no event types": the reader then
 *   asks for its work to be retried instead of refusing every event.
 * - An object that cannot be read or decoded keeps its previous content when there is one (and
 *   fails the refresh otherwise); nothing is half-used.
 * - An event type listed by two objects (while it moves between stacks) is taken from the object
 *   whose key sorts first; both carry the same contract after the move.
 * - With `environment` set, an object whose table names another environment is left out (two
 *   environments pointed at one bucket never learn each other's event types).
 *
 * Errors: this layer defines no error class (config/errors.ts is above lib/). Each caller passes
 * factories that build its own `TrackingPipelineError` subclasses (`CatalogErrors`).
 */
import { gunzipSync } from 'node:zlib';
import { decodeContractTableWith, type StreamMode, type TableErrorFactory, type TableSource } from './contract-table';
import { linkProgram, type LinkedNode } from './contract-validator';
import { callWithin } from './deadline';
import { Refreshing, type RefreshClock } from './refreshing';

/** One object under the catalog prefix. */
export interface CatalogObjectInfo {
  readonly key: string;
  readonly etag: string;
}

/** Where the catalog objects are (the events bucket: ./catalog-s3.ts; a stand-in in tests and in collector:dev). */
export interface CatalogStore {
  /** Every object under `prefix` (all pages). */
  list(prefix: string, signal: AbortSignal): Promise<CatalogObjectInfo[]>;
  /** One object's bytes and its ETag. */
  get(key: string, signal: AbortSignal): Promise<{ readonly body: Uint8Array; readonly etag: string }>;
}

/** The errors a catalog reader throws, built by the caller (its own typed error classes). */
export interface CatalogErrors {
  /** The catalog could not be read and no earlier copy exists. */
  readonly unavailable: TableErrorFactory;
  /** A catalog object is malformed. */
  readonly malformed: TableErrorFactory;
}

/** A declared event type. */
export interface CatalogEntry {
  /** `<app>/<eventType>`. */
  readonly key: string;
  readonly deliveryStream: string;
  readonly mode: StreamMode;
  /** The linked contract (enforce/observe), linked on first use. */
  contract(): LinkedNode | undefined;
}

export interface Catalog {
  /** Event types by key. */
  readonly entries: ReadonlyMap<string, CatalogEntry>;
  /** The objects read, by key, with their ETag. */
  readonly objects: ReadonlyMap<string, string>;
  /** Event types listed by more than one object (taken from the first). */
  readonly duplicates: number;
}

/** One decoded catalog object, kept between refreshes while its ETag does not change. */
export interface LoadedObject {
  readonly etag: string;
  readonly table: TableSource;
  readonly linked: Map<number, LinkedNode>;
}

export interface CatalogCacheOptions {
  readonly store: CatalogStore;
  /** `catalog/` (config/naming CATALOG_ROOT). */
  readonly prefix: string;
  /** Time to live of the catalog. */
  readonly ttlMs: number;
  /** Least time between two reads asked for by unknown event types. @default 10,000 */
  readonly missRefreshMs?: number;
  /** Wait after a failed read before the next one. @default min(missRefreshMs, ttlMs) */
  readonly retryMs?: number;
  /** Longest S3 call. @default 3,000 */
  readonly callTimeoutMs?: number;
  /**
   * Only objects whose table names this environment are merged.
   * @default every object under the prefix
   */
  readonly environment?: string;
  readonly clock?: RefreshClock;
}

/** Decodes one catalog object's bytes (gzip of a contract table's text). */
export function decodeCatalogObjectWith(key: string, body: Uint8Array, malformed: TableErrorFactory): TableSource {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (err) {
    throw malformed(`catalog object ${key} is not gzip`, err);
  }
  return decodeContractTableWith(text, `catalog object ${key}`, malformed);
}

/** The merged catalog of decoded objects (sorted by object key: the first listing of a type wins). */
export function mergeCatalog(objects: ReadonlyMap<string, LoadedObject>): Catalog {
  const entries = new Map<string, CatalogEntry>();
  let duplicates = 0;
  for (const objectKey of [...objects.keys()].sort()) {
    const o = objects.get(objectKey)!;
    for (const [deliveryStream, e] of Object.entries(o.table.streams)) {
      if (entries.has(e.key)) {
        duplicates++;
        continue;
      }
      const index = e.program;
      entries.set(e.key, {
        key: e.key,
        deliveryStream,
        mode: e.mode,
        contract: () => {
          if (e.mode === 'none' || index === undefined) return undefined;
          let root = o.linked.get(index);
          if (root === undefined) {
            root = linkProgram(o.table.program(index));
            o.linked.set(index, root);
          }
          return root;
        },
      });
    }
  }
  return { entries, objects: new Map([...objects].map(([k, v]) => [k, v.etag])), duplicates };
}

/** The catalog, cached for `ttlMs`, read again at once (at most every `missRefreshMs`) for unknown types. */
export class CatalogCache {
  private readonly cache: Refreshing<{ readonly catalog: Catalog; readonly objects: ReadonlyMap<string, LoadedObject> }>;
  private readonly missRefreshMs: number;
  private readonly callTimeoutMs: number;

  public constructor(
    private readonly options: CatalogCacheOptions,
    private readonly errors: CatalogErrors,
  ) {
    this.missRefreshMs = options.missRefreshMs ?? 10_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 3_000;
    this.cache = new Refreshing((previous) => this.load(previous?.objects), {
      ttlMs: options.ttlMs,
      retryMs: options.retryMs ?? Math.min(this.missRefreshMs, options.ttlMs),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
  }

  /** The current catalog (rejects with the `unavailable` error when none could ever be read). */
  public async current(): Promise<Catalog> {
    return (await this.cache.get()).catalog;
  }

  /** Reads again for types the catalog did not know, unless it was read within `missRefreshMs`. */
  public async refreshForMiss(): Promise<Catalog> {
    return (await this.cache.refresh(this.missRefreshMs)).catalog;
  }

  /** The last refresh's error, when the catalog in use is stale because of it. */
  public get staleBecause(): unknown {
    return this.cache.error;
  }

  private async load(previous: ReadonlyMap<string, LoadedObject> | undefined): Promise<{ catalog: Catalog; objects: ReadonlyMap<string, LoadedObject> }> {
    const { store, prefix, environment } = this.options;
    let listed: CatalogObjectInfo[];
    try {
      listed = await callWithin((s) => store.list(prefix, s), this.callTimeoutMs, true);
    } catch (err) {
      throw this.errors.unavailable(`cannot list the catalog objects under ${prefix}: ${errorText(err)}`, err);
    }
    const wanted = listed.filter((o) => o.key.endsWith('.json.gz'));
    if (wanted.length === 0) {
      throw this.errors.unavailable(
        `no catalog object under ${prefix}: every stack holding event types publishes one (catalog/<stack id>.json.gz); ` +
          'until one exists, the collector answers "retry later" and the router retries its records',
      );
    }
    const objects = new Map<string, LoadedObject>();
    await Promise.all(
      wanted.map(async (info) => {
        const before = previous?.get(info.key);
        if (before !== undefined && before.etag === info.etag) {
          objects.set(info.key, before);
          return;
        }
        try {
          const { body, etag } = await callWithin((s) => store.get(info.key, s), this.callTimeoutMs, true);
          objects.set(info.key, { etag, table: decodeCatalogObjectWith(info.key, body, this.errors.malformed), linked: new Map() });
        } catch (err) {
          // Keep the previous content of this object when there is one; otherwise the refresh fails as a whole.
          if (before !== undefined) objects.set(info.key, before);
          else throw this.errors.unavailable(`cannot read catalog object ${info.key}: ${errorText(err)}`, err);
        }
      }),
    );
    if (environment !== undefined) {
      for (const [key, o] of objects) if (o.table.environment !== environment) objects.delete(key);
      if (objects.size === 0) {
        throw this.errors.unavailable(`no catalog object under ${prefix} is of environment ${environment}`);
      }
    }
    return { catalog: mergeCatalog(objects), objects };
  }
}

function errorText(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${name}: ${message.length > 200 ? `${message.slice(0, 197)}...` : message}`;
}
