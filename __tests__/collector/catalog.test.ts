/**
 * The collector's run-time configuration: the catalog of event types (catalog objects in the
 * bucket, read by ETag), the write keys (SSM), and the cache both use (TTL, refresh on a miss, stale
 * copy on failure).
 */
import * as fc from 'fast-check';
import { CatalogCache, CatalogUnavailableError, decodeCatalogObject, mergeCatalog } from '../../functions/collector/catalog';
import { buildKeyIndex, WriteKeyCache } from '../../functions/collector/keys';
import { Refreshing } from '../../functions/collector/refreshing';
import { validateSerialized } from '../../lib/contract-validator';
import { encodeWriteKeyDocument, hashWriteKey, parseWriteKeyDocument } from '../../lib/write-keys';
import { catalogContent } from '../../modules/catalog-content';
import { fixtureEnvironment, memoryCatalogStore, memoryParameterSource, WEB_KEY, WRITE_KEYS_PATH } from './factories';

function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('Refreshing', () => {
  it('serves the cached value while fresh, reads again after the TTL, and shares one read between callers', async () => {
    // Prepare
    const clock = manualClock();
    let reads = 0;
    const r = new Refreshing(() => Promise.resolve(++reads), { ttlMs: 1_000, retryMs: 100, clock });

    // Act
    const [a, b] = await Promise.all([r.get(), r.get()]);
    const c = await r.get();
    clock.advance(1_000);
    const d = await r.get();

    // Assess
    expect([a, b, c, d]).toEqual([1, 1, 1, 2]);
    expect(reads).toBe(2);
  });

  it('keeps the last good value when a read fails, waits retryMs before trying again, and rejects when it never had one', async () => {
    // Prepare
    const clock = manualClock();
    let fail = false;
    let reads = 0;
    const r = new Refreshing(() => (reads++, fail ? Promise.reject(new Error('down')) : Promise.resolve('v1')), { ttlMs: 10, retryMs: 500, clock });
    const never = new Refreshing(() => Promise.reject(new Error('down')), { ttlMs: 10, retryMs: 500, clock });
    await r.get();
    fail = true;

    // Act
    clock.advance(20);
    const stale = await r.get();
    const readsAfterFailure = reads;
    const again = await r.get();

    // Assess
    expect(stale).toBe('v1');
    expect(again).toBe('v1');
    expect(reads).toBe(readsAfterFailure);
    expect(r.error).toBeInstanceOf(Error);
    await expect(never.get()).rejects.toThrow('down');
  });
});

describe('CatalogCache', () => {
  const env = fixtureEnvironment();

  it('reads a catalog object once, and again only when its ETag changes', async () => {
    // Prepare
    const clock = manualClock();
    let objects = new Map([['catalog/tracking-dev.json.gz', catalogContent('dev', env.eventTypes).gzip]]);
    const store = memoryCatalogStore(() => objects);
    const cache = new CatalogCache({ store, prefix: 'catalog/', ttlMs: 1_000, clock });

    // Act
    await cache.current();
    clock.advance(1_000);
    await cache.current();
    const unchangedGets = store.gets.length;
    objects = new Map([['catalog/tracking-dev.json.gz', catalogContent('dev', env.eventTypes.slice(1)).gzip]]);
    clock.advance(1_000);
    const after = await cache.current();

    // Assess
    expect(store.lists).toBe(3);
    expect(unchangedGets).toBe(1);
    expect(store.gets).toHaveLength(2);
    expect(after.entries.size).toBe(env.eventTypes.length - 1);
  });

  it('merges the objects of several stacks; an event type listed twice (while it moves) is taken from the first object', async () => {
    // Prepare
    const [a, b, c] = [env.eventTypes.slice(0, 2), env.eventTypes.slice(1, 3), env.eventTypes.slice(3)];
    const objects = new Map([
      ['catalog/tracking-dev-b.json.gz', catalogContent('dev', b!).gzip],
      ['catalog/tracking-dev-a.json.gz', catalogContent('dev', a!).gzip],
      ['catalog/tracking-dev-c.json.gz', catalogContent('dev', c!).gzip],
      ['catalog/README.txt', Buffer.from('ignored')],
    ]);

    // Act
    const catalog = await new CatalogCache({ store: memoryCatalogStore(() => objects), prefix: 'catalog/', ttlMs: 1_000 }).current();

    // Assess
    expect([...catalog.entries.keys()].sort()).toEqual(env.eventTypes.map((t) => t.key).sort());
    expect(catalog.duplicates).toBe(1);
    expect(catalog.objects.size).toBe(3);
  });

  it('links a contract once and validates with it exactly as the catalog object says', async () => {
    // Prepare
    const catalog = mergeCatalog(new Map([['k', { etag: '1', table: decodeCatalogObject('k', catalogContent('dev', env.eventTypes).gzip), linked: new Map() }]]));
    const checkout = catalog.entries.get('web-shop/checkout_completed')!;

    // Act
    const root = checkout.contract()!;
    const good = validateSerialized(Buffer.from(JSON.stringify({ app: 'web-shop', event_type: 'checkout_completed', event_id: 'x', order_id: 'o', amount: 1, currency: 'EUR', items: [{ sku: 'A', quantity: 1 }] })), root);
    const bad = validateSerialized(Buffer.from(JSON.stringify({ app: 'web-shop', event_type: 'checkout_completed', event_id: 'x', order_id: 'o', amount: '1', currency: 'EUR', items: [] })), root);

    // Assess
    expect(checkout.contract()).toBe(root);
    expect(checkout.mode).toBe('enforce');
    expect(catalog.entries.get('web-shop/page_view')!.contract()).toBeUndefined();
    expect(good.first).toBeUndefined();
    expect(bad.first).toMatchObject({ keyword: 'type', schemaPath: '/properties/amount/type' });
  });

  it('is unavailable with no catalog object at all, or when a new object cannot be read', async () => {
    // Prepare
    const none = new CatalogCache({ store: memoryCatalogStore(() => new Map()), prefix: 'catalog/', ttlMs: 1_000 });
    const damaged = new CatalogCache({ store: memoryCatalogStore(() => new Map([['catalog/x.json.gz', Buffer.from('not gzip')]])), prefix: 'catalog/', ttlMs: 1_000 });

    // Act / Assess
    await expect(none.current()).rejects.toBeInstanceOf(CatalogUnavailableError);
    await expect(damaged.current()).rejects.toThrow(/catalog object catalog\/x.json.gz is not gzip/);
  });

  it('rate-limits the refreshes that unknown event types ask for', async () => {
    // Prepare
    const clock = manualClock();
    const store = memoryCatalogStore(() => new Map([['catalog/tracking-dev.json.gz', catalogContent('dev', env.eventTypes).gzip]]));
    const cache = new CatalogCache({ store, prefix: 'catalog/', ttlMs: 60_000, missRefreshMs: 10_000, clock });
    await cache.current();

    // Act
    for (let i = 0; i < 5; i++) await cache.refreshForMiss();
    clock.advance(10_000);
    await cache.refreshForMiss();

    // Assess
    expect(store.lists).toBe(2);
  });
});

describe('write keys', () => {
  it('round-trips the parameter document, and refuses malformed ones as a whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[0-9a-f]{64}$/), { maxLength: 3 }),
        fc.array(fc.constantFrom('https://a.example', 'http://localhost:3000', 'https://shop.example.com'), { maxLength: 3 }),
        fc.boolean(),
        (keys, origins, requireJwt) => {
          const text = encodeWriteKeyDocument({ app: 'web-shop', keys, origins, requireJwt });
          expect(parseWriteKeyDocument(text)).toEqual({ ok: true, doc: { app: 'web-shop', keys, origins, requireJwt } });
        },
      ),
    );
    expect(parseWriteKeyDocument('{"v":1,"app":"a","keys":["tpk_plain"],"origins":[],"jwt":false}')).toMatchObject({ ok: false });
    expect(parseWriteKeyDocument('{"v":2,"app":"a","keys":[],"origins":[],"jwt":false}')).toMatchObject({ ok: false });
    expect(parseWriteKeyDocument('not json')).toMatchObject({ ok: false });
  });

  it('indexes keys by hash, unions the origins, and reports parameters it skips', () => {
    // Prepare
    const params = [
      { name: `${WRITE_KEYS_PATH}/web-shop`, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey('k1'), hashWriteKey('k2')], origins: ['https://a.example'], requireJwt: false }) },
      { name: `${WRITE_KEYS_PATH}/other`, value: encodeWriteKeyDocument({ app: 'other', keys: [hashWriteKey('k1')], origins: ['https://b.example'], requireJwt: true }) },
      { name: `${WRITE_KEYS_PATH}/bad`, value: '{}' },
    ];

    // Act
    const index = buildKeyIndex(WRITE_KEYS_PATH, params);

    // Assess
    expect(index.byHash.get(hashWriteKey('k2'))?.app).toBe('web-shop');
    expect(index.byHash.get(hashWriteKey('k1'))?.app).toBe('other'); // "other" sorts first; web-shop's copy is reported
    expect([...index.origins].sort()).toEqual(['https://a.example', 'https://b.example']);
    expect(index.problems).toHaveLength(2);
  });

  it('reads again (rate-limited) for a key it does not know yet: a new key works without waiting for the TTL', async () => {
    // Prepare
    const clock = manualClock();
    let params = [{ name: `${WRITE_KEYS_PATH}/web-shop`, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey('old')], origins: [], requireJwt: false }) }];
    const source = memoryParameterSource(() => params);
    const cache = new WriteKeyCache({ source, path: WRITE_KEYS_PATH, ttlMs: 60_000, missRefreshMs: 30_000, clock });
    await cache.lookup('old');
    params = [{ name: params[0]!.name, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey('old'), hashWriteKey(WEB_KEY)], origins: [], requireJwt: false }) }];

    // Act
    const tooSoon = await cache.lookup(WEB_KEY);
    clock.advance(30_000);
    const later = await cache.lookup(WEB_KEY);
    const random = await cache.lookup('tpk_guess');

    // Assess
    expect(tooSoon).toBeUndefined();
    expect(later?.app).toBe('web-shop');
    expect(random).toBeUndefined();
    expect(source.calls).toBe(2);
  });
});
