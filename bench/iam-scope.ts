/**
 * IAM policy sizes at 5,000 event types (docs/decisions.md, "IAM scopes that cannot reach another
 * project"). Synthesizes the core stack and one shard stack of a 5,000-type environment (20
 * applications x 250 types, sharded, root stream and collector on), and prints, per role, the
 * aggregate size of its inline policies as IAM counts it (characters without white space) against
 * IAM's quotas, then what an exact list of the environment's stream ARNs would need instead.
 *
 * IAM quotas ("IAM and AWS STS quotas",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): inline policies of a
 * role, together, 10,240 characters; one managed policy 6,144 characters; managed policies per role
 * 10 by default, 20 at most. White space is not counted.
 *
 *   npm run build && node dist/bench/iam-scope.js [--types 5000]
 */
import { App } from 'cdktf';
import { parseConfig } from '../config/loader';
import { CoreStack, ShardStack } from '../stacks/tracking-stack';

const INLINE_PER_ROLE = 10_240;
const MANAGED_POLICY = 6_144;
const MANAGED_PER_ROLE_MAX = 20;

const argTypes = process.argv.indexOf('--types');
const TYPES = argTypes > 0 ? Number(process.argv[argTypes + 1]) : 5_000;
const APPS = 20;
const PER_APP = Math.ceil(TYPES / APPS);

const key = 'a'.repeat(64);
const yaml = [
  'project: acme',
  'environments:',
  '  prod:',
  '    region: us-east-1',
  '    stacks: { layout: sharded }',
  '    rootStream: { enabled: true }',
  '    collector:',
  '      enabled: true',
  `      applications: { app-00: { writeKeys: [${key}] } }`,
  'applications:',
  ...Array.from({ length: APPS }, (_, a) => {
    const app = `app-${String(a).padStart(2, '0')}`;
    const types = Array.from({ length: Math.min(PER_APP, TYPES - a * PER_APP) }, (_, t) => `type_${String(t).padStart(4, '0')}`);
    return `  - name: ${app}\n    eventTypes: [${types.join(', ')}]`;
  }),
].join('\n');

const warn = console.warn;
console.warn = () => undefined;
const env = parseConfig(yaml).environments[0]!;
const app = new App({ outdir: '/tmp/iam-scope-bench', skipValidation: true });
const core = new CoreStack(app, { env });
const shard = new ShardStack(app, { env, shard: env.stacks.shards[0]!, core });
console.warn = warn;

type Json = { resource?: Record<string, Record<string, Record<string, unknown>>> };
const size = (policy: string): number => policy.replace(/\s/g, '').length;

const rows: [string, string, number, number][] = [];
for (const stack of [core, shard]) {
  const json = JSON.parse(JSON.stringify(stack.toTerraform())) as Json;
  const byRole = new Map<string, number>();
  for (const p of Object.values(json.resource?.aws_iam_role_policy ?? {})) {
    const role = String(p.role).replace(/^\$\{aws_iam_role\.(.+)\.id\}$/, '$1');
    byRole.set(role, (byRole.get(role) ?? 0) + size(String(p.policy)));
  }
  for (const [role, chars] of byRole) rows.push([stack.node.id, role, chars, INLINE_PER_ROLE]);
  for (const [id, p] of Object.entries(json.resource?.aws_iam_policy ?? {})) rows.push([stack.node.id, `managed ${id}`, size(String(p.policy)), MANAGED_POLICY]);
}

console.log(`IAM policy sizes, ${env.eventTypes.length} event types, ${env.stacks.shards.length} shards (characters without white space)`);
console.log('| stack | role (inline, together) or managed policy | characters | IAM quota | share |');
console.log('|---|---|---:|---:|---:|');
for (const [stack, role, chars, quota] of rows.sort((a, b) => b[2] - a[2])) {
  console.log(`| ${stack} | ${role} | ${chars.toLocaleString('en-US')} | ${quota.toLocaleString('en-US')} | ${((chars / quota) * 100).toFixed(1)} % |`);
}

// The alternative: every stream ARN listed exactly (what an exact-name scope of the router needs).
const arns = env.eventTypes.map((t) => `arn:aws:firehose:${env.region}:123456789012:deliverystream/${t.deliveryStreamName}`);
const listed = arns.reduce((n, a) => n + a.length + 3, 0);
const capacity = INLINE_PER_ROLE + MANAGED_PER_ROLE_MAX * MANAGED_POLICY;
console.log('');
console.log(`Exact ARN list of ${arns.length} streams: ${listed.toLocaleString('en-US')} characters (quoted, comma-separated), ` +
  `${(listed / arns.length).toFixed(0)} per stream; a role holds at most ${capacity.toLocaleString('en-US')} ` +
  `(10,240 inline + ${MANAGED_PER_ROLE_MAX} x 6,144 managed) = about ${Math.floor(capacity / (listed / arns.length)).toLocaleString('en-US')} streams, ` +
  `${Math.floor(INLINE_PER_ROLE / (listed / arns.length)).toLocaleString('en-US')} with the inline quota alone.`);
