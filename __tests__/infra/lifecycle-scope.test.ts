/**
 * The bucket's lifecycle never expires or transitions an object the pipeline itself reads: the
 * collector's catalog objects and Athena's results are outside every retention rule, while every
 * prefix that holds event records gets the retention the config asks for. Checked on the rules
 * `EventBucket` synthesizes, for any bucket settings (fast-check); the Terraform-evaluated variant is
 * in lake-terraform.test.ts.
 */
import { Testing } from 'cdktf';
import fc from 'fast-check';
import type { BucketSpec } from '../../config/model';
import * as naming from '../../config/naming';
import { CONTROL_ROOTS, EventBucket, RETAINED_ROOTS } from '../../modules/event-bucket';
import { REDRIVEN_ROOT } from '../../scripts/redrive-lib/s3-source';

interface Rule {
  id: string;
  filter?: { prefix?: string }[];
  expiration?: unknown[];
  transition?: { days: number; storage_class: string }[];
  noncurrent_version_expiration?: unknown[];
  abort_incomplete_multipart_upload?: unknown[];
}

/** The lifecycle rules of the synthesized bucket. */
function rulesOf(spec: BucketSpec): Rule[] {
  const json = JSON.parse(Testing.synthScope((scope) => new EventBucket(scope, 'bucket', { spec }))) as {
    resource: { aws_s3_bucket_lifecycle_configuration: Record<string, { rule: Rule[] }> };
  };
  return Object.values(json.resource.aws_s3_bucket_lifecycle_configuration)[0]!.rule;
}

/** Rules that act on current objects (expire or transition them). */
const currentObjectRules = (rules: readonly Rule[]): Rule[] => rules.filter((r) => (r.expiration?.length ?? 0) > 0 || (r.transition?.length ?? 0) > 0);
const prefixOf = (r: Rule): string => r.filter?.[0]?.prefix ?? '';

const stackIds = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/).map((s) => `tracking-${s}`);
const specs = fc
  .record({
    expire: fc.option(fc.integer({ min: 1, max: 3650 }), { nil: undefined }),
    ia: fc.option(fc.integer({ min: 30, max: 400 }), { nil: undefined }),
    glacierGap: fc.option(fc.integer({ min: 30, max: 400 }), { nil: undefined }),
  })
  .map(({ expire, ia, glacierGap }): BucketSpec => {
    const glacier = glacierGap !== undefined ? (ia ?? 0) + glacierGap : undefined;
    const last = Math.max(ia ?? 0, glacier ?? 0);
    return {
      name: 'acme-dev-tracking-events',
      noncurrentVersionExpireAfterDays: 30,
      abortIncompleteMultipartUploadAfterDays: 7,
      forceDestroy: false,
      ...(expire !== undefined ? { expireAfterDays: last + expire } : {}),
      ...(ia !== undefined ? { transitionToInfrequentAccessAfterDays: ia } : {}),
      ...(glacier !== undefined ? { transitionToGlacierAfterDays: glacier } : {}),
    };
  });

describe('bucket lifecycle scope', () => {
  it('never expires or transitions a catalog object or an Athena result, whatever the settings', () => {
    fc.assert(
      fc.property(specs, fc.array(stackIds, { minLength: 1, maxLength: 5 }), (spec, ids) => {
        // Prepare
        const controlKeys = [...ids.map(naming.catalogObjectKey), `${naming.ATHENA_RESULTS_ROOT}0f8e2c1a-query.csv`];
        // Act
        const rules = currentObjectRules(rulesOf(spec)).filter((r) => r.id !== 'expire-athena-results');
        // Assess
        for (const rule of rules) {
          for (const key of controlKeys) expect({ rule: rule.id, prefix: prefixOf(rule), covers: key.startsWith(prefixOf(rule)) }).toEqual({ rule: rule.id, prefix: prefixOf(rule), covers: false });
        }
      }),
      { numRuns: 50 },
    );
  });

  it('gives every event-record root, and only those, the configured transitions and expiry', () => {
    fc.assert(
      fc.property(specs, (spec) => {
        // Act
        const rules = currentObjectRules(rulesOf(spec)).filter((r) => r.id !== 'expire-athena-results');
        // Assess
        const expiring = rules.filter((r) => (r.expiration?.length ?? 0) > 0).map(prefixOf).sort();
        const transitioning = rules.filter((r) => (r.transition?.length ?? 0) > 0).map(prefixOf).sort();
        expect(expiring).toEqual(spec.expireAfterDays !== undefined ? [...RETAINED_ROOTS].sort() : []);
        const anyTransition = spec.transitionToInfrequentAccessAfterDays !== undefined || spec.transitionToGlacierAfterDays !== undefined;
        expect(transitioning).toEqual(anyTransition ? [...RETAINED_ROOTS].sort() : []);
        // Rule ids are unique (S3 requires it) and one rule carries each root's transitions together.
        expect(new Set(rulesOf(spec).map((r) => r.id)).size).toBe(rulesOf(spec).length);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the Athena results expiry on athena-results/ only', () => {
    const rule = rulesOf({ name: 'b', noncurrentVersionExpireAfterDays: 30, abortIncompleteMultipartUploadAfterDays: 7, forceDestroy: false }).find((r) => r.id === 'expire-athena-results')!;
    expect(prefixOf(rule)).toBe(naming.ATHENA_RESULTS_ROOT);
  });

  it('keeps the roots apart: no retained root is a prefix of a control root or of another root', () => {
    const roots = [...RETAINED_ROOTS, ...CONTROL_ROOTS];
    for (const a of roots) {
      expect(a).toMatch(/^[a-z-]+\/$/);
      for (const b of roots) if (a !== b) expect(b.startsWith(a)).toBe(false);
    }
    // Every root the pipeline writes is classified: Firehose data and errors, router, redrive, collector, Athena.
    expect([...RETAINED_ROOTS, ...CONTROL_ROOTS].sort()).toEqual(
      [naming.DATA_ROOT, naming.ERROR_ROOT, naming.UNROUTABLE_ROOT, naming.REDRIVEN_ROOT, naming.CATALOG_ROOT, naming.ATHENA_RESULTS_ROOT].sort(),
    );
    expect(REDRIVEN_ROOT).toBe(naming.REDRIVEN_ROOT);
    expect(naming.dataPrefix('a', 'b').startsWith(naming.DATA_ROOT)).toBe(true);
    expect(naming.errorPrefix('a', 'b').startsWith(naming.ERROR_ROOT)).toBe(true);
  });
});
