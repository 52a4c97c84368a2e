/**
 * The lake's tables and the bucket's lifecycle as Terraform evaluates them: a config with both
 * stack layouts is synthesized with the built app and every stack is mock-applied with real
 * Terraform (terraform-state.ts). The assertions read the state, so an escape that Terraform reads
 * differently from what the TypeScript meant (a bucket reference left as literal text) fails here.
 */
import type { StackInput } from '../../scripts/terraform-check';
import { ofType, stateOf, synthYaml, workspace, type StackState } from './terraform-state';

const KEY = '259485d1df5a48983877d49c15ca8c88ab177c290b93e885ac7c7266b07c8a75';

/** Two environments: `solo` in one stack, `split` as a core stack plus one stack per application. */
export const BOTH_LAYOUTS = `project: acme
# 8 tags here and 3 the pipeline sets: more than the 10 an S3 object takes.
tags: { t1: a, t2: b, t3: c, t4: d, t5: e, t6: f, t7: g, t8: h }
environments:
  solo:
    region: eu-central-1
    account: "123456789012"
    stacks: { layout: single }
    bucket: { transitionToInfrequentAccessAfterDays: 30, transitionToGlacierAfterDays: 90, expireAfterDays: 400 }
    collector:
      enabled: true
      applications:
        web-shop: { writeKeys: [${KEY}] }
  split:
    region: eu-central-1
    stacks: { layout: sharded }
    bucket: { name: acme-split-lake-events, transitionToInfrequentAccessAfterDays: 60, transitionToGlacierAfterDays: 120, expireAfterDays: 365 }
    collector:
      enabled: true
      applications:
        web-shop: { writeKeys: [${KEY}] }
        mobile-app: { writeKeys: [18b19be37f74fd0bdd4a298e7805883f36463d4d4c4aaf5e557d225a2d7ff040] }
applications:
  - name: web-shop
    eventTypes:
      - page_view
      - name: checkout_completed
        schema:
          type: object
          properties: { total: { type: number } }
  - name: mobile-app
    eventTypes: [app_open]
`;

const BUCKETS: Record<string, string> = { solo: 'acme-solo-tracking-events', split: 'acme-split-lake-events' };

const work = workspace('lake');
let stacks: StackInput[] = [];
const states = new Map<string, StackState>();

beforeAll(() => {
  stacks = synthYaml(work.dir, 'both', BOTH_LAYOUTS);
  for (const s of stacks) states.set(s.id, stateOf(s, work.dir));
}, 15 * 60_000);

afterAll(() => work.dispose());

/** The environment a stack id belongs to (`tracking-<env>` or `tracking-<env>-<shard>`). */
function environmentOf(id: string): string {
  return id.split('-')[1]!;
}

describe('Glue table locations as Terraform evaluates them', () => {
  it('synthesizes both layouts: one stack for solo, a core and a stack per application for split', () => {
    expect(stacks.map((s) => s.id).sort()).toEqual(['tracking-solo', 'tracking-split', 'tracking-split-mobile-app', 'tracking-split-web-shop']);
  });

  it.each([['solo'], ['split']])('every table of %s reads its own bucket, with Athena\'s ${year} placeholders literal', (environment) => {
    // Prepare
    const bucket = BUCKETS[environment]!;
    const tables = [...states.values()].filter((s) => environmentOf(s.id) === environment).flatMap((s) => ofType(s, 'aws_glue_catalog_table'));
    // Assess
    expect(tables).toHaveLength(3 * 2); // three event types, a data and an error table each
    for (const t of tables) {
      const location = (t.values.storage_descriptor as { location: string }[])[0]!.location;
      const template = (t.values.parameters as Record<string, string>)['storage.location.template']!;
      expect({ table: t.address, location }).toEqual({ table: t.address, location: expect.stringMatching(new RegExp(`^s3://${bucket}/(events|errors)/application=[a-z-]+/event_type=[a-z_]+/$`)) });
      expect({ table: t.address, template }).toEqual({ table: t.address, template: expect.stringMatching(new RegExp(`^s3://${bucket}/`)) });
      expect(template.startsWith(location)).toBe(true);
      for (const key of ['year', 'month', 'day', 'hour']) expect(template).toContain(`/${key}=\${${key}}/`);
      expect(template.includes('$${')).toBe(false);
      if (t.name.endsWith('__errors')) expect(template).toContain('/${error_type}/');
    }
  });
});

describe('bucket lifecycle as Terraform evaluates it', () => {
  interface Rule {
    id: string;
    filter: { prefix: string }[];
    expiration: unknown[];
    transition: unknown[];
  }

  it.each([['solo'], ['split']])('no rule of %s expires or transitions a catalog object, and every Firehose prefix expires', (environment) => {
    // Prepare
    const ofEnv = [...states.values()].filter((s) => environmentOf(s.id) === environment);
    const rules = ofEnv.flatMap((s) => ofType(s, 'aws_s3_bucket_lifecycle_configuration')).flatMap((l) => l.values.rule as Rule[]);
    const catalogKeys = ofEnv.flatMap((s) => ofType(s, 'aws_s3_object')).map((o) => o.values.key as string);
    const streams = ofEnv.flatMap((s) => ofType(s, 'aws_kinesis_firehose_delivery_stream'));
    const firehosePrefixes = streams.flatMap((f) => {
      const s3 = (f.values.extended_s3_configuration as { prefix: string; error_output_prefix: string }[])[0]!;
      return [s3.prefix, s3.error_output_prefix];
    });
    const acting = rules.filter((r) => r.expiration.length > 0 || r.transition.length > 0);
    // Assess
    expect(rules.length).toBeGreaterThan(0);
    expect(catalogKeys.length).toBe(environment === 'solo' ? 1 : 2);
    for (const key of catalogKeys) {
      expect({ key, coveredBy: acting.filter((r) => key.startsWith(r.filter[0]!.prefix)).map((r) => r.id) }).toEqual({ key, coveredBy: [] });
    }
    for (const prefix of firehosePrefixes) {
      expect({ prefix, expiredBy: acting.some((r) => r.id.startsWith('expire-') && r.expiration.length > 0 && prefix.startsWith(r.filter[0]!.prefix)) }).toEqual({ prefix, expiredBy: true });
      expect({ prefix, transitionedBy: acting.some((r) => r.transition.length === 2 && prefix.startsWith(r.filter[0]!.prefix)) }).toEqual({ prefix, transitionedBy: true });
    }
  });
});

describe('catalog object tags (hashicorp/terraform-provider-aws#45506, #45381)', () => {
  interface Provider {
    alias?: string;
    region?: string;
    allowed_account_ids?: string[];
    default_tags?: { tags: Record<string, string> }[];
  }

  it('writes every catalog object through a provider configuration without default tags, with its own tags only (at most 10), never override_provider', () => {
    let objects = 0;
    for (const s of states.values()) {
      const providers = (s.synthesized.provider as { aws: Provider[] }).aws;
      const base = providers.find((p) => p.alias === undefined)!;
      const byAddress = ((s.synthesized.resource as Record<string, Record<string, Record<string, unknown>>>).aws_s3_object ?? {}) as Record<string, Record<string, unknown>>;
      for (const [name, o] of Object.entries(byAddress)) {
        objects++;
        // Prepare: the provider configuration the object uses, as Terraform picks it.
        const ref = o.provider as string | undefined;
        const used = ref === undefined ? base : providers.find((p) => `aws.${p.alias}` === ref);
        const tags = o.tags as Record<string, string>;
        // Assess
        expect({ object: name, override_provider: o.override_provider }).toEqual({ object: name, override_provider: undefined });
        expect({ object: name, default_tags: used?.default_tags }).toEqual({ object: name, default_tags: undefined });
        expect(used).toMatchObject({ region: base.region, ...(base.allowed_account_ids ? { allowed_account_ids: base.allowed_account_ids } : {}) });
        expect(Object.keys(tags).length).toBeLessThanOrEqual(10);
        expect(tags).toEqual({ project: 'acme', environment: environmentOf(s.id) });
        // The other resources keep the 11 default tags.
        expect(Object.keys(base.default_tags![0]!.tags)).toHaveLength(11);
      }
    }
    expect(objects).toBe(3); // solo, and one per shard of split
  });

  it('plans the catalog object in the mock apply with the tags it declares', () => {
    for (const s of states.values()) {
      for (const o of ofType(s, 'aws_s3_object')) expect(o.values.tags).toEqual({ project: 'acme', environment: environmentOf(s.id) });
    }
  });
});
