/**
 * The catalog of event types the collector accepts, read at run time from the events bucket.
 *
 * Every stack that holds event types (the single stack, or each shard stack) publishes one
 * catalog object, `catalog/<stack id>.json.gz` (modules/catalog-object.ts): a contract table
 * (lib/contract-table.ts) listing its event types, their delivery streams and their compiled
 * contracts. The collector lists the prefix, reads the objects whose ETag changed, and merges
 * them. So the collector's own code and configuration never list event types, and adding one
 * changes only its shard's stack (issue #11).
 *
 * - No catalog object at all is treated as unavailable, never as "no event types": the collector
 *   then answers "retry later" instead of rejecting every event.
 * - An object that cannot be read or decoded keeps its previous content when there is one (and
 *   fails the refresh otherwise); nothing is half-used.
 * - An event type listed by two objects (while it moves between stacks) is taken from the object
 *   whose key sorts first; both carry the same contract after the move.
 */
import { gunzipSync } from 'node:zlib';
import { TrackingPipelineError } from '../../config/errors';
import { decodeContractTableWith, type StreamMode, type TableSource } from '../../lib/contract-table';
import { linkProgram, type LinkedNode } from '../../lib/contract-validator';
import { callWithin } from '../../lib/deadline';
import { Refreshing, type RefreshClock } from './refreshing';

/** One object under the catalog prefix. */
export interface CatalogObjectInfo {
  readonly key: string;
  readonly etag: string;
}

/** Where the catalog objects are (the events bucket; a stand-in in tests and in collector:dev). */
export interface CatalogStore {
  /** Every object under `prefix` (all pages). */
  list(prefix: string, signal: AbortSignal): Promise<CatalogObjectInfo[]>;
  /** One object's bytes and its ETag. */
  get(key: string, signal: AbortSignal): Promise<{ readonly body: Uint8Array; readonly etag: string }>;
}

/** The catalog could not be read and no earlier copy exists. */
export class CatalogUnavailableError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogUnavailableError';
  }
}

/** A catalog object is malformed. */
export class CatalogObjectError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogObjectError';
  }
}

/** A known event type. */
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

interface LoadedObject {
  readonly etag: string;
  readonly table: TableSource;
  readonly linked: Map<number, LinkedNode>;
}

export interface CatalogCacheOptions {
  readonly store: CatalogStore;
  /** `catalog/`. */
  readonly prefix: string;
  /** Time to live of the catalog. */
  readonly ttlMs: number;
  /** Least time between two reads asked for by unknown event types. @default 10,000 */
  readonly missRefreshMs?: number;
  /** Longest S3 call. @default 3,000 */
  readonly callTimeoutMs?: number;
  readonly clock?: RefreshClock;
}

/** Decodes one catalog object's bytes (gzip of a contract table's text). */
export function decodeCatalogObject(key: string, body: Uint8Array): TableSource {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (err) {
    throw new CatalogObjectError(`catalog object ${key} is not gzip`, { cause: err });
  }
  return decodeContractTableWith(text, `catalog object ${key}`, (message, cause) => new CatalogObjectError(message, cause !== undefined ? { cause } : undefined));
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

  public constructor(private readonly options: CatalogCacheOptions) {
    this.missRefreshMs = options.missRefreshMs ?? 10_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 3_000;
    this.cache = new Refreshing((previous) => this.load(previous?.objects), {
      ttlMs: options.ttlMs,
      retryMs: Math.min(this.missRefreshMs, options.ttlMs),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
  }

  /** The current catalog (rejects with CatalogUnavailableError when none could ever be read). */
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
    const { store, prefix } = this.options;
    let listed: CatalogObjectInfo[];
    try {
      listed = await callWithin((s) => store.list(prefix, s), this.callTimeoutMs, true);
    } catch (err) {
      throw new CatalogUnavailableError(`cannot list the catalog objects under ${prefix}: ${errorText(err)}`, { cause: err });
    }
    const wanted = listed.filter((o) => o.key.endsWith('.json.gz'));
    if (wanted.length === 0) {
      throw new CatalogUnavailableError(
        `no catalog object under ${prefix}: every stack holding event types publishes one (catalog/<stack id>.json.gz); ` +
          'until one exists, events are answered "retry later"',
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
          objects.set(info.key, { etag, table: decodeCatalogObject(info.key, body), linked: new Map() });
        } catch (err) {
          // Keep the previous content of this object when there is one; otherwise the refresh fails as a whole.
          if (before !== undefined) objects.set(info.key, before);
          else throw new CatalogUnavailableError(`cannot read catalog object ${info.key}: ${errorText(err)}`, { cause: err });
        }
      }),
    );
    return { catalog: mergeCatalog(objects), objects };
  }
}

function errorText(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${name}: ${message.length > 200 ? `${message.slice(0, 197)}...` : message}`;
}
