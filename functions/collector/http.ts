/**
 * The HTTP side of the collector: an API Gateway HTTP API event (payload format 2.0) in, a plain
 * request out; a plain response in, the Lambda proxy result out. Pure.
 *
 * Payload 2.0 facts used here (docs/collector.md, "Sources"): header names arrive in lowercase and
 * repeated headers joined with commas; `body` is base64 when `isBase64Encoded` is true (API Gateway
 * decides that from the content type); a JWT authorizer's claims are in
 * `requestContext.authorizer.jwt.claims`; `routeKey` is the matched route ("POST /v1/events");
 * `queryStringParameters` holds the decoded query arguments, repeated ones joined with commas.
 * Behind CloudFront, `sourceIp` is CloudFront's address; the viewer's is in CloudFront's
 * `CloudFront-Viewer-Address` header (ip:port), trusted only once the edge's secret checked out.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { APPLICATION_QUERY, WRITE_KEY_QUERY } from '../../lib/collector-protocol';

export interface CollectorRequest {
  /** The matched route, `<METHOD> <path>` (`$default` when none matched). */
  readonly routeKey: string;
  readonly method: string;
  readonly path: string;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The decoded body (empty when there is none). */
  readonly body: Buffer;
  /** The Origin header, when a browser sent one. */
  readonly origin?: string;
  /** The client's IP address as API Gateway saw it (logged only truncated, and only when configured). */
  readonly sourceIp?: string;
  /** The `key` query argument: the write key of a request that cannot set headers, where the edge's rate rules can count it. */
  readonly writeKeyQuery?: string;
  /** The `app` query argument: the application the client says its key belongs to (it picks that application's rate limit). */
  readonly claimedApp?: string;
  readonly requestId: string;
  /** True when the request passed the JWT authorizer of its route. */
  readonly authenticated: boolean;
}

export interface CollectorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON; none for 204. */
  readonly body?: unknown;
}

/** A request API Gateway should never send (no route key, a body that is not a string). */
export function requestFromApiEvent(event: APIGatewayProxyEventV2): CollectorRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  const raw = typeof event.body === 'string' ? event.body : '';
  const body = event.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  const ctx = event.requestContext as Partial<APIGatewayProxyEventV2['requestContext']> & { authorizer?: { jwt?: { claims?: unknown } } };
  const http = ctx?.http;
  const method = (http?.method ?? '').toUpperCase();
  const path = http?.path ?? event.rawPath ?? '';
  const origin = headers.origin;
  const query = event.queryStringParameters ?? {};
  const writeKeyQuery = query[WRITE_KEY_QUERY];
  const claimedApp = query[APPLICATION_QUERY];
  return {
    routeKey: typeof event.routeKey === 'string' ? event.routeKey : `${method} ${path}`,
    method,
    path,
    headers,
    body,
    ...(origin !== undefined && origin !== '' ? { origin } : {}),
    ...(typeof http?.sourceIp === 'string' ? { sourceIp: http.sourceIp } : {}),
    ...(typeof writeKeyQuery === 'string' && writeKeyQuery !== '' ? { writeKeyQuery } : {}),
    ...(typeof claimedApp === 'string' && claimedApp !== '' ? { claimedApp } : {}),
    requestId: typeof ctx?.requestId === 'string' ? ctx.requestId : '',
    authenticated: ctx?.authorizer?.jwt?.claims !== undefined && ctx.authorizer.jwt.claims !== null,
  };
}

/** The proxy result of a response (JSON body, no caching). */
export function apiResultFromResponse(res: CollectorResponse): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...res.headers };
  if (res.body === undefined) return { statusCode: res.status, headers };
  return { statusCode: res.status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(res.body) };
}

/**
 * An IP address with its host part zeroed: IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48
 * (`2001:db8:85a3::`). Anything else becomes `unknown`. Never the full address.
 */
export function truncateIp(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4 !== null) return `${v4[1]}.${v4[2]}.${v4[3]}.0`;
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip)) return 'unknown';
  // Expand "::" to read the first three groups.
  const [head, tail] = ip.split('::', 2) as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...new Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  const first = groups.slice(0, 3).map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : '0'));
  while (first.length < 3) first.push('0');
  return `${first.join(':')}::`;
}

/**
 * The viewer's address from CloudFront's `CloudFront-Viewer-Address` header: `ip:port`, IPv6
 * without brackets (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html).
 * Undefined when the value is not of that form.
 */
export function viewerAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const at = v.lastIndexOf(':');
  if (at <= 0 || !/^\d{1,5}$/.test(v.slice(at + 1))) return undefined;
  const ip = v.slice(0, at).replace(/^\[|\]$/g, '');
  return /^[0-9a-fA-F:.]+$/.test(ip) ? ip : undefined;
}
