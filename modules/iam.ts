/** IAM policy documents as plain data: explicit actions, exact resources, never "*". */

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
