/** A fake browser for the tracker's unit tests: storage, listeners, a manual clock and scripted fetch answers. */
import type { BrowserEnv, StorageLike } from '../../client/browser/index';

export class MemoryStorage implements StorageLike {
  private readonly map = new Map<string, string>();
  /** Largest total of stored characters; beyond it setItem throws like a full localStorage. */
  public quota = Infinity;

  public getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  public setItem(key: string, value: string): void {
    let total = value.length;
    for (const [k, v] of this.map) if (k !== key) total += v.length;
    if (total > this.quota) throw Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
    this.map.set(key, value);
  }
  public removeItem(key: string): void {
    this.map.delete(key);
  }
  public key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  public get length(): number {
    return this.map.size;
  }
  public keys(): string[] {
    return [...this.map.keys()];
  }
}

export interface SentRequest {
  readonly url: string;
  readonly body: { writeKey: string; events: Record<string, unknown>[] };
  readonly keepalive: boolean;
  readonly credentials: string;
  readonly headers: Record<string, string>;
}

/** How a scripted fetch answers one request. */
export type Answer = { readonly status: number; readonly json?: unknown } | 'network-error';

export class FakeBrowser {
  public readonly local = new MemoryStorage();
  public readonly session = new MemoryStorage();
  public readonly requests: SentRequest[] = [];
  public readonly beacons: SentRequest[] = [];
  public hiddenState = false;
  public beaconResult = true;
  private now = Date.parse('2026-11-22T10:00:00.000Z');
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  private readonly listeners = new Map<string, (() => void)[]>();
  private ids = 0;
  private rnd = 7;

  /** Decides each fetch's answer (default: every event accepted). */
  public answer: (req: SentRequest) => Answer = (req) => ({ status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });

  public env(): Partial<BrowserEnv> {
    return {
      fetch: (url, init) => {
        const req: SentRequest = { url, body: JSON.parse(init.body) as SentRequest['body'], keepalive: init.keepalive, credentials: init.credentials, headers: init.headers };
        this.requests.push(req);
        const a = this.answer(req);
        if (a === 'network-error') return Promise.reject(new TypeError('Failed to fetch'));
        return Promise.resolve({ status: a.status, json: () => (a.json === undefined ? Promise.reject(new SyntaxError('no body')) : Promise.resolve(a.json)) });
      },
      beacon: (url, body) => {
        if (!this.beaconResult) return false;
        this.beacons.push({ url, body: JSON.parse(body) as SentRequest['body'], keepalive: true, credentials: 'include', headers: {} });
        return true;
      },
      local: this.local,
      session: this.session,
      listen: (target, type, fn) => {
        const key = `${target}:${type}`;
        this.listeners.set(key, [...(this.listeners.get(key) ?? []), fn]);
        return () => this.listeners.set(key, (this.listeners.get(key) ?? []).filter((f) => f !== fn));
      },
      hidden: () => this.hiddenState,
      now: () => this.now,
      random: () => {
        this.rnd = (this.rnd * 48271) % 2147483647;
        return this.rnd / 2147483647;
      },
      uuid: () => `id-${++this.ids}`,
      setTimeout: (fn, ms) => {
        const id = this.nextId++;
        this.timers.push({ at: this.now + ms, fn, id });
        return id;
      },
      clearTimeout: (id) => {
        this.timers = this.timers.filter((t) => t.id !== id);
      },
    };
  }

  /** Fires listeners of `window:<type>` or `document:<type>`. */
  public fire(key: string): void {
    for (const fn of this.listeners.get(key) ?? []) fn();
  }

  /** The delays of the armed timers (ms from now). */
  public pendingDelays(): number[] {
    return this.timers.map((t) => t.at - this.now);
  }

  /** Advances the clock, running due timers (and the promises they start) in order. */
  public async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
    await settle();
  }

  public timeShift(ms: number): void {
    this.now += ms;
  }
}

/** Lets queued microtasks and promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
