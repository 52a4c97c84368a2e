/** Shared inputs of the collector tests: the contracts fixture config, keys, API Gateway events, in-memory stand-ins. */
import * as path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadConfig } from '../../config/loader';
import type { EnvironmentSpec } from '../../config/model';
import * as naming from '../../config/naming';
import { CatalogCache, type CatalogStore } from '../../functions/collector/catalog';
import type { CollectorDeps } from '../../functions/collector/ingest';
import { WriteKeyCache, type ParameterSource } from '../../functions/collector/keys';
import { SETTINGS_VERSION, type CollectorSettings } from '../../functions/collector/settings';
import type { EntryResult } from '../../lib/confirm';
import { FIREHOSE_LIMITS, KINESIS_LIMITS } from '../../lib/limits';
import type { OutRecord, Sink } from '../../lib/sink';
import { encodeWriteKeyDocument, hashWriteKey } from '../../lib/write-keys';
import { catalogContent } from '../../modules/catalog-content';
import postEvents from '../fixtures/collector/http-api-v2-post-events.json';
import postMobile from '../fixtures/collector/http-api-v2-post-events-mobile.json';

export const FIXTURE_CONFIG = path.join(__dirname, '..', 'fixtures', 'contracts', 'tracking.yaml');
export const PREFIX: naming.NamePrefix = { project: 'acme', environment: 'dev' };
export const WEB_KEY = 'tpk_WEBSHOP_FIXTURE_KEY_00000000000000000000000';
export const MOBILE_KEY = 'tpk_MOBILE_FIXTURE_KEY_000000000000000000000000';
export const SHOP_ORIGIN = 'https://shop.example.com';
export const WRITE_KEYS_PATH = naming.collectorWriteKeysPath(PREFIX);
export const CATALOG_KEY = naming.catalogObjectKey('tracking-dev');

let env: EnvironmentSpec | undefined;
/** Environment `dev` of the contracts fixture: page_view (no contract), checkout_completed (enforce), search (observe), app_open (enforce). */
export function fixtureEnvironment(): EnvironmentSpec {
  env ??= loadConfig(FIXTURE_CONFIG).environments.find((e) => e.name === 'dev')!;
  return env;
}

export function streamOf(app: string, type: string): string {
  return naming.deliveryStreamName(PREFIX, app, type);
}

/** The catalog object a single stack of the fixture would publish. */
export function fixtureCatalogObject(): Buffer {
  return catalogContent('dev', fixtureEnvironment().eventTypes).gzip;
}

/** The write-key parameters: web-shop (browser origin shop.example.com), mobile-app (no browser). */
export function fixtureParameters(): { name: string; value: string }[] {
  return [
    { name: `${WRITE_KEYS_PATH}/web-shop`, value: encodeWriteKeyDocument({ app: 'web-shop', keys: [hashWriteKey(WEB_KEY)], origins: [SHOP_ORIGIN], requireJwt: false }) },
    { name: `${WRITE_KEYS_PATH}/mobile-app`, value: encodeWriteKeyDocument({ app: 'mobile-app', keys: [hashWriteKey(MOBILE_KEY)], origins: [], requireJwt: false }) },
  ];
}

export function settings(overrides: Partial<CollectorSettings> = {}): CollectorSettings {
  return {
    version: SETTINGS_VERSION,
    environment: 'dev',
    bucketName: naming.bucketName(PREFIX),
    catalogPrefix: naming.CATALOG_ROOT,
    writeKeysPath: WRITE_KEYS_PATH,
    destination: { kind: 'delivery-streams', packedRecordBytes: 5_120 },
    limits: { maxBodyBytes: 1_048_576, maxEventsPerRequest: 500, maxEventBytes: 65_536 },
    writeDeadlineMs: 2_000,
    requestTimeoutMs: 1_000,
    refreshSeconds: 60,
    ipAddress: 'none',
    corsMaxAgeSeconds: 7_200,
    ...overrides,
  };
}

export function memoryCatalogStore(objects: () => ReadonlyMap<string, Buffer>): CatalogStore & { lists: number; gets: string[] } {
  const store = {
    lists: 0,
    gets: [] as string[],
    list: (prefix: string) => {
      store.lists++;
      return Promise.resolve([...objects()].filter(([k]) => k.startsWith(prefix)).map(([key, body]) => ({ key, etag: `"${hashWriteKey(body.toString('base64')).slice(0, 32)}"` })));
    },
    get: (key: string) => {
      store.gets.push(key);
      const body = objects().get(key);
      return body === undefined ? Promise.reject(new Error('NoSuchKey')) : Promise.resolve({ body, etag: `"${hashWriteKey(body.toString('base64')).slice(0, 32)}"` });
    },
  };
  return store;
}

export function memoryParameterSource(params: () => readonly { name: string; value: string }[]): ParameterSource & { calls: number } {
  const source = {
    calls: 0,
    byPath: (p: string) => {
      source.calls++;
      return Promise.resolve(params().filter((x) => x.name.startsWith(`${p}/`)));
    },
  };
  return source;
}

/** What a fake sink does with one call: per record, success or an error code. */
export type RecordFate = 'ok' | { readonly code: string };

/**
 * An in-process sink with the service's limits: each call is answered by `decide` (per record), and
 * stored records are split into lines (as the JSONL transform does for packed records).
 */
export class FakeSink implements Sink {
  public readonly limits;
  public readonly stored: { destination: string; line: string }[] = [];
  public calls = 0;
  private n = 0;

  public constructor(
    public readonly service: 'firehose' | 'kinesis' = 'firehose',
    private readonly decide: (call: number, index: number, data: Buffer) => RecordFate | 'throw' = () => 'ok',
  ) {
    this.limits = service === 'firehose' ? FIREHOSE_LIMITS : KINESIS_LIMITS;
  }

  public cost(r: OutRecord): number {
    return r.data.byteLength + (this.service === 'kinesis' && r.partitionKey !== undefined ? Buffer.byteLength(r.partitionKey) : 0);
  }

  public send(destination: string, records: readonly OutRecord[]): Promise<EntryResult[]> {
    const call = this.calls++;
    if (records.some((r, i) => this.decide(call, i, Buffer.from(r.data)) === 'throw')) {
      return Promise.reject(Object.assign(new Error('Rate exceeded (fake)'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    }
    return Promise.resolve(
      records.map((r, i): EntryResult => {
        const fate = this.decide(call, i, Buffer.from(r.data));
        if (fate !== 'ok' && fate !== 'throw') return { ok: false, code: fate.code, message: 'injected', retryable: true };
        for (const line of Buffer.from(r.data).toString('utf8').split('\n')) if (line !== '') this.stored.push({ destination, line });
        return { ok: true, id: `fake-${++this.n}` };
      }),
    );
  }

  /** Stored events by event_id: how many times each was stored. */
  public counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.stored) {
      const id = (JSON.parse(s.line) as { event_id: string }).event_id;
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  }
}

/** Dependencies over in-memory sources and a fake sink. */
export function memoryDeps(sink: Sink, overrides: Partial<CollectorSettings> = {}, clockNow?: () => number): CollectorDeps {
  const s = settings(overrides);
  const objects = new Map([[CATALOG_KEY, fixtureCatalogObject()]]);
  return {
    settings: s,
    catalog: new CatalogCache({ store: memoryCatalogStore(() => objects), prefix: s.catalogPrefix, ttlMs: 60_000, ...(clockNow ? { clock: { now: clockNow } } : {}) }),
    keys: new WriteKeyCache({ source: memoryParameterSource(fixtureParameters), path: s.writeKeysPath, ttlMs: 60_000 }),
    sink,
  };
}

/** A copy of a fixture event with another body (a JSON value or raw text) and header changes (undefined removes). */
export function apiEvent(
  body: unknown,
  opts: { readonly fixture?: 'browser' | 'mobile'; readonly headers?: Record<string, string | undefined>; readonly base64?: boolean; readonly raw?: boolean } = {},
): APIGatewayProxyEventV2 {
  const base = JSON.parse(JSON.stringify(opts.fixture === 'mobile' ? postMobile : postEvents)) as APIGatewayProxyEventV2;
  const text = opts.raw === true ? String(body) : JSON.stringify(body);
  const headers: Record<string, string> = { ...(base.headers as Record<string, string>) };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  const base64 = opts.base64 ?? base.isBase64Encoded;
  return { ...base, headers, body: base64 ? Buffer.from(text).toString('base64') : text, isBase64Encoded: base64 };
}

/** Events of web-shop, valid for their contracts. */
export function goodWebEvents(n: number, tag = 'e'): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { event_type: 'page_view', event_id: `${tag}-${i}`, path: `/p/${i}` }
      : { event_type: 'checkout_completed', event_id: `${tag}-${i}`, order_id: `o-${i}`, amount: 10 + i, currency: 'EUR', items: [{ sku: 'A-1', quantity: 1 }] },
  );
}
