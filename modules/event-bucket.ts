import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';
import type { BucketSpec } from '../config/model';
import * as naming from '../config/naming';
import { athenaResultsLifecycleRule } from './lake';

export interface EventBucketProps {
  /** Resolved bucket settings (name from `config/naming` unless the config sets one). */
  readonly spec: BucketSpec;
}

/**
 * The shared, hardened events bucket of an environment: all public access blocked,
 * bucket-owner-enforced ownership (ACLs off), default encryption (SSE-S3, or SSE-KMS with a
 * bucket key), versioning, a policy that denies non-TLS requests, and a lifecycle that aborts
 * incomplete multipart uploads, expires noncurrent versions and optionally transitions or
 * expires the current objects of the event-record roots only (`lifecycleRules`).
 */
export class EventBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly publicAccessBlock: S3BucketPublicAccessBlock;
  public readonly ownershipControls: S3BucketOwnershipControls;
  public readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  public readonly versioning: S3BucketVersioningA;
  public readonly lifecycle: S3BucketLifecycleConfiguration;
  public readonly policy: S3BucketPolicy;

  public constructor(scope: Construct, id: string, props: EventBucketProps) {
    super(scope, id);
    const { spec } = props;

    this.bucket = new S3Bucket(this, 'bucket', { bucket: spec.name, forceDestroy: spec.forceDestroy });
    const bucketId = this.bucket.id;

    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    this.ownershipControls = new S3BucketOwnershipControls(this, 'ownership', {
      bucket: bucketId,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });

    this.encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucketId,
      rule: [
        spec.kmsKeyArn !== undefined
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: spec.kmsKeyArn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });

    this.versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket: bucketId,
      versioningConfiguration: { status: 'Enabled' },
    });

    this.lifecycle = new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucketId,
      rule: lifecycleRules(spec),
      dependsOn: [this.versioning],
    });

    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: bucketId,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
      // The public access block must exist first, or a concurrent apply can reject the policy.
      dependsOn: [this.publicAccessBlock],
    });
  }
}

/**
 * Roots of the bucket that hold event records: Firehose's data (`events/`) and error output
 * (`errors/`), the router's unroutable records (`unroutable/`) and the objects redrive finished
 * with `--mark move` (`redriven/`). The retention the config asks for (transitions,
 * `expireAfterDays`) applies to these roots and to nothing else: every copy of an event ages the
 * same way, and the pipeline's own control objects never expire (docs/operations.md,
 * "Lifecycle scope").
 */
export const RETAINED_ROOTS: readonly string[] = [naming.DATA_ROOT, naming.ERROR_ROOT, naming.UNROUTABLE_ROOT, naming.REDRIVEN_ROOT];

/**
 * Roots of objects the pipeline itself reads, which the retention rules never cover: the
 * collector's catalog objects (`catalog/<stack>.json.gz`, read on every cold start and refresh;
 * expired, the collector answers every event "retry") and Athena's query results
 * (`athena-results/`, with their own short expiry, `athenaResultsLifecycleRule`).
 */
export const CONTROL_ROOTS: readonly string[] = [naming.CATALOG_ROOT, naming.ATHENA_RESULTS_ROOT];

/**
 * Ids of the retention rules of one root. `events/` keeps the ids the rules had when they covered
 * the whole bucket (`transition-objects`, `expire-objects`), so a deployed bucket sees the same
 * rules narrowed to `events/`, plus new rules for the other roots.
 */
export function retentionRuleIds(root: string): { readonly transition: string; readonly expire: string } {
  if (root === naming.DATA_ROOT) return { transition: 'transition-objects', expire: 'expire-objects' };
  const name = root.replace(/\/$/, '');
  return { transition: `transition-${name}`, expire: `expire-${name}` };
}

/**
 * Lifecycle rules as pure data, derived from the bucket settings.
 *
 * - Bucket-wide (empty prefix): aborting incomplete multipart uploads and expiring noncurrent
 *   versions. Neither touches a current object, so neither can remove what the pipeline reads; a
 *   catalog object deleted by mistake stays recoverable for `noncurrentVersionExpireAfterDays`.
 * - Per retained root (`RETAINED_ROOTS`): the transitions and the expiry of current objects. An S3
 *   lifecycle filter takes one prefix (or an `And` of one prefix with tags or sizes), so each root
 *   gets its own rules ("Lifecycle configuration elements", Filter element:
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html#intro-lifecycle-rules-filter).
 * - `athena-results/`: its own expiry (`athenaResultsLifecycleRule`).
 * Nothing expires or transitions `catalog/` or any other prefix.
 */
export function lifecycleRules(spec: BucketSpec): S3BucketLifecycleConfigurationRule[] {
  const rules: S3BucketLifecycleConfigurationRule[] = [
    {
      id: 'abort-incomplete-multipart-uploads',
      status: 'Enabled',
      filter: [{ prefix: '' }],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: spec.abortIncompleteMultipartUploadAfterDays }],
    },
    {
      id: 'expire-noncurrent-versions',
      status: 'Enabled',
      filter: [{ prefix: '' }],
      noncurrentVersionExpiration: [{ noncurrentDays: spec.noncurrentVersionExpireAfterDays }],
    },
    // Athena query results (the workgroup writes them under athena-results/) expire on their own.
    athenaResultsLifecycleRule(),
  ];
  // The loader refuses the transitions S3 rejects (config/aws-checks.ts `lifecycleIssues`).
  const transitions = [
    ...(spec.transitionToInfrequentAccessAfterDays !== undefined
      ? [{ days: spec.transitionToInfrequentAccessAfterDays, storageClass: 'STANDARD_IA' }]
      : []),
    ...(spec.transitionToGlacierAfterDays !== undefined
      ? [{ days: spec.transitionToGlacierAfterDays, storageClass: 'GLACIER_IR' }]
      : []),
  ];
  for (const root of RETAINED_ROOTS) {
    const ids = retentionRuleIds(root);
    if (transitions.length > 0) {
      rules.push({ id: ids.transition, status: 'Enabled', filter: [{ prefix: root }], transition: transitions.map((t) => ({ ...t })) });
    }
    if (spec.expireAfterDays !== undefined) {
      rules.push({ id: ids.expire, status: 'Enabled', filter: [{ prefix: root }], expiration: [{ days: spec.expireAfterDays }] });
    }
  }
  return rules;
}
