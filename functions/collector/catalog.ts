/**
 * The catalog of event types the collector accepts: lib/catalog.ts (shared with the fan-out
 * router), with the collector's own error classes. See lib/catalog.ts for how the catalog objects
 * (`catalog/<stack id>.json.gz`, one per stack holding event types) are read, merged and cached:
 * no catalog object at all is "unavailable" (events are answered "retry later"), never "no event
 * types".
 */
import { TrackingPipelineError } from '../../config/errors';
import { CatalogCache as SharedCatalogCache, decodeCatalogObjectWith, type CatalogCacheOptions, type CatalogErrors } from '../../lib/catalog';
import type { TableSource } from '../../lib/contract-table';

export { mergeCatalog, type Catalog, type CatalogCacheOptions, type CatalogEntry, type CatalogObjectInfo, type CatalogStore, type LoadedObject } from '../../lib/catalog';

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

const withCause = (cause: unknown): { cause?: unknown } | undefined => (cause !== undefined ? { cause } : undefined);

const ERRORS: CatalogErrors = {
  unavailable: (message, cause) => new CatalogUnavailableError(message, withCause(cause)),
  malformed: (message, cause) => new CatalogObjectError(message, withCause(cause)),
};

/** Decodes one catalog object's bytes (gzip of a contract table's text). */
export function decodeCatalogObject(key: string, body: Uint8Array): TableSource {
  return decodeCatalogObjectWith(key, body, ERRORS.malformed);
}

/** The catalog, cached for `ttlMs`, read again at once (at most every `missRefreshMs`) for unknown types. */
export class CatalogCache extends SharedCatalogCache {
  public constructor(options: CatalogCacheOptions) {
    super(options, ERRORS);
  }
}
