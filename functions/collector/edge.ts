/**
 * The collector's side of the edge (docs/collector.md, "Protection"): CloudFront with an AWS WAF
 * web ACL stands in front of the HTTP API and counts requests per client IP and per write key. The
 * API's own execute-api address stays reachable, so the function checks what CloudFront adds:
 *
 * - **The origin secret.** CloudFront adds a header with a secret to every request it sends to the
 *   API, overwriting a viewer's header of the same name ("Add custom headers to origin requests",
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html).
 *   Without it (or with another value) a request did not pass the rate rules: refused 403
 *   `edge-required` while `enforce` is on. The header never goes further than this check.
 * - **Where the key is.** AWS WAF aggregates on request components, not on a JSON body field
 *   (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html),
 *   so the per-application rules count the `x-write-key` header and the `key` query argument. A key
 *   in neither is refused 401 while `enforce` is on; header and query with different keys, 400. The
 *   query key is then presented to the core (./ingest.ts) as the header it stands for.
 * - **The viewer's address.** Behind CloudFront the API's source IP is CloudFront's: the viewer's
 *   comes from `CloudFront-Viewer-Address`, trusted only on a request that carried the secret.
 *
 * Pure: the handler gives the request, the settings and the secret, and gets the request to serve
 * or the refusal. The application named by `?app=` is checked in the handler (it needs the keys).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { COLLECTOR_ROUTES, WRITE_KEY_HEADER, WRITE_KEY_QUERY, type RequestErrorCode } from '../../lib/collector-protocol';
import type { CollectorRequest, CollectorResponse } from './http';
import { viewerAddress } from './http';
import type { RequestSummary } from './ingest';
import type { EdgeSettings } from './settings';

/** Header CloudFront adds to every origin request: the origin secret. */
export const EDGE_SECRET_HEADER = 'x-collector-edge-secret';
/** Environment variable of the collector function holding the origin secret. */
export const EDGE_SECRET_VARIABLE = 'COLLECTOR_EDGE_SECRET';
/** CloudFront's header with the viewer's `ip:port`. */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/** How the request reached the API: through CloudFront (the secret matched), or around it. */
export type Arrival = 'edge' | 'direct';

export type EdgeDecision =
  | { readonly ok: true; readonly request: CollectorRequest; readonly via?: Arrival }
  | { readonly ok: false; readonly response: CollectorResponse; readonly summary: RequestSummary; readonly via?: Arrival };

/** True when `given` is the secret, compared in constant time (over their SHA-256, so lengths never leak). */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const EVENT_ROUTES: ReadonlySet<string> = new Set([COLLECTOR_ROUTES.events, COLLECTOR_ROUTES.authenticatedEvents]);

/** A refusal's answer and log summary (nothing of the request was read or written). */
export function edgeRefusal(req: CollectorRequest, status: number, code: RequestErrorCode, message: string, extra: Partial<RequestSummary> = {}, headers: Record<string, string> = {}): { response: CollectorResponse; summary: RequestSummary } {
  return {
    response: { status, headers, body: { error: { code, message } } },
    summary: {
      route: req.routeKey,
      status,
      error: code,
      received: 0,
      accepted: 0,
      rejected: 0,
      retryable: 0,
      rejectedByCode: {},
      retryByCode: {},
      observedViolations: 0,
      bodyBytes: req.body.length,
      writeCalls: 0,
      catalogMisses: 0,
      ...extra,
    },
  };
}

/**
 * Checks a request against the edge settings: the origin secret, where the write key is, and the
 * viewer's address. Without edge settings (no protection) only the query key is folded in.
 */
export function checkEdge(req: CollectorRequest, edge: EdgeSettings | undefined, secret: string | undefined): EdgeDecision {
  let via: Arrival | undefined;
  let request = req;
  if (edge !== undefined) {
    const headers = { ...req.headers };
    const given = headers[edge.secretHeader];
    delete headers[edge.secretHeader];
    request = { ...req, headers };
    if (secret === undefined || secret === '') {
      // A packaging or deployment fault, never the device's: it keeps its events (503).
      if (edge.enforce) {
        return {
          ok: false,
          ...edgeRefusal(req, 503, 'internal-error', 'the collector is misconfigured; send the events again later', { internalError: 'EdgeSecretMissing' }, { 'retry-after': '2' }),
        };
      }
      via = 'direct';
    } else if (secretMatches(given, secret)) {
      via = 'edge';
      const viewer = viewerAddress(headers[VIEWER_ADDRESS_HEADER]);
      if (viewer !== undefined) request = { ...request, sourceIp: viewer };
    } else {
      via = 'direct';
      if (edge.enforce) {
        return {
          ok: false,
          via,
          ...edgeRefusal(req, 403, 'edge-required', 'this address does not take requests: send them to the collector\'s endpoint (its collector-endpoint output)'),
        };
      }
    }
  }

  if (!EVENT_ROUTES.has(request.routeKey)) return { ok: true, request, ...(via !== undefined ? { via } : {}) };
  const headerKey = request.headers[WRITE_KEY_HEADER];
  const queryKey = request.writeKeyQuery;
  if (headerKey !== undefined && queryKey !== undefined && headerKey !== queryKey) {
    return {
      ok: false,
      ...(via !== undefined ? { via } : {}),
      ...edgeRefusal(request, 400, 'conflicting-write-keys', `the ${WRITE_KEY_HEADER} header and the "${WRITE_KEY_QUERY}" query argument differ; send one key`),
    };
  }
  if (edge?.enforce === true && headerKey === undefined && queryKey === undefined) {
    return {
      ok: false,
      ...(via !== undefined ? { via } : {}),
      ...edgeRefusal(
        request,
        401,
        'missing-write-key',
        `send the application's write key in the ${WRITE_KEY_HEADER} header or the "${WRITE_KEY_QUERY}" query argument, where the rate limits count it (a key in the body alone is not accepted)`,
      ),
    };
  }
  if (headerKey === undefined && queryKey !== undefined) request = { ...request, headers: { ...request.headers, [WRITE_KEY_HEADER]: queryKey } };
  return { ok: true, request, ...(via !== undefined ? { via } : {}) };
}
