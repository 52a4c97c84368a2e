/**
 * Where a stack's Terraform state lives: an S3 backend from `environments.<env>.backend`
 * (encrypted, S3-native locking), or local state with a warning. Every stack also requires the
 * Terraform version its backend and blocks need.
 */
import * as path from 'node:path';
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { EnvironmentSpec } from '../config/model';

/**
 * Terraform 1.11: S3-native state locking (`use_lockfile`) is generally available from 1.11.0
 * (and DynamoDB locking deprecated); `removed` blocks and `import` with `for_each` need 1.7.
 * Source: Terraform CHANGELOG v1.11.0 and v1.7.0 (docs/operations.md, "Terraform version").
 */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.11.0';

/**
 * Folder of local state files, relative to the working directory of synth (the project root).
 * It is outside the synth output on purpose: `cdktf synth` deletes the folder of a stack it no
 * longer synthesizes, and `rm -rf cdktf.out` deletes them all, which would leave the real
 * resources running with no state.
 */
export const LOCAL_STATE_DIR = 'terraform-state';

/** Local state file of a stack without a configured backend, relative to the project root. */
export function localStateFile(stackId: string): string {
  return path.join(LOCAL_STATE_DIR, `${stackId}.tfstate`);
}

/**
 * The local backend's `path`, as Terraform resolves it: relative to the stack's folder
 * (`<outdir>/stacks/<stackId>`, where terraform runs), pointing at `terraform-state/<stackId>.tfstate`
 * under the directory synth runs in. Relative, so that the JSON does not depend on the machine.
 */
export function localStatePath(stackId: string, outdir: string, cwd: string = process.cwd()): string {
  const stackDir = path.resolve(cwd, outdir, 'stacks', stackId);
  return path.relative(stackDir, path.resolve(cwd, localStateFile(stackId))).split(path.sep).join('/');
}

/** The one line synth prints for an environment without a backend. */
export function localStateWarning(env: EnvironmentSpec, stackId: string): string {
  return (
    `warning: environment "${env.name}" has no backend: the state of ${stackId} is local, in ${localStateFile(stackId)} ` +
    '(outside cdktf.out, so synth never deletes it; keep it safe). ' +
    `Set environments.${env.name}.backend.bucket (and optionally key, region) in the tracking config to keep state in S3; see README "Operations".`
  );
}

/** The one line synth prints for an environment still locking with DynamoDB. */
export function dynamodbLockWarning(env: EnvironmentSpec): string {
  return (
    `warning: environment "${env.name}" locks its state with the DynamoDB table in backend.dynamodbTable, which Terraform 1.11 deprecated. ` +
    'The stacks lock with S3 (use_lockfile) as well; once every run uses Terraform 1.11 or later, remove dynamodbTable.'
  );
}

export interface ConfigureBackendProps {
  readonly env: EnvironmentSpec;
  /** Id of the stack (its folder under `<outdir>/stacks/`). */
  readonly stackId: string;
  /** S3 key of the stack's state when the environment has a backend. */
  readonly stateKey: string;
  /** Synth output folder, to place local state outside it. */
  readonly outdir: string;
}

/**
 * Configures the backend of a stack and its `required_version`. With `env.backend`: S3,
 * `encrypt = true`, S3-native locking (`use_lockfile`), plus the DynamoDB table while one is
 * configured (Terraform locks with both during a migration). cdktf 0.21's typed S3Backend props
 * do not have `use_lockfile`, so it is added as an override of the backend block.
 */
export function configureBackend(stack: TerraformStack, props: ConfigureBackendProps): void {
  const { env, stackId } = props;
  stack.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
  const b = env.backend;
  if (b === undefined) {
    new LocalBackend(stack, { path: localStatePath(stackId, props.outdir) });
    console.warn(localStateWarning(env, stackId));
    return;
  }
  const backend = new S3Backend(stack, {
    bucket: b.bucket,
    key: props.stateKey,
    region: b.region,
    encrypt: true,
    ...(b.dynamodbTable !== undefined ? { dynamodbTable: b.dynamodbTable } : {}),
  });
  backend.addOverride('use_lockfile', true);
  if (b.dynamodbTable !== undefined) console.warn(dynamodbLockWarning(env));
}
