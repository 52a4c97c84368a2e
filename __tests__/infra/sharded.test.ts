/**
 * Issue #11: the sharded layout. A core stack per environment and one stack per shard; shards
 * refer to the core by deterministic names and ARNs, and depend on it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/loader';
import { synthesize } from '../../stacks/app';
import { asList, deployStacks, instancesOf, policyDocuments, resourcesOf, type StackJson } from '../helpers/deploy';

const PARTITION = '${data.aws_partition.context_partition_B73F2326.partition}';
const ACCOUNT = '${data.aws_caller_identity.context_caller_CB9F32B7.account_id}';

interface AppInput {
  readonly name: string;
  readonly types: readonly (string | { name: string; shard?: string; transform?: string })[];
}

function shardedYaml(apps: readonly AppInput[], extra: Record<string, unknown> = {}): string {
  return stringify({
    project: 'acme',
    stacks: { layout: 'sharded' },
    environments: { dev: { region: 'eu-central-1', alarms: { perStreamAlarms: ['web/page_view'] }, ...extra } },
    applications: apps.map((a) => ({ name: a.name, eventTypes: a.types })),
  });
}

const APPS: AppInput[] = [
  { name: 'web', types: ['page_view', 'click', { name: 'big', shard: 'web-big' }] },
  { name: 'mobile', types: ['open', { name: 'raw', transform: 'native' }] },
];

/** Replaces the account and partition references of a stack with fixed values, as Terraform would resolve them. */
const resolve = (text: string): string => text.split(PARTITION).join('aws').split(ACCOUNT).join('123456789012');

describe('sharded layout', () => {
  let warn: jest.SpyInstance;
  beforeAll(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => warn.mockRestore());

  it('synthesizes a core stack and one stack per shard, named by config/naming', () => {
    const { stacks } = deployStacks(shardedYaml(APPS));
    expect([...stacks.keys()]).toEqual(['tracking-dev', 'tracking-dev-mobile', 'tracking-dev-web', 'tracking-dev-web-big']);
  });

  it('keeps every delivery stream, log stream and per-stream alarm out of the core, each in exactly one shard', () => {
    // Act
    const { stacks } = deployStacks(shardedYaml(APPS));
    const core = stacks.get('tracking-dev')!;
    // Assess
    for (const type of ['aws_kinesis_firehose_delivery_stream', 'aws_cloudwatch_log_stream']) expect(resourcesOf(core, type)).toEqual({});
    const owner = new Map<string, string>();
    for (const [id, json] of stacks) {
      for (const address of instancesOf(json, 'aws_kinesis_firehose_delivery_stream').keys()) {
        expect(owner.has(address)).toBe(false);
        owner.set(address, id);
      }
    }
    expect(Object.fromEntries(owner)).toEqual({
      'aws_kinesis_firehose_delivery_stream.mobile__open': 'tracking-dev-mobile',
      'aws_kinesis_firehose_delivery_stream.mobile__raw': 'tracking-dev-mobile',
      'aws_kinesis_firehose_delivery_stream.web__click': 'tracking-dev-web',
      'aws_kinesis_firehose_delivery_stream.web__page_view': 'tracking-dev-web',
      'aws_kinesis_firehose_delivery_stream.web__big': 'tracking-dev-web-big',
    });
    const web = stacks.get('tracking-dev-web')!;
    expect([...instancesOf(web, 'aws_cloudwatch_metric_alarm').values()].map((a) => a.alarm_name)).toEqual(
      expect.arrayContaining(['acme-dev acme-dev-web-page_view data-freshness', 'acme-dev acme-dev-transform-web errors']),
    );
  });

  it("wires every shard to its core's bucket, role, log group and alarm topic by name, and to its own transform", () => {
    // Prepare
    const { stacks, config } = deployStacks(shardedYaml(APPS));
    const env = config.environments[0]!;
    const core = stacks.get('tracking-dev')!;
    const [bucket] = Object.values(resourcesOf(core, 'aws_s3_bucket'));
    const [role] = Object.values(resourcesOf(core, 'aws_iam_role')).filter((r) => r.name === env.firehoseRoleName);
    const [logGroup] = Object.values(resourcesOf(core, 'aws_cloudwatch_log_group')).filter((g) => g.name === env.deliveryLogGroupName);
    const [topic] = Object.values(resourcesOf(core, 'aws_sns_topic'));
    expect([bucket, role, logGroup, topic].every((r) => r !== undefined)).toBe(true);
    const invoke = policyDocuments(core)
      .flatMap((p) => p.doc.Statement)
      .find((s) => s.Sid === 'InvokeTransform')!;

    for (const shard of env.stacks.shards) {
      const json = stacks.get(shard.stackId)!;
      // Act
      const streams = [...instancesOf(json, 'aws_kinesis_firehose_delivery_stream').values()];
      const [fn] = Object.values(resourcesOf(json, 'aws_lambda_function'));
      // Assess
      for (const s of streams) {
        const dest = resolve(JSON.stringify(s.extended_s3_configuration));
        expect(dest).toContain(`"bucket_arn":"arn:aws:s3:::${bucket!.bucket as string}"`);
        expect(dest).toContain(`"role_arn":"arn:aws:iam::123456789012:role/${role!.name as string}"`);
        expect(dest).toContain(`"log_group_name":"${logGroup!.name as string}"`);
      }
      for (const a of instancesOf(json, 'aws_cloudwatch_metric_alarm').values()) {
        expect(resolve(JSON.stringify(a.alarm_actions))).toBe(`["arn:aws:sns:eu-central-1:123456789012:${topic!.name as string}"]`);
      }
      // The shard's transform function is covered by the core role's name pattern (IAM wildcard match).
      expect(fn?.function_name).toBe(shard.transformFunctionName);
      const arn = `arn:aws:lambda:eu-central-1:123456789012:function:${shard.transformFunctionName}`;
      const patterns = asList(invoke.Resource).map(resolve);
      expect(patterns.some((p) => wildcardMatch(p, arn))).toBe(true);
      expect(patterns.some((p) => wildcardMatch(p, `${arn}:$LATEST`))).toBe(true);
      expect(patterns.some((p) => wildcardMatch(p, 'arn:aws:lambda:eu-central-1:123456789012:function:acme-prod-transform-web'))).toBe(false);
      expect(patterns.some((p) => wildcardMatch(p, 'arn:aws:lambda:eu-central-1:123456789012:function:acme-dev-fanout-router'))).toBe(false);
    }
  });

  it('declares every shard as depending on its core, so that the core is applied first', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sharded-'));
    try {
      synthesize({ config: parseConfig(shardedYaml(APPS)), outdir: dir });
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { dependencies: string[] }> };
      expect(manifest.stacks['tracking-dev']!.dependencies).toEqual([]);
      for (const id of ['tracking-dev-mobile', 'tracking-dev-web', 'tracking-dev-web-big']) expect(manifest.stacks[id]!.dependencies).toEqual(['tracking-dev']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changes exactly one stack when one event type is added', () => {
    // Prepare
    const before = deployStacks(shardedYaml(APPS)).stacks;
    const grown = APPS.map((a) => (a.name === 'web' ? { ...a, types: [...a.types, 'scroll'] } : a));
    // Act
    const after = deployStacks(shardedYaml(grown)).stacks;
    // Assess
    const changed = [...after.keys()].filter((id) => normalize(after.get(id)!) !== normalize(before.get(id)!));
    expect(changed).toEqual(['tracking-dev-web']);
  });

  it('keeps each stack state separate, with shard keys derived from the core key', () => {
    const { stacks } = deployStacks(shardedYaml(APPS, { backend: { bucket: 'acme-state' } }));
    const keys = [...stacks.values()].map((j) => (j.terraform as { backend: { s3: { key: string } } }).backend.s3.key);
    expect(keys).toEqual([
      'acme/dev/terraform.tfstate',
      'acme/dev/terraform.shards/mobile.tfstate',
      'acme/dev/terraform.shards/web.tfstate',
      'acme/dev/terraform.shards/web-big.tfstate',
    ]);
  });
});

/** IAM's `*` wildcard in a resource ARN: any run of characters. */
function wildcardMatch(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);
}

/** The stack JSON without what differs between two synths of the same config (asset hashes). */
function normalize(json: StackJson): string {
  return JSON.stringify(json)
    .replace(/assets\/[^"]+\/archive\.zip/g, 'assets/<asset>/archive.zip')
    .replace(/"path":"[^"]*\/terraform-state\//g, '"path":"<relative>/terraform-state/');
}
