/**
 * A value read from AWS and cached per Lambda instance for a time to live: the catalog of event
 * types (./catalog.ts, read by the collector and the fan-out router) and the collector's write keys
 * (functions/collector/keys.ts).
 *
 * - `get()` answers from the cache while it is fresh, and otherwise reads again. Concurrent
 *   callers share one read.
 * - A failed read keeps the last good value (stale is better than refusing every request) and is
 *   retried after `retryMs`; with no good value yet, `get()` rejects, and the caller asks for the
 *   work to be retried (the collector answers 503, the router reports its records as batch item
 *   failures): nothing is dropped because a Lambda could not read its own configuration.
 * - `refresh(minAgeMs)` reads again at once when the value is older than `minAgeMs` (a request
 *   named an event type or key the cache does not know: it may have been added since).
 */
export interface RefreshClock {
  now(): number;
}

export interface RefreshingOptions {
  /** Time to live of a good value. */
  readonly ttlMs: number;
  /** Wait after a failed read before the next attempt. */
  readonly retryMs: number;
  /** @default Date.now */
  readonly clock?: RefreshClock;
}

export class Refreshing<T> {
  private value: T | undefined;
  /** When `value` was read. */
  private loadedAt = -Infinity;
  /** No read starts before this moment (after a failure). */
  private notBefore = -Infinity;
  private inFlight: Promise<T> | undefined;
  private lastError: unknown;
  private readonly clock: RefreshClock;

  public constructor(
    private readonly load: (previous: T | undefined) => Promise<T>,
    private readonly options: RefreshingOptions,
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** Age of the cached value in milliseconds (Infinity when there is none). */
  public age(): number {
    return this.value === undefined ? Infinity : this.clock.now() - this.loadedAt;
  }

  /** The last read's error, when the cached value is stale because of it. */
  public get error(): unknown {
    return this.lastError;
  }

  /** The value: cached while fresh, read again otherwise. */
  public get(): Promise<T> {
    const now = this.clock.now();
    if (this.value !== undefined && now - this.loadedAt < this.options.ttlMs) return Promise.resolve(this.value);
    return this.read(now);
  }

  /** Reads again now if the value is older than `minAgeMs` (and no failure asks to wait). */
  public refresh(minAgeMs: number): Promise<T> {
    const now = this.clock.now();
    if (this.value !== undefined && now - this.loadedAt < minAgeMs) return Promise.resolve(this.value);
    return this.read(now);
  }

  private read(now: number): Promise<T> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (now < this.notBefore) {
      return this.value !== undefined ? Promise.resolve(this.value) : Promise.reject(this.lastError);
    }
    const p = this.load(this.value).then(
      (v) => {
        this.value = v;
        this.loadedAt = this.clock.now();
        this.lastError = undefined;
        this.inFlight = undefined;
        return v;
      },
      (err: unknown) => {
        this.lastError = err;
        this.notBefore = this.clock.now() + this.options.retryMs;
        this.inFlight = undefined;
        if (this.value !== undefined) return this.value;
        throw err;
      },
    );
    this.inFlight = p;
    return p;
  }
}
