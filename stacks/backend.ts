/**
 * Where an environment's Terraform state lives: an S3 backend from `environments.<env>.backend`
 * (encrypted, S3-native locking or a DynamoDB lock table), or local state with a warning.
 */
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { EnvironmentSpec } from '../config/model';

/** Local state file of a stack without a configured backend. */
export function localStatePath(env: EnvironmentSpec): string {
  return `terraform.${env.stackId}.tfstate`;
}

/** The one line synth prints for an environment without a backend. */
export function localStateWarning(env: EnvironmentSpec): string {
  return (
    `warning: environment "${env.name}" has no backend: its Terraform state is local (${localStatePath(env)}). ` +
    `Set environments.${env.name}.backend.bucket (and optionally key, region, dynamodbTable) in the tracking config ` +
    'to keep state in S3; see README "Operations".'
  );
}

/**
 * Configures the backend of an environment's stack. With `env.backend`: S3, `encrypt = true`, and
 * either `dynamodb_table` (when configured) or S3-native locking (`use_lockfile = true`; cdktf
 * 0.21's typed S3Backend props do not have it, so it is added as an override of the backend block).
 */
export function configureBackend(stack: TerraformStack, env: EnvironmentSpec): void {
  const b = env.backend;
  if (b === undefined) {
    new LocalBackend(stack, { path: localStatePath(env) });
    console.warn(localStateWarning(env));
    return;
  }
  const backend = new S3Backend(stack, {
    bucket: b.bucket,
    key: b.key,
    region: b.region,
    encrypt: true,
    ...(b.dynamodbTable !== undefined ? { dynamodbTable: b.dynamodbTable } : {}),
  });
  if (b.dynamodbTable === undefined) backend.addOverride('use_lockfile', true);
}
