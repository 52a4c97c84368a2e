/**
 * The HTTP collector of an environment (issue #14): `environments.<env>.collector`, an HTTPS
 * endpoint (API Gateway HTTP API + a Lambda) through which browsers and phones send events with a
 * write key, and nothing else.
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
        domainName: z.string().describe('The API\'s domain name, such as collect.example.com (create the DNS record yourself: see the outputs).'),
        certificateArn: z.string().describe('ARN of an ACM certificate for domainName, in the environment\'s region.'),
        disableDefaultEndpoint: z
          .boolean()
          .optional()
          .describe('Turn off the execute-api endpoint, so that clients can only use domainName. @default false'),
      })
      .optional()
      .describe('A custom domain for the collector. @default none (the execute-api endpoint)'),
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
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string; readonly disableDefaultEndpoint: boolean };
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
    throttling: { ...d.throttling, ...definedOnly(raw.throttling) },
    limits: { ...d.limits, ...definedOnly(raw.limits) },
    memoryMiB: fn.memoryMiB,
    timeoutSeconds: fn.timeoutSeconds,
    ...(raw.function?.reservedConcurrency !== undefined ? { reservedConcurrency: raw.function.reservedConcurrency } : {}),
    writeDeadlineMs: raw.writeDeadlineMs ?? d.writeDeadlineMs,
    refreshSeconds: raw.refreshSeconds ?? d.refreshSeconds,
    ipAddress: raw.ipAddress ?? d.ipAddress,
    corsMaxAgeSeconds: raw.corsMaxAgeSeconds ?? d.corsMaxAgeSeconds,
    ...(raw.customDomain !== undefined
      ? {
          customDomain: {
            domainName: raw.customDomain.domainName,
            certificateArn: raw.customDomain.certificateArn,
            disableDefaultEndpoint: raw.customDomain.disableDefaultEndpoint ?? false,
          },
        }
      : {}),
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

  if (isObj(raw.customDomain)) {
    const cd = raw.customDomain;
    if (typeof cd.domainName === 'string' && !HOSTNAME.test(cd.domainName)) {
      out.push({ path: [...base, 'customDomain', 'domainName'], message: `${showValue(cd.domainName)} is not a domain name: write a lowercase host name such as collect.example.com` });
    }
    if (typeof cd.certificateArn === 'string') {
      const arn = parseArn(cd.certificateArn);
      const ok = arn !== undefined && arn.service === 'acm' && /^\d{12}$/.test(arn.account) && /^certificate\/[0-9a-f-]{36}$/.test(arn.resource);
      if (!ok) {
        out.push({
          path: [...base, 'customDomain', 'certificateArn'],
          message: `${showValue(cd.certificateArn)} is not an ACM certificate ARN: write arn:aws:acm:<region>:<account>:certificate/<id>`,
        });
      } else if (opts.region !== undefined && arn.region !== opts.region) {
        out.push({
          path: [...base, 'customDomain', 'certificateArn'],
          message: `the certificate is in ${arn.region}, but a regional API Gateway domain needs a certificate in the API's region ${opts.region}; request or import it in ${opts.region}`,
        });
      }
    }
  }

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
