/** `environments.<env>.collector`: schema, the checks zod cannot express, resolution, and where write keys live. */
import * as fc from 'fast-check';
import {
  COLLECTOR_DEFAULTS,
  collectorApplicationsOfStack,
  collectorIssues,
  collectorNames,
  collectorSchema,
  resolveCollector,
} from '../../config/collector';
import * as naming from '../../config/naming';
import { hashWriteKey, newWriteKey, parseWriteKeyDocument, WRITE_KEY_PATTERN } from '../../lib/write-keys';

const PREFIX = { project: 'acme', environment: 'prod' };
const APPS = new Set(['web-shop', 'mobile-app']);
const H1 = hashWriteKey('tpk_one');
const H2 = hashWriteKey('tpk_two');
const issues = (raw: unknown, region = 'eu-central-1') => collectorIssues('prod', raw, { applications: APPS, region });

describe('collector schema', () => {
  it('accepts a complete collector and documents a default on every optional field', () => {
    // Prepare
    const raw = {
      enabled: true,
      applications: { 'web-shop': { writeKeys: [H1, H2], allowedOrigins: ['https://shop.example.com'], requireJwt: false } },
      throttling: { rateLimit: 500, burstLimit: 1000 },
      limits: { maxBodyBytes: 2_000_000, maxEventsPerRequest: 100, maxEventBytes: 10_000 },
      function: { memoryMiB: 1024, timeoutSeconds: 20, reservedConcurrency: 50 },
      writeDeadlineMs: 8_000,
      refreshSeconds: 30,
      ipAddress: 'truncated',
      corsMaxAgeSeconds: 600,
      customDomain: { domainName: 'collect.example.com', certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b' },
      jwtAuthorizer: { issuer: 'https://auth.example.com/', audiences: ['mobile-app'] },
      alarms: { serverErrorRate: 0.02, clientErrorRate: 0.2, throttledRequestRate: 0.05, latencyP99Ms: 1500 },
    };

    // Act
    const parsed = collectorSchema.safeParse(raw);
    const json = JSON.stringify(collectorSchema.toJSONSchema());

    // Assess
    expect(parsed.success).toBe(true);
    expect(issues(raw)).toEqual([]);
    // Every optional field's description names its default.
    const walk = (node: unknown, path: string, out: string[]): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown };
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        const d = (v as { description?: string }).description ?? '';
        const isObject = (v as { type?: string }).type === 'object';
        if (!(n.required ?? []).includes(k) && !isObject && !d.includes('@default')) out.push(`${path}.${k}`);
        walk(v, `${path}.${k}`, out);
      }
      walk(n.additionalProperties, `${path}.*`, out);
    };
    const missing: string[] = [];
    walk(JSON.parse(json), 'collector', missing);
    expect(missing).toEqual([]);
  });

  it('rejects unknown keys and out-of-range values', () => {
    expect(collectorSchema.safeParse({ enabled: true, throttle: {} }).success).toBe(false);
    expect(collectorSchema.safeParse({ function: { timeoutSeconds: 31 } }).success).toBe(false);
    expect(collectorSchema.safeParse({ limits: { maxBodyBytes: 8 * 1024 * 1024 } }).success).toBe(false);
    expect(collectorSchema.safeParse({ ipAddress: 'full' }).success).toBe(false);
  });
});

describe('collectorIssues', () => {
  it('names the value, the rule and the fix for each problem, with its path from the config root', () => {
    // Prepare
    const raw = {
      enabled: true,
      applications: {
        'web-shop': { writeKeys: ['tpk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE', 'abc', H1, H1], allowedOrigins: ['https://shop.example.com/', 'HTTPS://X.COM', 'https://ok.example.com', 'https://ok.example.com'] },
        'mobile-app': { writeKeys: [H1], requireJwt: true },
        ghost: { writeKeys: [H2] },
      },
      limits: { maxBodyBytes: 2_000, maxEventBytes: 4_000 },
      function: { timeoutSeconds: 5 },
      writeDeadlineMs: 4_800,
      customDomain: { domainName: 'Collect.Example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b' },
      throttling: { rateLimit: 1000, burstLimit: 10 },
    };

    // Act
    const found = issues(raw);
    const at = (...path: (string | number)[]) => found.filter((i) => JSON.stringify(i.path) === JSON.stringify(['environments', 'prod', 'collector', ...path])).map((i) => i.message);

    // Assess
    expect(at('applications', 'web-shop', 'writeKeys', 0)[0]).toMatch(/this is a write key, not its hash/);
    expect(at('applications', 'web-shop', 'writeKeys', 1)[0]).toMatch(/"abc" is not a SHA-256 hash: write 64 lowercase hexadecimal/);
    expect(at('applications', 'web-shop', 'writeKeys', 3)[0]).toMatch(/listed twice/);
    expect(at('applications', 'mobile-app', 'writeKeys', 0)[0]).toMatch(/also a write key of "web-shop"/);
    expect(at('applications', 'web-shop', 'allowedOrigins', 0)[0]).toMatch(/"https:\/\/shop.example.com\/" is not an origin/);
    expect(at('applications', 'web-shop', 'allowedOrigins', 1)[0]).toMatch(/lowercase/);
    expect(at('applications', 'web-shop', 'allowedOrigins', 3)[0]).toMatch(/listed twice/);
    expect(at('applications', 'ghost')[0]).toMatch(/"ghost" is not a declared application/);
    expect(at('applications', 'mobile-app', 'requireJwt')[0]).toMatch(/jwtAuthorizer is not configured/);
    expect(at('limits', 'maxEventBytes')[0]).toMatch(/larger than maxBodyBytes/);
    expect(at('writeDeadlineMs')[0]).toMatch(/lower writeDeadlineMs to at most 4500/);
    expect(at('customDomain', 'domainName')[0]).toMatch(/not a domain name/);
    expect(at('customDomain', 'certificateArn')[0]).toMatch(/is in us-east-1, but a regional API Gateway domain needs a certificate in the API's region eu-central-1/);
    expect(at('throttling', 'burstLimit')[0]).toMatch(/raise burstLimit/);
  });

  it('checks the JWT issuer and identity source, and the 4 KB parameter size', () => {
    // Prepare
    const many = Array.from({ length: 50 }, (_, i) => `https://subdomain-number-${i}.a-shop-with-a-rather-long-name-for-its-storefront.regional-edge.example.com`);

    // Act
    const found = issues({ jwtAuthorizer: { issuer: 'http://auth.example.com', audiences: ['a'], identitySource: 'Authorization' }, applications: { 'web-shop': { allowedOrigins: many } } });

    // Assess
    expect(found.map((i) => i.message)).toEqual([
      expect.stringMatching(/would be \d+ bytes; a standard SSM parameter holds 4096/),
      expect.stringMatching(/not an https:\/\/ URL/),
      expect.stringMatching(/not an identity source/),
    ]);
  });

  it('finds nothing in a collector that is off or absent', () => {
    expect(issues(undefined)).toEqual([]);
    expect(issues({ enabled: false })).toEqual([]);
  });
});

describe('resolveCollector', () => {
  it('is undefined unless enabled: with the collector off, nothing of it exists', () => {
    expect(resolveCollector(PREFIX, undefined, { rootStreamEnabled: true, applications: [] })).toBeUndefined();
    expect(resolveCollector(PREFIX, { enabled: false, applications: { 'web-shop': { writeKeys: [H1] } } }, { rootStreamEnabled: true, applications: [] })).toBeUndefined();
  });

  it('merges defaults, then the config; names come from config/naming; the destination follows the root stream', () => {
    // Act
    const direct = resolveCollector(PREFIX, { enabled: true, limits: { maxEventsPerRequest: 50 } }, { rootStreamEnabled: false, applications: [] })!;
    const root = resolveCollector(PREFIX, { enabled: true }, { rootStreamEnabled: true, applications: [] })!;

    // Assess
    expect(direct).toMatchObject({
      apiName: 'acme-prod-collector',
      functionName: 'acme-prod-collector',
      accessLogGroupName: '/aws/vendedlogs/apigateway/acme-prod-collector-access',
      writeKeysPath: '/acme/prod/collector/write-keys',
      catalogPrefix: 'catalog/',
      limits: { ...COLLECTOR_DEFAULTS.limits, maxEventsPerRequest: 50 },
      throttling: COLLECTOR_DEFAULTS.throttling,
      destination: { kind: 'delivery-streams', packedRecordBytes: 5120, streamNamePrefix: 'acme-prod-' },
    });
    expect(root.destination).toEqual({ kind: 'root-stream', streamName: naming.rootStreamName(PREFIX) });
  });

  it('resolves each application\'s parameter (its name, value and shard), sorted whatever the config order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(['web-shop', 'mobile-app', 'admin', 'kiosk'], { minLength: 1 }), (names) => {
        // Prepare
        const applications = Object.fromEntries(names.map((n) => [n, { writeKeys: [hashWriteKey(n)], allowedOrigins: ['https://b.example', 'https://a.example'] }]));

        // Act
        const spec = resolveCollector(PREFIX, { enabled: true, applications }, { rootStreamEnabled: false, applications: names.map((n) => ({ name: n, ...(n === 'kiosk' ? { shard: 'retail' } : {}) })) })!;

        // Assess
        expect(spec.applications.map((a) => a.name)).toEqual([...names].sort());
        for (const a of spec.applications) {
          expect(a.parameterName).toBe(`/acme/prod/collector/write-keys/${a.name}`);
          expect(a.shard).toBe(a.name === 'kiosk' ? 'retail' : a.name);
          expect(parseWriteKeyDocument(a.parameterValue)).toEqual({ ok: true, doc: { app: a.name, keys: [hashWriteKey(a.name)], origins: ['https://a.example', 'https://b.example'], requireJwt: false } });
        }
      }),
    );
  });
});

describe('where each application\'s write keys live', () => {
  const spec = resolveCollector(PREFIX, { enabled: true, applications: { 'web-shop': { writeKeys: [H1] }, 'mobile-app': { writeKeys: [H2] }, kiosk: {} } }, {
    rootStreamEnabled: false,
    applications: [{ name: 'web-shop' }, { name: 'mobile-app', shard: 'apps' }, { name: 'kiosk', shard: 'empty' }],
  })!;

  it('puts every application in exactly one stack: single layout, or its shard, or the core when its shard holds no event type', () => {
    // Act
    const single = collectorApplicationsOfStack(spec, undefined).map((a) => a.name);
    const shards = ['apps', 'web-shop'];
    const perShard = shards.map((s) => collectorApplicationsOfStack(spec, s, shards).map((a) => a.name));
    const core = collectorApplicationsOfStack(spec, undefined, shards).map((a) => a.name);

    // Assess
    expect(single).toEqual(['kiosk', 'mobile-app', 'web-shop']);
    expect(perShard).toEqual([['mobile-app'], ['web-shop']]);
    expect(core).toEqual(['kiosk']);
    expect([...perShard.flat(), ...core].sort()).toEqual(single);
  });

  it('lists the physical names for the loader\'s length checks', () => {
    const names = collectorNames(PREFIX, ['web-shop']);
    expect(names).toContainEqual(['apiGateway', 'acme-prod-collector']);
    expect(names).toContainEqual(['ssmParameter', '/acme/prod/collector/write-keys/web-shop']);
    for (const [kind, name] of names) expect(naming.checkName(kind, name)).toBeUndefined();
  });
});

describe('write keys', () => {
  it('generates keys in the documented form, each with a distinct 64-hex hash', () => {
    const keys = Array.from({ length: 20 }, () => newWriteKey());
    expect(keys.every((k) => WRITE_KEY_PATTERN.test(k))).toBe(true);
    expect(new Set(keys.map(hashWriteKey)).size).toBe(20);
    expect(hashWriteKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
