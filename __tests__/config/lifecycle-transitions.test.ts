/**
 * The loader refuses every bucket lifecycle S3 rejects at apply, with the path, the value and the
 * rule in the message, and accepts the ones S3 takes. The oracle is S3's documented rules, written
 * out here on their own (S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle",
 * Constraints; AWS::S3::Bucket Rule: expiration later than the transitions).
 */
import fc from 'fast-check';
import { ConfigError, type ConfigIssue } from '../../config/errors';
import { parseConfig } from '../../config/loader';

interface Days {
  readonly ia?: number;
  readonly glacier?: number;
  readonly expire?: number;
}

function configWith(d: Days): string {
  const bucket = [
    d.ia !== undefined ? `transitionToInfrequentAccessAfterDays: ${d.ia}` : '',
    d.glacier !== undefined ? `transitionToGlacierAfterDays: ${d.glacier}` : '',
    d.expire !== undefined ? `expireAfterDays: ${d.expire}` : '',
  ].filter((x) => x !== '');
  return `project: acme
environments:
  dev:
    region: eu-central-1
    bucket: { ${bucket.join(', ')} }
applications:
  - name: web-shop
    eventTypes: [page_view]
`;
}

/** The bucket issues the loader reports (none when it accepts the config). */
function bucketIssues(d: Days): ConfigIssue[] {
  try {
    parseConfig(configWith(d), 'tracking.yaml');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.filter((i) => i.path.startsWith('environments.dev.bucket'));
  }
}

/** What S3 rejects, from its documented rules (independent of the loader's code). */
function s3Rejects(d: Days): string[] {
  const out: string[] = [];
  if (d.ia !== undefined && d.ia < 30) out.push('transitionToInfrequentAccessAfterDays');
  if (d.ia !== undefined && d.glacier !== undefined && d.glacier - d.ia < 30) out.push('transitionToGlacierAfterDays');
  const transitions = [d.ia, d.glacier].filter((x): x is number => x !== undefined);
  if (d.expire !== undefined && transitions.some((t) => d.expire! <= t)) out.push('expireAfterDays');
  return out.sort();
}

describe('bucket lifecycle days against S3\'s rules', () => {
  it('refuses GLACIER_IR less than 30 days after STANDARD_IA (30 and 45), naming the value, the rule and its source', () => {
    // Act
    const issues = bucketIssues({ ia: 30, glacier: 45 });
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'environments.dev.bucket.transitionToGlacierAfterDays', line: 5 });
    expect(issues[0]!.message).toContain('45');
    expect(issues[0]!.message).toMatch(/30 days after the transition to STANDARD_IA/);
    expect(issues[0]!.message).toContain('https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html');
    expect(issues[0]!.message).toContain('use 60 or more');
  });

  it('refuses an expiry that is not after the last transition, and reports it together with the transition problem', () => {
    const issues = bucketIssues({ ia: 60, glacier: 70, expire: 70 });
    expect(issues.map((i) => i.path).sort()).toEqual(['environments.dev.bucket.expireAfterDays', 'environments.dev.bucket.transitionToGlacierAfterDays']);
    const expiry = issues.find((i) => i.path.endsWith('expireAfterDays'))!;
    expect(expiry.message).toContain('70');
    expect(expiry.message).toContain('must be greater than');
    expect(expiry.message).toContain('aws-properties-s3-bucket-rule.html');
  });

  it('refuses STANDARD_IA before 30 days with the rule and its source', () => {
    const issues = bucketIssues({ ia: 29 });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('environments.dev.bucket.transitionToInfrequentAccessAfterDays');
    expect(issues[0]!.message).toMatch(/^29: S3 rejects a transition to STANDARD_IA before objects are 30 days old/);
  });

  it('refuses exactly the combinations S3 rejects', () => {
    const days = fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined });
    fc.assert(
      fc.property(days, days, days, (ia, glacier, expire) => {
        // Prepare
        const d: Days = { ...(ia !== undefined ? { ia } : {}), ...(glacier !== undefined ? { glacier } : {}), ...(expire !== undefined ? { expire } : {}) };
        // Act
        const refused = bucketIssues(d).map((i) => i.path.split('.').pop()!);
        // Assess
        expect(refused.sort()).toEqual(s3Rejects(d));
      }),
      { numRuns: 150 },
    );
  });

  it('accepts the boundaries S3 accepts: 30, 60 and an expiry one day later', () => {
    expect(bucketIssues({ ia: 30, glacier: 60, expire: 61 })).toEqual([]);
    expect(bucketIssues({ glacier: 1, expire: 2 })).toEqual([]);
  });
});
