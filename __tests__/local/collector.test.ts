/**
 * The local HTTP API in front of the collector: API Gateway's route selection, the payload format
 * 2.0 event it builds, and how it turns the function's answer (or failure) into the HTTP response
 * ("Create AWS Lambda proxy integrations for HTTP APIs", "Routes for HTTP APIs").
 */
import { dispatcher, listen, type RunningEndpoint } from '../../cli/dev/endpoint';
import { LocalHttpApiServer, matchRoute } from '../../cli/dev/collector';
import type { InvokeResult } from '../../cli/dev/lambda';
import type { InvokeTarget, LocalFunction, LocalHttpApi, LocalRoute } from '../../cli/dev/resources';

const FN: LocalFunction = {
  address: 'aws_lambda_function.c',
  name: 'acme-dev-collector',
  arn: 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-collector',
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  timeoutSeconds: 10,
  memoryMiB: 512,
  environment: {},
  zipFile: '',
  sourceCodeHash: '',
  logGroup: 'g',
};
const TARGET: InvokeTarget = { function: FN, invokedArn: FN.arn, executedVersion: '$LATEST' };
const route = (routeKey: string, timeoutMs = 1_000): LocalRoute => ({ routeKey, target: TARGET, payloadFormatVersion: '2.0', timeoutMs });

describe('route selection', () => {
  const routes = [route('POST /v1/events'), route('ANY /v1/any'), route('GET /items/{id}'), route('GET /files/{path+}'), route('GET /items/special')];
  it('prefers the exact route, then ANY, then the most specific path variables; nothing else matches without $default', () => {
    expect(matchRoute(routes, 'POST', '/v1/events')?.route.routeKey).toBe('POST /v1/events');
    expect(matchRoute(routes, 'DELETE', '/v1/any')?.route.routeKey).toBe('ANY /v1/any');
    expect(matchRoute(routes, 'GET', '/items/special')?.route.routeKey).toBe('GET /items/special');
    expect(matchRoute(routes, 'GET', '/items/42')).toEqual({ route: routes[2], pathParameters: { id: '42' } });
    expect(matchRoute(routes, 'GET', '/files/a/b/c.txt')).toEqual({ route: routes[3], pathParameters: { path: 'a/b/c.txt' } });
    expect(matchRoute(routes, 'GET', '/v1/events')).toBeUndefined();
    expect(matchRoute([...routes, route('$default')], 'GET', '/v1/events')?.route.routeKey).toBe('$default');
  });
});

describe('the HTTP API server', () => {
  let endpoint: RunningEndpoint;
  const events: Record<string, unknown>[] = [];
  let answer: (e: Record<string, unknown>) => Promise<InvokeResult> = () => Promise.resolve({ ok: true, payload: null, durationMs: 1, requestId: 'r' });
  const api: LocalHttpApi = {
    address: 'aws_apigatewayv2_api.a',
    name: 'acme-dev-collector',
    id: 'abc123defg',
    routes: [route('POST /v1/events'), route('GET /health', 200)],
    originHeaders: { 'x-origin-verify': 'secret-from-state' },
  };

  beforeAll(async () => {
    const server = new LocalHttpApiServer({
      api,
      account: '123456789012',
      invoke: (_t, e) => {
        events.push(e as Record<string, unknown>);
        return answer(e as Record<string, unknown>);
      },
      log: () => undefined,
    });
    endpoint = await listen(0, dispatcher({ services: {}, collector: (q, r) => server.handle(q, r), onError: () => undefined }));
  });

  afterAll(() => endpoint.close());

  it('builds the payload format 2.0 event, with the edge’s origin headers', async () => {
    answer = () => Promise.resolve({ ok: true, payload: { statusCode: 202, headers: { 'X-Answer': 'yes' }, cookies: ['a=1', 'b=2'], body: '{"accepted":1}' }, durationMs: 1, requestId: 'r' });
    const r = await fetch(`${endpoint.url}/v1/events?app=web-shop&x=1&x=2`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'X-Write-Key': 'k' }, body: '{"events":[]}' });
    expect(r.status).toBe(202);
    expect(r.headers.get('x-answer')).toBe('yes');
    expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await r.text()).toBe('{"accepted":1}');
    expect(events.at(-1)).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/events',
      rawPath: '/v1/events',
      rawQueryString: 'app=web-shop&x=1&x=2',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'content-type': 'application/json', 'x-write-key': 'k', 'x-origin-verify': 'secret-from-state' },
      queryStringParameters: { app: 'web-shop', x: '1,2' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc123defg',
        http: { method: 'POST', path: '/v1/events', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        routeKey: 'POST /v1/events',
        stage: '$default',
        time: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
      },
      body: '{"events":[]}',
      isBase64Encoded: false,
    });
    expect((events.at(-1)!.headers as Record<string, string>).cookie).toBeUndefined();
  });

  it('base64-encodes a body that is not text', async () => {
    await fetch(`${endpoint.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]) });
    expect(events.at(-1)).toMatchObject({ body: 'AAEC/w==', isBase64Encoded: true });
  });

  it('answers 200 with the JSON of a value that is no response object, 500 for a function error, 503 past the integration timeout, 404 off the routes', async () => {
    answer = () => Promise.resolve({ ok: true, payload: { hello: 'world' }, durationMs: 1, requestId: 'r' });
    let r = await fetch(`${endpoint.url}/v1/events`, { method: 'POST', body: '{}' });
    expect([r.status, await r.text()]).toEqual([200, '{"hello":"world"}']);
    answer = () => Promise.resolve({ ok: false, errorType: 'Error', errorMessage: 'x', durationMs: 1, requestId: 'r' });
    r = await fetch(`${endpoint.url}/v1/events`, { method: 'POST', body: '{}' });
    expect([r.status, await r.text()]).toEqual([500, '{"message":"Internal Server Error"}']);
    answer = () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, payload: null, durationMs: 1, requestId: 'r' }), 500));
    r = await fetch(`${endpoint.url}/health`);
    expect([r.status, await r.text()]).toEqual([503, '{"message":"Service Unavailable"}']);
    r = await fetch(`${endpoint.url}/nowhere`);
    expect([r.status, await r.text()]).toEqual([404, '{"message":"Not Found"}']);
  });
});
