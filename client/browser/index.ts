/**
 * The browser tracker: a small, dependency-free ES module that sends events to the collector
 * (docs/collector.md, "Browser tracker").
 *
 *   import { init, track, flush } from './tracker.js';
 *   init({ endpoint: 'https://collect.example.com', writeKey: 'tpk_…', app: 'web-shop' });
 *   track('page_view', { path: location.pathname });
 *
 * - Batches by count, bytes and interval; one request in flight at a time.
 * - Keeps every event in a bounded queue in localStorage until the collector answers that it was
 *   written or rejected: events survive reloads and offline periods. A full queue drops its oldest
 *   events and counts them (`stats().dropped`, `onDrop`); nothing is dropped silently.
 * - Retries network errors, 5xx and 429 with exponential backoff and full jitter, and at once when
 *   the browser comes back online. Only the events the collector lists in `retry` are sent again.
 * - On `visibilitychange` to hidden it sends with `fetch(..., { keepalive: true })`; on `pagehide`
 *   with `navigator.sendBeacon`. Events sent that way stay queued until an answer is read, so an
 *   event is sent at least once: deduplicate on `event_id`.
 * - Sends simple CORS requests (POST, text/plain, no custom header): no preflight, and beacons
 *   work. The write key and the application go in the URL (`?app=…&key=…`), where the collector's
 *   rate limits count them (AWS WAF reads the query, not a JSON body), and in the body too, for
 *   collectors without the edge. No cookies (`credentials: 'omit'`), no personal data: only what
 *   you pass, plus `app`, `event_type`, `event_id` and `sent_at`.
 *
 * Typed per event type with the output of `npm run types`:
 *   import type { TrackingEvents } from '../generated/tracking-events';
 *   const t = init<TrackingEvents['web-shop']>({ ... });
 *   t.track('checkout_completed', { order_id: 'o-1', amount: 12.5 }); // checked by the compiler
 *
 * The browser globals it uses are typed structurally below (the project compiles without the DOM
 * library), and can be replaced through `env` (tests).
 */
import { APPLICATION_QUERY, EVENTS_PATH, WRITE_KEY_FIELD, WRITE_KEY_QUERY, type EventsAnswer } from '../../lib/collector-protocol';

/** Event shapes by event type (`TrackingEvents['<app>']` from `npm run types`). */
export type EventMap = { readonly [eventType: string]: object };

export interface TrackerOptions {
  /** The collector's base URL (its `collector-endpoint` output). */
  readonly endpoint: string;
  /** The application's write key (public: it identifies the application). */
  readonly writeKey: string;
  readonly app: string;
  /** Events per request. @default 50 */
  readonly maxBatchEvents?: number;
  /** Bytes per request (keepalive requests and beacons are limited to 64 KB). @default 60000 */
  readonly maxBatchBytes?: number;
  /** Longest wait before queued events are sent. @default 5000 */
  readonly flushIntervalMs?: number;
  /** Largest event, as JSON. @default 32768 */
  readonly maxEventBytes?: number;
  /** Events kept in the queue; beyond it the oldest are dropped and counted. @default 1000 */
  readonly maxQueueEvents?: number;
  /** First backoff ceiling / largest backoff, in ms. @default 1000 / 60000 */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Called when events are dropped (queue full, storage full) or rejected by the collector. @default none */
  readonly onDrop?: (count: number, reason: 'queue-full' | 'rejected' | 'refused') => void;
  /** Replaces browser globals (tests). @default the browser's */
  readonly env?: Partial<BrowserEnv>;
}

export interface TrackerStats {
  /** Events tracked by this page. */
  readonly tracked: number;
  /** Events this page took over from earlier pages of the app (a reload, a tab closed or duplicated). */
  readonly adopted: number;
  /** Events the collector confirmed as written. */
  readonly sent: number;
  /** Events the collector rejected (bad events; see `onDrop`). */
  readonly rejected: number;
  /** Events this page dropped because the queue was full or the collector refused a request. */
  readonly dropped: number;
  /** Events waiting (including those in flight). */
  readonly queued: number;
  /** Failed attempts (network errors, 5xx, 429). */
  readonly failures: number;
}

export interface Tracker<E extends EventMap = EventMap> {
  /** Queues an event; returns its `event_id`. Throws for an event that cannot be serialized or is too large. */
  track<T extends keyof E & string>(eventType: T, props?: E[T]): string;
  /** Sends everything queued now; resolves when the queue is empty or an attempt failed. */
  flush(): Promise<void>;
  stats(): TrackerStats;
  /** Stops timers and listeners (the queue stays in storage). */
  stop(): void;
}

/** What the tracker needs from the browser. */
export interface BrowserEnv {
  fetch(url: string, init: { method: string; body: string; headers: Record<string, string>; keepalive: boolean; credentials: string; mode: string }): Promise<{ status: number; json(): Promise<unknown> }>;
  /** navigator.sendBeacon; undefined when absent. */
  beacon?: (url: string, body: string) => boolean;
  local?: StorageLike;
  session?: StorageLike;
  /** Adds a listener on window (`online`, `pagehide`) or document (`visibilitychange`); returns its removal. */
  listen(target: 'window' | 'document', type: string, fn: () => void): () => void;
  hidden(): boolean;
  now(): number;
  random(): number;
  uuid(): string;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

interface Queued {
  /** event_id. */
  readonly i: string;
  /** The event as JSON. */
  readonly j: string;
}

/** What one tab keeps in localStorage. */
interface Stored {
  readonly v: 1;
  /** Last write (ms): other tabs adopt a queue left alone longer than `orphanMs`. */
  readonly t: number;
  /** Dropped events so far. */
  readonly d: number;
  readonly q: Queued[];
}

const PREFIX = 'tpq:';
/** Batches answered in full after a 413 before the batch size may double again. */
const GROW_AFTER = 10;

// The browser's globals, typed structurally (no DOM library in this project).
interface Globals {
  fetch: BrowserEnv['fetch'];
  navigator?: { sendBeacon?(url: string, data: string): boolean };
  localStorage?: StorageLike;
  sessionStorage?: StorageLike;
  document?: { visibilityState?: string; addEventListener(t: string, f: () => void): void; removeEventListener(t: string, f: () => void): void };
  addEventListener?(t: string, f: () => void): void;
  removeEventListener?(t: string, f: () => void): void;
  crypto?: { randomUUID?(): string; getRandomValues?<T extends Uint8Array>(a: T): T };
}

function browserEnv(): BrowserEnv {
  const g = globalThis as unknown as Globals;
  const storage = (name: 'localStorage' | 'sessionStorage'): StorageLike | undefined => {
    try {
      return g[name];
    } catch {
      return undefined; // storage disabled: the queue lives in memory
    }
  };
  const nav = g.navigator;
  return {
    fetch: (u, i) => g.fetch(u, i),
    ...(nav?.sendBeacon !== undefined ? { beacon: (u: string, b: string) => nav.sendBeacon!(u, b) } : {}),
    local: storage('localStorage'),
    session: storage('sessionStorage'),
    listen: (target, type, fn) => {
      const t = target === 'document' ? g.document : g;
      t?.addEventListener?.(type, fn);
      return () => t?.removeEventListener?.(type, fn);
    },
    hidden: () => g.document?.visibilityState === 'hidden',
    now: () => Date.now(),
    random: () => Math.random(),
    uuid: () => {
      const c = g.crypto;
      if (c?.randomUUID !== undefined) return c.randomUUID();
      const b = c?.getRandomValues !== undefined ? c.getRandomValues(new Uint8Array(16)) : Uint8Array.from({ length: 16 }, () => Math.floor(Math.random() * 256));
      b[6] = (b[6]! & 15) | 64;
      b[8] = (b[8]! & 63) | 128;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  };
}

const utf8 = (s: string): number => new TextEncoder().encode(s).length;

/** Creates a tracker (`init` keeps one for the module-level `track` and `flush`). */
export function createTracker<E extends EventMap = EventMap>(options: TrackerOptions): Tracker<E> {
  const env: BrowserEnv = { ...browserEnv(), ...options.env };
  const o = {
    maxBatchEvents: 50,
    maxBatchBytes: 60_000,
    flushIntervalMs: 5_000,
    maxEventBytes: 32_768,
    maxQueueEvents: 1_000,
    retryBaseMs: 1_000,
    retryMaxMs: 60_000,
    ...options,
  };
  const url = `${o.endpoint.replace(/\/+$/, '')}${EVENTS_PATH}?${APPLICATION_QUERY}=${encodeURIComponent(o.app)}&${WRITE_KEY_QUERY}=${encodeURIComponent(o.writeKey)}`;
  const head = `{${JSON.stringify(WRITE_KEY_FIELD)}:${JSON.stringify(o.writeKey)},"events":[`;
  const orphanMs = 2 * o.retryMaxMs;
  const stats = { tracked: 0, adopted: 0, sent: 0, rejected: 0, dropped: 0, failures: 0 };
  let queue: Queued[] = [];
  /** Ids in the request in flight. */
  const inFlight = new Set<string>();
  let sending: Promise<boolean> | undefined;
  let timer: unknown;
  let attempt = 0;
  let batchLimit = o.maxBatchEvents;
  /** Batches answered in full since the last 413: after GROW_AFTER of them, batches may double again. */
  let answeredSince413 = 0;
  let persistQueued = false;
  let stopped = false;

  // --- Storage: one queue per page. sessionStorage names the last page of this tab, whose queue the
  // next page (a reload) takes over at once. A duplicated tab copies sessionStorage: both pages then
  // name the same previous queue, but each writes its own, so neither overwrites the other's.
  const local = env.local;
  const pageId = `${env.now().toString(36)}${Math.floor(env.random() * 1e9).toString(36)}`;
  let previousKey: string | undefined;
  try {
    const known = env.session?.getItem(`${PREFIX}tab`);
    if (known !== null && known !== undefined) previousKey = `${PREFIX}${o.app}:${known}`;
    env.session?.setItem(`${PREFIX}tab`, pageId);
  } catch {
    // no session storage: the previous page's queue is adopted once it is old enough
  }
  const ownKey = `${PREFIX}${o.app}:${pageId}`;
  const read = (key: string): Stored | undefined => {
    try {
      const s = JSON.parse(local?.getItem(key) ?? 'null') as Stored | null;
      return s !== null && s.v === 1 && Array.isArray(s.q) ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const drop = (count: number, reason: 'queue-full' | 'rejected' | 'refused'): void => {
    if (count <= 0) return;
    if (reason === 'rejected') stats.rejected += count;
    else stats.dropped += count;
    try {
      o.onDrop?.(count, reason);
    } catch {
      // a throwing callback must not break tracking
    }
  };
  const persist = (): void => {
    persistQueued = false;
    if (local === undefined) return;
    for (;;) {
      try {
        if (queue.length === 0) local.removeItem(ownKey);
        else local.setItem(ownKey, JSON.stringify({ v: 1, t: env.now(), d: 0, q: queue } satisfies Stored));
        return;
      } catch {
        // Storage full: drop the oldest half (counted) and try again; give up on an empty queue.
        if (queue.length === 0) return;
        const n = Math.ceil(queue.length / 2);
        queue = queue.slice(n);
        drop(n, 'queue-full');
      }
    }
  };
  const schedulePersist = (): void => {
    if (!persistQueued) {
      persistQueued = true;
      queueMicrotask(persist);
    }
  };
  // The previous page's queue of this tab, then the queues of pages closed long enough ago (adopted:
  // at least once, never lost). A queue this version cannot read (another version's) is left alone.
  try {
    for (let k = (local?.length ?? 0) - 1; k >= 0; k--) {
      const key = local!.key(k);
      if (key === null || key === ownKey || !key.startsWith(`${PREFIX}${o.app}:`)) continue;
      const other = read(key);
      if (other !== undefined && (key === previousKey || env.now() - other.t > orphanMs)) {
        queue.push(...other.q);
        local!.removeItem(key);
      }
    }
  } catch {
    // storage unreadable: only this page's events
  }
  // The same event twice (a duplicated tab's pages both held it) is sent once; two different events
  // that share an event_id given by the caller are both kept.
  const seen = new Set<string>();
  queue = queue.filter((e) => {
    const k = `${e.i}\n${e.j}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  stats.adopted = queue.length;
  bound();
  schedulePersist();

  /** Keeps the queue within maxQueueEvents, dropping the oldest events not in flight. */
  function bound(): void {
    let excess = queue.length - o.maxQueueEvents;
    if (excess <= 0) return;
    const kept: Queued[] = [];
    for (const e of queue) {
      if (excess > 0 && !inFlight.has(e.i)) excess--;
      else kept.push(e);
    }
    drop(queue.length - kept.length, 'queue-full');
    queue = kept;
  }

  /** The next batch: queued events not in flight, within the count and byte limits. */
  function nextBatch(): Queued[] {
    const batch: Queued[] = [];
    let bytes = utf8(head) + 2;
    for (const e of queue) {
      if (inFlight.has(e.i)) continue;
      const b = utf8(e.j) + 1;
      if (batch.length >= batchLimit || (batch.length > 0 && bytes + b > o.maxBatchBytes)) break;
      batch.push(e);
      bytes += b;
    }
    return batch;
  }

  const bodyOf = (batch: readonly Queued[]): string => `${head}${batch.map((e) => e.j).join(',')}]}`;

  function remove(ids: ReadonlySet<string>): void {
    queue = queue.filter((e) => !ids.has(e.i));
    schedulePersist();
  }

  /** Sends one batch and applies the answer; resolves to true when the collector answered for every event. */
  async function sendBatch(batch: readonly Queued[], keepalive: boolean): Promise<boolean> {
    for (const e of batch) inFlight.add(e.i);
    let ok = false;
    try {
      const res = await env.fetch(url, {
        method: 'POST',
        body: bodyOf(batch),
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        keepalive,
        credentials: 'omit',
        mode: 'cors',
      });
      let answer: EventsAnswer | undefined;
      try {
        const a = (await res.json()) as EventsAnswer;
        if (typeof a?.accepted === 'number' && Array.isArray(a.rejected) && Array.isArray(a.retry)) answer = a;
      } catch {
        answer = undefined;
      }
      if (answer !== undefined && (res.status === 200 || res.status === 422 || res.status === 503)) {
        // Everything the collector did not ask to send again is done: written or rejected.
        const again = new Set(answer.retry.map((r) => batch[r.index]?.i));
        const done = new Set(batch.filter((e) => !again.has(e.i)).map((e) => e.i));
        stats.sent += answer.accepted;
        drop(answer.rejected.length, 'rejected');
        remove(done);
        ok = again.size === 0;
        // Grow back, slowly, after a 413 made batches smaller.
        if (ok && batchLimit < o.maxBatchEvents && ++answeredSince413 >= GROW_AFTER) {
          batchLimit = Math.min(o.maxBatchEvents, batchLimit * 2);
          answeredSince413 = 0;
        }
      } else if (res.status === 413 && batch.length > 1) {
        batchLimit = Math.max(1, Math.floor(batch.length / 2));
        answeredSince413 = 0;
        ok = true;
      } else if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403 && res.status !== 429) {
        // The collector refused the request itself (malformed, or one event alone is too large for
        // it: 413): sending it again cannot help.
        remove(new Set(batch.map((e) => e.i)));
        drop(batch.length, 'refused');
        ok = true;
      }
      // 401/403 (key or origin), 429, 5xx without an answer: keep everything and back off.
    } catch {
      // Network error, offline, or a CORS refusal: keep everything and back off.
    } finally {
      for (const e of batch) inFlight.delete(e.i);
    }
    if (!ok) stats.failures++;
    return ok;
  }

  function arm(ms: number): void {
    if (stopped) return;
    if (timer !== undefined) env.clearTimeout(timer);
    timer = env.setTimeout(() => {
      timer = undefined;
      void run(true);
    }, ms);
  }

  /**
   * Sends batches until the queue is empty or an attempt fails (then backs off). With `all` false
   * (a batch just filled up) it sends full batches only and leaves the rest to the interval.
   */
  function run(all: boolean): Promise<boolean> {
    if (sending !== undefined) return sending;
    sending = (async () => {
      try {
        for (;;) {
          const batch = nextBatch();
          if (batch.length === 0) return true;
          if (!all && batch.length < batchLimit && batch.length === queue.length - inFlight.size) {
            if (timer === undefined) arm(o.flushIntervalMs);
            return true;
          }
          if (!(await sendBatch(batch, false))) {
            // Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))).
            attempt++;
            arm(Math.floor(env.random() * Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** Math.min(attempt - 1, 20))));
            return false;
          }
          attempt = 0;
        }
      } finally {
        sending = undefined;
      }
    })();
    return sending;
  }

  /**
   * The page is hidden (`beacon` false: keepalive fetches, whose answers this page still reads if it
   * lives on) or going away (`beacon` true: sendBeacon, whose answers nobody reads, so its events
   * stay queued and are sent again on the next visit). Browsers allow 64 KB of such requests at once.
   */
  function sendOnExit(beacon: boolean): void {
    persist();
    let budget = 64_000;
    const pending = beacon ? queue : queue.filter((e) => !inFlight.has(e.i));
    let start = 0;
    while (start < pending.length) {
      const batch: Queued[] = [];
      let bytes = utf8(head) + 2;
      for (let k = start; k < pending.length && batch.length < batchLimit; k++) {
        const b = utf8(pending[k]!.j) + 1;
        if (batch.length > 0 && bytes + b > o.maxBatchBytes) break;
        batch.push(pending[k]!);
        bytes += b;
      }
      if (bytes > budget) break;
      budget -= bytes;
      start += batch.length;
      if (!beacon || env.beacon === undefined || !env.beacon(url, bodyOf(batch))) void sendBatch(batch, true);
    }
    // Whatever is left (or fails) is sent by the timer, as soon as the page runs again.
    if (!beacon && queue.length > 0) arm(o.flushIntervalMs);
  }

  const unlisten = [
    env.listen('document', 'visibilitychange', () => {
      if (env.hidden()) sendOnExit(false);
    }),
    env.listen('window', 'pagehide', () => sendOnExit(true)),
    env.listen('window', 'online', () => {
      attempt = 0;
      void run(true);
    }),
  ];

  if (queue.length > 0) arm(0);

  return {
    track(eventType, props) {
      if (stopped) throw new Error('tracker stopped');
      const id = env.uuid();
      // Envelope first; props may set event_id and sent_at, never app or event_type.
      const event: Record<string, unknown> = { app: o.app, event_type: eventType, event_id: id, sent_at: new Date(env.now()).toISOString(), ...props };
      event.app = o.app;
      event.event_type = eventType;
      const json = JSON.stringify(event);
      if (json === undefined || utf8(json) > o.maxEventBytes) {
        throw new RangeError(`event "${eventType}" is ${json === undefined ? 'not JSON' : `${utf8(json)} bytes`}; at most ${o.maxEventBytes} bytes are sent`);
      }
      const i = typeof event.event_id === 'string' && event.event_id !== '' ? event.event_id : id;
      if (i !== id && queue.some((e) => e.i === i)) {
        throw new RangeError(`event_id ${JSON.stringify(i.slice(0, 100))} is already queued: give each event its own event_id`);
      }
      queue.push({ i, j: json });
      stats.tracked++;
      bound();
      schedulePersist();
      if (queue.length - inFlight.size >= batchLimit) void run(false);
      else if (timer === undefined && sending === undefined) arm(o.flushIntervalMs);
      return i;
    },
    async flush() {
      if (sending !== undefined) await sending;
      if (timer !== undefined) {
        env.clearTimeout(timer);
        timer = undefined;
      }
      attempt = 0;
      await run(true);
    },
    stats: () => ({ ...stats, queued: queue.length }),
    stop() {
      stopped = true;
      if (timer !== undefined) env.clearTimeout(timer);
      for (const u of unlisten) u();
      persist();
    },
  };
}

let current: Tracker | undefined;

/** Starts the page's tracker (a second call replaces the first). */
export function init<E extends EventMap = EventMap>(options: TrackerOptions): Tracker<E> {
  current?.stop();
  const t = createTracker<E>(options);
  current = t as unknown as Tracker;
  return t;
}

/** Tracks an event with the tracker `init` started. */
export function track(eventType: string, props?: object): string {
  if (current === undefined) throw new Error('call init({ endpoint, writeKey, app }) before track()');
  return current.track(eventType, props);
}

/** Sends the queued events of the tracker `init` started. */
export function flush(): Promise<void> {
  return current === undefined ? Promise.resolve() : current.flush();
}
