/**
 * `npm run collector:dev`: the collector's real Lambda handler (functions/collector/handler.ts)
 * served over HTTP on localhost, for development and for the browser tests.
 *
 * Each HTTP request becomes an API Gateway HTTP API event (payload format 2.0, as API Gateway
 * builds it: lowercase headers, route key, base64 body for non-text content types, source IP), the
 * handler answers, and its answer becomes the HTTP response. The handler reads its catalog of
 * event types and its write keys through the same interfaces as in AWS, served here from memory:
 * the catalog objects are built from the config exactly as the stacks publish them
 * (modules/catalog-content.ts), the write keys from the config plus the keys given on the command
 * line. Events are written to a local stand-in of Firehose / Kinesis (the shared send engine's
 * `Sink`), which prints them as JSON lines (or appends them to a file), or, with `--endpoint`, to
 * any Firehose/Kinesis API (a stand-in or kinesalite) through the real AWS SDK.
 *
 *   npm run collector:dev -- [--config config/tracking.yaml] [--env dev] [--port 8787]
 *        [--key <app>=<write key>]... [--origin <app>=<origin>]... [--out events.jsonl]
 *        [--fail-rate 0.2] [--endpoint http://127.0.0.1:4567]
 *   npm run collector:dev -- --new-key          prints a new write key and the SHA-256 to put in the config
 *   npm run collector:dev -- --hash-key <key>   prints the SHA-256 of a key
 *
 * Without `--key`, a key is generated for every application and printed. Only listens on
 * 127.0.0.1 unless `--host` says otherwise. It stands for the API alone: no CloudFront and no AWS
 * WAF in front, so no rate limit and no origin secret (the handler runs without edge settings).
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COLLECTOR_DEFAULTS, resolveCollector, type CollectorSpec } from '../config/collector';
import type { EventContract } from '../config/contracts';
import { TrackingPipelineError } from '../config/errors';
import { configPathFromEnv, loadConfig } from '../config/loader';
import type { EnvironmentSpec } from '../config/model';
import * as naming from '../config/naming';
import { CatalogCache, type CatalogStore } from '../functions/collector/catalog';
import { createHandler, type CollectorRuntime } from '../functions/collector/handler';
import { WriteKeyCache, type ParameterSource } from '../functions/collector/keys';
import { SETTINGS_VERSION, type CollectorSettings } from '../functions/collector/settings';
import { COLLECTOR_ROUTES } from '../lib/collector-protocol';
import { firehoseSink } from '../lib/firehose';
import { kinesisSink } from '../lib/kinesis';
import type { Sink } from '../lib/sink';
import { encodeWriteKeyDocument, hashWriteKey, newWriteKey } from '../lib/write-keys';
import { catalogContent, type CatalogEventType } from '../modules/catalog-content';
import { standInSink } from './collector-stand-in';

export { standInSink };

/** API Gateway HTTP APIs accept bodies up to 10 MB. */
export const MAX_HTTP_BODY_BYTES = 10 * 1024 * 1024;

/** One application the local collector accepts. */
export interface DevApplication {
  readonly name: string;
  /** Plain write keys accepted for it (hashed here, as the deployment stores them). */
  readonly keys?: readonly string[];
  /** SHA-256 hashes accepted for it (from the config). */
  readonly keyHashes?: readonly string[];
  readonly origins?: readonly string[];
  readonly requireJwt?: boolean;
}

/** One event as the stand-in stored it. */
export interface WrittenEvent {
  /** Delivery stream or root stream name. */
  readonly destination: string;
  /** The JSON line as written. */
  readonly line: string;
  readonly event: Record<string, unknown>;
}

export interface CollectorDevOptions {
  readonly environment: string;
  readonly project: string;
  /** The event types the catalog lists (one catalog object, as a single stack publishes). */
  readonly eventTypes: readonly CatalogEventType[];
  readonly applications: readonly DevApplication[];
  /** @default the collector defaults, writing to delivery streams */
  readonly spec?: Partial<Pick<CollectorSpec, 'limits' | 'writeDeadlineMs' | 'ipAddress' | 'corsMaxAgeSeconds' | 'timeoutSeconds'>> & {
    readonly destination?: CollectorSpec['destination'];
  };
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /**
   * Where events go: the in-process stand-in (default), or an AWS API endpoint reached through the real SDK.
   * @default the stand-in
   */
  readonly endpoint?: string;
  /**
   * Share (0-1) of records the stand-in answers with a throttling error (each entry decided at random),
   * to exercise retries. @default 0
   */
  readonly failRate?: number;
  /** Called for every event the stand-in stores. @default none */
  readonly onWrite?: (event: WrittenEvent) => void;
  /** The handler's log lines. @default discarded */
  readonly log?: (line: string) => void;
}

export interface RunningCollectorDev {
  /** `http://<host>:<port>`: the collector's base URL. */
  readonly url: string;
  /** Every event the stand-in stored, in order (duplicates included: delivery is at least once). */
  readonly written: readonly WrittenEvent[];
  /** HTTP answers, for tests: status per request. */
  readonly requests: readonly { readonly method: string; readonly path: string; readonly status: number; readonly origin?: string; readonly fetchMode?: string }[];
  /** Switches the stand-in's failures on or off (share of records failed, 0-1). */
  setFailRate(rate: number): void;
  close(): Promise<void>;
}


function memoryCatalog(key: string, body: Uint8Array): CatalogStore {
  const etag = `"${hashWriteKey(Buffer.from(body).toString('base64')).slice(0, 32)}"`;
  return {
    list: (prefix) => Promise.resolve(key.startsWith(prefix) ? [{ key, etag }] : []),
    get: (k) => (k === key ? Promise.resolve({ body, etag }) : Promise.reject(new Error(`NoSuchKey: ${k}`))),
  };
}

function memoryParameters(path: string, apps: readonly DevApplication[]): ParameterSource {
  const parameters = apps.map((a) => ({
    name: `${path}/${a.name}`,
    value: encodeWriteKeyDocument({
      app: a.name,
      keys: [...(a.keyHashes ?? []), ...(a.keys ?? []).map(hashWriteKey)],
      origins: [...new Set(a.origins ?? [])].sort(),
      requireJwt: a.requireJwt ?? false,
    }),
  }));
  return { byPath: (p) => Promise.resolve(p === path ? parameters : []) };
}

/** The event of an HTTP request, as API Gateway would build it (payload format 2.0). */
export function apiEventOf(req: IncomingMessage, body: Buffer, requestId: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://collector.local');
  const method = (req.method ?? 'GET').toUpperCase();
  const routeKey = `${method} ${url.pathname}`;
  const known = (Object.values(COLLECTOR_ROUTES) as string[]).includes(routeKey);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // Decoded query arguments, repeated ones joined with commas, as API Gateway passes them.
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const contentType = headers['content-type'] ?? '';
  const text = contentType === '' || /^(text\/|application\/(json|javascript|xml))/i.test(contentType);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: known ? routeKey : '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'collectordev',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: known ? routeKey : '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/** Starts the local collector. */
export async function startCollectorDev(options: CollectorDevOptions): Promise<RunningCollectorDev> {
  const prefix: naming.NamePrefix = { project: options.project, environment: options.environment };
  const destination = options.spec?.destination ?? {
    kind: 'delivery-streams' as const,
    packedRecordBytes: 5_120,
    streamNamePrefix: `${naming.environmentPrefix(prefix)}-`,
  };
  const timeoutMs = (options.spec?.timeoutSeconds ?? COLLECTOR_DEFAULTS.function.timeoutSeconds) * 1000;
  const settings: CollectorSettings = {
    version: SETTINGS_VERSION,
    environment: options.environment,
    bucketName: naming.bucketName(prefix),
    catalogPrefix: naming.CATALOG_ROOT,
    writeKeysPath: naming.collectorWriteKeysPath(prefix),
    destination: destination.kind === 'root-stream' ? { kind: 'root-stream', streamName: destination.streamName } : { kind: 'delivery-streams', packedRecordBytes: destination.packedRecordBytes },
    limits: { ...COLLECTOR_DEFAULTS.limits, ...options.spec?.limits },
    writeDeadlineMs: options.spec?.writeDeadlineMs ?? COLLECTOR_DEFAULTS.writeDeadlineMs,
    requestTimeoutMs: 2_000,
    refreshSeconds: 5,
    ipAddress: options.spec?.ipAddress ?? 'none',
    corsMaxAgeSeconds: options.spec?.corsMaxAgeSeconds ?? COLLECTOR_DEFAULTS.corsMaxAgeSeconds,
  };
  const content = catalogContent(options.environment, options.eventTypes);
  const written: WrittenEvent[] = [];
  const requests: { method: string; path: string; status: number; origin?: string; fetchMode?: string }[] = [];
  let failRate = options.failRate ?? 0;
  const store = (dest: string, line: string): void => {
    const w: WrittenEvent = { destination: dest, line, event: JSON.parse(line) as Record<string, unknown> };
    written.push(w);
    options.onWrite?.(w);
  };
  const service = settings.destination.kind === 'root-stream' ? 'kinesis' : 'firehose';
  let sink: Sink;
  if (options.endpoint !== undefined) {
    const common = {
      endpoint: options.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDCOLLECTORDEV', secretAccessKey: 'collector-dev' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    };
    sink = service === 'kinesis' ? kinesisSink(new KinesisClient(common)) : firehoseSink(new FirehoseClient(common));
  } else sink = standInSink(service, store, () => failRate);

  const runtime: CollectorRuntime = {
    settings,
    catalog: new CatalogCache({ store: memoryCatalog(naming.catalogObjectKey(naming.stackId(options.environment)), content.gzip), prefix: settings.catalogPrefix, ttlMs: 5_000 }),
    keys: new WriteKeyCache({ source: memoryParameters(settings.writeKeysPath, options.applications), path: settings.writeKeysPath, ttlMs: 5_000 }),
    sink,
  };
  const handler = createHandler(() => runtime, { log: options.log ?? (() => undefined) });
  let counter = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_HTTP_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      // Sec-Fetch-Mode tells a beacon (no-cors) from a fetch (cors), for the browser tests.
      const mode = typeof req.headers['sec-fetch-mode'] === 'string' ? req.headers['sec-fetch-mode'] : undefined;
      const record = (status: number): void => {
        requests.push({ method: req.method ?? '', path: req.url ?? '', status, ...(origin !== undefined ? { origin } : {}), ...(mode !== undefined ? { fetchMode: mode } : {}) });
      };
      if (tooLarge) {
        // API Gateway refuses bodies over 10 MB itself.
        record(413);
        res.writeHead(413, { 'content-type': 'application/json' }).end('{"message":"Request Entity Too Large"}');
        return;
      }
      const started = Date.now();
      const event = apiEventOf(req, Buffer.concat(chunks), `dev-${++counter}`);
      handler(event, { getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started) }).then(
        (result) => {
          const status = result.statusCode ?? 200;
          record(status);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
          res.writeHead(status, headers).end(result.body ?? '');
        },
        () => {
          record(500);
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
        },
      );
    });
  });
  server.keepAliveTimeout = 2_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    written,
    requests,
    setFailRate: (rate) => {
      failRate = rate;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

interface CliArgs {
  config: string;
  env?: string;
  port: number;
  host: string;
  keys: Map<string, string[]>;
  origins: Map<string, string[]>;
  out?: string;
  failRate: number;
  endpoint?: string;
}

const USAGE =
  'usage: npm run collector:dev -- [--config <file>] [--env <environment>] [--port 8787] [--host 127.0.0.1] ' +
  '[--key <app>=<write key>]... [--origin <app>=<origin>]... [--out <file.jsonl>] [--fail-rate 0-1] [--endpoint <url>]\n' +
  '       npm run collector:dev -- --new-key | --hash-key <key>';

function parseArgs(argv: readonly string[]): CliArgs | string {
  const args: CliArgs = { config: configPathFromEnv(), port: 8787, host: '127.0.0.1', keys: new Map(), origins: new Map(), failRate: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (v === undefined) return `option ${String(a)} needs a value\n${USAGE}`;
    switch (a) {
      case '--config':
        args.config = v;
        break;
      case '--env':
        args.env = v;
        break;
      case '--port':
        args.port = Number(v);
        break;
      case '--host':
        args.host = v;
        break;
      case '--out':
        args.out = v;
        break;
      case '--endpoint':
        args.endpoint = v;
        break;
      case '--fail-rate':
        args.failRate = Number(v);
        break;
      case '--key':
      case '--origin': {
        const at = v.indexOf('=');
        if (at <= 0) return `${a} takes <app>=<value>, got ${JSON.stringify(v)}\n${USAGE}`;
        const map = a === '--key' ? args.keys : args.origins;
        map.set(v.slice(0, at), [...(map.get(v.slice(0, at)) ?? []), v.slice(at + 1)]);
        break;
      }
      default:
        return `unknown option ${String(a)}\n${USAGE}`;
    }
    i++;
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535) return `--port must be 0-65535\n${USAGE}`;
  if (!(args.failRate >= 0 && args.failRate <= 1)) return `--fail-rate must be between 0 and 1\n${USAGE}`;
  return args;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--new-key') {
    const key = newWriteKey();
    console.log(`write key:  ${key}\nsha-256:    ${hashWriteKey(key)}   (put this in collector.applications.<app>.writeKeys)`);
    return 0;
  }
  if (argv[0] === '--hash-key') {
    if (argv[1] === undefined) {
      console.error(USAGE);
      return 1;
    }
    console.log(hashWriteKey(argv[1]));
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(args);
    return 1;
  }
  const config = loadConfig(args.config);
  const env: EnvironmentSpec | undefined = args.env === undefined ? config.environments[0] : config.environments.find((e) => e.name === args.env);
  if (env === undefined) {
    console.error(`environment "${args.env}" is not in ${args.config} (${config.environments.map((e) => e.name).join(', ')})`);
    return 1;
  }
  const wired = (env as EnvironmentSpec & { readonly collector?: CollectorSpec }).collector;
  const spec =
    wired ??
    resolveCollector(env.prefix, { enabled: true }, { rootStreamEnabled: env.rootStream.enabled, applications: config.applications.map((a) => ({ name: a.name })) })!;
  const applications: DevApplication[] = config.applications.map((a) => {
    const fromSpec = spec.applications.find((x) => x.name === a.name);
    const keys = args.keys.get(a.name) ?? (fromSpec === undefined || fromSpec.writeKeySha256.length === 0 ? [newWriteKey()] : []);
    if (args.keys.get(a.name) === undefined && keys.length > 0) console.error(`write key of ${a.name}: ${keys[0]!}`);
    return {
      name: a.name,
      keys,
      keyHashes: fromSpec?.writeKeySha256 ?? [],
      origins: [...(fromSpec?.allowedOrigins ?? []), ...(args.origins.get(a.name) ?? [])],
      requireJwt: false,
    };
  });
  const eventTypes: CatalogEventType[] = env.eventTypes.map((t) => ({
    key: t.key,
    deliveryStreamName: t.deliveryStreamName,
    ...(t.contract !== undefined ? { contract: t.contract as EventContract } : {}),
  }));
  const out = args.out;
  const running = await startCollectorDev({
    project: config.project,
    environment: env.name,
    eventTypes,
    applications,
    spec: { limits: spec.limits, writeDeadlineMs: spec.writeDeadlineMs, ipAddress: spec.ipAddress, corsMaxAgeSeconds: spec.corsMaxAgeSeconds, destination: spec.destination },
    port: args.port,
    host: args.host,
    failRate: args.failRate,
    ...(args.endpoint !== undefined ? { endpoint: args.endpoint } : {}),
    onWrite: (w) => {
      const line = JSON.stringify({ destination: w.destination, event: w.event });
      if (out !== undefined) appendFileSync(out, `${line}\n`);
      else console.log(line);
    },
    log: (line) => console.error(line),
  });
  console.error(`collector:dev for ${naming.environmentPrefix(env.prefix)} on ${running.url} (POST ${running.url}/v1/events); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await running.close();
  return 0;
}

// Only as the command itself: other entries (the benchmark) bundle this module too.
if (require.main === module && /collector-dev\.[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof TrackingPipelineError) {
        console.error(err.message);
        process.exitCode = 1;
      } else throw err;
    },
  );
}
