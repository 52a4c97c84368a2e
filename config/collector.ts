/**
 * The HTTP collector of an environment (issue #14): `environments.<env>.collector`, an HTTPS
 * endpoint (API Gateway HTTP API + a Lambda) through which browsers and phones send events with a
 * write key, and nothing else. By default CloudFront with an AWS WAF web ACL stands in front of it
 * (`protection`): per-client and per-application rate limits (docs/collector.md, "Protection").
 *
 * This module holds
 * - the zod schema of `collector` (`collectorSchema`), for the loader and the editor JSON Schema;
 * - the checks zod cannot express (`collectorIssues`), returning problems with a path from the
 *   config root: what is wrong, the value, and how to fix it;
 * - the resolution into plain data (`resolveCollector`): defaults as pure data, merged in one fixed
 *   order (defaults, then the user's values), physical names from `config/naming`;
 * - where each application's write-key parameter lives (`collectorApplicationsOfStack`).
 *
 * It imports only zod, `config/naming`, `config/aws-rules` and lib/ (dependency-free), so the schema
 * module can include it without a cycle. Design, semantics and sources: docs/collector.md.
 */
import { z } from 'zod';
import { memoryMiBField } from './lambda-fields';
import { FIREHOSE_BILLING_INCREMENT_BYTES, FIREHOSE_LIMITS } from '../lib/limits';
import {
  encodeWriteKeyDocument,
  MAX_PARAMETER_VALUE_BYTES,
  ORIGIN_PATTERN,
  WRITE_KEY_HASH_PATTERN,
  WRITE_KEY_PATTERN,
} from '../lib/write-keys';
import { parseArn, showValue } from './aws-rules';
import * as naming from './naming';

// ---------------------------------------------------------------------------------------------
// Defaults (pure data)
// ---------------------------------------------------------------------------------------------

/** Default values of `collector`, as pure data. Merged in one fixed order: defaults, then the user's values. */
export const COLLECTOR_DEFAULTS = {
  enabled: false,
  /** Stage default route throttling (token bucket): steady requests per second and bucket size. */
  throttling: { rateLimit: 1_000, burstLimit: 2_000 },
  limits: {
    /** Largest request body. */
    maxBodyBytes: 1_048_576,
    /** Events per request. */
    maxEventsPerRequest: 500,
    /** Largest event, as the JSON line the collector writes (envelope included). */
    maxEventBytes: 65_536,
  },
  function: { memoryMiB: 512, timeoutSeconds: 10 },
  /** How long the collector retries writes before it answers "retry later" for the events not written. */
  writeDeadlineMs: 5_000,
  /** How long the catalog of event types and the write keys are cached before they are read again. */
  refreshSeconds: 60,
  ipAddress: 'none',
  /** How long browsers may cache a preflight answer (Chromium caps it at 7,200 s). */
  corsMaxAgeSeconds: 7_200,
  protection: {
    enabled: true,
    /** Refuse requests that bypass the edge (no origin secret) and keys only in the body (the rate rules cannot see them). */
    enforce: true,
    /** AWS WAF's look-back window of the rate-based rules (60, 120, 300 or 600 s). */
    evaluationWindowSeconds: 300,
    /** Requests per window from one client IP address (10 a second over 5 minutes). */
    perClient: { enabled: true, limit: 3_000 },
    /** The per-application limit's default is derived: half of what the stage admits in the window (`defaultApplicationLimit`). */
    perApplication: { enabled: true },
    /** Serve IPv6 viewers (each IPv6 address counts alone, and a client usually holds a /64 of them). */
    ipv6: false,
    priceClass: 'PriceClass_All',
  },
  alarms: {
    /** Share of requests answered 5xx (0-1). */
    serverErrorRate: 0.01,
    /** Share of requests answered 4xx (0-1): bad keys, refused origins, rejected events, throttling. */
    clientErrorRate: 0.1,
    /** Share of requests refused by the stage's throttling (0-1). */
    throttledRequestRate: 0.01,
    /** p99 of API Gateway's Latency metric, in milliseconds. */
    latencyP99Ms: 2_000,
  },
} as const;

/** HTTP API integrations time out after at most 30 s: a longer Lambda timeout would never be used. */
export const MAX_INTEGRATION_TIMEOUT_SECONDS = 30;
/**
 * Largest request body the collector accepts: Lambda caps a synchronous invocation's payload at
 * 6 MB, and API Gateway base64-encodes bodies it treats as binary (4/3 larger).
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Time the collector keeps for building its answer after the write deadline. */
export const ANSWER_MARGIN_MS = 500;
/**
 * AWS WAF rate-based rules: the evaluation windows AWS accepts and the bounds of a limit
 * ("Rate-based rule high-level settings in AWS WAF",
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html;
 * `Limit` 10 to 2,000,000,000 in the API, https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html).
 */
export const WAF_RATE_LIMITS = { windows: [60, 120, 300, 600], minLimit: 10, maxLimit: 2_000_000_000 } as const;
/**
 * CloudFront takes ACM certificates from US East (N. Virginia) only, and a web ACL of scope
 * CLOUDFRONT lives there too ("Requirements for using SSL/TLS certificates with CloudFront",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html;
 * `Scope` of https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html).
 */
export const EDGE_REGION = 'us-east-1';
/** CloudFront price classes (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PriceClass.html). */
export const PRICE_CLASSES = ['PriceClass_All', 'PriceClass_200', 'PriceClass_100'] as const;

/**
 * Default per-application limit: half of the requests the stage admits in one evaluation window, so
 * that no single application (a runaway client, or its public key in a script) can take the whole
 * rate. Never below AWS WAF's minimum.
 */
export function defaultApplicationLimit(rateLimit: number, windowSeconds: number): number {
  return Math.max(WAF_RATE_LIMITS.minLimit, Math.min(WAF_RATE_LIMITS.maxLimit, Math.floor((rateLimit * windowSeconds) / 2)));
}
// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const APP_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const rate = (what: string, dflt: number): z.ZodOptional<z.ZodNumber> =>
  z.number().min(0).max(1).optional().describe(`${what} (0-1). @default ${dflt}`);

export const collectorApplicationSchema = z
  .strictObject({
    writeKeys: z
      .array(z.string())
      .max(5)
      .optional()
      .describe(
        'SHA-256 hashes (64 lowercase hex characters) of the write keys this application accepts; two during a rotation. ' +
          'Never the keys themselves. Generate a key and its hash with `npm run collector:dev -- --new-key`. @default [] (the application cannot send)',
      ),
    allowedOrigins: z
      .array(z.string())
      .max(50)
      .optional()
      .describe(
        'Browser origins (scheme://host[:port], lowercase, no path) allowed to send with these keys. A request with an Origin header not ' +
          'listed is refused. @default [] (no browser; phones and servers send no Origin header)',
      ),
    requireJwt: z
      .boolean()
      .optional()
      .describe('Accept this application\'s events only on the JWT-authorized route (needs collector.jwtAuthorizer). @default false'),
  })
  .describe('Write keys and browser origins of one application.');

export const collectorSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe(`Create the collector: an HTTPS endpoint for browsers and phones. @default ${COLLECTOR_DEFAULTS.enabled}`),
    applications: z
      .record(z.string(), collectorApplicationSchema)
      .optional()
      .describe(
        'Write keys and allowed origins per application (the key is the application name). Each becomes an SSM parameter in the stack ' +
          'holding the application. @default {}',
      ),
    throttling: z
      .strictObject({
        rateLimit: z
          .number()
          .min(1)
          .optional()
          .describe(`Steady requests per second of the stage (API Gateway throttling). @default ${COLLECTOR_DEFAULTS.throttling.rateLimit}`),
        burstLimit: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(`Burst of requests (token bucket size). @default ${COLLECTOR_DEFAULTS.throttling.burstLimit}`),
      })
      .optional()
      .describe('Throttling of the API stage; throttled requests get 429.'),
    limits: z
      .strictObject({
        maxBodyBytes: z
          .number()
          .int()
          .min(1_024)
          .max(MAX_BODY_BYTES)
          .optional()
          .describe(`Largest request body in bytes (at most ${MAX_BODY_BYTES}). @default ${COLLECTOR_DEFAULTS.limits.maxBodyBytes}`),
        maxEventsPerRequest: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .optional()
          .describe(`Events per request. @default ${COLLECTOR_DEFAULTS.limits.maxEventsPerRequest}`),
        maxEventBytes: z
          .number()
          .int()
          .min(256)
          .max(FIREHOSE_LIMITS.maxRecordBytes)
          .optional()
          .describe(`Largest event as written (JSON with its envelope), in bytes. @default ${COLLECTOR_DEFAULTS.limits.maxEventBytes}`),
      })
      .optional()
      .describe('Size limits of requests and events.'),
    function: z
      .strictObject({
        memoryMiB: memoryMiBField(COLLECTOR_DEFAULTS.function.memoryMiB),
        timeoutSeconds: z
          .number()
          .int()
          .min(3)
          .max(MAX_INTEGRATION_TIMEOUT_SECONDS)
          .optional()
          .describe(`Lambda timeout (API Gateway waits at most ${MAX_INTEGRATION_TIMEOUT_SECONDS} s). @default ${COLLECTOR_DEFAULTS.function.timeoutSeconds}`),
        reservedConcurrency: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('Reserved concurrency of the collector Lambda (a ceiling, and a guarantee). @default none (unreserved)'),
      })
      .optional()
      .describe('The collector Lambda.'),
    writeDeadlineMs: z
      .number()
      .int()
      .min(500)
      .max(29_000)
      .optional()
      .describe(
        'How long writes to Kinesis/Firehose are retried before the events not written are answered "retry later". ' +
          `@default ${COLLECTOR_DEFAULTS.writeDeadlineMs}`,
      ),
    refreshSeconds: z
      .number()
      .int()
      .min(5)
      .max(3_600)
      .optional()
      .describe(`How long the catalog of event types and the write keys are cached. @default ${COLLECTOR_DEFAULTS.refreshSeconds}`),
    ipAddress: z
      .enum(['none', 'truncated'])
      .optional()
      .describe(
        'Client IP addresses: "none" stores them nowhere; "truncated" writes them to the collector\'s request log with the last ' +
          `IPv4 octet (/24) or the last 80 IPv6 bits (/48) zeroed. Access logs never hold them. @default ${COLLECTOR_DEFAULTS.ipAddress}`,
      ),
    corsMaxAgeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .optional()
      .describe(`How long browsers cache a preflight answer. @default ${COLLECTOR_DEFAULTS.corsMaxAgeSeconds}`),
    customDomain: z
      .strictObject({
        domainName: z.string().describe('The collector\'s domain name, such as collect.example.com (create the DNS record yourself: see the outputs).'),
        certificateArn: z
          .string()
          .optional()
          .describe(
            'ARN of an ACM certificate for domainName in the environment\'s region: serves domainName from API Gateway (a regional domain). ' +
              'Required without protection; with protection, keep it only while DNS moves to CloudFront. @default none',
          ),
        edgeCertificateArn: z
          .string()
          .optional()
          .describe(
            'ARN of an ACM certificate for domainName in us-east-1, where CloudFront takes certificates from: serves domainName from CloudFront ' +
              '(protection on). @default certificateArn when that one is in us-east-1',
          ),
        disableDefaultEndpoint: z
          .boolean()
          .optional()
          .describe('Turn off the execute-api endpoint, so that clients can only use domainName (not with protection: CloudFront sends to that endpoint). @default false'),
      })
      .optional()
      .describe('A custom domain for the collector. @default none (the CloudFront or execute-api address)'),
    protection: z
      .strictObject({
        enabled: z
          .boolean()
          .optional()
          .describe(
            'Put CloudFront with an AWS WAF web ACL in front of the API: rate limits per client IP and per application (docs/collector.md, "Protection"). ' +
              `@default ${COLLECTOR_DEFAULTS.protection.enabled}`,
          ),
        enforce: z
          .boolean()
          .optional()
          .describe(
            'Refuse requests that do not come through CloudFront (403) and write keys sent only in the body (401), which the rate rules cannot count. ' +
              `Set false only while clients move to the protected endpoint. @default ${COLLECTOR_DEFAULTS.protection.enforce}`,
          ),
        evaluationWindowSeconds: z
          .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
          .optional()
          .describe(`How far back AWS WAF counts requests for the limits, in seconds (60, 120, 300 or 600). @default ${COLLECTOR_DEFAULTS.protection.evaluationWindowSeconds}`),
        perClient: z
          .strictObject({
            enabled: z.boolean().optional().describe(`Limit the requests of each client IP address. @default ${COLLECTOR_DEFAULTS.protection.perClient.enabled}`),
            limit: z
              .number()
              .int()
              .min(WAF_RATE_LIMITS.minLimit)
              .max(WAF_RATE_LIMITS.maxLimit)
              .optional()
              .describe(`Requests per evaluation window from one client IP address; more are answered 429. @default ${COLLECTOR_DEFAULTS.protection.perClient.limit}`),
          })
          .optional()
          .describe('The per-client rate limit (AWS WAF rate-based rule on the viewer\'s IP address).'),
        perApplication: z
          .strictObject({
            enabled: z.boolean().optional().describe(`Limit the requests of each write key. @default ${COLLECTOR_DEFAULTS.protection.perApplication.enabled}`),
            limit: z
              .number()
              .int()
              .min(WAF_RATE_LIMITS.minLimit)
              .max(WAF_RATE_LIMITS.maxLimit)
              .optional()
              .describe('Requests per evaluation window with one write key; more are answered 429. @default half of what the stage admits in the window (throttling.rateLimit x evaluationWindowSeconds / 2)'),
            applications: z
              .record(z.string(), z.number().int().min(WAF_RATE_LIMITS.minLimit).max(WAF_RATE_LIMITS.maxLimit))
              .optional()
              .describe(
                'A higher limit for some applications (name: requests per window per write key), used for requests naming their application (?app=<name>, ' +
                  'as the browser tracker does). At least perApplication.limit. Each adds two rules to the web ACL. @default {}',
              ),
          })
          .optional()
          .describe('The per-application rate limit (AWS WAF rate-based rules on the write key, in the x-write-key header or the key query argument).'),
        ipv6: z
          .boolean()
          .optional()
          .describe(`Serve IPv6 viewers: each IPv6 address is its own client for the per-client limit, and a client usually holds 2^64 of them. @default ${COLLECTOR_DEFAULTS.protection.ipv6}`),
        priceClass: z
          .enum(PRICE_CLASSES)
          .optional()
          .describe(`CloudFront edge locations that serve viewers (PriceClass_100: North America, Europe and Israel). @default ${COLLECTOR_DEFAULTS.protection.priceClass}`),
      })
      .optional()
      .describe('Rate limits in front of the collector: CloudFront and AWS WAF (docs/collector.md, "Protection").'),
    jwtAuthorizer: z
      .strictObject({
        issuer: z.string().describe('The issuer URL (https://...) of your identity provider, as in the tokens\' "iss" claim.'),
        audiences: z.array(z.string().min(1)).min(1).max(50).describe('Accepted "aud" (or "client_id") values.'),
        identitySource: z
          .string()
          .optional()
          .describe('Where the token is: an API Gateway identity source. @default $request.header.Authorization'),
      })
      .optional()
      .describe('A JWT authorizer on a second route, POST /v1/auth/events, for applications with signed-in users. @default none'),
    alarms: z
      .strictObject({
        serverErrorRate: rate('Alarm when more than this share of requests is answered 5xx', COLLECTOR_DEFAULTS.alarms.serverErrorRate),
        clientErrorRate: rate('Alarm when more than this share of requests is answered 4xx', COLLECTOR_DEFAULTS.alarms.clientErrorRate),
        throttledRequestRate: rate('Alarm when more than this share of requests is throttled', COLLECTOR_DEFAULTS.alarms.throttledRequestRate),
        latencyP99Ms: z
          .number()
          .int()
          .min(10)
          .max(30_000)
          .optional()
          .describe(`Alarm when the p99 latency is above this many milliseconds. @default ${COLLECTOR_DEFAULTS.alarms.latencyP99Ms}`),
      })
      .optional()
      .describe('Thresholds of the collector alarms.'),
  })
  .describe('The HTTP collector: browsers and phones send events with a write key (docs/collector.md).');

export type RawCollector = z.output<typeof collectorSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved model (plain data)
// ---------------------------------------------------------------------------------------------

/** One application the collector accepts events for: its SSM parameter, and where it lives. */
export interface CollectorApplicationSpec {
  readonly name: string;
  /** `/<project>/<env>/collector/write-keys/<app>` (config/naming). */
  readonly parameterName: string;
  /**
   * The application's shard (`applications[].shard`, else its name): in the sharded layout its
   * parameter lives in that shard's stack, like its event types (`collectorApplicationsOfStack`).
   */
  readonly shard: string;
  /** SHA-256 of each valid key, in config order. */
  readonly writeKeySha256: readonly string[];
  /** Sorted. */
  readonly allowedOrigins: readonly string[];
  readonly requireJwt: boolean;
  /** The parameter's value (lib/write-keys.ts document). */
  readonly parameterValue: string;
}

/** Where the collector writes. */
export type CollectorDestination =
  | { readonly kind: 'root-stream'; readonly streamName: string }
  | {
      readonly kind: 'delivery-streams';
      /** Events of one stream are packed into records of at most this many bytes (Firehose bills per 5 KB). */
      readonly packedRecordBytes: number;
      /** IAM scope: `deliverystream/<prefix>*` (the loader keeps the environment's namespace to itself). */
      readonly streamNamePrefix: string;
    };

export interface CollectorCustomDomain {
  readonly domainName: string;
  /** The regional API Gateway domain's certificate (environment's region); undefined: no regional domain. */
  readonly certificateArn?: string;
  /** CloudFront's certificate (us-east-1), when protection is on. */
  readonly edgeCertificateArn?: string;
  readonly disableDefaultEndpoint: boolean;
}

/** The edge in front of the collector: a CloudFront distribution and its AWS WAF web ACL. */
export interface CollectorProtectionSpec {
  /** Refuse requests without the origin secret, and keys that only the body carries. */
  readonly enforce: boolean;
  readonly evaluationWindowSeconds: number;
  /** Requests per window per client IP; undefined: no per-client rule. */
  readonly perClient?: { readonly limit: number };
  /** Requests per window per write key; undefined: no per-application rules. */
  readonly perApplication?: {
    readonly limit: number;
    /** Applications with their own (higher) limit, sorted by name. */
    readonly applications: readonly { readonly name: string; readonly limit: number }[];
  };
  readonly ipv6: boolean;
  readonly priceClass: (typeof PRICE_CLASSES)[number];
  /** Name of the web ACL (`<project>-<env>-collector`). */
  readonly webAclName: string;
}

export interface CollectorSpec {
  readonly apiName: string;
  readonly functionName: string;
  readonly accessLogGroupName: string;
  readonly metricNamespace: string;
  /** SSM path of every application's write-key parameter. */
  readonly writeKeysPath: string;
  /** Prefix of the catalog objects in the events bucket. */
  readonly catalogPrefix: string;
  readonly destination: CollectorDestination;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly limits: { readonly maxBodyBytes: number; readonly maxEventsPerRequest: number; readonly maxEventBytes: number };
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency?: number;
  readonly writeDeadlineMs: number;
  readonly refreshSeconds: number;
  readonly ipAddress: 'none' | 'truncated';
  readonly corsMaxAgeSeconds: number;
  readonly customDomain?: CollectorCustomDomain;
  /** CloudFront and AWS WAF in front of the API; undefined when `protection.enabled` is false. */
  readonly protection?: CollectorProtectionSpec;
  readonly jwtAuthorizer?: { readonly issuer: string; readonly audiences: readonly string[]; readonly identitySource: string };
  readonly alarms: { readonly serverErrorRate: number; readonly clientErrorRate: number; readonly throttledRequestRate: number; readonly latencyP99Ms: number };
  /**
   * Sorted by name. Only the stacks holding each application read this (their SSM parameters):
   * the collector's own resources never depend on it, so adding an application or a key changes
   * only the stack of that application.
   */
  readonly applications: readonly CollectorApplicationSpec[];
}

export interface ResolveCollectorOptions {
  /** `rootStream.enabled` of the environment: the collector then writes to the root stream. */
  readonly rootStreamEnabled: boolean;
  /** The config's applications (name and optional `shard`). */
  readonly applications: readonly { readonly name: string; readonly shard?: string }[];
}

/** The environment's collector, or undefined when it is not enabled (then none of it exists). Call on a config that passed the checks. */
export function resolveCollector(prefix: naming.NamePrefix, raw: RawCollector | undefined, opts: ResolveCollectorOptions): CollectorSpec | undefined {
  if (raw?.enabled !== true) return undefined;
  const d = COLLECTOR_DEFAULTS;
  const shards = new Map(opts.applications.map((a) => [a.name, a.shard ?? a.name]));
  const applications = Object.entries(raw.applications ?? {})
    .map(([name, a]): CollectorApplicationSpec => {
      const writeKeySha256 = [...(a.writeKeys ?? [])];
      const allowedOrigins = [...new Set(a.allowedOrigins ?? [])].sort();
      const requireJwt = a.requireJwt ?? false;
      return {
        name,
        parameterName: naming.collectorWriteKeyParameterName(prefix, name),
        shard: shards.get(name) ?? name,
        writeKeySha256,
        allowedOrigins,
        requireJwt,
        parameterValue: encodeWriteKeyDocument({ app: name, keys: writeKeySha256, origins: allowedOrigins, requireJwt }),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const fn = { ...d.function, ...definedOnly(raw.function) };
  const throttling = { ...d.throttling, ...definedOnly(raw.throttling) };
  const protection = resolveProtection(prefix, raw.protection, throttling.rateLimit);
  return {
    apiName: naming.collectorApiName(prefix),
    functionName: naming.collectorFunctionName(prefix),
    accessLogGroupName: naming.collectorAccessLogGroupName(prefix),
    metricNamespace: naming.collectorMetricNamespace(prefix),
    writeKeysPath: naming.collectorWriteKeysPath(prefix),
    catalogPrefix: naming.CATALOG_ROOT,
    destination: opts.rootStreamEnabled
      ? { kind: 'root-stream', streamName: naming.rootStreamName(prefix) }
      : { kind: 'delivery-streams', packedRecordBytes: FIREHOSE_BILLING_INCREMENT_BYTES, streamNamePrefix: `${naming.environmentPrefix(prefix)}-` },
    throttling,
    limits: { ...d.limits, ...definedOnly(raw.limits) },
    memoryMiB: fn.memoryMiB,
    timeoutSeconds: fn.timeoutSeconds,
    ...(raw.function?.reservedConcurrency !== undefined ? { reservedConcurrency: raw.function.reservedConcurrency } : {}),
    writeDeadlineMs: raw.writeDeadlineMs ?? d.writeDeadlineMs,
    refreshSeconds: raw.refreshSeconds ?? d.refreshSeconds,
    ipAddress: raw.ipAddress ?? d.ipAddress,
    corsMaxAgeSeconds: raw.corsMaxAgeSeconds ?? d.corsMaxAgeSeconds,
    ...(raw.customDomain !== undefined ? { customDomain: resolveCustomDomain(raw.customDomain, protection !== undefined) } : {}),
    ...(protection !== undefined ? { protection } : {}),
    ...(raw.jwtAuthorizer !== undefined
      ? {
          jwtAuthorizer: {
            issuer: raw.jwtAuthorizer.issuer,
            audiences: [...raw.jwtAuthorizer.audiences],
            identitySource: raw.jwtAuthorizer.identitySource ?? '$request.header.Authorization',
          },
        }
      : {}),
    alarms: { ...d.alarms, ...definedOnly(raw.alarms) },
    applications,
  };
}

// ---------------------------------------------------------------------------------------------
// The web ACL's rules (plain data: modules/collector-edge.ts renders them, scripts/cost-lib.ts counts them)
// ---------------------------------------------------------------------------------------------

/** What a rate-based rule counts requests by. */
export type EdgeRuleKey = 'client-ip' | 'write-key-header' | 'write-key-query';

/** One rate-based rule of the collector's web ACL. */
export interface EdgeRule {
  /** Rule name in the web ACL (`[A-Za-z0-9_-]`). */
  readonly name: string;
  readonly key: EdgeRuleKey;
  /** Requests per evaluation window per aggregation instance (an IP address, a write key). */
  readonly limit: number;
  /** Counts only requests naming this application (`?app=`). @default every request */
  readonly application?: string;
  /** Counts no request naming one of these applications (they have their own rules). @default none */
  readonly exceptApplications?: readonly string[];
}

/**
 * The rules, in evaluation order: the client IP first, then each application with its own limit,
 * then the default per-key limit. A write key is counted where it travels: the `x-write-key`
 * header or the `key` query argument; AWS WAF leaves a request out of a rule when an aggregation
 * key is missing from it, so each place needs its own rule
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html).
 */
export function edgeRules(p: Pick<CollectorProtectionSpec, 'perClient' | 'perApplication'>): EdgeRule[] {
  const rules: EdgeRule[] = [];
  if (p.perClient !== undefined) rules.push({ name: 'per-client-ip', key: 'client-ip', limit: p.perClient.limit });
  if (p.perApplication !== undefined) {
    const own = p.perApplication.applications;
    for (const a of own) {
      rules.push({ name: `app-${a.name}-header`, key: 'write-key-header', limit: a.limit, application: a.name });
      rules.push({ name: `app-${a.name}-query`, key: 'write-key-query', limit: a.limit, application: a.name });
    }
    const except = own.length > 0 ? { exceptApplications: own.map((a) => a.name) } : {};
    rules.push({ name: 'per-key-header', key: 'write-key-header', limit: p.perApplication.limit, ...except });
    rules.push({ name: 'per-key-query', key: 'write-key-query', limit: p.perApplication.limit, ...except });
  }
  return rules;
}

/**
 * WAF capacity units of a rule, from the developer guide: a rate-based rule costs 2, plus 30 per
 * custom aggregation key ("Using rate-based rule statements in AWS WAF",
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html); an
 * exact string match costs 2 and each text transformation 10 ("String match rule statement",
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-string-match.html).
 * The query key's URL_DECODE is counted as a transformation too (an upper bound).
 */
export function edgeRuleCapacity(r: EdgeRule): number {
  const nameMatch = 2 + 10;
  const scope = (r.application !== undefined ? 1 : 0) + (r.exceptApplications?.length ?? 0);
  if (r.key === 'client-ip') return 2 + scope * nameMatch;
  return 2 + 30 + (r.key === 'write-key-query' ? 10 : 0) + scope * nameMatch;
}

/** A web ACL of up to 1,500 WCUs costs the base price; beyond, AWS charges per request and 500 WCUs (https://aws.amazon.com/waf/pricing/). */
export const WEB_ACL_BASE_CAPACITY = 1_500;

/** The edge's settings, or undefined when protection is off. */
function resolveProtection(prefix: naming.NamePrefix, raw: RawCollector['protection'], rateLimit: number): CollectorProtectionSpec | undefined {
  const d = COLLECTOR_DEFAULTS.protection;
  if ((raw?.enabled ?? d.enabled) !== true) return undefined;
  const windowSeconds = raw?.evaluationWindowSeconds ?? d.evaluationWindowSeconds;
  const perClient = { ...d.perClient, ...definedOnly(raw?.perClient) };
  const perApp = raw?.perApplication;
  return {
    enforce: raw?.enforce ?? d.enforce,
    evaluationWindowSeconds: windowSeconds,
    ...(perClient.enabled ? { perClient: { limit: perClient.limit } } : {}),
    ...((perApp?.enabled ?? d.perApplication.enabled)
      ? {
          perApplication: {
            limit: perApp?.limit ?? defaultApplicationLimit(rateLimit, windowSeconds),
            applications: Object.entries(perApp?.applications ?? {})
              .map(([name, limit]) => ({ name, limit }))
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          },
        }
      : {}),
    ipv6: raw?.ipv6 ?? d.ipv6,
    priceClass: raw?.priceClass ?? d.priceClass,
    webAclName: naming.collectorApiName(prefix),
  };
}

/** The custom domain; CloudFront's certificate defaults to the regional one when that is in us-east-1. */
function resolveCustomDomain(raw: NonNullable<RawCollector['customDomain']>, protection: boolean): CollectorCustomDomain {
  const regionalInEdgeRegion = raw.certificateArn !== undefined && parseArn(raw.certificateArn)?.region === EDGE_REGION;
  const edgeCertificateArn = raw.edgeCertificateArn ?? (regionalInEdgeRegion ? raw.certificateArn : undefined);
  return {
    domainName: raw.domainName,
    ...(raw.certificateArn !== undefined ? { certificateArn: raw.certificateArn } : {}),
    ...(protection && edgeCertificateArn !== undefined ? { edgeCertificateArn } : {}),
    disableDefaultEndpoint: raw.disableDefaultEndpoint ?? false,
  };
}

/**
 * The applications whose write-key parameters a stack holds:
 * - the single layout (`shardNames` undefined): every application;
 * - a shard stack (`shard` set): the applications of that shard;
 * - the core stack of the sharded layout (`shard` undefined, `shardNames` the existing shards):
 *   applications whose shard holds none of the environment's event types (so no shard stack
 *   exists for them).
 * Each application therefore lives in exactly one stack, and it moves only when its shard changes.
 */
export function collectorApplicationsOfStack(spec: Pick<CollectorSpec, 'applications'>, shard: string | undefined, shardNames?: readonly string[]): CollectorApplicationSpec[] {
  if (shardNames === undefined) return [...spec.applications];
  if (shard !== undefined) return spec.applications.filter((a) => a.shard === shard);
  const existing = new Set(shardNames);
  return spec.applications.filter((a) => !existing.has(a.shard));
}

/** Physical names of the collector, with their AWS rule, for the loader's name-length checks. */
export function collectorNames(prefix: naming.NamePrefix, applications: readonly string[]): [naming.NameKind, string][] {
  const fn = naming.collectorFunctionName(prefix);
  return [
    ['apiGateway', naming.collectorApiName(prefix)],
    ['lambdaFunction', fn],
    ['iamRole', naming.functionRoleName(fn)],
    ['logGroup', naming.functionLogGroupName(fn)],
    ['logGroup', naming.collectorAccessLogGroupName(prefix)],
    ...applications.map((a): [naming.NameKind, string] => ['ssmParameter', naming.collectorWriteKeyParameterName(prefix, a)]),
  ];
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// Checks zod cannot express
// ---------------------------------------------------------------------------------------------

export type IssuePath = (string | number)[];
export interface CollectorIssue {
  /** From the config root, e.g. ['environments', 'dev', 'collector', 'applications', 'web-shop', 'writeKeys', 0]. */
  readonly path: IssuePath;
  readonly message: string;
}

export interface CollectorCheckOptions {
  /** Names of the config's applications. */
  readonly applications: ReadonlySet<string>;
  /** The environment's region (the certificate must be there). @default not checked */
  readonly region?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The problems of one environment's `collector` that zod cannot see. Lenient: it reads whatever
 * parts are readable, so its problems are reported together with the schema's.
 */
export function collectorIssues(environment: string, raw: unknown, opts: CollectorCheckOptions): CollectorIssue[] {
  const base: IssuePath = ['environments', environment, 'collector'];
  if (!isObj(raw)) return [];
  const out: CollectorIssue[] = [];
  const hashOwners = new Map<string, string>();
  const apps = isObj(raw.applications) ? raw.applications : {};
  let someRequireJwt: string | undefined;
  // Sorted once, for the hint of every undeclared application (not once per undeclared application).
  let known: string[] | undefined;

  for (const [app, settings] of Object.entries(apps)) {
    const ap: IssuePath = [...base, 'applications', app];
    if (!APP_NAME.test(app)) {
      out.push({ path: ap, message: `${showValue(app)} is not an application name: use lowercase letters, digits, "_" and "-", starting with a letter or digit` });
    } else if (!opts.applications.has(app)) {
      known ??= [...opts.applications].sort();
      out.push({
        path: ap,
        message: `"${app}" is not a declared application; write keys belong to an entry of applications (${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})`,
      });
    }
    if (!isObj(settings)) continue;
    const keys = Array.isArray(settings.writeKeys) ? settings.writeKeys : [];
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      if (typeof k !== 'string') return;
      const kp: IssuePath = [...ap, 'writeKeys', i];
      if (WRITE_KEY_PATTERN.test(k)) {
        out.push({
          path: kp,
          message:
            'this is a write key, not its hash: never put keys in the config. Write its SHA-256 instead ' +
            '(`npm run collector:dev -- --hash-key <key>`), and treat the key as leaked if this was committed: rotate it',
        });
        return;
      }
      if (!WRITE_KEY_HASH_PATTERN.test(k)) {
        out.push({ path: kp, message: `${showValue(k, 24)} is not a SHA-256 hash: write 64 lowercase hexadecimal characters (\`npm run collector:dev -- --new-key\` prints a key and its hash)` });
        return;
      }
      if (seen.has(k)) out.push({ path: kp, message: 'this hash is listed twice for this application; remove one' });
      seen.add(k);
      const owner = hashOwners.get(k);
      if (owner !== undefined && owner !== app) {
        out.push({ path: kp, message: `the same key hash is also a write key of "${owner}": a key identifies one application, so give each its own key` });
      } else hashOwners.set(k, app);
    });
    const origins = Array.isArray(settings.allowedOrigins) ? settings.allowedOrigins : [];
    const seenOrigins = new Set<string>();
    origins.forEach((o, i) => {
      if (typeof o !== 'string') return;
      const op: IssuePath = [...ap, 'allowedOrigins', i];
      if (!ORIGIN_PATTERN.test(o)) {
        out.push({
          path: op,
          message:
            `${showValue(o)} is not an origin: write scheme://host[:port] in lowercase, without a path, a trailing "/" or a wildcard, ` +
            'exactly as browsers send the Origin header (for example https://shop.example.com)',
        });
        return;
      }
      if (/:\d+$/.test(o) && Number(o.slice(o.lastIndexOf(':') + 1)) > 65_535) {
        out.push({ path: op, message: `${showValue(o)} has a port above 65535` });
      }
      if (seenOrigins.has(o)) out.push({ path: op, message: `${showValue(o)} is listed twice; remove one` });
      seenOrigins.add(o);
    });
    if (settings.requireJwt === true) someRequireJwt ??= app;
    // Standard-tier parameters hold 4 KB.
    const value = encodeWriteKeyDocument({
      app,
      keys: keys.filter((k): k is string => typeof k === 'string'),
      origins: origins.filter((o): o is string => typeof o === 'string'),
      requireJwt: settings.requireJwt === true,
    });
    if (Buffer.byteLength(value) > MAX_PARAMETER_VALUE_BYTES) {
      out.push({
        path: [...ap, 'allowedOrigins'],
        message: `the write-key parameter of "${app}" would be ${Buffer.byteLength(value)} bytes; a standard SSM parameter holds ${MAX_PARAMETER_VALUE_BYTES}: list fewer origins or keys`,
      });
    }
  }

  if (someRequireJwt !== undefined && !isObj(raw.jwtAuthorizer)) {
    out.push({
      path: [...base, 'applications', someRequireJwt, 'requireJwt'],
      message: `application "${someRequireJwt}" requires a JWT, but collector.jwtAuthorizer is not configured; add jwtAuthorizer { issuer, audiences } or remove requireJwt`,
    });
  }

  const limits = isObj(raw.limits) ? raw.limits : {};
  const maxBody = num(limits.maxBodyBytes) ?? COLLECTOR_DEFAULTS.limits.maxBodyBytes;
  const maxEvent = num(limits.maxEventBytes) ?? COLLECTOR_DEFAULTS.limits.maxEventBytes;
  if (maxEvent > maxBody) {
    out.push({
      path: [...base, 'limits', 'maxEventBytes'],
      message: `maxEventBytes (${maxEvent}) is larger than maxBodyBytes (${maxBody}): no request could carry such an event; lower maxEventBytes or raise maxBodyBytes`,
    });
  }

  const fn = isObj(raw.function) ? raw.function : {};
  const timeoutMs = (num(fn.timeoutSeconds) ?? COLLECTOR_DEFAULTS.function.timeoutSeconds) * 1000;
  const deadline = num(raw.writeDeadlineMs) ?? COLLECTOR_DEFAULTS.writeDeadlineMs;
  if (deadline + ANSWER_MARGIN_MS > timeoutMs) {
    out.push({
      path: [...base, 'writeDeadlineMs'],
      message:
        `writeDeadlineMs (${deadline}) leaves less than ${ANSWER_MARGIN_MS} ms of the ${timeoutMs / 1000} s Lambda timeout to answer; ` +
        `lower writeDeadlineMs to at most ${timeoutMs - ANSWER_MARGIN_MS} or raise function.timeoutSeconds`,
    });
  }

  const throttling = isObj(raw.throttling) ? raw.throttling : {};
  const burst = num(throttling.burstLimit);
  const rateLimit = num(throttling.rateLimit);
  if (burst !== undefined && rateLimit !== undefined && burst < Math.ceil(rateLimit / 10)) {
    out.push({
      path: [...base, 'throttling', 'burstLimit'],
      message: `burstLimit ${burst} is below a tenth of rateLimit ${rateLimit}: requests arriving together would be throttled well under the rate; raise burstLimit`,
    });
  }

  const protectionRaw = isObj(raw.protection) ? raw.protection : {};
  const protectionOn = protectionRaw.enabled !== false;
  if (isObj(raw.customDomain)) out.push(...customDomainIssues([...base, 'customDomain'], raw.customDomain, protectionOn, opts.region));
  if (protectionOn) out.push(...protectionIssues([...base, 'protection'], protectionRaw, apps, num(throttling.rateLimit) ?? COLLECTOR_DEFAULTS.throttling.rateLimit));

  if (isObj(raw.jwtAuthorizer)) {
    const j = raw.jwtAuthorizer;
    if (typeof j.issuer === 'string') {
      let url: URL | undefined;
      try {
        url = new URL(j.issuer);
      } catch {
        url = undefined;
      }
      if (url === undefined || url.protocol !== 'https:') {
        out.push({ path: [...base, 'jwtAuthorizer', 'issuer'], message: `${showValue(j.issuer)} is not an https:// URL; API Gateway fetches the issuer's keys over HTTPS` });
      }
    }
    if (typeof j.identitySource === 'string' && !/^\$request\.(header|querystring)\.[A-Za-z0-9_-]+$/.test(j.identitySource)) {
      out.push({
        path: [...base, 'jwtAuthorizer', 'identitySource'],
        message: `${showValue(j.identitySource)} is not an identity source: write $request.header.<name> (for example $request.header.Authorization)`,
      });
    }
  }
  return out;
}

/** An ACM certificate ARN, or why it is not one. */
function certificateRegion(value: unknown): { region: string } | { problem: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const arn = parseArn(value);
  const ok = arn !== undefined && arn.service === 'acm' && /^\d{12}$/.test(arn.account) && /^certificate\/[0-9a-f-]{36}$/.test(arn.resource);
  return ok ? { region: arn.region } : { problem: `${showValue(value)} is not an ACM certificate ARN: write arn:aws:acm:<region>:<account>:certificate/<id>` };
}

/**
 * The custom domain: a regional API Gateway domain needs a certificate of the API's region; with
 * protection CloudFront serves the domain, and CloudFront takes certificates from us-east-1 only
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html).
 */
function customDomainIssues(path: IssuePath, cd: Record<string, unknown>, protection: boolean, region: string | undefined): CollectorIssue[] {
  const out: CollectorIssue[] = [];
  if (typeof cd.domainName === 'string' && !HOSTNAME.test(cd.domainName)) {
    out.push({ path: [...path, 'domainName'], message: `${showValue(cd.domainName)} is not a domain name: write a lowercase host name such as collect.example.com` });
  }
  const regional = certificateRegion(cd.certificateArn);
  if (regional !== undefined && 'problem' in regional) out.push({ path: [...path, 'certificateArn'], message: regional.problem });
  else if (regional !== undefined && region !== undefined && regional.region !== region) {
    out.push({
      path: [...path, 'certificateArn'],
      message: `the certificate is in ${regional.region}, but a regional API Gateway domain needs a certificate in the API's region ${region}; request or import it in ${region}`,
    });
  }
  const edge = certificateRegion(cd.edgeCertificateArn);
  if (edge !== undefined && 'problem' in edge) out.push({ path: [...path, 'edgeCertificateArn'], message: edge.problem });
  else if (edge !== undefined && edge.region !== EDGE_REGION) {
    out.push({
      path: [...path, 'edgeCertificateArn'],
      message: `the certificate is in ${edge.region}, but CloudFront takes certificates from ${EDGE_REGION} only; request or import one for the domain in ${EDGE_REGION}`,
    });
  }
  if (!protection) {
    if (cd.certificateArn === undefined) {
      out.push({ path: [...path, 'certificateArn'], message: 'without protection API Gateway serves the custom domain: give certificateArn, a certificate of the environment\'s region' });
    }
    if (cd.edgeCertificateArn !== undefined) {
      out.push({ path: [...path, 'edgeCertificateArn'], message: 'edgeCertificateArn is CloudFront\'s certificate, used only with protection; remove it or turn protection on' });
    }
    return out;
  }
  if (cd.disableDefaultEndpoint === true) {
    out.push({
      path: [...path, 'disableDefaultEndpoint'],
      message:
        'with protection CloudFront sends requests to the execute-api endpoint, so it cannot be turned off; remove disableDefaultEndpoint ' +
        '(direct requests are refused without the origin secret: protection.enforce)',
    });
  }
  const regionalInEdge = regional !== undefined && !('problem' in regional) && regional.region === EDGE_REGION;
  if (cd.edgeCertificateArn === undefined && !regionalInEdge && (regional === undefined || !('problem' in regional))) {
    out.push({
      path: [...path, 'edgeCertificateArn'],
      message:
        `with protection CloudFront serves ${typeof cd.domainName === 'string' ? cd.domainName : 'the domain'}, and CloudFront takes certificates from ${EDGE_REGION} only: ` +
        `request or import a certificate for it in ${EDGE_REGION} and set edgeCertificateArn (keep certificateArn while DNS moves; docs/collector.md, "Upgrading to the protected endpoint"), ` +
        'or set protection.enabled: false',
    });
  }
  return out;
}

/**
 * The rate limits: per-application limits name declared collector applications and are at least
 * the default (a request without ?app= is counted against the default, so a lower limit could be
 * escaped by leaving the name out).
 */
function protectionIssues(path: IssuePath, p: Record<string, unknown>, apps: Record<string, unknown>, rateLimit: number): CollectorIssue[] {
  const out: CollectorIssue[] = [];
  const perApp = isObj(p.perApplication) ? p.perApplication : {};
  const window = num(p.evaluationWindowSeconds) ?? COLLECTOR_DEFAULTS.protection.evaluationWindowSeconds;
  const explicit = num(perApp.limit);
  const floor = explicit ?? defaultApplicationLimit(rateLimit, window);
  const overrides = isObj(perApp.applications) ? perApp.applications : {};
  const perAppOn = perApp.enabled !== false;
  const perClientOn = !(isObj(p.perClient) && p.perClient.enabled === false);
  const rules = edgeRules({
    ...(perClientOn ? { perClient: { limit: COLLECTOR_DEFAULTS.protection.perClient.limit } } : {}),
    ...(perAppOn ? { perApplication: { limit: floor, applications: Object.keys(overrides).map((name) => ({ name, limit: floor })) } } : {}),
  });
  const capacity = rules.reduce((n, r) => n + edgeRuleCapacity(r), 0);
  if (capacity > WEB_ACL_BASE_CAPACITY) {
    out.push({
      path: [...path, 'perApplication', 'applications'],
      message:
        `${Object.keys(overrides).length} applications with their own limit make a web ACL of about ${capacity} WAF capacity units; beyond ${WEB_ACL_BASE_CAPACITY} ` +
        'AWS WAF charges more for every request: give fewer applications their own limit (raise perApplication.limit instead)',
    });
  }
  for (const [app, limit] of Object.entries(overrides)) {
    const ap: IssuePath = [...path, 'perApplication', 'applications', app];
    if (!/^[a-z0-9_-]{1,100}$/.test(app)) {
      out.push({ path: ap, message: `${showValue(app)} cannot name a WAF rule: an application name of at most 100 lowercase letters, digits, "_" and "-"` });
    }
    if (!Object.prototype.hasOwnProperty.call(apps, app)) {
      const known = Object.keys(apps).sort();
      out.push({
        path: ap,
        message: `"${app}" is not an application of collector.applications${known.length > 0 ? ` (${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})` : ''}: a limit needs an application with write keys`,
      });
    }
    const n = num(limit);
    if (n !== undefined && n < floor) {
      out.push({
        path: ap,
        message:
          `${n} is below the default per-application limit (${floor}${explicit === undefined ? `, half of rateLimit ${rateLimit} x ${window} s` : ''}): a client that leaves out ?app= is counted ` +
          'against the default, so a lower limit cannot hold; lower perApplication.limit and give the applications that need more their own',
      });
    }
  }
  return out;
}
