/**
 * The collector's HTTP API, locally: each HTTP request is matched to an evaluated route
 * (aws_apigatewayv2_route `route_key`, its integration's function), turned into the event API
 * Gateway builds for a Lambda proxy integration with payload format 2.0, and the function's answer
 * into the HTTP response (API Gateway developer guide, "Create AWS Lambda proxy integrations for
 * HTTP APIs": the 2.0 event and response formats; "Routes for HTTP APIs": route selection).
 *
 * - Route selection: the exact `METHOD /path`, then `ANY /path`, then routes with path variables
 *   (`{name}` and greedy `{name+}`, the most specific first), then `$default`; nothing matched is
 *   404 `{"message":"Not Found"}`.
 * - The event: version, routeKey, rawPath, rawQueryString, cookies (taken out of the headers),
 *   lowercase headers (repeated ones joined by commas), queryStringParameters, pathParameters,
 *   requestContext (accountId, apiId, domainName, domainPrefix, http { method, path, protocol,
 *   sourceIp, userAgent }, requestId, routeKey, stage, time, timeEpoch), body and isBase64Encoded
 *   (bodies that are not text are base64).
 * - The answer: an object with `statusCode` is the response (headers, cookies as Set-Cookie, body,
 *   isBase64Encoded); anything else is 200 with the JSON text of the value. A function error is
 *   500 `{"message":"Internal Server Error"}`; an invocation over the integration's timeout is 503.
 * - The edge in front (CloudFront): the origin custom headers the distribution adds (the
 *   collector's origin secret) are added to every request, from the evaluated distribution.
 * Bodies over 10 MB are refused with 413, as HTTP APIs do. Not modelled: throttling, authorizers
 * (a JWT route is invoked without checking the token), CORS configuration of the API itself,
 * custom domains.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from './http';
import type { InvokeResult } from './lambda';
import type { InvokeTarget, LocalHttpApi, LocalRoute } from './resources';

/** HTTP APIs accept request bodies up to 10 MB (API Gateway quotas). */
export const MAX_HTTP_API_BODY = 10 * 1024 * 1024;

export interface CollectorOptions {
  readonly api: LocalHttpApi;
  readonly account: string;
  readonly invoke: (target: InvokeTarget, event: unknown) => Promise<InvokeResult>;
  readonly log: (line: string) => void;
}

interface Matched {
  readonly route: LocalRoute;
  readonly pathParameters?: Record<string, string>;
}

/** The route API Gateway would pick for a method and path. */
export function matchRoute(routes: readonly LocalRoute[], method: string, path: string): Matched | undefined {
  const exact = routes.find((r) => r.routeKey === `${method} ${path}`) ?? routes.find((r) => r.routeKey === `ANY ${path}`);
  if (exact !== undefined) return { route: exact };
  const candidates: { route: LocalRoute; params: Record<string, string>; score: number }[] = [];
  const segments = path.split('/').slice(1);
  for (const r of routes) {
    const [m, p] = r.routeKey.split(' ');
    if (p === undefined || (m !== method && m !== 'ANY') || !p.includes('{')) continue;
    const parts = p.split('/').slice(1);
    const params: Record<string, string> = {};
    let ok = true;
    let score = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const greedy = /^\{([^}]+)\+\}$/.exec(part);
      if (greedy !== null) {
        if (i >= segments.length) ok = false;
        else params[greedy[1]!] = segments.slice(i).join('/');
        break;
      }
      const variable = /^\{([^}]+)\}$/.exec(part);
      if (i >= segments.length) ok = false;
      else if (variable !== null) params[variable[1]!] = decodeURIComponent(segments[i]!);
      else if (part === segments[i]) score += 2;
      else ok = false;
      if (!ok) break;
      if (i === parts.length - 1 && parts.length !== segments.length) ok = false;
    }
    if (ok) candidates.push({ route: r, params, score: score + (m === method ? 1 : 0) });
  }
  candidates.sort((a, b) => b.score - a.score);
  if (candidates[0] !== undefined) return { route: candidates[0].route, pathParameters: candidates[0].params };
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback === undefined ? undefined : { route: fallback };
}

const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/** `dd/MMM/yyyy:HH:mm:ss +0000`, the requestContext.time format. */
function requestTime(at: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())} +0000`;
}

/** The payload format 2.0 event of a request. */
export function apiGatewayV2Event(req: IncomingMessage, body: Buffer, api: LocalHttpApi, matched: Matched, requestId: string, account: string): Record<string, unknown> {
  const url = new URL(req.url ?? '/', 'http://collector.local');
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') cookies = v.split(';').map((c) => c.trim()).filter((c) => c !== '');
    else headers[name.toLowerCase()] = v;
  }
  for (const [k, v] of Object.entries(api.originHeaders)) headers[k] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const contentType = headers['content-type'] ?? '';
  const text = contentType === '' || TEXT_TYPE.test(contentType);
  const now = new Date();
  const host = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey: matched.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies !== undefined ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: account,
      apiId: api.id,
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: matched.route.routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(matched.pathParameters !== undefined && Object.keys(matched.pathParameters).length > 0 ? { pathParameters: matched.pathParameters } : {}),
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/** Requests the collector served, by status (for the summary and the benchmark). */
export interface CollectorCounts {
  requests: number;
  byStatus: Record<string, number>;
}

export class LocalHttpApiServer {
  public readonly counts: CollectorCounts = { requests: 0, byStatus: {} };
  private inFlight = 0;

  public constructor(private readonly opts: CollectorOptions) {}

  public get busy(): boolean {
    return this.inFlight > 0;
  }

  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.serve(req, res);
    } finally {
      this.inFlight--;
    }
  }

  private answer(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | string[]> = { 'content-type': 'application/json' }): void {
    this.counts.requests++;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
    if (res.headersSent) return;
    res.writeHead(status, { ...headers, 'apigw-requestid': randomUUID().slice(0, 18) }).end(body);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_HTTP_API_BODY);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return this.answer(res, 413, '{"message":"Request Entity Too Large"}');
      throw err;
    }
    const url = new URL(req.url ?? '/', 'http://collector.local');
    const matched = matchRoute(this.opts.api.routes, (req.method ?? 'GET').toUpperCase(), url.pathname);
    if (matched === undefined) return this.answer(res, 404, '{"message":"Not Found"}');
    const requestId = randomUUID();
    const event = apiGatewayV2Event(req, body, this.opts.api, matched, requestId, this.opts.account);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), matched.route.timeoutMs).unref());
    const result = await Promise.race([this.opts.invoke(matched.route.target, event), timeout]);
    if (result === 'timeout') return this.answer(res, 503, '{"message":"Service Unavailable"}');
    if (!result.ok) {
      this.opts.log(`collector ${matched.route.routeKey}: ${result.errorType}: ${result.errorMessage.slice(0, 300)}`);
      return this.answer(res, 500, '{"message":"Internal Server Error"}');
    }
    const out = result.payload as { statusCode?: unknown; headers?: Record<string, unknown>; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown } | null;
    if (out !== null && typeof out === 'object' && typeof out.statusCode === 'number') {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(out.headers ?? {})) headers[k.toLowerCase()] = String(v);
      if (Array.isArray(out.cookies) && out.cookies.length > 0) headers['set-cookie'] = out.cookies.map(String);
      const text = typeof out.body === 'string' ? out.body : '';
      return this.answer(res, out.statusCode, out.isBase64Encoded === true ? Buffer.from(text, 'base64') : text, headers);
    }
    return this.answer(res, 200, JSON.stringify(out), { 'content-type': 'application/json' });
  }
}
