import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import * as naming from '../config/naming';
import type { AwsContext } from './aws-context';
import { assumeRolePolicy, ownEnvironmentTags, policyJson, type PolicyStatement } from './iam';

export interface FirehoseRoleProps {
  /** Role name, from `config/naming`. */
  readonly roleName: string;
  readonly context: AwsContext;
  /** The environment's name prefix: the role may only be assumed for its delivery streams. */
  readonly prefix: naming.NamePrefix;
  readonly bucketArn: string;
  readonly logGroupArn: string;
  /**
   * The JSONL transform Lambdas Firehose may invoke: exact function ARNs (single layout), or the
   * environment's name pattern `function:<project>-<env>-transform-*` (sharded layout: one
   * function per shard, so that adding an event type never edits this role). Each entry is also
   * granted with the `:*` qualifier suffix (versions and `$LATEST`).
   * @default []: no Lambda permission (every event type uses the native transform)
   */
  readonly transformFunctionArns?: readonly string[];
  /**
   * Customer managed KMS key of the bucket.
   * @default none: SSE-S3 needs no KMS permission
   */
  readonly bucketKmsKeyArn?: string;
}

/**
 * The one Firehose service role of an environment, with one inline policy per concern:
 * writing to the bucket's data and error prefixes, writing delivery-error logs, invoking the
 * transform Lambda and, with SSE-KMS, using the bucket key.
 *
 * Scoping uses the environment's namespace (the bucket prefixes, the log group, the stream-name
 * prefix) rather than a list of streams, so adding an event type never edits this role.
 */
export class FirehoseRole extends Construct {
  public readonly role: IamRole;
  public readonly policies: readonly IamRolePolicy[];

  public constructor(scope: Construct, id: string, props: FirehoseRoleProps) {
    super(scope, id);
    const { context } = props;

    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: `Firehose delivery streams of ${naming.environmentPrefix(props.prefix)}`,
      // Firehose's documented trust policy: sts:ExternalId pinned to the account.
      assumeRolePolicy: assumeRolePolicy('firehose.amazonaws.com', { StringEquals: { 'sts:ExternalId': context.accountId } }),
    });

    const policies: IamRolePolicy[] = [];
    const add = (concern: string, ...statements: PolicyStatement[]): void => {
      policies.push(
        new IamRolePolicy(this, `policy-${concern}`, { name: concern, role: this.role.id, policy: policyJson(...statements) }),
      );
    };

    add(
      's3-delivery',
      {
        Sid: 'Bucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [props.bucketArn],
      },
      {
        Sid: 'DataAndErrorPrefixes',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: [`${props.bucketArn}/${naming.DATA_ROOT}*`, `${props.bucketArn}/${naming.ERROR_ROOT}*`],
      },
    );

    add('delivery-logs', {
      Sid: 'DeliveryErrorLogs',
      Effect: 'Allow',
      Action: ['logs:PutLogEvents'],
      Resource: [`${props.logGroupArn}:log-stream:*`],
    });

    const transforms = props.transformFunctionArns ?? [];
    if (transforms.length > 0) {
      // A name pattern (`function:<project>-<env>-transform-*`, sharded layout) also matches the
      // functions of project `<project>-<env>`, environment `transform`: it is only granted on
      // functions carrying this environment's tags. Exact ARNs need no condition.
      const pattern = transforms.some((arn) => arn.endsWith('*'));
      add('transform', {
        Sid: 'InvokeTransform',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        Resource: transforms.flatMap((arn) => [arn, `${arn}:*`]),
        ...(pattern ? { Condition: ownEnvironmentTags(props.prefix) } : {}),
      });
    }

    if (props.bucketKmsKeyArn !== undefined) {
      add('bucket-kms', bucketKeyStatement('BucketKey', ['kms:GenerateDataKey', 'kms:Decrypt'], props.bucketKmsKeyArn, props.bucketArn, context.region));
    }
    this.policies = policies;
  }
}

/**
 * Use of the bucket's KMS key through S3 only, for this bucket only. The bucket has an S3 Bucket
 * Key, and with a bucket key S3 asks KMS for data keys with the *bucket* ARN as encryption
 * context, not the object ARN: a condition on `<bucket>/*` would deny every GenerateDataKey, and
 * Firehose would retry for 24 hours, then drop the data. Source: S3 User Guide, "Reducing the cost
 * of SSE-KMS with Amazon S3 Bucket Keys" (docs/decisions.md, "KMS with an S3 Bucket Key").
 */
export function bucketKeyStatement(sid: string, actions: readonly string[], keyArn: string, bucketArn: string, region: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: [...actions],
    Resource: [keyArn],
    Condition: {
      StringEquals: {
        'kms:ViaService': `s3.${region}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': bucketArn,
      },
    },
  };
}
