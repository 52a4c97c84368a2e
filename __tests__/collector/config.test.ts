/** `environments.<env>.collector`: schema, the checks zod cannot express, resolution, and where write keys live. */
import * as fc from 'fast-check';
import {
  COLLECTOR_DEFAULTS,
  collectorApplicationsOfStack,
  collectorIssues,
  collectorNames,
  collectorSchema,
  defaultApplicationLimit,
  edgeRuleCapacity,
  edgeRules,
  resolveCollector,
  WEB_ACL_BASE_CAPACITY,
} from '../../config/collector';
import * as naming from '../../config/naming';
import { hashWriteKey, newWriteKey, parseWriteKeyDocument, WRITE_KEY_PATTERN } from '../../lib/write-keys';

const PREFIX = { project: 'acme', environment: 'prod' };
const APPS = new Set(['web-shop', 'mobile-app']);
const H1 = hashWriteKey('tpk_one');
const H2 = hashWriteKey('tpk_two');
const issues = (raw: unknown, region = 'eu-central-1') => collectorIssues('prod', raw, { applications: APPS, region });
const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/5c6d7e8f-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const REGIONAL_CERT = 'arn:aws:acm:eu-central-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

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
      customDomain: {
        domainName: 'collect.example.com',
        certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
        edgeCertificateArn: EDGE_CERT,
        disableDefaultEndpoint: false,
      },
      jwtAuthorizer: { issuer: 'https://auth.example.com/', audiences: ['mobile-app'] },
      protection: {
        enabled: true,
        enforce: true,
        evaluationWindowSeconds: 120,
        perClient: { enabled: true, limit: 600 },
        perApplication: { enabled: true, limit: 20_000, applications: { 'web-shop': 40_000 } },
        ipv6: true,
        priceClass: 'PriceClass_100',
      },
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
    // AWS WAF: windows of 60, 120, 300 or 600 s; limits from 10 to 2,000,000,000.
    expect(collectorSchema.safeParse({ protection: { evaluationWindowSeconds: 90 } }).success).toBe(false);
    expect(collectorSchema.safeParse({ protection: { perClient: { limit: 9 } } }).success).toBe(false);
    expect(collectorSchema.safeParse({ protection: { perApplication: { applications: { 'web-shop': 2_000_000_001 } } } }).success).toBe(false);
    expect(collectorSchema.safeParse({ protection: { priceClass: 'PriceClass_50' } }).success).toBe(false);
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

describe('protection: CloudFront and AWS WAF in front of the collector', () => {
  const resolve = (raw: Record<string, unknown>) => resolveCollector(PREFIX, { enabled: true, ...raw }, { rootStreamEnabled: false, applications: [{ name: 'web-shop' }, { name: 'mobile-app' }] })!;
  const at = (found: ReturnType<typeof issues>, ...path: (string | number)[]) =>
    found.filter((i) => JSON.stringify(i.path) === JSON.stringify(['environments', 'prod', 'collector', ...path])).map((i) => i.message);

  it('is on by default: per-client 3,000 per 5 minutes, per-key half of what the stage admits, enforced, IPv4 only', () => {
    // Act
    const spec = resolve({});

    // Assess
    expect(spec.protection).toEqual({
      enforce: true,
      evaluationWindowSeconds: 300,
      perClient: { limit: 3_000 },
      perApplication: { limit: 150_000, applications: [] },
      ipv6: false,
      priceClass: 'PriceClass_All',
      webAclName: 'acme-prod-collector',
    });
    // The per-key default follows the stage's rate and the window: no one key can take the whole rate.
    expect(resolve({ throttling: { rateLimit: 100, burstLimit: 200 }, protection: { evaluationWindowSeconds: 60 } }).protection?.perApplication?.limit).toBe(3_000);
    expect(defaultApplicationLimit(0.01, 60)).toBe(10);
    expect(resolve({ protection: { enabled: false } }).protection).toBeUndefined();
    expect(resolve({ protection: { perClient: { enabled: false }, perApplication: { enabled: false } } }).protection).toMatchObject({ enforce: true });
    expect(resolve({ protection: { perClient: { enabled: false } } }).protection?.perClient).toBeUndefined();
  });

  it('orders the rules: client IP, each application with its own limit (header and query), then the default per key', () => {
    // Act
    const rules = edgeRules(resolve({ protection: { perApplication: { limit: 1_000, applications: { 'web-shop': 5_000, 'mobile-app': 2_000 } } } }).protection!);

    // Assess
    expect(rules).toEqual([
      { name: 'per-client-ip', key: 'client-ip', limit: 3_000 },
      { name: 'app-mobile-app-header', key: 'write-key-header', limit: 2_000, application: 'mobile-app' },
      { name: 'app-mobile-app-query', key: 'write-key-query', limit: 2_000, application: 'mobile-app' },
      { name: 'app-web-shop-header', key: 'write-key-header', limit: 5_000, application: 'web-shop' },
      { name: 'app-web-shop-query', key: 'write-key-query', limit: 5_000, application: 'web-shop' },
      { name: 'per-key-header', key: 'write-key-header', limit: 1_000, exceptApplications: ['mobile-app', 'web-shop'] },
      { name: 'per-key-query', key: 'write-key-query', limit: 1_000, exceptApplications: ['mobile-app', 'web-shop'] },
    ]);
    // WCUs as the developer guide counts them: 2 per rate-based rule, 30 per custom key, 12 per ?app= match (2 + URL_DECODE).
    expect(rules.map(edgeRuleCapacity)).toEqual([2, 2 + 30 + 12, 2 + 30 + 10 + 12, 2 + 30 + 12, 2 + 30 + 10 + 12, 2 + 30 + 24, 2 + 30 + 10 + 24]);
  });

  it('refuses what AWS or the rules cannot hold, naming the value and the fix', () => {
    // Prepare
    const apps = { 'web-shop': { writeKeys: [H1] }, 'mobile-app': { writeKeys: [H2] } };
    const raw = {
      enabled: true,
      applications: apps,
      customDomain: { domainName: 'collect.example.com', certificateArn: REGIONAL_CERT, edgeCertificateArn: REGIONAL_CERT, disableDefaultEndpoint: true },
      protection: { perApplication: { limit: 10_000, applications: { 'web-shop': 500, ghost: 20_000 } } },
    };

    // Act
    const found = issues(raw);

    // Assess
    expect(at(found, 'customDomain', 'edgeCertificateArn')[0]).toMatch(/is in eu-central-1, but CloudFront takes certificates from us-east-1 only/);
    expect(at(found, 'customDomain', 'disableDefaultEndpoint')[0]).toMatch(/CloudFront sends requests to the execute-api endpoint/);
    expect(at(found, 'protection', 'perApplication', 'applications', 'web-shop')[0]).toMatch(/500 is below the default per-application limit \(10000\).*leaves out \?app=/);
    expect(at(found, 'protection', 'perApplication', 'applications', 'ghost')[0]).toMatch(/"ghost" is not an application of collector.applications/);
  });

  it('asks for a us-east-1 certificate when CloudFront serves a domain whose certificate is regional (the upgrade case)', () => {
    // Prepare: an existing custom domain, certificate in the environment's region, protection on by default.
    const raw = { enabled: true, customDomain: { domainName: 'collect.example.com', certificateArn: REGIONAL_CERT } };

    // Act / Assess
    expect(at(issues(raw), 'customDomain', 'edgeCertificateArn')[0]).toMatch(/request or import a certificate for it in us-east-1 and set edgeCertificateArn.*or set protection.enabled: false/);
    expect(issues({ ...raw, protection: { enabled: false } })).toEqual([]);
    expect(issues({ ...raw, customDomain: { ...raw.customDomain, edgeCertificateArn: EDGE_CERT } })).toEqual([]);
    // In us-east-1 one certificate serves both.
    const east = { enabled: true, customDomain: { domainName: 'collect.example.com', certificateArn: EDGE_CERT } };
    expect(issues(east, 'us-east-1')).toEqual([]);
    expect(resolve(east).customDomain).toEqual({ domainName: 'collect.example.com', certificateArn: EDGE_CERT, edgeCertificateArn: EDGE_CERT, disableDefaultEndpoint: false });
    // With protection, the regional domain is optional (drop it once DNS points at CloudFront).
    expect(issues({ enabled: true, customDomain: { domainName: 'collect.example.com', edgeCertificateArn: EDGE_CERT } })).toEqual([]);
  });

  it('keeps the regional domain rules without protection', () => {
    const found = issues({ enabled: true, protection: { enabled: false }, customDomain: { domainName: 'collect.example.com', edgeCertificateArn: EDGE_CERT } });
    expect(at(found, 'customDomain', 'certificateArn')[0]).toMatch(/without protection API Gateway serves the custom domain: give certificateArn/);
    expect(at(found, 'customDomain', 'edgeCertificateArn')[0]).toMatch(/used only with protection/);
  });

  it('keeps the web ACL within the 1,500 capacity units of its base price', () => {
    // Prepare: more applications with their own limit than fit.
    const names = Array.from({ length: 12 }, (_, i) => `app-${i}`);
    const many = Object.fromEntries(names.map((n) => [n, 200_000]));
    const apps = Object.fromEntries(names.map((n) => [n, { writeKeys: [hashWriteKey(n)] }]));

    // Act
    const found = collectorIssues('prod', { enabled: true, applications: apps, protection: { perApplication: { applications: many } } }, { applications: new Set(names) });
    const fits = collectorIssues('prod', { enabled: true, applications: apps, protection: { perApplication: { applications: Object.fromEntries(names.slice(0, 11).map((n) => [n, 200_000])) } } }, { applications: new Set(names) });

    // Assess
    expect(at(found, 'protection', 'perApplication', 'applications')[0]).toMatch(new RegExp(`12 applications with their own limit make a web ACL of about \\d+ WAF capacity units; beyond ${WEB_ACL_BASE_CAPACITY}`));
    expect(fits).toEqual([]);
  });
});
