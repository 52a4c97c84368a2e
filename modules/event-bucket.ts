import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';
import type { BucketSpec } from '../config/model';
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
 * expires current objects.
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

/** Lifecycle rules as pure data, derived from the bucket settings. */
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
  const transitions = [
    ...(spec.transitionToInfrequentAccessAfterDays !== undefined
      ? [{ days: spec.transitionToInfrequentAccessAfterDays, storageClass: 'STANDARD_IA' }]
      : []),
    ...(spec.transitionToGlacierAfterDays !== undefined
      ? [{ days: spec.transitionToGlacierAfterDays, storageClass: 'GLACIER_IR' }]
      : []),
  ];
  if (transitions.length > 0) {
    rules.push({ id: 'transition-objects', status: 'Enabled', filter: [{ prefix: '' }], transition: transitions });
  }
  if (spec.expireAfterDays !== undefined) {
    rules.push({ id: 'expire-objects', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: spec.expireAfterDays }] });
  }
  return rules;
}
