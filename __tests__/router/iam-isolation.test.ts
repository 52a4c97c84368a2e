/**
 * No IAM scope of one project covers another project's resources, evaluated on the policy JSON as
 * synthesized (every stack of each environment).
 *
 * Names join project and environment with "-", so project `acme`, environment `prod` owns the
 * prefix `acme-prod-`, which is also the start of every name of project `acme-prod`: its delivery
 * streams (`acme-prod-eu-billing-invoice_paid`), and with an environment named `transform`, its
 * functions (`acme-prod-transform-jsonl-transform`, matched by the sharded layout's
 * `function:acme-prod-transform-*`). The check runs both ways:
 * - every Allow statement of every identity policy (inline role policies and managed policies) of
 *   one project, against the ARN and the tags of every resource of the other, with the statement's
 *   `aws:ResourceTag/...` conditions evaluated on those tags and every other condition assumed true
 *   (the worst case: request keys such as `s3:prefix` are the caller's to choose);
 * - every principal and every `aws:SourceArn` pattern of every resource policy (key policies, topic
 *   and bucket policies), against the other project's ARNs.
 * References (`${aws_s3_bucket.x.arn}`, the partition and account data sources) are resolved the
 * way AWS would name the resources; every pattern with a wildcard must resolve completely, so the
 * check cannot pass by leaving a pattern unreadable.
 */
import { deployStacks, type StackJson } from '../helpers/deploy';

const ACCOUNT = '123456789012';
const PARTITION = 'aws';

/** One resource of a synthesized project: its ARNs (object-level ones too) and its tags. */
interface Target {
  readonly address: string;
  readonly arns: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Resource?: string | string[];
  readonly Principal?: string | { AWS?: string | string[]; Service?: string | string[] };
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

interface Policy {
  readonly where: string;
  readonly kind: 'identity' | 'resource';
  readonly statements: readonly Statement[];
}

const list = <T>(v: T | readonly T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? [...(v as T[])] : [v as T]);

/** IAM's wildcard match of a whole ARN: `*` any run of characters, `?` one character, case-sensitive. */
function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(arn);
}

/** The ARN of a resource as AWS names it, from its synthesized arguments. */
function arnOf(type: string, id: string, r: Record<string, unknown>, region: string, stackId: string): string | undefined {
  const at = (service: string, resource: string, opts: { noRegion?: boolean; noAccount?: boolean } = {}): string =>
    `arn:${PARTITION}:${service}:${opts.noRegion ? '' : region}:${opts.noAccount ? '' : ACCOUNT}:${resource}`;
  switch (type) {
    case 'aws_kinesis_firehose_delivery_stream':
      return at('firehose', `deliverystream/${r.name as string}`);
    case 'aws_lambda_function':
      return at('lambda', `function:${r.function_name as string}`);
    case 'aws_s3_bucket':
      return at('s3', r.bucket as string, { noRegion: true, noAccount: true });
    case 'aws_kinesis_stream':
      return at('kinesis', `stream/${r.name as string}`);
    case 'aws_sqs_queue':
      return at('sqs', r.name as string);
    case 'aws_sns_topic':
      return at('sns', r.name as string);
    case 'aws_cloudwatch_log_group':
      return at('logs', `log-group:${r.name as string}`);
    case 'aws_iam_role':
      return at('iam', `role/${r.name as string}`, { noRegion: true });
    case 'aws_iam_policy':
      return at('iam', `policy/${r.name as string}`, { noRegion: true });
    case 'aws_dynamodb_table':
      return at('dynamodb', `table/${r.name as string}`);
    case 'aws_kms_key':
      // Key ids are random: unique per stack and resource.
      return at('kms', `key/${stackId}-${id}`);
    case 'aws_cloudwatch_metric_alarm':
      return at('cloudwatch', `alarm:${r.alarm_name as string}`);
    case 'aws_ssm_parameter':
      return at('ssm', `parameter${r.name as string}`);
    case 'aws_glue_catalog_database':
      return at('glue', `database/${r.name as string}`);
    case 'aws_athena_workgroup':
      return at('athena', `workgroup/${r.name as string}`);
    default:
      return undefined;
  }
}

/** Values of `${...}` references, per stack: data sources and each resource's attributes. */
function referenceValues(json: StackJson, stackId: string, region: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const id of Object.keys(json.data?.aws_partition ?? {})) values.set(`data.aws_partition.${id}.partition`, PARTITION);
  for (const id of Object.keys(json.data?.aws_caller_identity ?? {})) values.set(`data.aws_caller_identity.${id}.account_id`, ACCOUNT);
  for (const id of Object.keys(json.data?.aws_kms_key ?? {})) values.set(`data.aws_kms_key.${id}.arn`, `arn:${PARTITION}:kms:${region}:${ACCOUNT}:key/${stackId}-data-${id}`);
  for (const [type, resources] of Object.entries(json.resource ?? {})) {
    for (const [id, r] of Object.entries(resources)) {
      const arn = arnOf(type, id, r, region, stackId);
      if (arn !== undefined) values.set(`${type}.${id}.arn`, arn);
      for (const attr of ['name', 'bucket', 'function_name', 'id']) {
        const v = r[attr === 'id' ? 'name' : attr];
        if (typeof v === 'string' && !v.includes('${')) values.set(`${type}.${id}.${attr}`, v);
      }
    }
  }
  return values;
}

/** Replaces every resolvable reference; an unresolvable one stays `${...}` (never matches a plain ARN). */
function resolve(text: string, values: ReadonlyMap<string, string>): string {
  let out = text;
  for (let i = 0; i < 5 && out.includes('${'); i++) out = out.replace(/\$\{([^${}]+)\}/g, (whole, expr: string) => values.get(expr.trim()) ?? whole);
  return out;
}

interface Project {
  readonly name: string;
  readonly policies: readonly Policy[];
  readonly targets: readonly Target[];
}

/** Every stack of every environment of a config: its policies (resolved) and its resources. */
function synthesize(yaml: string, environments: readonly string[]): Project {
  const policies: Policy[] = [];
  const targets: Target[] = [];
  let name = '';
  for (const environment of environments) {
    const { config, stacks } = deployStacks(yaml, environment);
    name = config.project;
    const region = config.environments.find((e) => e.name === environment)!.region;
    for (const [stackId, json] of stacks) {
      const values = referenceValues(json, stackId, region);
      const defaultTags = ((json.provider?.aws?.[0] as { default_tags?: { tags?: Record<string, string> }[] } | undefined)?.default_tags?.[0]?.tags ?? {}) as Record<string, string>;
      for (const [type, resources] of Object.entries(json.resource ?? {})) {
        for (const [id, r] of Object.entries(resources)) {
          const where = `${config.project}/${stackId}/${type}.${id}`;
          const doc = (attr: string, kind: Policy['kind']): void => {
            const text = r[attr];
            if (typeof text !== 'string') return;
            const parsed = JSON.parse(resolve(text, values)) as { Statement: Statement | Statement[] };
            policies.push({ where, kind, statements: list(parsed.Statement) });
          };
          if (type === 'aws_iam_role_policy' || type === 'aws_iam_policy') doc('policy', 'identity');
          if (type === 'aws_kms_key' || type === 'aws_sns_topic_policy' || type === 'aws_s3_bucket_policy' || type === 'aws_sqs_queue_policy') doc('policy', 'resource');
          const arn = arnOf(type, id, r, region, stackId);
          if (arn === undefined) continue;
          const override = (r.override_provider as { default_tags?: { tags?: Record<string, string> } } | undefined)?.default_tags;
          const tags = { ...(override !== undefined ? override.tags : defaultTags), ...((r.tags as Record<string, string> | undefined) ?? {}) };
          const arns = [arn];
          if (type === 'aws_s3_bucket') for (const p of ['events/', 'errors/', 'catalog/', 'unroutable/', 'athena-results/']) arns.push(`${arn}/${p}x`);
          if (type === 'aws_cloudwatch_log_group') arns.push(`${arn}:log-stream:x`);
          if (type === 'aws_lambda_function') arns.push(`${arn}:$LATEST`);
          targets.push({ address: where, arns, tags });
        }
      }
    }
  }
  return { name, policies, targets };
}

/** A statement's tag conditions hold for these tags (other condition keys: assumed true). */
function tagConditionsHold(condition: Statement['Condition'], tags: Readonly<Record<string, string>>): boolean {
  for (const [operator, block] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(block)) {
      const m = /^aws:ResourceTag\/(.+)$/.exec(key);
      if (m === null) continue;
      const actual = tags[m[1]!];
      const wanted = list(expected);
      if (operator === 'StringEquals' && (actual === undefined || !wanted.includes(actual))) return false;
      if (operator === 'StringLike' && (actual === undefined || !wanted.some((w) => arnMatches(w, actual)))) return false;
    }
  }
  return true;
}

/** Every way a statement of `from` reaches a resource of `to`. */
function crossings(from: Project, to: Project): string[] {
  const out: string[] = [];
  for (const policy of from.policies) {
    for (const s of policy.statements) {
      if (s.Effect !== 'Allow') continue;
      if (policy.kind === 'identity') {
        for (const pattern of list(s.Resource)) {
          if (pattern.includes('*') && pattern.includes('${')) out.push(`${policy.where} ${s.Sid}: unresolved pattern ${pattern}`);
          for (const t of to.targets) {
            const arn = t.arns.find((a) => arnMatches(pattern, a));
            if (arn !== undefined && tagConditionsHold(s.Condition, t.tags)) out.push(`${policy.where} ${s.Sid}: ${pattern} reaches ${arn} (${t.address})`);
          }
        }
      } else {
        const principal = s.Principal;
        const principals = typeof principal === 'object' ? list(principal.AWS) : [];
        const sources = Object.entries(s.Condition ?? {})
          .filter(([op]) => op.startsWith('Arn'))
          .flatMap(([, block]) => list(block['aws:SourceArn']));
        for (const pattern of [...principals, ...sources]) {
          for (const t of to.targets) {
            const arn = t.arns.find((a) => arnMatches(pattern, a));
            if (arn !== undefined) out.push(`${policy.where} ${s.Sid}: ${pattern} reaches ${arn} (${t.address})`);
          }
        }
      }
    }
  }
  return out;
}

const COMMON = `
    region: eu-central-1
    rootStream:
      enabled: true
      hotPath:
        rules:
          - name: big-order
            eventType: shop/order_placed
            match: { field: total, op: ">", value: 1000 }
    collector:
      enabled: true
      applications:
        shop: { writeKeys: [${'a'.repeat(64)}] }
`;

/** Project `acme`: `prod` with every option that writes IAM (sharded: the transform name pattern), `stage` with the collector writing to delivery streams. */
const ACME = `
project: acme
environments:
  prod:${COMMON}    stacks: { layout: sharded }
  stage:
    region: eu-central-1
    collector:
      enabled: true
      applications:
        shop: { writeKeys: [${'b'.repeat(64)}] }
applications:
  - name: shop
    eventTypes: [order_placed, page_view]
`;

/** Project `acme-prod`: its names start with `acme-prod-`; environment `transform` names functions `acme-prod-transform-*`. */
const ACME_PROD = `
project: acme-prod
environments:
  eu:${COMMON}    stacks: { layout: sharded }
  transform:${COMMON}
applications:
  - name: shop
    eventTypes: [order_placed]
  - name: billing
    eventTypes: [invoice_paid]
`;

/** Project `acme-stage`: its delivery streams start with `acme-stage-`, the collector prefix of acme/stage. */
const ACME_STAGE = `
project: acme-stage
environments:
  eu:
    region: eu-central-1
    collector:
      enabled: true
      applications:
        shop: { writeKeys: [${'c'.repeat(64)}] }
applications:
  - name: shop
    eventTypes: [order_placed]
`;

let warn: jest.SpyInstance;
let acme: Project;
let acmeProd: Project;
let acmeStage: Project;

beforeAll(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  acme = synthesize(ACME, ['prod', 'stage']);
  acmeProd = synthesize(ACME_PROD, ['eu', 'transform']);
  acmeStage = synthesize(ACME_STAGE, ['eu']);
});
afterAll(() => warn.mockRestore());

describe('IAM scopes between projects whose names collide once joined with "-"', () => {
  it('the names do collide: acme/prod\'s prefix starts names of acme-prod, acme/stage\'s starts names of acme-stage', () => {
    // Assess: the premise of the test (otherwise it proves nothing)
    const names = (p: Project): string[] => p.targets.flatMap((t) => t.arns.map((a) => a.split(/[:/]/).pop()!));
    expect(names(acmeProd)).toEqual(expect.arrayContaining(['acme-prod-eu-billing-invoice_paid', 'acme-prod-transform-jsonl-transform']));
    expect(names(acmeStage)).toEqual(expect.arrayContaining(['acme-stage-eu-shop-order_placed']));
    // The statements the prefixes are written in are there, and resolved.
    const patterns = acme.policies.flatMap((p) => p.statements.flatMap((s) => list(s.Resource)));
    expect(patterns).toEqual(
      expect.arrayContaining([
        `arn:aws:firehose:eu-central-1:${ACCOUNT}:deliverystream/acme-prod-*`,
        `arn:aws:firehose:eu-central-1:${ACCOUNT}:deliverystream/acme-stage-*`,
        `arn:aws:lambda:eu-central-1:${ACCOUNT}:function:acme-prod-transform-*`,
      ]),
    );
  });

  it('no statement of acme matches a resource of acme-prod or acme-stage', () => {
    // Act
    const found = [...crossings(acme, acmeProd), ...crossings(acme, acmeStage)];
    // Assess
    expect(found).toEqual([]);
  });

  it('no statement of acme-prod or acme-stage matches a resource of acme', () => {
    // Act
    const found = [...crossings(acmeProd, acme), ...crossings(acmeStage, acme)];
    // Assess
    expect(found).toEqual([]);
  });

  it('each project\'s own statements still reach its own resources (the check can match)', () => {
    // Act
    const own = crossings(acme, acme);
    // Assess: the router reaches acme/prod's streams, the collector acme/stage's, Firehose the shard transforms
    expect(own.some((c) => c.includes('PutToEnvironmentDeliveryStreams') && c.includes('deliverystream/acme-prod-shop-order_placed'))).toBe(true);
    expect(own.some((c) => c.includes('WriteDeliveryStreams') && c.includes('deliverystream/acme-stage-shop-order_placed'))).toBe(true);
    expect(own.some((c) => c.includes('InvokeTransform') && c.includes('function:acme-prod-transform-shop'))).toBe(true);
  });
});

describe('arnMatches', () => {
  it.each([
    ['arn:aws:firehose:r:1:deliverystream/acme-prod-*', 'arn:aws:firehose:r:1:deliverystream/acme-prod-eu-x', true],
    ['arn:aws:firehose:r:1:deliverystream/acme-prod-*', 'arn:aws:firehose:r:1:deliverystream/acme-prodx', false],
    ['arn:aws:lambda:r:1:function:f:*', 'arn:aws:lambda:r:1:function:f:$LATEST', true],
    ['arn:aws:lambda:r:1:function:f', 'arn:aws:lambda:r:1:function:f2', false],
    ['arn:aws:cloudwatch:r:1:alarm:acme-prod * *', 'arn:aws:cloudwatch:r:1:alarm:acme-prod-eu a b', false],
    ['a?c', 'abc', true],
  ])('%s against %s: %s', (pattern, arn, expected) => {
    expect(arnMatches(pattern, arn)).toBe(expected);
  });
});
