/**
 * Write keys at run time: every application's parameter under the environment's SSM path
 * (`/<project>/<env>/collector/write-keys/<app>`, one `GetParametersByPath` call per page), each
 * holding the SHA-256 of its valid keys, its allowed browser origins and whether it needs a JWT
 * (lib/write-keys.ts). Cached per Lambda instance (./refreshing.ts).
 *
 * A request's key is hashed and looked up by hash; the key itself is never stored or logged.
 * A parameter whose document is malformed, or whose `app` differs from its name, is skipped and
 * reported in the log (its application's requests get 401): it is never half-used.
 */
import { TrackingPipelineError } from '../../config/errors';
import { callWithin } from '../../lib/deadline';
import { hashWriteKey, parseWriteKeyDocument } from '../../lib/write-keys';
import { Refreshing, type RefreshClock } from './refreshing';

/** Where the write-key parameters are (Parameter Store; a stand-in in tests and in collector:dev). */
export interface ParameterSource {
  /** Every parameter directly under `path` (all pages), with its value. */
  byPath(path: string, signal: AbortSignal): Promise<{ readonly name: string; readonly value: string }[]>;
}

/** The write keys could not be read and no earlier copy exists. */
export class WriteKeysUnavailableError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteKeysUnavailableError';
  }
}

/** What a valid key grants. */
export interface AppAccess {
  readonly app: string;
  readonly origins: ReadonlySet<string>;
  readonly requireJwt: boolean;
}

export interface KeyIndex {
  readonly byHash: ReadonlyMap<string, AppAccess>;
  /** Every allowed origin (a preflight names no application: it is answered for the union). */
  readonly origins: ReadonlySet<string>;
  /** Parameters that were skipped, and why (for the log). */
  readonly problems: readonly string[];
}

/** Builds the index from the parameters' names and values. */
export function buildKeyIndex(path: string, parameters: readonly { readonly name: string; readonly value: string }[]): KeyIndex {
  const byHash = new Map<string, AppAccess>();
  const origins = new Set<string>();
  const problems: string[] = [];
  for (const p of [...parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const app = p.name.startsWith(`${path}/`) ? p.name.slice(path.length + 1) : '';
    const parsed = parseWriteKeyDocument(p.value);
    if (!parsed.ok) {
      problems.push(`${p.name}: ${parsed.problem}`);
      continue;
    }
    if (parsed.doc.app !== app) {
      problems.push(`${p.name}: holds the keys of "${parsed.doc.app}", not of "${app}"`);
      continue;
    }
    const access: AppAccess = { app, origins: new Set(parsed.doc.origins), requireJwt: parsed.doc.requireJwt };
    for (const h of parsed.doc.keys) {
      const other = byHash.get(h);
      if (other !== undefined && other.app !== app) {
        problems.push(`${p.name}: a key hash is also listed by "${other.app}"; it stays with "${other.app}"`);
        continue;
      }
      byHash.set(h, access);
    }
    for (const o of parsed.doc.origins) origins.add(o);
  }
  return { byHash, origins, problems };
}

export interface WriteKeyCacheOptions {
  readonly source: ParameterSource;
  /** `/<project>/<env>/collector/write-keys`. */
  readonly path: string;
  readonly ttlMs: number;
  /** Least time between two reads asked for by unknown keys (bounds what random keys can cost). @default 30,000 */
  readonly missRefreshMs?: number;
  /** Longest SSM read (all pages). @default 3,000 */
  readonly callTimeoutMs?: number;
  readonly clock?: RefreshClock;
}

export class WriteKeyCache {
  private readonly cache: Refreshing<KeyIndex>;
  private readonly missRefreshMs: number;

  public constructor(options: WriteKeyCacheOptions) {
    this.missRefreshMs = options.missRefreshMs ?? 30_000;
    const timeout = options.callTimeoutMs ?? 3_000;
    this.cache = new Refreshing(
      async () => {
        try {
          return buildKeyIndex(options.path, await callWithin((s) => options.source.byPath(options.path, s), timeout, true));
        } catch (err) {
          throw new WriteKeysUnavailableError(`cannot read the write keys under ${options.path}: ${(err as Error)?.name ?? 'Error'}`, { cause: err });
        }
      },
      { ttlMs: options.ttlMs, retryMs: Math.min(this.missRefreshMs, options.ttlMs), ...(options.clock !== undefined ? { clock: options.clock } : {}) },
    );
  }

  /** The current index (rejects with WriteKeysUnavailableError when none could ever be read). */
  public current(): Promise<KeyIndex> {
    return this.cache.get();
  }

  /** The application of a key: looked up by its hash, reading again once for a key not known yet. */
  public async lookup(key: string): Promise<AppAccess | undefined> {
    const hash = hashWriteKey(key);
    const found = (await this.cache.get()).byHash.get(hash);
    if (found !== undefined) return found;
    return (await this.cache.refresh(this.missRefreshMs)).byHash.get(hash);
  }
}
