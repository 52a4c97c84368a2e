/**
 * The collector handler on real API Gateway HTTP API events (payload 2.0, __tests__/fixtures/collector/),
 * with in-memory catalog and write keys and an in-process sink whose answers the tests choose:
 * good, bad and mixed batches, request-level refusals, partial write failures and throttling.
 * Whatever happens, each event is written once, or reported rejected or to be sent again, and a 2xx
 * never covers an event that was not written (the property test at the end).
 */
import * as fc from 'fast-check';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CatalogCache } from '../../functions/collector/catalog';
import { createHandler, type CollectorRuntime } from '../../functions/collector/handler';
import type { CollectorDeps } from '../../functions/collector/ingest';
import type { EventsAnswer } from '../../lib/collector-protocol';
import type { Clock } from '../../lib/deadline';
import { catalogContent } from '../../modules/catalog-content';
import health from '../fixtures/collector/http-api-v2-health.json';
import jwtAuthorized from '../fixtures/collector/http-api-v2-jwt-authorized.json';
import preflightEvent from '../fixtures/collector/http-api-v2-preflight.json';
import postEvents from '../fixtures/collector/http-api-v2-post-events.json';
import postMobile from '../fixtures/collector/http-api-v2-post-events-mobile.json';
import {
  apiEvent,
  CATALOG_KEY,
  FakeSink,
  fixtureEnvironment,
  fixtureParameters,
  goodWebEvents,
  memoryCatalogStore,
  memoryDeps,
  memoryParameterSource,
  MOBILE_KEY,
  SHOP_ORIGIN,
  streamOf,
  WEB_KEY,
  WRITE_KEYS_PATH,
} from './factories';
import { WriteKeyCache } from '../../functions/collector/keys';
import { encodeWriteKeyDocument, hashWriteKey } from '../../lib/write-keys';

const CONTEXT = { getRemainingTimeInMillis: () => 10_000 };

/** A clock whose sleeps take no real time (the fake sink answers at once). */
function virtualClock(seed = 1): Clock {
  let t = Date.parse('2026-11-22T10:15:30.000Z');
  let x = seed;
  return {
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
    random: () => {
      x = (x * 48271) % 2147483647;
      return x / 2147483647;
    },
  };
}

interface Invoked {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly logs: Record<string, unknown>[];
}

async function invoke(deps: CollectorDeps, event: APIGatewayProxyEventV2): Promise<Invoked> {
  const logs: Record<string, unknown>[] = [];
  const handler = createHandler(() => deps as CollectorRuntime, { log: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const r: APIGatewayProxyStructuredResultV2 = await handler(event, CONTEXT);
  return {
    status: r.statusCode ?? 0,
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)])),
    body: r.body === undefined ? undefined : JSON.parse(r.body),
    logs,
  };
}

const answer = (r: Invoked): EventsAnswer => r.body as EventsAnswer;

describe('collector handler: requests that are answered', () => {
  it('writes the browser fixture batch and completes the envelope; the allowed origin may read the answer', async () => {
    // Prepare
    const sink = new FakeSink();
    const deps = memoryDeps(sink);

    // Act
    const r = await invoke(deps, postEvents as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(r.status).toBe(200);
    expect(answer(r)).toEqual({ accepted: 1, rejected: [], retry: [] });
    expect(r.headers['access-control-allow-origin']).toBe(SHOP_ORIGIN);
    expect(sink.stored).toHaveLength(1);
    const event = JSON.parse(sink.stored[0]!.line) as Record<string, string>;
    expect(sink.stored[0]!.destination).toBe(streamOf('web-shop', 'page_view'));
    expect(event).toMatchObject({ app: 'web-shop', event_type: 'page_view', event_id: '0b9c6f1e-8a4e-4d2b-9c1a-1f2e3d4c5b6a', sent_at: '2026-11-22T10:15:29.870Z', path: '/cart' });
    expect(event.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // The write key sent in the body is never written with the event.
    expect(sink.stored[0]!.line).not.toContain('tpk_');
    expect(r.logs[0]).toMatchObject({ status: 200, app: 'web-shop', accepted: 1, CollectorAcceptedEvents: 1, Environment: 'dev' });
    expect(JSON.stringify(r.logs)).not.toContain('203.0.113');
  });

  it('writes the mobile fixture (base64 body, key in the header, no Origin) and answers without CORS headers', async () => {
    // Prepare
    const sink = new FakeSink();

    // Act
    const r = await invoke(memoryDeps(sink), postMobile as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(r.status).toBe(200);
    expect(answer(r).accepted).toBe(1);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(sink.stored[0]!.line)).toMatchObject({ app: 'mobile-app', event_type: 'app_open', os: 'ios' });
  });

  it('answers a mixed batch per event: good ones written once, each bad one rejected with its reason', async () => {
    // Prepare
    const sink = new FakeSink();
    const events: unknown[] = [
      { event_type: 'page_view', event_id: 'ok-1', path: '/' },
      'not an object',
      { event_type: 'no_such_type', event_id: 'x-2' },
      { event_id: 'x-3', path: '/' },
      { app: 'mobile-app', event_type: 'page_view', event_id: 'x-4' },
      { event_type: 'page_view', event_id: 'x-5', sent_at: 'yesterday' },
      { event_type: 'checkout_completed', event_id: 'x-6', order_id: 'o', amount: '12', currency: 'EUR', items: [{ sku: 'A', quantity: 1 }] },
      { event_type: 'search', event_id: 'ok-7', query: '' }, // observe mode: minLength violated, still written
      { event_type: 'page_view', event_id: 'x-8', blob: 'x'.repeat(70_000) },
      { event_type: 'page_view', event_id: 'ok-9', received_at: '1999-01-01T00:00:00Z' },
      { event_type: 'page_view', event_id: '' },
    ];

    // Act
    const r = await invoke(memoryDeps(sink), apiEvent({ writeKey: WEB_KEY, events }));

    // Assess
    expect(r.status).toBe(422);
    const a = answer(r);
    expect(a.accepted).toBe(3);
    expect(a.retry).toEqual([]);
    expect(a.rejected.map((x) => [x.index, x.code])).toEqual([
      [1, 'not-an-object'],
      [2, 'unknown-event-type'],
      [3, 'missing-event-type'],
      [4, 'app-mismatch'],
      [5, 'bad-sent-at'],
      [6, 'schema-violation'],
      [8, 'event-too-large'],
      [10, 'bad-event-id'],
    ]);
    expect(a.rejected.find((x) => x.index === 6)!.message).toContain('/properties/amount/type');
    expect(a.rejected.find((x) => x.index === 6)!.message).not.toContain('"12"');
    expect([...sink.counts()].sort()).toEqual([
      ['ok-1', 1],
      ['ok-7', 1],
      ['ok-9', 1],
    ]);
    // The collector sets received_at itself.
    const forged = sink.stored.map((s) => JSON.parse(s.line) as Record<string, string>).find((e) => e.event_id === 'ok-9')!;
    expect(forged.received_at).not.toBe('1999-01-01T00:00:00Z');
    expect(r.logs[0]).toMatchObject({ observedViolations: 1, CollectorObservedViolations: 1, rejectedByCode: { 'schema-violation': 1, 'unknown-event-type': 1 } });
  });

  it('answers the health check and preflights (allowed origin: 204 with CORS headers; other origin: 403)', async () => {
    // Prepare
    const deps = memoryDeps(new FakeSink());
    const other = { ...preflightEvent, headers: { ...preflightEvent.headers, origin: 'https://evil.example.net' } };

    // Act
    const h = await invoke(deps, health as unknown as APIGatewayProxyEventV2);
    const ok = await invoke(deps, preflightEvent as unknown as APIGatewayProxyEventV2);
    const refused = await invoke(deps, other as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(h).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': SHOP_ORIGIN,
      'access-control-allow-methods': 'POST',
      'access-control-max-age': '7200',
    });
    expect(ok.headers['access-control-allow-headers']).toContain('x-write-key');
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('collector handler: client addresses', () => {
  it('logs no address by default, and only the truncated one with ipAddress: truncated', async () => {
    // Prepare
    const plain = memoryDeps(new FakeSink());
    const truncated = memoryDeps(new FakeSink(), { ipAddress: 'truncated' });

    // Act
    const a = await invoke(plain, postEvents as unknown as APIGatewayProxyEventV2);
    const b = await invoke(truncated, postEvents as unknown as APIGatewayProxyEventV2);
    const c = await invoke(truncated, postMobile as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(a.logs[0]!.clientIp).toBeUndefined();
    expect(JSON.stringify(a.logs)).not.toMatch(/203\.0\.113/);
    expect(b.logs[0]!.clientIp).toBe('203.0.113.0');
    expect(JSON.stringify(b.logs)).not.toContain('203.0.113.17');
    expect(c.logs[0]!.clientIp).toBe('2001:db8:85a3::');
    expect(JSON.stringify(c.logs)).not.toContain('8a2e');
  });
});

describe('collector handler: requests that are refused write nothing', () => {
  const cases: [string, () => APIGatewayProxyEventV2, number, string][] = [
    ['a body over maxBodyBytes', () => apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1), pad: 'x'.repeat(1_100_000) }), 413, 'body-too-large'],
    ['more events than maxEventsPerRequest', () => apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(501) }), 413, 'too-many-events'],
    ['no write key', () => apiEvent({ events: goodWebEvents(2) }), 401, 'missing-write-key'],
    ['an unknown write key', () => apiEvent({ writeKey: 'tpk_not-a-key', events: goodWebEvents(2) }), 401, 'unknown-write-key'],
    ['two different keys', () => apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(2) }, { headers: { 'x-write-key': MOBILE_KEY } }), 400, 'conflicting-write-keys'],
    ['a disallowed origin', () => apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(2) }, { headers: { origin: 'https://evil.example.net' } }), 403, 'origin-not-allowed'],
    ['a browser origin with a key of an app without browsers', () => apiEvent({ writeKey: MOBILE_KEY, events: [{ event_type: 'app_open', os: 'ios' }] }), 403, 'origin-not-allowed'],
    ['a body that is not JSON', () => apiEvent('{"events": [', { raw: true }), 400, 'invalid-json'],
    ['a body without an events list', () => apiEvent({ writeKey: WEB_KEY, event: goodWebEvents(1)[0] }), 400, 'invalid-body'],
    ['an empty events list', () => apiEvent({ writeKey: WEB_KEY, events: [] }), 400, 'no-events'],
  ];
  it.each(cases)('%s', async (_name, event, status, code) => {
    // Prepare
    const sink = new FakeSink();

    // Act
    const r = await invoke(memoryDeps(sink), event());

    // Assess
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: { code } });
    expect(sink.stored).toEqual([]);
    expect(sink.calls).toBe(0);
    expect(r.logs[0]).toMatchObject({ status, error: code });
  });

  it('does not let a refused origin read the answer, but lets an allowed origin read its refusal', async () => {
    // Act
    const evil = await invoke(memoryDeps(new FakeSink()), apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1) }, { headers: { origin: 'https://evil.example.net' } }));
    const badKey = await invoke(memoryDeps(new FakeSink()), apiEvent({ writeKey: 'tpk_wrong', events: goodWebEvents(1) }));
    // The shop's origin is allowed for web-shop, not for the mobile key's application.
    const otherApp = await invoke(memoryDeps(new FakeSink()), apiEvent({ writeKey: MOBILE_KEY, events: [{ event_type: 'app_open', os: 'ios' }] }));

    // Assess
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(badKey.headers['access-control-allow-origin']).toBe(SHOP_ORIGIN);
    expect(otherApp.status).toBe(403);
    expect(otherApp.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('requires the JWT route for an application that needs a token, and accepts it there', async () => {
    // Prepare
    const sink = new FakeSink();
    const s = memoryDeps(sink).settings;
    const params = [{ name: `${WRITE_KEYS_PATH}/mobile-app`, value: encodeWriteKeyDocument({ app: 'mobile-app', keys: [hashWriteKey(MOBILE_KEY)], origins: [], requireJwt: true }) }];
    const deps: CollectorDeps = { ...memoryDeps(sink), keys: new WriteKeyCache({ source: memoryParameterSource(() => params), path: s.writeKeysPath, ttlMs: 60_000 }) };

    // Act
    const plain = await invoke(deps, postMobile as unknown as APIGatewayProxyEventV2);
    const withToken = await invoke(deps, jwtAuthorized as unknown as APIGatewayProxyEventV2);
    const forged = await invoke(deps, { ...(jwtAuthorized as unknown as APIGatewayProxyEventV2), requestContext: { ...(postMobile.requestContext as unknown as APIGatewayProxyEventV2['requestContext']), routeKey: 'POST /v1/auth/events' } });

    // Assess
    expect(plain).toMatchObject({ status: 401, body: { error: { code: 'jwt-required' } } });
    expect(withToken.status).toBe(200);
    // Without the authorizer's claims (a route without the authorizer), the token route does not count.
    expect(forged.status).toBe(401);
    expect(sink.stored).toHaveLength(1);
  });
});

describe('collector handler: write failures and throttling from AWS', () => {
  it('retries records that failed once and writes every event exactly once', async () => {
    // Prepare: the first call fails every other record.
    const sink = new FakeSink('firehose', (call, i) => (call === 0 && i % 2 === 0 ? { code: 'ServiceUnavailableException' } : 'ok'));
    const deps = { ...memoryDeps(sink), clock: virtualClock() };
    const events = goodWebEvents(40);

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events }));

    // Assess
    expect(r.status).toBe(200);
    expect(answer(r).accepted).toBe(40);
    expect([...sink.counts().values()].every((n) => n === 1)).toBe(true);
    expect(sink.counts().size).toBe(40);
    expect(sink.calls).toBeGreaterThan(2);
  });

  it('answers 503 with exactly the events AWS kept throttling; the others are written once', async () => {
    // Prepare: checkout_completed's stream is throttled on every call.
    const sink = new FakeSink('firehose', (_call, _i, data) => (data.toString().includes('"checkout_completed"') ? { code: 'ServiceUnavailableException' } : 'ok'));
    const deps = { ...memoryDeps(sink, { writeDeadlineMs: 800 }), clock: virtualClock() };
    const events = goodWebEvents(10);

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events }));

    // Assess
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    const a = answer(r);
    expect(a.accepted).toBe(5);
    expect(a.retry.map((x) => x.index)).toEqual([1, 3, 5, 7, 9]);
    expect(a.retry.every((x) => x.code === 'ServiceUnavailableException' && x.eventId === `e-${x.index}`)).toBe(true);
    expect([...sink.counts().keys()].sort()).toEqual(['e-0', 'e-2', 'e-4', 'e-6', 'e-8']);
  });

  it('treats a whole-call throttling error like failed records', async () => {
    // Prepare: every call throws ThrottlingException.
    const sink = new FakeSink('firehose', () => 'throw');
    const deps = { ...memoryDeps(sink, { writeDeadlineMs: 600 }), clock: virtualClock() };

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(3) }));

    // Assess
    expect(r.status).toBe(503);
    expect(answer(r)).toMatchObject({ accepted: 0, rejected: [] });
    expect(answer(r).retry.map((x) => x.code)).toEqual(['ThrottlingException', 'ThrottlingException', 'ThrottlingException']);
    expect(sink.stored).toEqual([]);
  });

  it('answers "retry later" for every event while no catalog object can be read, and "retry later" while the keys cannot be read', async () => {
    // Prepare
    const sink = new FakeSink();
    const base = memoryDeps(sink);
    const noCatalog: CollectorDeps = { ...base, catalog: new CatalogCache({ store: memoryCatalogStore(() => new Map()), prefix: 'catalog/', ttlMs: 60_000 }) };
    const noKeys: CollectorDeps = {
      ...base,
      keys: new WriteKeyCache({ source: { byPath: () => Promise.reject(new Error('AccessDeniedException')) }, path: WRITE_KEYS_PATH, ttlMs: 60_000 }),
    };

    // Act
    const a = await invoke(noCatalog, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(3) }));
    const b = await invoke(noKeys, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(3) }));

    // Assess
    expect(a.status).toBe(503);
    expect(answer(a).retry.map((x) => [x.index, x.code])).toEqual([
      [0, 'catalog-unavailable'],
      [1, 'catalog-unavailable'],
      [2, 'catalog-unavailable'],
    ]);
    expect(b).toMatchObject({ status: 503, body: { error: { code: 'write-keys-unavailable' } } });
    expect(sink.stored).toEqual([]);
  });

  it('learns an event type added since the catalog was read (one refresh), instead of rejecting it', async () => {
    // Prepare: the catalog starts without page_view.
    const env = fixtureEnvironment();
    let objects = new Map([[CATALOG_KEY, catalogContent('dev', env.eventTypes.filter((t) => t.name !== 'page_view')).gzip]]);
    const sink = new FakeSink();
    const deps: CollectorDeps = { ...memoryDeps(sink), catalog: new CatalogCache({ store: memoryCatalogStore(() => objects), prefix: 'catalog/', ttlMs: 60_000, missRefreshMs: 0 }) };
    await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: [{ event_type: 'search', query: 'x' }] }));
    objects = new Map([[CATALOG_KEY, catalogContent('dev', env.eventTypes).gzip]]);

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: [{ event_type: 'page_view', path: '/' }] }));

    // Assess
    expect(r.status).toBe(200);
    expect(r.logs[0]).toMatchObject({ catalogMisses: 1, accepted: 1 });
  });

  it('answers "retry later", not "unknown type", for a type missing from a catalog that could not be read again', async () => {
    // Prepare: the catalog starts without page_view; then S3 fails.
    const env = fixtureEnvironment();
    const objects = new Map([[CATALOG_KEY, catalogContent('dev', env.eventTypes.filter((t) => t.name !== 'page_view')).gzip]]);
    const store = memoryCatalogStore(() => objects);
    let failing = false;
    const list = store.list.bind(store);
    store.list = (prefix, signal) => (failing ? Promise.reject(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' })) : list(prefix, signal));
    const sink = new FakeSink();
    const deps: CollectorDeps = { ...memoryDeps(sink), catalog: new CatalogCache({ store, prefix: 'catalog/', ttlMs: 60_000, missRefreshMs: 0 }) };
    await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: [{ event_type: 'search', query: 'x' }] }));
    failing = true;

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: [{ event_type: 'page_view', event_id: 'pv-1', path: '/' }, { event_type: 'search', query: 'y' }] }));

    // Assess: the known type is written; the unknown one is kept by the device, never rejected.
    expect(r.status).toBe(503);
    expect(answer(r)).toMatchObject({ accepted: 1, rejected: [], retry: [{ index: 0, eventId: 'pv-1', code: 'catalog-stale' }] });
    expect(sink.stored.map((x) => (JSON.parse(x.line) as { query?: string }).query)).toEqual(['x', 'y']);
  });

  it('writes to the root stream one event per record, never packed, under random partition keys (not the client\'s event_id)', async () => {
    // Prepare
    const records: { key?: string; data: string }[] = [];
    const sink = new FakeSink('kinesis');
    const send = sink.send.bind(sink);
    sink.send = (d, recs) => {
      for (const r of recs) records.push({ ...(r.partitionKey !== undefined ? { key: r.partitionKey } : {}), data: Buffer.from(r.data).toString() });
      return send(d, recs);
    };
    const deps = memoryDeps(sink, { destination: { kind: 'root-stream', streamName: 'acme-dev-root' } });

    // Act
    const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(6) }));

    // Assess
    expect(r.status).toBe(200);
    expect(records).toHaveLength(6);
    expect(records.every((x) => !x.data.includes('\n'))).toBe(true);
    expect(records.some((x) => x.key === (JSON.parse(x.data) as { event_id: string }).event_id)).toBe(false);
    expect(new Set(records.map((x) => x.key)).size).toBe(6);
    expect(new Set(sink.stored.map((s) => s.destination))).toEqual(new Set(['acme-dev-root']));
  });

  it('packs small events of one delivery stream into records of at most 5,120 bytes', async () => {
    // Prepare
    const sizes: number[] = [];
    const sink = new FakeSink();
    const send = sink.send.bind(sink);
    sink.send = (d, recs) => {
      for (const r of recs) sizes.push(r.data.byteLength);
      return send(d, recs);
    };

    // Act
    const r = await invoke(memoryDeps(sink), apiEvent({ writeKey: WEB_KEY, events: Array.from({ length: 100 }, (_, i) => ({ event_type: 'page_view', event_id: `p-${i}` })) }));

    // Assess
    expect(r.status).toBe(200);
    expect(sizes.length).toBeLessThan(100);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5_120);
    expect(sink.counts().size).toBe(100);
  });
});

describe('collector handler: every event accounted for (property)', () => {
  const kinds = ['good-page', 'good-checkout', 'observe-bad', 'schema-bad', 'unknown', 'not-object'] as const;
  const eventOf = (kind: (typeof kinds)[number], i: number): unknown => {
    switch (kind) {
      case 'good-page':
        return { event_type: 'page_view', event_id: `ev-${i}`, n: i };
      case 'good-checkout':
        return { event_type: 'checkout_completed', event_id: `ev-${i}`, order_id: `o${i}`, amount: i, currency: 'USD', items: [{ sku: 'X', quantity: 2 }] };
      case 'observe-bad':
        return { event_type: 'search', event_id: `ev-${i}`, query: 'q', results: -1 };
      case 'schema-bad':
        return { event_type: 'checkout_completed', event_id: `ev-${i}`, order_id: `o${i}` };
      case 'unknown':
        return { event_type: 'nope', event_id: `ev-${i}` };
      default:
        return [i];
    }
  };

  it('2xx only when all written; otherwise each event is written once, rejected, or listed to retry (never two of them)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (eventKinds, failures, rootStream, seed) => {
          // Prepare: record fates drawn from `failures` (0-2: fail this attempt, 9: fail always when the event is a checkout).
          let k = 0;
          const sink = new FakeSink(rootStream ? 'kinesis' : 'firehose', (_call, _i, data) => {
            const f = failures[k++ % failures.length]!;
            if (f === 9 && data.toString().includes('checkout_completed')) return { code: 'ProvisionedThroughputExceededException' };
            return f <= 2 ? { code: 'ServiceUnavailableException' } : 'ok';
          });
          const deps = {
            ...memoryDeps(sink, { writeDeadlineMs: 500, ...(rootStream ? { destination: { kind: 'root-stream' as const, streamName: 'acme-dev-root' } } : {}) }),
            clock: virtualClock(seed),
          };
          const events = eventKinds.map((kind, i) => eventOf(kind, i));

          // Act
          const r = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events }));

          // Assess
          const a = answer(r);
          const counts = sink.counts();
          const rejected = new Set(a.rejected.map((x) => x.index));
          const retry = new Set(a.retry.map((x) => x.index));
          for (let i = 0; i < events.length; i++) {
            const stored = counts.get(`ev-${i}`) ?? 0;
            const outcomes = (rejected.has(i) ? 1 : 0) + (retry.has(i) ? 1 : 0) + (stored > 0 ? 1 : 0);
            expect(outcomes).toBe(1);
            expect(stored).toBeLessThanOrEqual(1);
          }
          expect(a.accepted).toBe(counts.size);
          expect(r.status >= 200 && r.status < 300).toBe(rejected.size === 0 && retry.size === 0);
          if (retry.size > 0) expect(r.status).toBe(503);
          else if (rejected.size > 0) expect(r.status).toBe(422);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('collector handler: parameters it cannot use', () => {
  it('skips a malformed or misplaced write-key parameter without using any part of it', async () => {
    // Prepare
    const params = [
      ...fixtureParameters(),
      { name: `${WRITE_KEYS_PATH}/broken`, value: '{"v":1,"app":"broken","keys":["not-a-hash"],"origins":[],"jwt":false}' },
      { name: `${WRITE_KEYS_PATH}/impostor`, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey('tpk_impostor')], origins: [], requireJwt: false }) },
    ];
    const sink = new FakeSink();
    const deps: CollectorDeps = { ...memoryDeps(sink), keys: new WriteKeyCache({ source: memoryParameterSource(() => params), path: WRITE_KEYS_PATH, ttlMs: 60_000 }) };

    // Act
    const impostor = await invoke(deps, apiEvent({ writeKey: 'tpk_impostor', events: goodWebEvents(1) }, { headers: { origin: undefined } }));
    const legit = await invoke(deps, apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1) }));

    // Assess
    expect(impostor.status).toBe(401);
    expect(legit.status).toBe(200);
  });
});
