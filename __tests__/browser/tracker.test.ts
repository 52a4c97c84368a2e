/**
 * The browser tracker's rules, in Node with a fake browser (fake-browser.ts): batching by count,
 * bytes and interval; backoff with jitter on network errors, 5xx and 429; only the events the
 * collector lists in `retry` are sent again; the bounded localStorage queue (reloads, full queue,
 * full storage, tabs closed long ago); page hide and page exit; no cookies, no headers that need a
 * preflight. The end-to-end behaviour in a real Chromium is __tests__/browser/e2e.test.ts.
 */
import * as fc from 'fast-check';
import { createTracker, type TrackerOptions } from '../../client/browser/index';
import { FakeBrowser, MemoryStorage, settle, type SentRequest } from './fake-browser';

const KEY = 'tpk_BROWSER_TEST_KEY_0000000000000000000000000';

function tracker(b: FakeBrowser, o: Partial<TrackerOptions> = {}) {
  return createTracker({ endpoint: 'https://collect.example.com/', writeKey: KEY, app: 'web-shop', env: b.env(), ...o });
}
const ids = (reqs: readonly SentRequest[]): string[] => reqs.flatMap((r) => r.body.events.map((e) => e.event_id as string));

describe('batching', () => {
  it('sends a full batch at once, and the rest after the interval', async () => {
    // Prepare
    const b = new FakeBrowser();
    const t = tracker(b, { maxBatchEvents: 5, flushIntervalMs: 5_000 });

    // Act
    for (let i = 0; i < 12; i++) t.track('page_view', { n: i });
    await settle();
    const sentAtOnce = b.requests.map((r) => r.body.events.length);
    await b.advance(5_000);

    // Assess
    expect(sentAtOnce).toEqual([5, 5]);
    expect(b.requests.map((r) => r.body.events.length)).toEqual([5, 5, 2]);
    expect(t.stats()).toMatchObject({ tracked: 12, sent: 12, queued: 0 });
  });

  it('keeps each request within maxBatchBytes', async () => {
    // Prepare
    const b = new FakeBrowser();
    const t = tracker(b, { maxBatchBytes: 3_000 });

    // Act
    for (let i = 0; i < 10; i++) t.track('page_view', { blob: 'x'.repeat(900) });
    await t.flush();

    // Assess
    expect(b.requests.length).toBeGreaterThanOrEqual(4);
    for (const r of b.requests) expect(Buffer.byteLength(JSON.stringify(r.body))).toBeLessThanOrEqual(3_000);
    expect(ids(b.requests)).toHaveLength(10);
  });

  it('sends simple CORS requests: the key in the URL (where the edge\'s rate limits count it) and the body, text/plain, no cookies, to <endpoint>/v1/events', async () => {
    // Prepare
    const b = new FakeBrowser();
    const t = tracker(b);

    // Act
    const id = t.track('page_view', { path: '/' });
    await t.flush();

    // Assess
    const r = b.requests[0]!;
    expect(r.url).toBe(`https://collect.example.com/v1/events?app=web-shop&key=${encodeURIComponent(KEY)}`);
    expect(r.headers).toEqual({ 'content-type': 'text/plain;charset=UTF-8' });
    expect(r.credentials).toBe('omit');
    expect(r.body.writeKey).toBe(KEY);
    expect(r.body.events[0]).toEqual({ app: 'web-shop', event_type: 'page_view', event_id: id, sent_at: '2026-11-22T10:00:00.000Z', path: '/' });
    // Nothing personal is added: exactly the envelope and what was passed.
    expect(Object.keys(r.body.events[0]!).sort()).toEqual(['app', 'event_id', 'event_type', 'path', 'sent_at']);
    // The key is never stored.
    expect(b.local.keys().map((k) => b.local.getItem(k)).join('')).not.toContain('tpk_');
  });

  it('lets props set event_id and sent_at but never app or event_type; refuses events it cannot send', () => {
    // Prepare
    const b = new FakeBrowser();
    const t = tracker(b);

    // Act
    const id = t.track('page_view', { event_id: 'mine', app: 'other', event_type: 'other' } as object);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    // Assess
    expect(id).toBe('mine');
    expect(() => t.track('page_view', cyclic)).toThrow(TypeError);
    expect(() => t.track('page_view', { blob: 'x'.repeat(40_000) })).toThrow(/at most 32768 bytes/);
    expect(t.stats().tracked).toBe(1);
  });
});

describe('answers and retries', () => {
  it('backs off with full jitter after network errors, 5xx and 429, keeps everything, and recovers', async () => {
    // Prepare
    const b = new FakeBrowser();
    const answers = ['network-error', { status: 500 }, { status: 429 }] as const;
    let n = 0;
    b.answer = (req) => (n < answers.length ? answers[n++]! : { status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });
    const t = tracker(b, { retryBaseMs: 1_000, retryMaxMs: 60_000 });
    t.track('page_view');
    t.track('page_view');

    // Act
    await t.flush();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      delays.push(...b.pendingDelays());
      await b.advance(Math.max(...b.pendingDelays()));
    }

    // Assess: ceilings 1 s, 2 s, 4 s; each delay uniform below its ceiling.
    expect(delays[0]).toBeLessThan(1_000);
    expect(delays[1]).toBeLessThan(2_000);
    expect(delays[2]).toBeLessThan(4_000);
    expect(b.requests).toHaveLength(4);
    expect(b.requests.every((r) => r.body.events.length === 2)).toBe(true);
    expect(t.stats()).toMatchObject({ sent: 2, queued: 0, failures: 3 });
  });

  it('sends again only the events listed in retry (503), and counts the rejected ones (422)', async () => {
    // Prepare
    const b = new FakeBrowser();
    const dropped: [number, string][] = [];
    b.answer = (req) =>
      b.requests.length === 1
        ? { status: 503, json: { accepted: 2, rejected: [{ index: 1, code: 'schema-violation', message: 'x' }], retry: [{ index: 3, code: 'ThrottlingException' }] } }
        : { status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } };
    const t = tracker(b, { onDrop: (c, r) => dropped.push([c, r]) });
    const tracked = [0, 1, 2, 3].map(() => t.track('page_view'));

    // Act
    await t.flush();
    await b.advance(2_000);
    await t.flush();

    // Assess
    expect(ids([b.requests[1]!])).toEqual([tracked[3]]);
    expect(t.stats()).toMatchObject({ sent: 3, rejected: 1, queued: 0 });
    expect(dropped).toEqual([[1, 'rejected']]);
  });

  it('keeps the events on 401/403 (a key or origin problem), and drops a refused request (400) with a count', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => ({ status: 403, json: { error: { code: 'origin-not-allowed', message: '' } } });
    const dropped: string[] = [];
    const t = tracker(b, { onDrop: (_c, r) => dropped.push(r) });
    t.track('page_view');

    // Act
    await t.flush();
    const afterForbidden = t.stats().queued;
    b.answer = () => ({ status: 400, json: { error: { code: 'invalid-body', message: '' } } });
    await t.flush();

    // Assess
    expect(afterForbidden).toBe(1);
    expect(t.stats()).toMatchObject({ queued: 0, dropped: 1 });
    expect(dropped).toEqual(['refused']);
  });

  it('halves the batch after 413 and retries', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = (req) => (req.body.events.length > 2 ? { status: 413, json: { error: { code: 'too-many-events', message: '' } } } : { status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });
    const t = tracker(b, { maxBatchEvents: 8 });
    for (let i = 0; i < 8; i++) t.track('page_view');

    // Act
    await settle();
    for (let i = 0; i < 5 && t.stats().queued > 0; i++) await b.advance(60_000);

    // Assess
    expect(t.stats()).toMatchObject({ sent: 8, queued: 0 });
    expect(b.requests.map((r) => r.body.events.length)).toEqual([8, 4, 2, 2, 2, 2]);
  });

  it('drops, counted as refused, a single event the collector finds too large (413), and goes on with the others', async () => {
    // Prepare: the collector refuses any request holding the big event.
    const b = new FakeBrowser();
    b.answer = (req) =>
      req.body.events.some((e) => typeof e.pad === 'string')
        ? { status: 413, json: { error: { code: 'body-too-large', message: '' } } }
        : { status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } };
    const dropped: [number, string][] = [];
    const t = tracker(b, { onDrop: (c, r) => dropped.push([c, r]) });
    t.track('page_view', { pad: 'x'.repeat(1000) });
    const others = [t.track('page_view'), t.track('page_view'), t.track('page_view')];

    // Act
    await t.flush();

    // Assess
    expect(dropped).toEqual([[1, 'refused']]);
    expect(t.stats()).toMatchObject({ tracked: 4, sent: 3, dropped: 1, queued: 0 });
    expect(ids(b.requests.filter((r) => r.body.events.every((e) => e.pad === undefined)))).toEqual(others);
  });

  it('refuses a second queued event with the same caller-given event_id (it would be confused with the first)', () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const t = tracker(b);
    t.track('page_view', { event_id: 'order-1' });

    // Act / Assess
    expect(() => t.track('page_view', { event_id: 'order-1' })).toThrow(/"order-1" is already queued/);
    expect(t.stats()).toMatchObject({ tracked: 1, queued: 1 });
  });

  it('tries again at once when the browser comes back online', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const t = tracker(b, { retryBaseMs: 60_000 });
    t.track('page_view');
    await t.flush();
    b.answer = (req) => ({ status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });

    // Act
    b.fire('window:online');
    await settle();

    // Assess
    expect(t.stats()).toMatchObject({ sent: 1, queued: 0 });
  });
});

describe('the localStorage queue', () => {
  it('survives a reload in the same tab: the next page sends what the last one could not', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const first = tracker(b);
    const tracked = [first.track('page_view'), first.track('page_view')];
    await settle();
    first.stop();
    b.answer = (req) => ({ status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });
    b.requests.length = 0;

    // Act: a new page, same tab (same sessionStorage).
    const second = tracker(b);
    await b.advance(0);

    // Assess
    expect(ids(b.requests).sort()).toEqual([...tracked].sort());
    expect(second.stats()).toMatchObject({ tracked: 0, adopted: 2, queued: 0, sent: 2 });
    expect(b.local.length).toBe(0);
  });

  it('keeps both queues of a duplicated tab (a copy of its sessionStorage): neither page overwrites the other', async () => {
    // Prepare: page A is offline with 5 events queued.
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const a = tracker(b);
    const fromA = Array.from({ length: 5 }, () => a.track('page_view'));
    await settle();
    const copied = new MemoryStorage();
    for (const k of b.session.keys()) copied.setItem(k, b.session.getItem(k)!);

    // Act: page B starts in the duplicated tab, both track more, both still offline.
    const bPage = createTracker({ endpoint: 'https://collect.example.com/', writeKey: KEY, app: 'web-shop', env: { ...b.env(), session: copied } });
    const laterA = a.track('page_view');
    const fromB = bPage.track('page_view');
    await settle();
    a.stop();
    bPage.stop();

    // Assess: every event is stored (A's possibly twice: at least once, deduplicated by event_id downstream).
    const stored = b.local.keys().flatMap((k) => (JSON.parse(b.local.getItem(k)!) as { q: { i: string }[] }).q.map((e) => e.i));
    expect(new Set(stored)).toEqual(new Set([...fromA, laterA, fromB]));
    expect(bPage.stats()).toMatchObject({ adopted: 5, tracked: 1, queued: 6 });
  });

  it('drops the oldest events beyond maxQueueEvents and counts them; nothing is dropped silently', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const dropped: number[] = [];
    const t = tracker(b, { maxQueueEvents: 10, onDrop: (c) => dropped.push(c) });

    // Act
    const tracked = Array.from({ length: 15 }, () => t.track('page_view'));
    await settle();
    b.answer = (req) => ({ status: 200, json: { accepted: req.body.events.length, rejected: [], retry: [] } });
    await t.flush();

    // Assess
    expect(t.stats()).toMatchObject({ tracked: 15, dropped: 5, sent: 10, queued: 0 });
    expect(dropped.reduce((a, c) => a + c, 0)).toBe(5);
    expect(new Set(ids(b.requests.filter((r) => r.body.events.length > 0)))).toEqual(new Set(tracked.slice(5)));
  });

  it('drops the oldest half, counted, when localStorage is full', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    b.local.quota = 2_500;
    const t = tracker(b);

    // Act
    for (let i = 0; i < 20; i++) t.track('page_view', { pad: 'x'.repeat(60) });
    await settle();

    // Assess
    const s = t.stats();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.dropped + s.queued).toBe(20);
    expect(b.local.getItem(b.local.keys()[0]!)!.length).toBeLessThanOrEqual(2_500);
  });

  it('adopts the queue of a tab closed long ago, not of a tab that is still active', async () => {
    // Prepare: two other tabs' queues, one stale.
    const b = new FakeBrowser();
    const entry = (t: number, id: string) => JSON.stringify({ v: 1, t, d: 0, q: [{ i: id, j: JSON.stringify({ app: 'web-shop', event_type: 'page_view', event_id: id }) }] });
    b.local.setItem('tpq:web-shop:closed', entry(Date.parse('2026-11-22T09:00:00Z'), 'orphan'));
    b.local.setItem('tpq:web-shop:open', entry(Date.parse('2026-11-22T09:59:59Z'), 'alive'));
    b.local.setItem('tpq:other-app:x', entry(0, 'foreign'));

    // Act
    const t = tracker(b);
    await t.flush();

    // Assess
    expect(ids(b.requests)).toEqual(['orphan']);
    expect(b.local.getItem('tpq:web-shop:closed')).toBeNull();
    expect(b.local.getItem('tpq:web-shop:open')).not.toBeNull();
    expect(b.local.getItem('tpq:other-app:x')).not.toBeNull();
  });
});

describe('page hide and page exit', () => {
  it('sends with a keepalive fetch when the page is hidden, and removes what the collector confirmed', async () => {
    // Prepare
    const b = new FakeBrowser();
    const t = tracker(b);
    t.track('page_view');
    t.track('page_view');

    // Act
    b.hiddenState = true;
    b.fire('document:visibilitychange');
    await settle();

    // Assess
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]!.keepalive).toBe(true);
    expect(t.stats().queued).toBe(0);
  });

  it('hands the queue to sendBeacon on pagehide (64 KB at most) and keeps it stored until an answer is read', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.answer = () => 'network-error';
    const t = tracker(b, { maxBatchBytes: 20_000 });
    const tracked = Array.from({ length: 100 }, () => t.track('page_view', { pad: 'x'.repeat(900) }));
    await settle();

    // Act
    b.fire('window:pagehide');

    // Assess
    const beaconed = ids(b.beacons);
    expect(beaconed).toEqual(tracked.slice(0, beaconed.length));
    expect(b.beacons.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r.body)), 0)).toBeLessThanOrEqual(64_000);
    expect(b.beacons.every((r) => Buffer.byteLength(JSON.stringify(r.body)) <= 20_000)).toBe(true);
    const stored = JSON.parse(b.local.getItem(b.local.keys()[0]!)!) as { q: { i: string }[] };
    expect(stored.q.map((e) => e.i)).toEqual(tracked);
  });

  it('falls back to a keepalive fetch when sendBeacon refuses', async () => {
    // Prepare
    const b = new FakeBrowser();
    b.beaconResult = false;
    const t = tracker(b);
    t.track('page_view');

    // Act
    b.fire('window:pagehide');
    await settle();

    // Assess
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]!.keepalive).toBe(true);
  });
});

describe('every tracked event is accounted for (property)', () => {
  it('sent + rejected + dropped + queued = tracked, and every sent event was in a request', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('track' as const), fc.constant('tick' as const), fc.constant('flush' as const)), { minLength: 1, maxLength: 60 }),
        fc.array(fc.constantFrom('ok', 'net', '500', 'partial', 'reject'), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 3, max: 30 }),
        async (ops, outcomes, maxQueueEvents) => {
          // Prepare
          const b = new FakeBrowser();
          let k = 0;
          b.answer = (req) => {
            const o = outcomes[k++ % outcomes.length]!;
            const n = req.body.events.length;
            if (o === 'net') return 'network-error';
            if (o === '500') return { status: 500 };
            if (o === 'partial') return { status: 503, json: { accepted: n - 1, rejected: [], retry: [{ index: n - 1, code: 'X' }] } };
            if (o === 'reject') return { status: 422, json: { accepted: n - 1, rejected: [{ index: 0, code: 'schema-violation', message: '' }], retry: [] } };
            return { status: 200, json: { accepted: n, rejected: [], retry: [] } };
          };
          const t = tracker(b, { maxQueueEvents, maxBatchEvents: 4, retryMaxMs: 1_000 });

          // Act
          for (const op of ops) {
            if (op === 'track') t.track('page_view');
            else if (op === 'tick') await b.advance(1_000);
            else await t.flush();
          }
          await settle();

          // Assess
          const s = t.stats();
          expect(s.sent + s.rejected + s.dropped + s.queued).toBe(s.tracked);
          expect(new Set(ids(b.requests)).size).toBeGreaterThanOrEqual(s.sent);
        },
      ),
      { numRuns: 80 },
    );
  });
});
