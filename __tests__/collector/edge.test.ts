/**
 * The collector behind CloudFront and AWS WAF (docs/collector.md, "Protection"): the function
 * refuses requests that did not come through CloudFront (no origin secret) and keys the rate rules
 * cannot count (body only), refuses a key named with another application (`?app=`), reads the key
 * from the query, and logs the viewer's address, not CloudFront's. Through the handler on API
 * Gateway events (a request as CloudFront forwards it: __tests__/fixtures/collector/), and through
 * the built asset the construct ships (its bundle and settings.json, with the secret in the
 * function's environment, as Lambda runs it).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Testing } from 'cdktf';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveCollector } from '../../config/collector';
import { checkEdge, EDGE_SECRET_HEADER, EDGE_SECRET_VARIABLE, secretMatches } from '../../functions/collector/edge';
import { createHandler, type CollectorHandler, type CollectorRuntime } from '../../functions/collector/handler';
import { requestFromApiEvent, viewerAddress } from '../../functions/collector/http';
import type { EdgeSettings } from '../../functions/collector/settings';
import { SETTINGS_FILE } from '../../functions/collector/settings';
import { hashWriteKey } from '../../lib/write-keys';
import { AwsContext } from '../../modules/aws-context';
import { Collector } from '../../modules/collector';
import viaCloudFront from '../fixtures/collector/http-api-v2-post-events-via-cloudfront.json';
import healthFixture from '../fixtures/collector/http-api-v2-health.json';
import { apiEvent, FakeSink, goodWebEvents, memoryDeps, MOBILE_KEY, WEB_KEY } from './factories';

const SECRET = (viaCloudFront.headers as Record<string, string>)[EDGE_SECRET_HEADER]!;
const EDGE: EdgeSettings = { secretHeader: EDGE_SECRET_HEADER, secretVariable: EDGE_SECRET_VARIABLE, enforce: true };
const CONTEXT = { getRemainingTimeInMillis: () => 10_000 };

/** The CloudFront fixture with changes: headers (undefined removes), query arguments (undefined removes), body. */
function cloudFrontEvent(opts: { headers?: Record<string, string | undefined>; query?: Record<string, string | undefined>; body?: unknown } = {}): APIGatewayProxyEventV2 {
  const e = JSON.parse(JSON.stringify(viaCloudFront)) as APIGatewayProxyEventV2 & { headers: Record<string, string>; queryStringParameters: Record<string, string> };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === undefined) delete e.headers[k];
    else e.headers[k] = v;
  }
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v === undefined) delete e.queryStringParameters[k];
    else e.queryStringParameters[k] = v;
  }
  e.rawQueryString = new URLSearchParams(e.queryStringParameters).toString();
  if (opts.body !== undefined) e.body = JSON.stringify(opts.body);
  return e;
}

interface Harness {
  readonly handler: CollectorHandler;
  readonly sink: FakeSink;
  readonly lines: Record<string, unknown>[];
}

function harness(edge: EdgeSettings | undefined, secret: string | undefined = SECRET, ipAddress: 'none' | 'truncated' = 'truncated'): Harness {
  const sink = new FakeSink();
  const lines: Record<string, unknown>[] = [];
  const runtime: CollectorRuntime = { ...memoryDeps(sink, { ipAddress, ...(edge !== undefined ? { edge } : {}) }), ...(secret !== undefined ? { edgeSecret: secret } : {}) };
  return { handler: createHandler(() => runtime, { log: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }), sink, lines };
}

const bodyOf = (r: APIGatewayProxyStructuredResultV2): { error?: { code: string; message: string }; accepted?: number } => JSON.parse(r.body ?? '{}') as never;

describe('reading a request CloudFront forwards', () => {
  it('takes the key and the application from the query, and the viewer from CloudFront-Viewer-Address', () => {
    // Act
    const req = requestFromApiEvent(viaCloudFront as unknown as APIGatewayProxyEventV2);

    // Assess
    expect(req).toMatchObject({ writeKeyQuery: WEB_KEY, claimedApp: 'web-shop', sourceIp: '130.176.98.140' });
    expect(viewerAddress(req.headers['cloudfront-viewer-address'])).toBe('198.51.100.23');
    expect(viewerAddress('2001:db8:85a3::8a2e:370:7334:443')).toBe('2001:db8:85a3::8a2e:370:7334');
    expect(viewerAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    for (const bad of ['198.51.100.23', 'x:1', '', 'a b:80']) expect(viewerAddress(bad)).toBeUndefined();
  });

  it('compares the secret in constant time, whatever the length', () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(`${SECRET}x`, SECRET)).toBe(false);
    expect(secretMatches('', SECRET)).toBe(false);
    expect(secretMatches(undefined, SECRET)).toBe(false);
  });
});

describe('checkEdge', () => {
  const req = (opts: Parameters<typeof cloudFrontEvent>[0] = {}) => requestFromApiEvent(cloudFrontEvent(opts));

  it('passes a request with the secret, drops the secret header, and presents the query key as the header', () => {
    // Act
    const d = checkEdge(req(), EDGE, SECRET);

    // Assess
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.via).toBe('edge');
    expect(d.request.headers[EDGE_SECRET_HEADER]).toBeUndefined();
    expect(d.request.headers['x-write-key']).toBe(WEB_KEY);
    expect(d.request.sourceIp).toBe('198.51.100.23');
  });

  it('refuses what bypassed the edge or hid the key from it, while enforce is on; lets it through while it is off', () => {
    // Prepare
    const cases = [
      { what: 'no secret', r: req({ headers: { [EDGE_SECRET_HEADER]: undefined } }), status: 403, code: 'edge-required' },
      { what: 'another secret', r: req({ headers: { [EDGE_SECRET_HEADER]: 'guess' } }), status: 403, code: 'edge-required' },
      { what: 'key only in the body', r: req({ query: { key: undefined }, body: { writeKey: WEB_KEY, events: goodWebEvents(1) } }), status: 401, code: 'missing-write-key' },
    ];

    // Act / Assess
    for (const c of cases) {
      const enforced = checkEdge(c.r, EDGE, SECRET);
      expect({ what: c.what, ok: enforced.ok, status: enforced.ok ? 0 : enforced.response.status, code: enforced.ok ? '' : enforced.summary.error }).toEqual({ what: c.what, ok: false, status: c.status, code: c.code });
      const relaxed = checkEdge(c.r, { ...EDGE, enforce: false }, SECRET);
      expect(relaxed.ok).toBe(true);
    }
    // A direct request is logged as such; its viewer header is not trusted.
    const direct = checkEdge(req({ headers: { [EDGE_SECRET_HEADER]: undefined } }), { ...EDGE, enforce: false }, SECRET);
    expect(direct.ok && direct.via === 'direct' && direct.request.sourceIp === '130.176.98.140').toBe(true);
  });

  it('refuses two different keys in header and query, and a missing secret in the function (503, the device keeps its events)', () => {
    const two = checkEdge(req({ headers: { 'x-write-key': MOBILE_KEY } }), EDGE, SECRET);
    expect(two.ok ? 0 : two.response.status).toBe(400);
    const unset = checkEdge(req(), EDGE, undefined);
    expect(unset.ok ? 0 : [unset.response.status, unset.summary.internalError]).toEqual([503, 'EdgeSecretMissing']);
    // Without protection, only the query key is folded in.
    const none = checkEdge(req({ headers: { [EDGE_SECRET_HEADER]: undefined } }), undefined, undefined);
    expect(none.ok && none.via === undefined && none.request.headers['x-write-key'] === WEB_KEY).toBe(true);
  });
});

describe('the handler behind CloudFront', () => {
  it('writes the events of a request CloudFront forwarded, logging the viewer\'s /24 (never CloudFront\'s) and "via": "edge"', async () => {
    // Prepare
    const h = harness(EDGE);

    // Act
    const res = await h.handler(cloudFrontEvent(), CONTEXT);

    // Assess
    expect(res.statusCode).toBe(200);
    expect(h.sink.stored).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ status: 200, app: 'web-shop', via: 'edge', clientIp: '198.51.100.0' });
    expect(JSON.stringify(h.lines)).not.toContain(SECRET);
  });

  it('refuses a request sent to the API directly (403), before reading keys or writing anything', async () => {
    // Prepare
    const h = harness(EDGE);

    // Act
    const direct = await h.handler(apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(2) }), CONTEXT);
    const health = await h.handler(JSON.parse(JSON.stringify(healthFixture)) as APIGatewayProxyEventV2, CONTEXT);

    // Assess
    expect([direct.statusCode, bodyOf(direct).error?.code, health.statusCode]).toEqual([403, 'edge-required', 403]);
    expect(direct.headers?.['access-control-allow-origin']).toBeUndefined();
    expect(h.sink.calls).toBe(0);
    expect(h.lines.map((l) => [l.status, l.error, l.via])).toEqual([
      [403, 'edge-required', 'direct'],
      [403, 'edge-required', 'direct'],
    ]);
  });

  it('refuses a key named with another application (it would borrow that application\'s limit), and logs the key\'s own', async () => {
    // Prepare
    const h = harness(EDGE);

    // Act
    const res = await h.handler(cloudFrontEvent({ query: { app: 'mobile-app' } }), CONTEXT);

    // Assess
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).error).toMatchObject({ code: 'application-mismatch' });
    expect(bodyOf(res).error?.message).not.toContain('web-shop');
    expect(h.lines[0]).toMatchObject({ status: 401, error: 'application-mismatch', app: 'web-shop' });
    expect(h.sink.stored).toHaveLength(0);
  });

  it('while clients move (enforce off): takes direct requests and body keys, and says which came around the edge', async () => {
    // Prepare
    const h = harness({ ...EDGE, enforce: false });

    // Act
    const res = await h.handler(apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(2) }), CONTEXT);

    // Assess
    expect(res.statusCode).toBe(200);
    expect(h.lines[0]).toMatchObject({ via: 'direct', accepted: 2 });
  });

  it('without protection: the query key works, and a mismatched application is still refused', async () => {
    // Prepare
    const h = harness(undefined, undefined, 'none');

    // Act
    const ok = await h.handler(cloudFrontEvent({ headers: { [EDGE_SECRET_HEADER]: undefined } }), CONTEXT);
    const wrong = await h.handler(cloudFrontEvent({ query: { app: 'mobile-app' } }), CONTEXT);

    // Assess
    expect([ok.statusCode, wrong.statusCode]).toEqual([200, 401]);
    expect(h.lines[0]!.via).toBeUndefined();
  });
});

describe('the built asset (bundle and settings.json as the construct ships them, the secret in the environment)', () => {
  let handler: CollectorHandler;
  let settingsText: string;
  const saved = process.env[EDGE_SECRET_VARIABLE];
  // The function's log lines go to stdout, as in Lambda: kept here, to read.
  const stdout: string[] = [];
  let restoreStdout: (() => void) | undefined;

  beforeAll(() => {
    // Prepare: synthesize the collector with protection on, as a stack does.
    const spec = resolveCollector({ project: 'acme', environment: 'prod' }, { enabled: true, applications: { 'web-shop': { writeKeys: [hashWriteKey(WEB_KEY)] } } }, { rootStreamEnabled: false, applications: [{ name: 'web-shop' }] })!;
    let collector: Collector | undefined;
    Testing.synthScope((scope) => {
      collector = new Collector(scope, 'collector', { spec, prefix: { project: 'acme', environment: 'prod' }, context: new AwsContext(scope, 'context', { region: 'eu-central-1' }), logRetentionDays: 30, bucketName: 'acme-prod-tracking-events', bucketArn: 'arn:aws:s3:::acme-prod-tracking-events' });
    });
    const bundle = collector!.function.bundle;
    settingsText = readFileSync(path.join(bundle.dir, SETTINGS_FILE), 'utf8');
    process.env[EDGE_SECRET_VARIABLE] = SECRET;
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    restoreStdout = () => spy.mockRestore();
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require(bundle.file) as { handler: CollectorHandler }).handler;
    });
  });

  afterAll(() => {
    restoreStdout?.();
    if (saved === undefined) delete process.env[EDGE_SECRET_VARIABLE];
    else process.env[EDGE_SECRET_VARIABLE] = saved;
  });

  it('ships settings that ask for the edge\'s secret', () => {
    expect(JSON.parse(settingsText)).toMatchObject({ edge: { secretHeader: EDGE_SECRET_HEADER, secretVariable: EDGE_SECRET_VARIABLE, enforce: true } });
  });

  it('refuses requests without the origin secret or with another one (403), and serves one with it', async () => {
    // Act
    const noSecret = await handler(JSON.parse(JSON.stringify(healthFixture)) as APIGatewayProxyEventV2, CONTEXT);
    const guessed = await handler({ ...(JSON.parse(JSON.stringify(healthFixture)) as APIGatewayProxyEventV2), headers: { [EDGE_SECRET_HEADER]: 'not-the-secret' } }, CONTEXT);
    const events = await handler(apiEvent({ writeKey: WEB_KEY, events: goodWebEvents(1) }), CONTEXT);
    const withSecret = await handler({ ...(JSON.parse(JSON.stringify(healthFixture)) as APIGatewayProxyEventV2), headers: { [EDGE_SECRET_HEADER]: SECRET } }, CONTEXT);

    // Assess
    expect([noSecret.statusCode, guessed.statusCode, events.statusCode]).toEqual([403, 403, 403]);
    expect(bodyOf(events).error?.code).toBe('edge-required');
    expect(withSecret.statusCode).toBe(200);
    const logged = stdout.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => [l.status, l.via])).toEqual([
      [403, 'direct'],
      [403, 'direct'],
      [403, 'direct'],
      [200, 'edge'],
    ]);
    expect(stdout.join('')).not.toContain(SECRET);
  });

  it('refuses a key that only the body carries, even through CloudFront (the rate rules cannot count it)', async () => {
    // Act: nothing is read from AWS before this answer (no network here).
    const res = await handler(cloudFrontEvent({ query: { key: undefined, app: undefined }, body: { writeKey: WEB_KEY, events: goodWebEvents(1) } }), CONTEXT);

    // Assess
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).error?.message).toMatch(/x-write-key header or the "key" query argument/);
  });
});
