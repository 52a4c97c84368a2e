import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as path from 'node:path';
import { firehoseSink } from '../../lib/firehose';
import { kinesisSink } from '../../lib/kinesis';
import { errorName } from '../../lib/retry';
import { CatalogCache } from './catalog';
import { COLLECTOR_ROUTES, WRITE_KEY_HEADER } from '../../lib/collector-protocol';
import { checkEdge, edgeRefusal } from './edge';
import { apiResultFromResponse, requestFromApiEvent, truncateIp, type CollectorRequest } from './http';
import { handleRequest, type CollectorDeps, type HandledRequest } from './ingest';
import { WriteKeyCache } from './keys';
import { requestLogLine } from './metrics';
import { readSettings, SETTINGS_FILE, type CollectorSettings } from './settings';
import { S3CatalogStore, SsmParameterSource } from './sources';

/**
 * The collector Lambda behind the HTTP API (payload format 2.0): see ./ingest.ts and
 * docs/collector.md. Thin on purpose: build the dependencies once per instance (SDK clients, the
 * catalog and write-key caches), check what the edge adds (./edge.ts: the origin secret, where the
 * key is) and the application a request names, serve the request, write one log line (EMF counts,
 * codes, no payloads), return the answer.
 */

export type CollectorHandler = (event: APIGatewayProxyEventV2, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<APIGatewayProxyStructuredResultV2>;

/** Collector dependencies plus what the log line reports. */
export interface CollectorRuntime extends CollectorDeps {
  /** Why the catalog or keys in use are stale, if they are (an error name). */
  readonly stale?: () => string | undefined;
  /** The origin secret CloudFront sends (`settings.edge`), from the function's environment. @default none */
  readonly edgeSecret?: string;
}

export interface HandlerOptions {
  /** @default stdout (EMF must be the whole line) */
  readonly log?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The production dependencies: SDK clients without SDK retries (the send engine retries entries). */
export function createDependencies(settings: CollectorSettings, environment: NodeJS.ProcessEnv = process.env): CollectorRuntime {
  const http = (): NodeHttpHandler => new NodeHttpHandler({ connectionTimeout: 1_000 });
  const catalog = new CatalogCache({
    store: new S3CatalogStore(settings.bucketName, new S3Client({ maxAttempts: 2, requestHandler: http() })),
    prefix: settings.catalogPrefix,
    ttlMs: settings.refreshSeconds * 1000,
  });
  const keys = new WriteKeyCache({
    source: new SsmParameterSource(new SSMClient({ maxAttempts: 2, requestHandler: http() })),
    path: settings.writeKeysPath,
    ttlMs: settings.refreshSeconds * 1000,
  });
  const sink =
    settings.destination.kind === 'root-stream'
      ? kinesisSink(new KinesisClient({ maxAttempts: 1, requestHandler: http() }))
      : firehoseSink(new FirehoseClient({ maxAttempts: 1, requestHandler: http() }));
  return {
    settings,
    catalog,
    keys,
    sink,
    stale: () => (catalog.staleBecause !== undefined ? errorName(catalog.staleBecause) : undefined),
    ...(settings.edge !== undefined && environment[settings.edge.secretVariable] !== undefined ? { edgeSecret: environment[settings.edge.secretVariable] } : {}),
  };
}

const EVENT_ROUTES: ReadonlySet<string> = new Set([COLLECTOR_ROUTES.events, COLLECTOR_ROUTES.authenticatedEvents]);

/**
 * A request naming an application (`?app=`, which picks that application's rate limit at the edge)
 * with a key of another one: refused, so that a client cannot borrow a higher limit. The name of the
 * key's own application is logged, never answered. Keys that cannot be read are left to the core.
 */
async function applicationMismatch(req: CollectorRequest, deps: CollectorDeps): Promise<HandledRequest | undefined> {
  const key = req.headers[WRITE_KEY_HEADER];
  if (req.claimedApp === undefined || key === undefined || !EVENT_ROUTES.has(req.routeKey)) return undefined;
  let app: string | undefined;
  try {
    app = (await deps.keys.lookup(key))?.app;
  } catch {
    return undefined;
  }
  if (app === undefined || app === req.claimedApp) return undefined;
  return edgeRefusal(req, 401, 'application-mismatch', `the write key is not a key of application ${JSON.stringify(req.claimedApp.slice(0, 100))}; name the key's own application in ?app=, or leave it out`, { app });
}

/** The handler over a dependency factory, called once (lazily) per instance. */
export function createHandler(factory: () => CollectorRuntime, options: HandlerOptions = {}): CollectorHandler {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  let deps: CollectorRuntime | undefined;
  return async (event, context) => {
    const started = now();
    deps ??= factory();
    const parsed = requestFromApiEvent(event);
    const edge = checkEdge(parsed, deps.settings.edge, deps.edgeSecret);
    const req = edge.ok ? edge.request : parsed;
    const { response, summary } = edge.ok
      ? ((await applicationMismatch(req, deps)) ?? (await handleRequest(req, deps, context.getRemainingTimeInMillis())))
      : edge;
    const stale = deps.stale?.();
    log(
      requestLogLine(
        summary,
        {
          environment: deps.settings.environment,
          requestId: req.requestId,
          durationMs: now() - started,
          ...(deps.settings.ipAddress === 'truncated' ? { clientIp: truncateIp(req.sourceIp) } : {}),
          ...(stale !== undefined ? { stale } : {}),
          ...(edge.via !== undefined ? { via: edge.via } : {}),
        },
        now(),
      ),
    );
    return apiResultFromResponse(response);
  };
}

export const handler: CollectorHandler = createHandler(() => createDependencies(readSettings(path.join(__dirname, SETTINGS_FILE))));
