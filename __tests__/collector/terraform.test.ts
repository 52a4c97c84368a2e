/**
 * The collector's constructs through real Terraform, offline:
 * - a core-like stack (the collector with every option, CloudFront and AWS WAF in front: a
 *   us-east-1 provider alias, the web ACL's rate-based rules, the origin secret as terraform_data),
 *   the same without protection, and a shard-like stack (a catalog object and write-key parameters)
 *   go through terraform init, validate, and a mock plan and apply (scripts/terraform-check.ts,
 *   docs/terraform-check.md);
 * - the edge alone (web ACL and distribution) is planned with the REAL AWS provider: its own
 *   validators check the rule limits, windows, names and the distribution's settings;
 * - the shard-like stack is also planned with the REAL AWS provider (no credentials needed: a plan
 *   of new resources calls no API), with 12 provider default tags: the catalog object's planned
 *   `tags_all` holds only its own tags (S3 allows 10 per object), while the parameters get them all.
 * Terraform missing fails the test: nothing here is skipped.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveCollector } from '../../config/collector';
import { hashWriteKey } from '../../lib/write-keys';
import { AwsContext } from '../../modules/aws-context';
import { CatalogObject } from '../../modules/catalog-object';
import { Collector, CollectorWriteKeys } from '../../modules/collector';
import { CollectorEdge } from '../../modules/collector-edge';
import { checkStacks, findProviderMirror, findStacks, findTerraform, formatPhase, terraformMissingMessage, type StackResult } from '../../scripts/terraform-check';
import { fixtureEnvironment } from './factories';

const LONG = 10 * 60_000;
const PREFIX = { project: 'acme', environment: 'prod' };
const DEFAULT_TAGS = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`tag-${i}`, `value-${i}`]));
const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/5c6d7e8f-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

let work: string;
let outdir: string;
let results: StackResult[];

beforeAll(async () => {
  if (findTerraform() === undefined) throw new Error(terraformMissingMessage());
  work = mkdtempSync(path.join(tmpdir(), 'collector-tf-'));
  outdir = path.join(work, 'out');
  const app = new App({ outdir, skipValidation: true });
  const raw = {
    enabled: true,
    applications: { 'web-shop': { writeKeys: [hashWriteKey('a'), hashWriteKey('b')], allowedOrigins: ['https://shop.example.com'] }, 'mobile-app': { writeKeys: [hashWriteKey('c')], requireJwt: true } },
    customDomain: {
      domainName: 'collect.example.com',
      certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/0b5f7e2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
      edgeCertificateArn: EDGE_CERT,
    },
    jwtAuthorizer: { issuer: 'https://auth.example.com/', audiences: ['mobile-app'] },
    function: { reservedConcurrency: 10 },
    protection: { evaluationWindowSeconds: 60 as const, perClient: { limit: 10 }, perApplication: { limit: 1_000, applications: { 'web-shop': 4_000, 'mobile-app': 2_000 } }, ipv6: true },
  };
  const spec = resolveCollector(PREFIX, raw, { rootStreamEnabled: true, applications: [{ name: 'web-shop' }, { name: 'mobile-app' }] })!;
  const unprotected = resolveCollector(
    PREFIX,
    { ...raw, protection: { enabled: false }, customDomain: { ...raw.customDomain, edgeCertificateArn: undefined, disableDefaultEndpoint: true } },
    { rootStreamEnabled: true, applications: [{ name: 'web-shop' }, { name: 'mobile-app' }] },
  )!;

  for (const [id, s] of [
    ['collector-core', spec],
    ['collector-core-unprotected', unprotected],
  ] as const) {
    const core = new TerraformStack(app, id);
    new AwsProvider(core, 'aws', { region: 'eu-central-1', defaultTags: [{ tags: DEFAULT_TAGS }] });
    const context = new AwsContext(core, 'context', { region: 'eu-central-1' });
    new Collector(core, 'collector', {
      spec: s,
      prefix: PREFIX,
      context,
      logRetentionDays: 30,
      bucketName: 'acme-prod-tracking-events',
      bucketArn: 'arn:aws:s3:::acme-prod-tracking-events',
      bucketKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      rootStream: { streamArn: 'arn:aws:kinesis:eu-central-1:123456789012:stream/acme-prod-root', kmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab' },
      edgeProvider: { defaultTags: DEFAULT_TAGS, allowedAccountIds: ['123456789012'] },
    });
  }

  // The edge alone, with literal inputs: no data source, so the real provider can plan it offline.
  const edge = new TerraformStack(app, 'collector-edge');
  new AwsProvider(edge, 'aws', { region: 'eu-central-1' });
  new CollectorEdge(edge, 'edge', {
    protection: spec.protection!,
    apiEndpoint: 'https://k3x9pq2m1a.execute-api.eu-central-1.amazonaws.com',
    originSecret: { header: 'x-collector-edge-secret', value: '0f4d5c1a-6b2e-4c3d-9e8f-7a6b5c4d3e2f' },
    domain: { name: 'collect.example.com', certificateArn: EDGE_CERT },
    comment: 'Collector acme-prod-collector (offline plan)',
  });

  const shard = new TerraformStack(app, 'collector-shard');
  new AwsProvider(shard, 'aws', { region: 'eu-central-1', defaultTags: [{ tags: DEFAULT_TAGS }] });
  new CatalogObject(shard, 'collector-catalog', { bucketName: 'acme-prod-tracking-events', stackId: 'tracking-prod-web-shop', environment: 'prod', eventTypes: fixtureEnvironment().eventTypes, tags: { project: 'acme', environment: 'prod' } });
  new CollectorWriteKeys(shard, 'collector-write-keys', { applications: spec.applications });
  app.synth();

  ({ results } = await checkStacks(findStacks(outdir, 'collector'), { scratchRoot: path.join(work, 'scratch') }));
}, LONG);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('terraform validate, mock plan and mock apply', () => {
  it.each(['collector-core', 'collector-core-unprotected', 'collector-shard', 'collector-edge'])('%s passes every phase', (id) => {
    const r = results.find((x) => x.id === id)!;
    expect(r).toBeDefined();
    for (const p of r.phases) if (!p.ok) throw new Error(formatPhase(p));
    expect(r.phases.map((p) => [p.phase, p.ok])).toEqual([
      ['init', true],
      ['validate', true],
      ['plan', true],
      ['apply', true],
    ]);
  });
});

type PlanJson = { resource_changes: { type: string; address: string; change: { after: Record<string, unknown> & { tags_all?: Record<string, string> } } }[] };

/** A scratch copy of a synthesized stack planned with the REAL provider from the mirror, offline (credentials that are never used). */
function realPlan(stackId: string): PlanJson {
  const mirror = findProviderMirror();
  if (mirror === undefined) throw new Error('no hashicorp/aws provider mirror found (see docs/terraform-check.md)');
  const dir = path.join(work, `real-plan-${stackId}`);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(outdir, 'stacks', stackId), dir, { recursive: true });
  const json = JSON.parse(readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as {
    terraform: { backend?: unknown; required_providers: { aws: { version: string } } };
    provider: { aws: Record<string, unknown>[] };
  };
  delete json.terraform.backend;
  json.terraform.required_providers.aws.version = mirror.versions[0]!;
  for (const p of json.provider.aws) {
    Object.assign(p, {
      access_key: 'AKIDOFFLINEPLAN',
      secret_key: 'offline',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
    });
  }
  writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(json));
  const cli = path.join(work, 'empty.tfrc');
  writeFileSync(cli, '');
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cli, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const tf = (args: string[]): string => {
    const r = spawnSync(findTerraform()!, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  tf(['init', '-backend=false', '-input=false', `-plugin-dir=${mirror.root}`]);
  tf(['plan', '-input=false', '-out=plan.tfplan']);
  return JSON.parse(tf(['show', '-json', 'plan.tfplan'])) as PlanJson;
}

describe('the edge (real provider, offline plan)', () => {
  it('plans the web ACL with its rate rules and the distribution that uses it, as the provider validates them', () => {
    // Act
    const plan = realPlan('collector-edge');

    // Assess
    const acl = plan.resource_changes.find((c) => c.type === 'aws_wafv2_web_acl')!.change.after as {
      scope: string;
      rule: { name: string; priority: number; statement: { rate_based_statement: { limit: number; evaluation_window_sec: number }[] }[] }[];
    };
    expect(acl.scope).toBe('CLOUDFRONT');
    // The provider keeps rules as a set: their priority gives the order.
    expect([...acl.rule].sort((a, b) => a.priority - b.priority).map((r) => [r.name, r.statement[0]!.rate_based_statement[0]!.limit, r.statement[0]!.rate_based_statement[0]!.evaluation_window_sec])).toEqual([
      ['per-client-ip', 10, 60],
      ['app-mobile-app-header', 2_000, 60],
      ['app-mobile-app-query', 2_000, 60],
      ['app-web-shop-header', 4_000, 60],
      ['app-web-shop-query', 4_000, 60],
      ['per-key-header', 1_000, 60],
      ['per-key-query', 1_000, 60],
    ]);
    const dist = plan.resource_changes.find((c) => c.type === 'aws_cloudfront_distribution')!.change.after as { aliases: string[]; is_ipv6_enabled: boolean; origin: { custom_header: { name: string }[] }[] };
    expect(dist).toMatchObject({ aliases: ['collect.example.com'], is_ipv6_enabled: true });
    expect(dist.origin[0]!.custom_header.map((h) => h.name)).toEqual(['x-collector-edge-secret']);
  }, LONG);
});

describe('provider default tags on the catalog object (real provider, offline plan)', () => {
  it('plans the object with its own tags only, while the other resources carry all 12 default tags', () => {
    // Act
    const plan = realPlan('collector-shard');

    // Assess
    const object = plan.resource_changes.find((c) => c.type === 'aws_s3_object')!;
    expect(object.change.after.tags_all).toEqual({ project: 'acme', environment: 'prod' });
    const params = plan.resource_changes.filter((c) => c.type === 'aws_ssm_parameter');
    expect(params).toHaveLength(2);
    for (const p of params) expect(Object.keys(p.change.after.tags_all ?? {})).toHaveLength(12);
  }, LONG);
});
