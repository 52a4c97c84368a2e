/**
 * The browser tracker end to end, in a real headless Chromium driven by playwright-core, against
 * `collector:dev` (scripts/collector-dev.ts: the collector's real handler over HTTP, writing to its
 * local stand-in).
 *
 * A test page, served from an allowed origin, imports the shipped bundle (client/browser/bundle.ts)
 * and tracks events while the browser is online, offline and back online, across a reload with
 * events still queued, and while it is closed or navigated away with events pending. Every tracked
 * event must arrive at least once, and deduplicating by event_id must give exactly the tracked set.
 * A page from an origin that is not allowed is refused: nothing it sends is written.
 *
 * The Chromium comes from cli/doctor/chromium.ts (the lookup `tracking doctor` reports):
 * $TRACKING_CHROMIUM, else the pinned npm Chromium (@sparticuz/chromium, installed by `npm ci`;
 * Linux x64), else a system Chrome or Chromium. Chromium missing is a failure with the lookup and
 * its fix, never a skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeChromiumLookup, findChromium } from '../../cli/doctor/chromium';
import { bundleBrowserTracker } from '../../client/browser/bundle';
import { startCollectorDev, type RunningCollectorDev } from '../../scripts/collector-dev';
import { fixtureEnvironment } from '../collector/factories';

const KEY = 'tpk_E2E_BROWSER_KEY_00000000000000000000000000';
/** Generous bound for events to arrive (a deadline, not a timing assertion). */
const ARRIVAL_MS = 20_000;
const LONG = 120_000;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tracker e2e</title></head>
<body><p>tracker e2e</p>
<script type="module">
  import { init } from '/tracker.js';
  const q = new URLSearchParams(location.search);
  window.tracker = init({
    endpoint: q.get('endpoint'),
    writeKey: q.get('key'),
    app: 'web-shop',
    flushIntervalMs: Number(q.get('interval') || 200),
    retryBaseMs: 100,
    retryMaxMs: 400,
  });
  window.trackMany = (n, tag) => Array.from({ length: n }, (_, i) => window.tracker.track('page_view', { path: '/' + tag + '/' + i }));
  window.ready = true;
</script></body></html>`;

async function serve(bundle: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/tracker.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    else if (url.pathname === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let site: { server: Server; origin: string };
let foreign: { server: Server; origin: string };
let dev: RunningCollectorDev;
let userDataDir: string;
let context: BrowserContext;
let browserVersion: string;
/** Every event id tracked by pages of the allowed origin. */
const tracked = new Set<string>();

beforeAll(async () => {
  const browser = await findChromium({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  if (!browser.ok) throw new Error(`the browser tests need a real Chromium.\n${describeChromiumLookup(browser)}`);
  process.stderr.write(`browser tests: ${describeChromiumLookup(browser)}\n`);
  browserVersion = browser.version;
  const bundle = bundleBrowserTracker().code;
  site = await serve(bundle);
  foreign = await serve(bundle);
  dev = await startCollectorDev({
    project: 'acme',
    environment: 'dev',
    eventTypes: fixtureEnvironment().eventTypes,
    applications: [{ name: 'web-shop', keys: [KEY], origins: [site.origin] }],
  });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'tracker-e2e-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: browser.executablePath, headless: true, args: [...browser.args] });
}, LONG);

afterAll(async () => {
  await context?.close();
  await dev?.close();
  await new Promise<void>((r) => (site?.server ? site.server.close(() => r()) : r()));
  await new Promise<void>((r) => (foreign?.server ? foreign.server.close(() => r()) : r()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function open(origin: string, interval = 200): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/?endpoint=${encodeURIComponent(dev.url)}&key=${encodeURIComponent(KEY)}&interval=${interval}`);
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  return page;
}

async function trackMany(page: Page, n: number, tag: string, record = true): Promise<string[]> {
  const ids = await page.evaluate(([count, t]) => (globalThis as unknown as { trackMany(n: number, t: string): string[] }).trackMany(count, t), [n, tag] as const);
  if (record) for (const id of ids) tracked.add(id);
  return ids;
}

const arrived = (): Set<string> => new Set(dev.written.map((w) => w.event.event_id as string));

async function waitForArrival(ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + ARRIVAL_MS;
  for (;;) {
    const got = arrived();
    const missing = ids.filter((id) => !got.has(id));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${missing.length} of ${ids.length} events did not arrive within ${ARRIVAL_MS} ms: ${missing.slice(0, 5).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const storedQueue = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const storage = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; readonly length: number; key(i: number): string | null } }).localStorage;
    const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i)!).filter((k) => k.startsWith('tpq:'));
    return keys.flatMap((k) => (JSON.parse(storage.getItem(k)!) as { q: { i: string }[] }).q.map((e) => e.i));
  });

describe('browser tracker in Chromium against collector:dev', () => {
  it('runs in the Chromium the lookup found (cli/doctor/chromium.ts)', async () => {
    const page = await open(site.origin);
    const agent = await page.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent);
    // Chromium's reduced user agent carries the major version only ("HeadlessChrome/150.0.0.0").
    const major = /(\d+)\.\d+\.\d+/.exec(browserVersion)?.[1];
    expect(agent).toMatch(new RegExp(`Chrome/${major}\\.`));
    await page.close();
  }, LONG);

  it('delivers events tracked online', async () => {
    // Prepare
    const page = await open(site.origin);

    // Act
    const ids = await trackMany(page, 25, 'online');

    // Assess
    await waitForArrival(ids);
    await page.close();
  }, LONG);

  it('keeps events while the browser is offline and delivers them when it is back online', async () => {
    // Prepare
    const page = await open(site.origin);
    await context.setOffline(true);

    // Act
    const ids = await trackMany(page, 12, 'offline');
    await page.evaluate(() => (globalThis as unknown as { tracker: { flush(): Promise<void> } }).tracker.flush());
    const whileOffline = ids.filter((id) => arrived().has(id));
    const queued = await storedQueue(page);
    await context.setOffline(false);

    // Assess
    expect(whileOffline).toEqual([]);
    expect(queued).toEqual(expect.arrayContaining(ids));
    await waitForArrival(ids);
    await page.close();
  }, LONG);

  it('delivers events still queued when the page reloads (the next page sends them)', async () => {
    // Prepare: the collector is unreachable from the page (network error), so the events stay queued.
    const page = await open(site.origin);
    const blocked = `${dev.url}/**`;
    await page.route(blocked, (route) => route.abort('internetdisconnected'));
    const ids = await trackMany(page, 9, 'reload');
    await page.evaluate(() => (globalThis as unknown as { tracker: { flush(): Promise<void> } }).tracker.flush());
    expect(await storedQueue(page)).toEqual(expect.arrayContaining(ids));

    // Act
    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    const afterReload = await storedQueue(page);
    await page.unroute(blocked);

    // Assess
    expect(afterReload).toEqual(expect.arrayContaining(ids));
    await waitForArrival(ids);
    await page.close();
  }, LONG);

  it('delivers pending events when the page is closed (visibilitychange to hidden, pagehide)', async () => {
    // Prepare: a long interval, so that nothing is sent before the page goes away.
    const page = await open(site.origin, 600_000);
    const ids = await trackMany(page, 15, 'close');
    const sentBefore = ids.filter((id) => arrived().has(id));
    const requestsBefore = dev.requests.length;

    // Act
    await page.close({ runBeforeUnload: true });

    // Assess
    expect(sentBefore).toEqual([]);
    await waitForArrival(ids);
    // Both exits were used: a keepalive fetch on visibilitychange (Sec-Fetch-Mode cors) and a beacon on pagehide (no-cors).
    const deadline = Date.now() + ARRIVAL_MS;
    const modes = (): (string | undefined)[] => dev.requests.slice(requestsBefore).filter((r) => r.method === 'POST').map((r) => r.fetchMode);
    while (!(modes().includes('cors') && modes().includes('no-cors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(modes()).toEqual(expect.arrayContaining(['cors', 'no-cors']));
    // The beacon too carries the key where the edge's rate limits count it: in the URL.
    const beacon = dev.requests.slice(requestsBefore).find((r) => r.method === 'POST' && r.fetchMode === 'no-cors')!;
    expect(new URL(beacon.path, 'http://x').searchParams.get('key')).toBe(KEY);
  }, LONG);

  it('delivers pending events when the page navigates away', async () => {
    // Prepare
    const page = await open(site.origin, 600_000);
    const ids = await trackMany(page, 7, 'navigate');

    // Act
    await page.goto('about:blank');

    // Assess
    await waitForArrival(ids);
    await page.close();
  }, LONG);

  it('refuses a page of an origin that is not allowed: nothing it sends is written', async () => {
    // Prepare
    const page = await open(foreign.origin);
    const before = dev.requests.filter((r) => r.origin === foreign.origin).length;

    // Act
    const ids = await trackMany(page, 5, 'foreign', false);
    await page.evaluate(() => (globalThis as unknown as { tracker: { flush(): Promise<void> } }).tracker.flush());
    const stats = await page.evaluate(() => (globalThis as unknown as { tracker: { stats(): { failures: number; queued: number } } }).tracker.stats());
    await page.close({ runBeforeUnload: true });
    const deadline = Date.now() + ARRIVAL_MS;
    while (dev.requests.filter((r) => r.origin === foreign.origin).length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    // Assess: the collector answered 403 (the fetch and the page-exit sends), the browser hid the answer, nothing was written.
    const answers = dev.requests.filter((r) => r.origin === foreign.origin).slice(before);
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.every((r) => r.status === 403)).toBe(true);
    expect(stats.failures).toBeGreaterThan(0);
    expect(stats.queued).toBe(5);
    expect(ids.filter((id) => arrived().has(id))).toEqual([]);
  }, LONG);

  it('has every tracked event at least once, and exactly the tracked set once deduplicated by event_id', () => {
    // Assess
    const written = dev.written.map((w) => w.event);
    const unique = new Set(written.map((e) => e.event_id as string));
    expect(unique).toEqual(tracked);
    for (const e of written) {
      expect(e).toMatchObject({ app: 'web-shop', event_type: 'page_view' });
      expect(typeof e.received_at).toBe('string');
    }
    // Page exits may send an event twice (at least once); a duplicate is the same event.
    const byId = new Map<string, string>();
    for (const w of dev.written) {
      const id = w.event.event_id as string;
      const rest: Record<string, unknown> = { ...w.event };
      delete rest.received_at;
      const text = JSON.stringify(rest);
      expect(byId.get(id) ?? text).toBe(text);
      byId.set(id, text);
    }
  });
});
