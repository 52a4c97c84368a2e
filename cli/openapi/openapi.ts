/**
 * `tracking openapi`: the OpenAPI 3.1 document of an environment's HTTP collector, generated from
 * the config and the contracts, for producers in other languages to generate clients from.
 *
 * It describes what the collector's code does (functions/collector: ingest.ts, edge.ts,
 * handler.ts; the protocol constants of lib/collector-protocol.ts; the routes of
 * modules/collector.ts):
 *
 * - the routes: `POST /v1/events`, `POST /v1/auth/events` (only with a JWT authorizer), the CORS
 *   preflight `OPTIONS /v1/events`, `GET /health`;
 * - where the write key goes: the `x-write-key` header, the `key` query argument (what a beacon
 *   sends), or `writeKey` in the body; with the edge enforced (`protection.enforce`) the body alone
 *   is refused, so only the header and query schemes are listed;
 * - the batch body: `events`, an array of at most `maxEventsPerRequest` events, one schema per event
 *   type (its contract, made a request schema: `event_type` required, `received_at` read-only),
 *   a generic event schema (`GenericEvent`) for types without a contract;
 * - the answers: 200 / 422 / 503 with the per-event answer (`accepted`, `rejected` with their
 *   codes, `retry`), and each refusal of a whole request with its codes by status.
 *
 * Pure: the same config gives the same document (sorted, no timestamps).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, envelopeProperties, type SchemaNode } from '../../config/contracts';
import type { CollectorSpec } from '../../config/collector';
import type { TrackingConfig } from '../../config/model';
import {
  APPLICATION_QUERY,
  AUTHENTICATED_EVENTS_PATH,
  EVENTS_PATH,
  RECEIVED_AT_FIELD,
  RETRY_AFTER_SECONDS,
  WRITE_KEY_FIELD,
  WRITE_KEY_HEADER,
  WRITE_KEY_QUERY,
  type RejectCode,
  type RequestErrorCode,
} from '../../lib/collector-protocol';
import { catalogModelOf, typeNames, type TypedEventType } from '../types/types';

/** Why a single event is rejected (lib/collector-protocol.ts RejectCode), with what each means. */
export const REJECT_CODES = {
  'not-an-object': 'the event is not a JSON object',
  'missing-event-type': 'the event has no "event_type" string',
  'app-mismatch': '"app" is not the application of the write key',
  'event-type-mismatch': 'the envelope contradicts the event type',
  'unknown-event-type': 'the application has no such event type',
  'bad-event-id': '"event_id" is not a string of 1 to 256 characters',
  'bad-sent-at': '"sent_at" is not an RFC 3339 date-time',
  'not-serializable': 'the event cannot be written as JSON',
  'event-too-large': 'the event, as written, is over maxEventBytes',
  'schema-violation': 'the event breaks its contract (enforce mode); the message names the keyword and the schema path, never the value',
} as const satisfies Record<RejectCode, string>;

/**
 * Every refusal of a whole request, by status (functions/collector: ingest.ts, edge.ts,
 * handler.ts; `rate-limited` is the edge's, modules/collector-edge.ts). The `satisfies` makes a
 * code added to the protocol a compile error here until it is documented.
 */
export const REQUEST_ERRORS = {
  'invalid-json': { status: 400, means: 'the body is not JSON' },
  'invalid-body': { status: 400, means: 'the body is not an object with a list "events"' },
  'no-events': { status: 400, means: 'the list "events" is empty' },
  'conflicting-write-keys': { status: 400, means: 'two places carry different write keys' },
  'missing-write-key': { status: 401, means: 'no write key (with the edge enforced: none in the header or the query)' },
  'unknown-write-key': { status: 401, means: 'the write key is not valid for this collector' },
  'jwt-required': { status: 401, means: 'the application sends only through POST /v1/auth/events with a valid token' },
  'application-mismatch': { status: 401, means: 'the "app" query argument names another application than the key\'s' },
  'origin-not-allowed': { status: 403, means: 'the Origin is not allowed for the key\'s application (no CORS headers)' },
  'edge-required': { status: 403, means: 'the request did not come through the collector\'s endpoint (CloudFront)' },
  'not-found': { status: 404, means: 'no such route' },
  'body-too-large': { status: 413, means: 'the body is over maxBodyBytes' },
  'too-many-events': { status: 413, means: 'more than maxEventsPerRequest events' },
  'write-keys-unavailable': { status: 503, means: 'the collector cannot read its write keys; send again later' },
  'internal-error': { status: 500, means: 'the collector failed (or, as 503, is misconfigured); send again later' },
} as const satisfies Record<RequestErrorCode, { status: number; means: string }>;

/** The edge's answer over a rate limit (AWS WAF, modules/collector-edge.ts). */
export const RATE_LIMITED_CODE = 'rate-limited';

export interface OpenApiOptions {
  /** The environment whose collector is described. */
  readonly environment: string;
  /**
   * Only these applications' event types.
   * @default the applications the collector has write keys for (every application when none is configured)
   */
  readonly applications?: readonly string[];
}

/** The collector cannot be described (no collector in the environment, an unknown application). */
export class OpenApiError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'OpenApiError';
  }
}

type Json = Record<string, unknown>;
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** A contract's normalized schema as a request schema: `$schema` dropped, `event_type` required, `received_at` read-only. */
export function requestSchema(t: TypedEventType): Json {
  const envelope = envelopeProperties(t.application, t.eventType);
  if (t.contract === undefined) {
    return {
      description: `${t.key}: no contract, any JSON object with the envelope fields`,
      allOf: [ref('GenericEvent')],
      properties: { app: envelope.app, event_type: envelope.event_type },
      'x-event-type': t.key,
    };
  }
  const { $schema: _dialect, ...schema } = t.contract.schema as SchemaNode & { $schema?: string };
  void _dialect;
  const properties = { ...schema.properties } as unknown as Record<string, Json>;
  properties[RECEIVED_AT_FIELD] = { ...properties[RECEIVED_AT_FIELD], readOnly: true, description: 'Set by the collector (a value sent is replaced)' };
  const required = ['event_type', ...(schema.required ?? []).filter((r) => r !== 'event_type')];
  return {
    ...schema,
    description: `${t.key} (contract, ${t.contract.mode} mode${t.contract.mode === 'observe' ? ': violations are accepted and counted' : ': violations are rejected with schema-violation'})${schema.description ? `: ${schema.description}` : ''}`,
    properties,
    required,
    'x-event-type': t.key,
    'x-contract-mode': t.contract.mode,
    'x-contract-hash': t.contract.hash,
  };
}

/** The environment's collector and the event types it accepts. */
function select(config: TrackingConfig, o: OpenApiOptions): { collector: CollectorSpec; eventTypes: TypedEventType[] } {
  const env = config.environments.find((e) => e.name === o.environment);
  if (env === undefined) throw new OpenApiError(`environment "${o.environment}" is not in the config (known: ${config.environments.map((e) => e.name).join(', ')})`);
  const collector = (env as { collector?: CollectorSpec }).collector;
  if (collector === undefined) throw new OpenApiError(`environment "${o.environment}" has no collector; set environments.${o.environment}.collector.enabled: true`);
  const known = new Set(config.applications.map((a) => a.name));
  for (const a of o.applications ?? []) if (!known.has(a)) throw new OpenApiError(`application "${a}" is not in the config (known: ${[...known].sort().join(', ')})`);
  const withKeys = collector.applications.map((a) => a.name);
  const apps = new Set(o.applications ?? (withKeys.length > 0 ? withKeys : [...known]));
  const eventTypes = catalogModelOf(config, '').eventTypes.filter((t) => apps.has(t.application));
  return { collector, eventTypes };
}

/** The OpenAPI 3.1 document of the collector of `o.environment`. */
export function openApiDocument(config: TrackingConfig, o: OpenApiOptions): Json {
  const { collector, eventTypes } = select(config, o);
  const names = typeNames(eventTypes);
  const limits = collector.limits;
  const enforced = collector.protection?.enforce === true;
  const apps = [...new Set(eventTypes.map((t) => t.application))].sort();

  // One schema per event type; oneOf with a discriminator when event type names are unique, else anyOf.
  const eventSchemas: Record<string, Json> = {};
  for (const t of eventTypes) eventSchemas[names.get(t.key)!] = requestSchema(t);
  const byType = new Map<string, string[]>();
  for (const t of eventTypes) byType.set(t.eventType, [...(byType.get(t.eventType) ?? []), names.get(t.key)!]);
  const unique = [...byType.values()].every((v) => v.length === 1);
  const refs = eventTypes.map((t) => ref(names.get(t.key)!));
  const event: Json = unique
    ? { oneOf: refs, discriminator: { propertyName: 'event_type', mapping: Object.fromEntries(eventTypes.map((t) => [t.eventType, `#/components/schemas/${names.get(t.key)!}`])) } }
    : { anyOf: refs };

  const generic = envelopeProperties('<app>', '<event_type>');
  const errorBody = (codes: readonly string[]): Json => ({
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: [...codes] }, message: { type: 'string' } },
      },
    },
  });
  const codesOf = (status: number): string[] =>
    Object.entries(REQUEST_ERRORS)
      .filter(([, e]) => e.status === status)
      .map(([c]) => c);
  const listCodes = (codes: readonly string[]): string =>
    codes.map((c) => `\`${c}\` (${(REQUEST_ERRORS as Record<string, { means: string }>)[c]?.means ?? 'over a rate limit of the edge'})`).join('; ');
  const retryAfter = (seconds: number): Json => ({
    'Retry-After': { description: `Seconds to wait before sending again (${seconds})`, schema: { type: 'integer', minimum: 0 } },
  });
  const json = (schema: Json): Json => ({ 'application/json': { schema } });
  const refusal = (status: number, extra: readonly string[] = []): Json => {
    const codes = [...codesOf(status), ...extra];
    return { description: `The request was refused; nothing of it was written: ${listCodes(codes)}`, content: json(errorBody(codes)) };
  };

  const keySchemes: Json[] = [{ writeKeyHeader: [] }, { writeKeyQuery: [] }];
  const security = enforced ? keySchemes : [...keySchemes, {}];
  const eventsResponses: Json = {
    '200': { description: 'Every event was written', content: json(ref('EventsAnswer')) },
    '422': { description: 'Some events were rejected (see `rejected`), none must be sent again; the others were written', content: json(ref('EventsAnswer')) },
    '503': {
      description:
        'Some events must be sent again (see `retry`: throttling, timeouts, a stream not there yet, or the catalog could not be read), or the write keys could not be read (an error body). The others were written.',
      headers: retryAfter(RETRY_AFTER_SECONDS),
      content: json({ oneOf: [ref('EventsAnswer'), errorBody([...codesOf(503), 'internal-error'])] }),
    },
    '400': refusal(400),
    '401': refusal(401),
    '403': refusal(403),
    '413': refusal(413),
    '429': {
      description: `Over a rate limit: the edge's (AWS WAF, per client IP or write key, \`${RATE_LIMITED_CODE}\`, Retry-After 60) or the API stage's throttling (API Gateway's own body)`,
      headers: retryAfter(60),
      content: json({ oneOf: [errorBody([RATE_LIMITED_CODE]), { type: 'object', properties: { message: { type: 'string' } } }] }),
    },
    '500': refusal(500),
  };
  const appParameter: Json = {
    name: APPLICATION_QUERY,
    in: 'query',
    required: false,
    description: 'The application the key belongs to: picks its own rate limit at the edge. A key of another application is refused (401 application-mismatch).',
    schema: { type: 'string', enum: apps },
  };
  const eventsOperation = (operationId: string, summary: string, sec: Json[]): Json => ({
    operationId,
    summary,
    description:
      `Sends a batch of events. Every event is either written (counted in \`accepted\`), rejected (\`rejected\`: sending it again cannot help) or to be sent again (\`retry\`): a 2xx never covers an event that was not written. ` +
      `Give each event an \`event_id\`: delivery is at least once, and retries are deduplicated on it. The body is at most ${limits.maxBodyBytes} bytes; each event, as written with its envelope, at most ${limits.maxEventBytes} bytes. ` +
      `The write key goes in the \`${WRITE_KEY_HEADER}\` header, the \`${WRITE_KEY_QUERY}\` query argument${enforced ? '' : `, or \`${WRITE_KEY_FIELD}\` in the body (browsers' simple requests)`}; two places with different keys are refused (400).` +
      (enforced ? ' This collector counts keys at the edge: a key only in the body is refused (401).' : ''),
    tags: ['events'],
    security: sec,
    parameters: [appParameter],
    requestBody: {
      required: true,
      description: 'A JSON object with the list `events` (sent as application/json, or as text/plain by browsers to avoid a CORS preflight)',
      content: { 'application/json': { schema: ref('EventsRequest') }, 'text/plain': { schema: ref('EventsRequest') } },
    },
    responses: eventsResponses,
  });

  const paths: Json = {
    [EVENTS_PATH]: {
      post: eventsOperation('sendEvents', 'Send events with a write key', security),
      options: {
        operationId: 'preflightEvents',
        summary: 'CORS preflight',
        description: 'Allowed for an origin some application allows; the POST then checks the key\'s own origins.',
        tags: ['events'],
        security: [],
        responses: {
          '204': {
            description: 'The origin may send (Access-Control-Allow-Origin, -Methods: POST, -Headers, -Max-Age)',
            headers: { 'Access-Control-Allow-Origin': { schema: { type: 'string' } }, 'Access-Control-Max-Age': { schema: { type: 'integer', const: collector.corsMaxAgeSeconds } } },
          },
          '403': refusal(403, []),
          '503': refusal(503),
        },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Liveness (reads nothing)',
        tags: ['health'],
        security: [],
        responses: { '200': { description: 'The collector answers', content: json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }) } },
      },
    },
  };
  if (collector.jwtAuthorizer !== undefined) {
    paths[AUTHENTICATED_EVENTS_PATH] = {
      post: eventsOperation(
        'sendAuthenticatedEvents',
        'Send events with a write key and a JWT (applications with requireJwt)',
        keySchemes.map((k) => ({ ...k, bearerJwt: [] })),
      ),
    };
  }

  const schemas: Json = {
    EventsRequest: {
      type: 'object',
      required: ['events'],
      properties: {
        events: { type: 'array', minItems: 1, maxItems: limits.maxEventsPerRequest, items: ref('Event') },
        [WRITE_KEY_FIELD]: { type: 'string', description: `The write key, for requests that cannot set headers${enforced ? ' (refused alone while the edge is enforced: send it in the query too)' : ''}` },
      },
    },
    Event: { description: 'One event: the schema of its event type, chosen by `event_type`', ...event },
    GenericEvent: {
      type: 'object',
      description: 'Any JSON object with an `event_type`; the envelope fields, when present, are checked',
      required: ['event_type'],
      properties: {
        app: { type: 'string', description: generic.app!.description },
        event_type: { type: 'string', minLength: 1, description: generic.event_type!.description },
        event_id: generic.event_id,
        sent_at: generic.sent_at,
        [RECEIVED_AT_FIELD]: { ...generic[RECEIVED_AT_FIELD], readOnly: true, description: 'Set by the collector (a value sent is replaced)' },
      },
      additionalProperties: true,
    },
    ...eventSchemas,
    EventsAnswer: {
      type: 'object',
      description: 'Every event of the request is counted in `accepted` (written), or listed in `rejected` or `retry`',
      required: ['accepted', 'rejected', 'retry'],
      properties: {
        accepted: { type: 'integer', minimum: 0, description: 'Events written (their records confirmed by Kinesis or Firehose)' },
        rejected: { type: 'array', items: ref('RejectedEvent') },
        retry: { type: 'array', items: ref('RetryEvent') },
      },
    },
    RejectedEvent: {
      type: 'object',
      description: 'An event that can never be written: sending it again cannot help',
      required: ['index', 'code', 'message'],
      properties: {
        index: { type: 'integer', minimum: 0, description: 'Position in the request\'s `events`' },
        eventId: { type: 'string' },
        code: { $ref: '#/components/schemas/RejectCode' },
        message: { type: 'string' },
      },
    },
    RejectCode: {
      type: 'string',
      enum: Object.keys(REJECT_CODES),
      description: Object.entries(REJECT_CODES)
        .map(([c, m]) => `\`${c}\`: ${m}`)
        .join('; '),
    },
    RetryEvent: {
      type: 'object',
      description: 'An event not written this time: send it again (same `event_id`) after Retry-After',
      required: ['index', 'code'],
      properties: {
        index: { type: 'integer', minimum: 0 },
        eventId: { type: 'string' },
        code: {
          type: 'string',
          description: 'The last error: an AWS error code (ProvisionedThroughputExceededException, ServiceUnavailableException, …), TimeoutError, DeadlineExceeded, catalog-unavailable or catalog-stale',
          examples: ['ServiceUnavailableException', 'TimeoutError', 'DeadlineExceeded', 'catalog-unavailable'],
        },
      },
    },
  };

  const doc: Json = {
    openapi: '3.1.0',
    info: {
      title: `${config.project} collector (${o.environment})`,
      version: '1',
      summary: `The HTTP collector of the tracking pipeline of project "${config.project}", environment "${o.environment}"`,
      description:
        'Generated by `tracking openapi` from the tracking config and the event contracts. Browsers use the browser tracker; other clients can be generated from this document. ' +
        'Delivery is at least once: deduplicate on `event_id`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      collector.customDomain !== undefined
        ? { url: `https://${collector.customDomain.domainName}`, description: 'The collector\'s domain' }
        : {
            url: 'https://{host}',
            description: 'The collector\'s endpoint: the collector-endpoint output of the environment\'s stack',
            variables: { host: { default: 'collector.example.com', description: 'Host name of the collector-endpoint output' } },
          },
      { url: 'http://127.0.0.1:8787', description: 'The local collector (`npm run collector:dev`)' },
    ],
    tags: [
      { name: 'events', description: 'Sending events' },
      { name: 'health', description: 'Liveness' },
    ],
    paths,
    components: {
      securitySchemes: {
        writeKeyHeader: { type: 'apiKey', in: 'header', name: WRITE_KEY_HEADER, description: 'The application\'s write key (public: it identifies the application)' },
        writeKeyQuery: { type: 'apiKey', in: 'query', name: WRITE_KEY_QUERY, description: 'The write key in the URL, for requests that cannot set headers (navigator.sendBeacon)' },
        ...(collector.jwtAuthorizer !== undefined
          ? { bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `A JWT of issuer ${collector.jwtAuthorizer.issuer} (API Gateway's JWT authorizer)` } }
          : {}),
      },
      schemas,
    },
  };
  doc['x-document-hash'] = createHash('sha256').update(canonicalJson(doc)).digest('hex').slice(0, 16);
  return doc;
}
