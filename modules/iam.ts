/** IAM policy documents as plain data: explicit actions, exact resources, never "*". */
import { ENVIRONMENT_TAG, PROJECT_TAG, type NamePrefix } from '../config/naming';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** Serializes a policy document; tokens inside strings become Terraform interpolations. */
export function policyJson(...statements: PolicyStatement[]): string {
  for (const s of statements) {
    if (s.Action.some((a) => a === '*' || a.endsWith(':*'))) throw new Error(`IAM statement ${s.Sid} has a wildcard action`);
    if (s.Resource.some((r) => r === '*')) throw new Error(`IAM statement ${s.Sid} has a "*" resource`);
  }
  const doc: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  return JSON.stringify(doc);
}

/**
 * Trust policy for a service principal. Firehose's documented form pins `sts:ExternalId` to the
 * account id; Lambda execution roles take no condition.
 */
export function assumeRolePolicy(service: string, condition?: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) },
    ],
  });
}

/**
 * The condition a statement needs when its Resource is a name-prefix pattern
 * (`deliverystream/<project>-<env>-*`, `function:<project>-<env>-transform-*`): the resource must
 * also carry this environment's `project` and `environment` tags. The prefix alone is ambiguous:
 * project `acme`, environment `prod` gives `acme-prod-*`, which also matches every name of project
 * `acme-prod`. Every resource of an environment carries both tags (the provider's default tags,
 * forced by config/model.ts), and another project's resources carry its own project name.
 *
 * Only for actions whose resource type supports `aws:ResourceTag/${TagKey}` in the Service
 * Authorization Reference:
 * - Firehose `PutRecord`, `PutRecordBatch` on `deliverystream`: "Actions, resources, and condition
 *   keys for Amazon Kinesis Firehose",
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisfirehose.html
 * - Lambda `InvokeFunction`, `GetFunctionConfiguration` on `function` (tags apply at the function
 *   level, to its versions too): "Actions, resources, and condition keys for AWS Lambda",
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html, and
 *   "Using attribute-based access control in Lambda",
 *   https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html
 */
export function ownEnvironmentTags(prefix: NamePrefix): Record<'StringEquals', Record<string, string>> {
  return { StringEquals: { [`aws:ResourceTag/${PROJECT_TAG}`]: prefix.project, [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: prefix.environment } };
}
