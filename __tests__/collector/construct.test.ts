/**
 * The collector's infrastructure, synthesized with cdktf's Testing.synthScope: the HTTP API, its
 * routes, the stage's throttling and access logs (retention; no IP address or user agent), the JWT
 * authorizer, IAM scoping on exact ARNs, invoke permissions per route, the custom domain, the
 * metric filters, the alarms and dashboard rows as data; the catalog objects (tags within S3's 10,
 * provider default tags overridden, content the collector can decode); the write-key parameters;
 * and nothing when the collector is off. Properties over random specs with fast-check.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import * as fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveCollector, type CollectorSpec, type RawCollector } from '../../config/collector';
import { decodeCatalogObject } from '../../functions/collector/catalog';
import { checkSettings } from '../../functions/collector/settings';
import { hashWriteKey, parseWriteKeyDocument } from '../../lib/write-keys';
import { AwsContext } from '../../modules/aws-context';
import { PROJECT_ROOT } from '../../modules/bundle';
import { CatalogObject, MAX_OBJECT_TAGS } from '../../modules/catalog-object';
import { ACCESS_LOG_FORMAT, Collector, collectorAlarmDefinitions, collectorDashboardWidgets, CollectorWriteKeys, type CollectorProps } from '../../modules/collector';
import { fixtureEnvironment } from './factories';

const REGION = 'eu-central-1';
const PREFIX = { project: 'acme', environment: 'prod' };
const BUCKET = 'acme-prod-tracking-events';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const CERT = 'arn:aws:acm:eu-central-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

type Resources = Record<string, Record<string, Record<string, unknown>>>;
interface Synth {
  readonly resource?: Resources;
  readonly output?: Record<string, { value: string }>;
}
interface Statement {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

function specOf(raw: RawCollector, rootStreamEnabled = false): CollectorSpec {
  return resolveCollector(PREFIX, raw, { rootStreamEnabled, applications: [{ name: 'web-shop' }, { name: 'mobile-app' }] })!;
}

let lastCollector: Collector | undefined;
function synth(spec: CollectorSpec, extra: Partial<CollectorProps> = {}): Synth {
  return JSON.parse(
    Testing.synthScope((scope) => {
      const context = new AwsContext(scope, 'context', { region: REGION });
      lastCollector = new Collector(scope, 'collector', { spec, prefix: PREFIX, context, logRetentionDays: 30, bucketName: BUCKET, bucketArn: BUCKET_ARN, ...extra });
    }),
  ) as Synth;
}

const of = (s: Synth, type: string): Record<string, unknown>[] => Object.values(s.resource?.[type] ?? {});
const only = (s: Synth, type: string): Record<string, unknown> => {
  const all = of(s, type);
  expect(all).toHaveLength(1);
  return all[0]!;
};
const policies = (s: Synth): Record<string, Statement[]> =>
  Object.fromEntries(of(s, 'aws_iam_role_policy').map((p) => [p.name as string, (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement]));

describe('collector, default options (delivery streams)', () => {
  const spec = specOf({ enabled: true, applications: { 'web-shop': { writeKeys: [hashWriteKey('k')] } } });
  const s = synth(spec);
  const collector = lastCollector!;

  it('is an HTTP API with the routes of the protocol, all on the Lambda (payload 2.0), and no JWT route', () => {
    // Assess
    expect(only(s, 'aws_apigatewayv2_api')).toMatchObject({ name: 'acme-prod-collector', protocol_type: 'HTTP' });
    expect(only(s, 'aws_apigatewayv2_api').cors_configuration).toBeUndefined();
    expect(only(s, 'aws_apigatewayv2_integration')).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0', timeout_milliseconds: 11_000 });
    expect(of(s, 'aws_apigatewayv2_route').map((r) => r.route_key).sort()).toEqual(['GET /health', 'OPTIONS /v1/events', 'POST /v1/events']);
    expect(of(s, 'aws_apigatewayv2_route').every((r) => r.authorization_type === undefined)).toBe(true);
    expect(of(s, 'aws_apigatewayv2_authorizer')).toEqual([]);
  });

  it('throttles the stage and logs every request to a log group with retention, without IP address or user agent', () => {
    // Assess
    const stage = only(s, 'aws_apigatewayv2_stage');
    expect(stage).toMatchObject({ name: '$default', auto_deploy: true, default_route_settings: { throttling_rate_limit: 1000, throttling_burst_limit: 2000 } });
    const group = of(s, 'aws_cloudwatch_log_group').find((g) => (g.name as string).includes('vendedlogs'))!;
    expect(group).toMatchObject({ name: '/aws/vendedlogs/apigateway/acme-prod-collector-access', retention_in_days: 30 });
    const format = (stage.access_log_settings as { format: string }).format;
    expect(format).toBe(ACCESS_LOG_FORMAT);
    expect(format).not.toMatch(/sourceIp|userAgent|x-forwarded-for/i);
    // Valid JSON once API Gateway substitutes the variables (numbers unquoted, messageString quoted).
    const sample = format.replace(/\$context\.status/, '429').replace(/\$context\.error\.messageString/, '"Too Many Requests"').replace(/\$context\.[A-Za-z.]+/g, 'x');
    expect(JSON.parse(sample)).toMatchObject({ status: 429, error: 'Too Many Requests' });
  });

  it('turns the access log into exact 5xx, 4xx and throttled rates (1 per matching request, 0 for every other)', () => {
    // Assess
    const filters = of(s, 'aws_cloudwatch_log_metric_filter');
    expect(filters.map((f) => [(f.metric_transformation as Record<string, string>).name, f.pattern]).sort()).toEqual([
      ['ClientError', '{ $.status >= 400 && $.status <= 499 }'],
      ['ServerError', '{ $.status >= 500 }'],
      ['Throttled', '{ $.status = 429 }'],
    ]);
    for (const f of filters) expect(f.metric_transformation).toMatchObject({ namespace: 'TrackingPipeline/Collector/acme-prod', value: '1', default_value: '0' });
  });

  it('scopes IAM to exact ARNs: the catalog prefix, the SSM path, the environment\'s delivery streams', () => {
    // Assess
    const p = policies(s);
    expect(Object.keys(p).sort()).toEqual(['catalog', 'firehose', 'logs', 'write-keys']);
    expect(p.catalog).toEqual([
      { Sid: 'ListCatalog', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [BUCKET_ARN], Condition: { StringLike: { 's3:prefix': ['catalog/', 'catalog/*'] } } },
      { Sid: 'ReadCatalog', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${BUCKET_ARN}/catalog/*`] },
    ]);
    expect(p['write-keys']![0]).toMatchObject({ Action: ['ssm:GetParametersByPath'] });
    expect(p['write-keys']![0]!.Resource[0]).toMatch(/^arn:\$\{.*\}:ssm:eu-central-1:\$\{.*\}:parameter\/acme\/prod\/collector\/write-keys$/);
    expect(p.firehose![0]).toMatchObject({ Action: ['firehose:PutRecordBatch'] });
    expect(p.firehose![0]!.Resource[0]).toMatch(/:firehose:eu-central-1:\$\{.*\}:deliverystream\/acme-prod-\*$/);
    for (const statements of Object.values(p)) for (const st of statements) expect(st.Action.every((a) => !a.includes('*'))).toBe(true);
  });

  it('lets API Gateway invoke the function for its routes only', () => {
    // Assess
    const perms = of(s, 'aws_lambda_permission');
    expect(perms.every((x) => x.principal === 'apigateway.amazonaws.com' && x.action === 'lambda:InvokeFunction')).toBe(true);
    expect(perms.map((x) => (x.source_arn as string).replace(/^\$\{[^}]+\}/, '<api>')).sort()).toEqual(['<api>/*/GET/health', '<api>/*/OPTIONS/v1/events', '<api>/*/POST/v1/events']);
  });

  it('ships settings that name no application and no event type', () => {
    // Assess
    const settings = checkSettings(JSON.parse(JSON.stringify(collector.settings)));
    expect(settings).toMatchObject({ environment: 'prod', bucketName: BUCKET, writeKeysPath: '/acme/prod/collector/write-keys', destination: { kind: 'delivery-streams' } });
    const text = JSON.stringify(settings);
    expect(text).not.toMatch(/web-shop|mobile-app|page_view/);
    expect(only(s, 'aws_lambda_function')).toMatchObject({ function_name: 'acme-prod-collector', runtime: 'nodejs22.x', architectures: ['arm64'], timeout: 10 });
  });

  it('outputs the endpoint (CloudFront\'s address), the API id, the distribution and the web ACL', () => {
    expect(Object.keys(s.output ?? {}).sort()).toEqual(['collector-api-id', 'collector-distribution-id', 'collector-endpoint', 'collector-web-acl-arn']);
    expect(s.output?.['collector-endpoint']?.value).toMatch(/^https:\/\/\$\{aws_cloudfront_distribution\.[^.]+\.domain_name\}$/);
    expect(of(s, 'aws_apigatewayv2_domain_name')).toEqual([]);
  });
});

describe('collector, every option without protection (root stream, JWT, custom domain, KMS)', () => {
  const spec = specOf(
    {
      enabled: true,
      protection: { enabled: false },
      throttling: { rateLimit: 50, burstLimit: 100 },
      function: { reservedConcurrency: 20, timeoutSeconds: 30 },
      customDomain: { domainName: 'collect.example.com', certificateArn: CERT, disableDefaultEndpoint: true },
      jwtAuthorizer: { issuer: 'https://auth.example.com/', audiences: ['mobile-app', 'web'] },
    },
    true,
  );
  const s = synth(spec, {
    bucketKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    rootStream: { streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-prod-root', kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab' },
  });

  it('adds the JWT authorizer on a second route only; preflights carry no authorizer', () => {
    // Assess
    expect(only(s, 'aws_apigatewayv2_authorizer')).toMatchObject({
      authorizer_type: 'JWT',
      identity_sources: ['$request.header.Authorization'],
      jwt_configuration: { issuer: 'https://auth.example.com/', audience: ['mobile-app', 'web'] },
    });
    const routes = Object.fromEntries(of(s, 'aws_apigatewayv2_route').map((r) => [r.route_key as string, r]));
    expect(Object.keys(routes).sort()).toEqual(['GET /health', 'OPTIONS /v1/auth/events', 'OPTIONS /v1/events', 'POST /v1/auth/events', 'POST /v1/events']);
    expect(routes['POST /v1/auth/events']).toMatchObject({ authorization_type: 'JWT' });
    expect(routes['OPTIONS /v1/auth/events']!.authorization_type).toBeUndefined();
    expect(routes['POST /v1/events']!.authorization_type).toBeUndefined();
  });

  it('writes to the root stream only, with its key; reads the catalog through the bucket key', () => {
    // Assess
    const p = policies(s);
    expect(Object.keys(p).sort()).toEqual(['catalog', 'kinesis', 'logs', 'write-keys']);
    expect(p.kinesis).toEqual([
      { Sid: 'WriteRootStream', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: ['arn:aws:kinesis:eu-central-1:123456789012:stream/acme-prod-root'] },
      { Sid: 'EncryptWithStreamKey', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: ['arn:aws:kms:eu-central-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab'] },
    ]);
    expect(p.catalog![2]).toMatchObject({ Action: ['kms:Decrypt'], Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': BUCKET_ARN } } });
  });

  it('maps the custom domain (regional, TLS 1.2, the certificate of the config), turns the default endpoint off, and outputs the DNS target', () => {
    // Assess
    expect(only(s, 'aws_apigatewayv2_domain_name')).toMatchObject({
      domain_name: 'collect.example.com',
      domain_name_configuration: { certificate_arn: CERT, endpoint_type: 'REGIONAL', security_policy: 'TLS_1_2' },
    });
    expect(only(s, 'aws_apigatewayv2_api_mapping')).toBeDefined();
    expect(only(s, 'aws_apigatewayv2_api').disable_execute_api_endpoint).toBe(true);
    expect(s.output?.['collector-endpoint']?.value).toBe('https://collect.example.com');
    expect(Object.keys(s.output ?? {})).toEqual(expect.arrayContaining(['collector-domain-target', 'collector-domain-hosted-zone-id']));
  });

  it('applies the throttling, reserved concurrency and the 30 s integration ceiling', () => {
    expect(only(s, 'aws_apigatewayv2_stage')).toMatchObject({ default_route_settings: { throttling_rate_limit: 50, throttling_burst_limit: 100 } });
    expect(only(s, 'aws_lambda_function')).toMatchObject({ reserved_concurrent_executions: 20, timeout: 30 });
    expect(only(s, 'aws_apigatewayv2_integration')).toMatchObject({ timeout_milliseconds: 30_000 });
  });
});

describe('collector invariants over random specs', () => {
  it('never writes "*" as a resource or action, always logs with retention, and routes only the protocol', () => {
    fc.assert(
      fc.property(
        fc.record({
          rootStream: fc.boolean(),
          jwt: fc.boolean(),
          domain: fc.boolean(),
          rate: fc.integer({ min: 1, max: 10_000 }),
          burst: fc.integer({ min: 1, max: 5_000 }),
          timeout: fc.integer({ min: 3, max: 30 }),
          protection: fc.boolean(),
        }),
        (o) => {
          // Prepare
          const spec = specOf(
            {
              enabled: true,
              throttling: { rateLimit: o.rate, burstLimit: o.burst },
              function: { timeoutSeconds: o.timeout },
              protection: { enabled: o.protection },
              ...(o.jwt ? { jwtAuthorizer: { issuer: 'https://a.example', audiences: ['x'] } } : {}),
              ...(o.domain ? { customDomain: { domainName: 'c.example.com', certificateArn: CERT } } : {}),
            },
            o.rootStream,
          );

          // Act
          const s = synth(spec, o.rootStream ? { rootStream: { streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-prod-root' } } : {});

          // Assess
          for (const st of Object.values(policies(s)).flat()) {
            expect(st.Resource.every((r) => r !== '*')).toBe(true);
            expect(st.Action.every((a) => !a.endsWith('*'))).toBe(true);
          }
          for (const g of of(s, 'aws_cloudwatch_log_group')) expect(g.retention_in_days).toBe(30);
          expect(of(s, 'aws_apigatewayv2_route')).toHaveLength(o.jwt ? 5 : 3);
          expect(of(s, 'aws_lambda_permission')).toHaveLength(o.jwt ? 5 : 3);
          expect((only(s, 'aws_apigatewayv2_integration').timeout_milliseconds as number) <= 30_000).toBe(true);
          expect(of(s, 'aws_apigatewayv2_domain_name')).toHaveLength(o.domain ? 1 : 0);
          // The edge exists exactly with protection, and the function knows the secret exactly then.
          for (const type of ['aws_wafv2_web_acl', 'aws_cloudfront_distribution', 'terraform_data']) expect(of(s, type)).toHaveLength(o.protection ? 1 : 0);
          expect(only(s, 'aws_lambda_function').environment !== undefined).toBe(o.protection);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('does not depend on the applications: adding one or a key leaves the collector\'s resources unchanged', () => {
    // Prepare
    const without = specOf({ enabled: true });
    const withApps = specOf({ enabled: true, applications: { 'web-shop': { writeKeys: [hashWriteKey('a')], allowedOrigins: ['https://a.example'] }, 'mobile-app': { writeKeys: [hashWriteKey('b')] } } });

    // Act / Assess
    expect(JSON.stringify(synth(withApps))).toBe(JSON.stringify(synth(without)));
  });
});

describe('protection: CloudFront and AWS WAF in front of the API', () => {
  const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/5c6d7e8f-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
  const raw: RawCollector = {
    enabled: true,
    applications: { 'web-shop': { writeKeys: [hashWriteKey('a')] }, 'mobile-app': { writeKeys: [hashWriteKey('b')] } },
    throttling: { rateLimit: 200, burstLimit: 400 },
    customDomain: { domainName: 'collect.example.com', certificateArn: CERT, edgeCertificateArn: EDGE_CERT },
    protection: {
      evaluationWindowSeconds: 120,
      perClient: { limit: 600 },
      perApplication: { limit: 5_000, applications: { 'web-shop': 20_000, 'mobile-app': 8_000 } },
      ipv6: true,
      priceClass: 'PriceClass_100',
    },
  };
  const spec = specOf(raw);
  const s = synth(spec, { edgeProvider: { defaultTags: { project: 'acme', environment: 'prod' }, allowedAccountIds: ['123456789012'] } });
  const collector = lastCollector!;
  type Rule = { name: string; priority: number; statement: { rate_based_statement: Record<string, unknown> }; action: unknown; visibility_config: Record<string, unknown> };
  const acl = (): Record<string, unknown> => only(s, 'aws_wafv2_web_acl');
  const rules = (): Rule[] => acl().rule as Rule[];
  const ref = (type: string, attr: string): RegExp => new RegExp(`\\$\\{${type}\\.[A-Za-z0-9_-]+\\.${attr}\\}`);

  it('creates the web ACL for CloudFront through a us-east-1 provider with the stack\'s tags and account', () => {
    // Assess
    expect(acl()).toMatchObject({ name: 'acme-prod-collector', scope: 'CLOUDFRONT', default_action: { allow: {} }, provider: 'aws.us_east_1' });
    const provider = JSON.parse(Testing.synthScope((scope) => new Collector(scope, 'c', { spec, prefix: PREFIX, context: new AwsContext(scope, 'ctx', { region: REGION }), logRetentionDays: 30, bucketName: BUCKET, bucketArn: BUCKET_ARN, edgeProvider: { defaultTags: { project: 'acme' }, allowedAccountIds: ['123456789012'] } }))) as { provider?: { aws?: unknown[] } };
    expect(provider.provider?.aws).toEqual([{ alias: 'us_east_1', region: 'us-east-1', default_tags: [{ tags: { project: 'acme' } }], allowed_account_ids: ['123456789012'] }]);
  });

  it('limits each client IP and each write key (header and query), per application from the config, with 429 and a JSON body', () => {
    // Assess
    const r = rules();
    expect(r.map((x) => [x.priority, x.name])).toEqual([
      [0, 'per-client-ip'],
      [1, 'app-mobile-app-header'],
      [2, 'app-mobile-app-query'],
      [3, 'app-web-shop-header'],
      [4, 'app-web-shop-query'],
      [5, 'per-key-header'],
      [6, 'per-key-query'],
    ]);
    // The viewer's own address (never a forwarded-IP header a client could write), over the configured window.
    expect(r[0]!.statement.rate_based_statement).toEqual({ aggregate_key_type: 'IP', limit: 600, evaluation_window_sec: 120 });
    expect(r[3]!.statement.rate_based_statement).toEqual({
      aggregate_key_type: 'CUSTOM_KEYS',
      limit: 20_000,
      evaluation_window_sec: 120,
      custom_key: [{ header: { name: 'x-write-key', text_transformation: [{ priority: 0, type: 'NONE' }] } }],
      scope_down_statement: {
        byte_match_statement: { positional_constraint: 'EXACTLY', search_string: 'web-shop', field_to_match: { single_query_argument: { name: 'app' } }, text_transformation: [{ priority: 0, type: 'URL_DECODE' }] },
      },
    });
    expect(r[4]!.statement.rate_based_statement.custom_key).toEqual([{ query_argument: { name: 'key', text_transformation: [{ priority: 0, type: 'URL_DECODE' }] } }]);
    // The default applies to every request that does not name an application with its own limit.
    const dflt = r[6]!.statement.rate_based_statement;
    expect(dflt.limit).toBe(5_000);
    const named = (dflt.scope_down_statement as { not_statement: { statement: { or_statement: { statement: { byte_match_statement: { search_string: string } }[] } } } }).not_statement.statement.or_statement.statement;
    expect(named.map((n) => n.byte_match_statement.search_string)).toEqual(['mobile-app', 'web-shop']);
    for (const x of r) {
      expect(x.action).toEqual({ block: { custom_response: { response_code: 429, custom_response_body_key: 'rate-limited', response_header: [{ name: 'retry-after', value: '60' }] } } });
      expect(x.visibility_config).toEqual({ cloudwatch_metrics_enabled: true, metric_name: `acme-prod-collector-${x.name}`, sampled_requests_enabled: true });
    }
    expect(acl().custom_response_body).toEqual([{ key: 'rate-limited', content_type: 'APPLICATION_JSON', content: expect.stringContaining('"code":"rate-limited"') }]);
  });

  it('puts CloudFront in front of the API: the web ACL, the execute-api origin with the secret header, no caching, HTTPS only, the custom domain', () => {
    // Assess
    const d = only(s, 'aws_cloudfront_distribution') as Record<string, Record<string, unknown> & unknown[]>;
    expect(d.web_acl_id).toMatch(ref('aws_wafv2_web_acl', 'arn'));
    const origin = (d.origin as unknown as Record<string, unknown>[])[0]!;
    expect(origin.domain_name).toMatch(/^\$\{replace\(aws_apigatewayv2_api\.[^.]+\.api_endpoint, "https:\/\/", ""\)\}$/);
    expect(origin.custom_origin_config).toEqual({ http_port: 80, https_port: 443, origin_protocol_policy: 'https-only', origin_ssl_protocols: ['TLSv1.2'], origin_read_timeout: 30 });
    expect(origin.custom_header).toEqual([{ name: 'x-collector-edge-secret', value: expect.stringMatching(/^\$\{terraform_data\.[^.]+\.output\["value"\]\}$/) }]);
    expect(d.default_cache_behavior).toMatchObject({
      viewer_protocol_policy: 'https-only',
      cache_policy_id: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      origin_request_policy_id: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      allowed_methods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
    });
    expect(d).toMatchObject({ aliases: ['collect.example.com'], is_ipv6_enabled: true, price_class: 'PriceClass_100' });
    expect(d.viewer_certificate).toEqual({ acm_certificate_arn: EDGE_CERT, ssl_support_method: 'sni-only', minimum_protocol_version: 'TLSv1.2_2021' });
    // DNS of the custom domain goes to CloudFront; the regional domain stays while certificateArn is given.
    expect(s.output?.['collector-endpoint']?.value).toBe('https://collect.example.com');
    expect(s.output?.['collector-domain-target']?.value).toMatch(ref('aws_cloudfront_distribution', 'domain_name'));
    expect(s.output?.['collector-domain-hosted-zone-id']?.value).toMatch(ref('aws_cloudfront_distribution', 'hosted_zone_id'));
    expect(only(s, 'aws_apigatewayv2_domain_name')).toMatchObject({ domain_name: 'collect.example.com', domain_name_configuration: { certificate_arn: CERT } });
  });

  it('generates the origin secret in Terraform and gives the same value to CloudFront and the function, never to the settings file', () => {
    // Assess
    const secret = Object.entries(s.resource!.terraform_data!);
    expect(secret).toHaveLength(1);
    const [name, body] = secret[0]!;
    expect(body).toMatchObject({ input: { value: '${sensitive(uuid())}' }, lifecycle: { ignore_changes: ['input'] } });
    const value = `\${terraform_data.${name}.output["value"]}`;
    expect(only(s, 'aws_lambda_function').environment).toEqual({ variables: { COLLECTOR_EDGE_SECRET: value } });
    expect(((only(s, 'aws_cloudfront_distribution').origin as Record<string, unknown>[])[0]!.custom_header as { value: string }[])[0]!.value).toBe(value);
    expect(checkSettings(JSON.parse(JSON.stringify(collector.settings))).edge).toEqual({ secretHeader: 'x-collector-edge-secret', secretVariable: 'COLLECTOR_EDGE_SECRET', enforce: true });
    expect(JSON.stringify(collector.settings)).not.toMatch(/uuid|terraform_data/);
  });

  it('only adds resources: turning protection on keeps every address of the unprotected collector, and changes only the function', () => {
    // Prepare
    const off = synth(specOf({ ...raw, protection: { enabled: false } }));
    const on = synth(spec);
    const bodies = (x: Synth): Map<string, string> => new Map(Object.entries(x.resource ?? {}).flatMap(([type, byName]) => Object.entries(byName).map(([n, b]) => [`${type}.${n}`, JSON.stringify(b)] as [string, string])));

    // Act
    const before = bodies(off);
    const after = bodies(on);

    // Assess
    const changed = [...before].filter(([address, body]) => after.get(address) !== body).map(([address]) => address);
    expect([...before.keys()].filter((a) => !after.has(a))).toEqual([]);
    expect(changed).toEqual([expect.stringMatching(/^aws_lambda_function\./)]);
    expect([...after.keys()].filter((a) => !before.has(a)).map((a) => a.split('.')[0]).sort()).toEqual(['aws_cloudfront_distribution', 'aws_wafv2_web_acl', 'terraform_data']);
  });
});

describe('alarms and dashboard rows (data for modules/alarms.ts and modules/dashboard.ts)', () => {
  const spec = specOf({ enabled: true, alarms: { serverErrorRate: 0.02, latencyP99Ms: 1500 } });
  const defs = collectorAlarmDefinitions(spec, PREFIX, { apiId: 'abc123' });

  it('covers 5xx rate, 4xx rate, throttles and latency, each with a runbook', () => {
    // Assess
    expect(defs.map((d) => d.id)).toEqual(['collector-5xx-rate', 'collector-4xx-rate', 'collector-throttled-rate', 'collector-latency', 'collector-function-throttles']);
    expect(defs[0]).toMatchObject({ alarmName: 'acme-prod acme-prod-collector 5xx-rate', threshold: 0.02, source: { kind: 'metric', namespace: 'TrackingPipeline/Collector/acme-prod', metricName: 'ServerError', stat: 'Average' } });
    expect(defs[3]).toMatchObject({ threshold: 1500, source: { namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: { ApiId: 'abc123' }, stat: 'p99' } });
    expect(defs[4]).toMatchObject({ source: { namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: 'acme-prod-collector' } } });
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs', 'collector.md'), 'utf8');
    for (const d of defs) expect(doc).toContain(`<a id="${d.runbook.split('#')[1]}"></a>`);
    expect(new Set(defs.map((d) => d.alarmName)).size).toBe(defs.length);
  });

  it('gives the dashboard a row of four widgets on the same metrics', () => {
    const widgets = collectorDashboardWidgets(spec, 'prod', { apiId: 'abc123' });
    expect(widgets).toHaveLength(4);
    expect(JSON.stringify(widgets)).toContain('"ServerError"');
    expect(JSON.stringify(widgets)).toContain('CollectorRetryableEvents');
  });
});

describe('write-key parameters', () => {
  it('creates one String parameter per application, named from config/naming, whose value the collector parses', () => {
    // Prepare
    const spec = specOf({ enabled: true, applications: { 'web-shop': { writeKeys: [hashWriteKey('a'), hashWriteKey('b')], allowedOrigins: ['https://shop.example.com'] }, 'mobile-app': { writeKeys: [hashWriteKey('c')] } } });

    // Act
    const s = JSON.parse(Testing.synthScope((scope) => new CollectorWriteKeys(scope, 'write-keys', { applications: spec.applications }))) as Synth;

    // Assess
    const params = of(s, 'aws_ssm_parameter');
    expect(params.map((p) => p.name).sort()).toEqual(['/acme/prod/collector/write-keys/mobile-app', '/acme/prod/collector/write-keys/web-shop']);
    for (const p of params) {
      expect(p).toMatchObject({ type: 'String', tier: 'Standard' });
      expect(p.value).toBeUndefined();
      expect(parseWriteKeyDocument(p.insecure_value as string).ok).toBe(true);
    }
    expect(Object.keys(s.resource!.aws_ssm_parameter!).sort()).toEqual(['collector-write-keys__mobile-app', 'collector-write-keys__web-shop']);
  });
});

describe('catalog object', () => {
  const env = fixtureEnvironment();
  /** The stack's provider, with more default tags than an S3 object takes. */
  const provider = (scope: Construct): AwsProvider =>
    new AwsProvider(scope, 'aws', { region: 'eu-central-1', defaultTags: [{ tags: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`tag-${i}`, `v${i}`])) }] });

  it('holds the stack\'s event types and contracts as the collector decodes them, written through the provider alias without default tags', () => {
    // Act
    const s = JSON.parse(
      Testing.synthScope((scope) => {
        provider(scope);
        new CatalogObject(scope, 'catalog', { bucketName: BUCKET, stackId: 'tracking-dev', environment: 'dev', eventTypes: env.eventTypes, tags: { project: 'acme' } });
      }),
    ) as Synth;

    // Assess
    const o = only(s, 'aws_s3_object');
    expect(o).toMatchObject({ bucket: BUCKET, key: 'catalog/tracking-dev.json.gz', content_type: 'application/gzip', tags: { project: 'acme' }, provider: 'aws.untagged' });
    expect(o.override_provider).toBeUndefined();
    const table = decodeCatalogObject('x', Buffer.from(o.content_base64 as string, 'base64'));
    expect(Object.values(table.streams).map((e) => e.key).sort()).toEqual(env.eventTypes.map((t) => t.key).sort());
    expect(table.streams['acme-dev-web-shop-checkout_completed']).toMatchObject({ mode: 'enforce' });
    expect(table.streams['acme-dev-web-shop-search']).toMatchObject({ mode: 'observe' });
    expect(gunzipSync(Buffer.from(o.content_base64 as string, 'base64')).toString()).toContain('"version":1');
  });

  it('has the same bytes for the same event types in any order, and refuses more than 10 tags', () => {
    // Prepare
    const a = Testing.synthScope((scope) => new CatalogObject(scope, 'c', { bucketName: BUCKET, stackId: 's', environment: 'dev', eventTypes: env.eventTypes, provider: provider(scope) }));
    const b = Testing.synthScope((scope) => new CatalogObject(scope, 'c', { bucketName: BUCKET, stackId: 's', environment: 'dev', eventTypes: [...env.eventTypes].reverse(), provider: provider(scope) }));
    const tags = Object.fromEntries(Array.from({ length: MAX_OBJECT_TAGS + 1 }, (_, i) => [`t${i}`, 'v']));

    // Act / Assess
    expect(a).toBe(b);
    expect(() => Testing.synthScope((scope) => new CatalogObject(scope, 'c', { bucketName: BUCKET, stackId: 's', environment: 'dev', eventTypes: env.eventTypes, tags }))).toThrow(/at most 10/);
  });
});

describe('with the collector off', () => {
  it('resolves to nothing, so no collector resource, parameter or catalog object is created', () => {
    expect(resolveCollector(PREFIX, { enabled: false, applications: { 'web-shop': { writeKeys: [hashWriteKey('a')] } } }, { rootStreamEnabled: true, applications: [] })).toBeUndefined();
  });
});
