/**
 * The router's catalog of declared event types: lib/catalog.ts (shared with the collector), with the
 * router's own error classes. Read from the events bucket's `catalog/` prefix, cached for
 * `CATALOG_TTL_MS`, read again at most every `CATALOG_MISS_REFRESH_MS` for a pair it does not know.
 */
import { TrackingPipelineError } from '../../config/errors';
import { CATALOG_ROOT } from '../../config/naming';
import { CatalogCache, type CatalogErrors, type CatalogStore } from '../../lib/catalog';

/** Time to live of the catalog: how long an added event type may wait before the router knows it. */
export const CATALOG_TTL_MS = 60_000;
/** Least time between two reads asked for by pairs the catalog does not know (an attacker's records included). */
export const CATALOG_MISS_REFRESH_MS = 10_000;
/** Wait after a failed read before the next one. */
export const CATALOG_RETRY_MS = 1_000;

/** The catalog could not be read and no earlier copy exists. */
export class RouterCatalogUnavailableError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouterCatalogUnavailableError';
  }
}

/** A catalog object is malformed. */
export class RouterCatalogObjectError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouterCatalogObjectError';
  }
}

const withCause = (cause: unknown): { cause?: unknown } | undefined => (cause !== undefined ? { cause } : undefined);

export const ROUTER_CATALOG_ERRORS: CatalogErrors = {
  unavailable: (message, cause) => new RouterCatalogUnavailableError(message, withCause(cause)),
  malformed: (message, cause) => new RouterCatalogObjectError(message, withCause(cause)),
};

/** The catalog of one environment's bucket, as the router reads it. */
export function routerCatalog(store: CatalogStore, environment: string, clock?: { now(): number }): CatalogCache {
  return new CatalogCache(
    {
      store,
      prefix: CATALOG_ROOT,
      ttlMs: CATALOG_TTL_MS,
      missRefreshMs: CATALOG_MISS_REFRESH_MS,
      retryMs: CATALOG_RETRY_MS,
      environment,
      ...(clock !== undefined ? { clock } : {}),
    },
    ROUTER_CATALOG_ERRORS,
  );
}
