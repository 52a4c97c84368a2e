/**
 * Where a stack's Terraform state lives: an S3 backend from `environments.<env>.backend`
 * (encrypted, S3-native locking), or local state with a warning. Every stack also requires the
 * Terraform version its backend and blocks need.
 */
import { existsSync } from 'node:fs';
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
 * Name of the folder of local state files. It is outside the synth output on purpose: `cdktf synth`
 * deletes the folder of a stack it no longer synthesizes, and `rm -rf cdktf.out` deletes them all,
 * which would leave the real resources running with no state.
 */
export const LOCAL_STATE_DIR = 'terraform-state';

/** Local state file of a stack, relative to the folder that holds `terraform-state/`. */
export function localStateFile(stackId: string): string {
  return path.join(LOCAL_STATE_DIR, `${stackId}.tfstate`);
}

/** Where a stack's local state lives, and how its backend block names it. */
export interface LocalStateLocation {
  /**
   * The local backend's `path`, relative to the stack's folder (`<outdir>/stacks/<stackId>`, where
   * terraform runs), as Terraform resolves it. It never names the checkout's own location, so that
   * the same config synthesizes the same JSON wherever the repository is checked out: the review
   * compares a base tree and the working tree synthesized in different folders.
   */
  readonly path: string;
  /** The state file, absolute. */
  readonly file: string;
}

/**
 * The local state of a stack: `terraform-state/<stackId>.tfstate` in the folder synth runs in (the
 * project root) when the synth output is inside it, as with the default `cdktf.out`; otherwise
 * (`CDKTF_OUTDIR` elsewhere) beside the synth output folder, so that the path stays relative and
 * short instead of climbing to the filesystem root and down into the checkout. Either way it is
 * outside the synth output.
 */
export function localStateLocation(stackId: string, outdir: string, cwd: string = process.cwd()): LocalStateLocation {
  const out = path.resolve(cwd, outdir);
  const fromCwd = path.relative(cwd, out);
  const inside = fromCwd !== '' && fromCwd !== '..' && !fromCwd.startsWith(`..${path.sep}`) && !path.isAbsolute(fromCwd);
  const file = path.resolve(inside ? cwd : path.dirname(out), localStateFile(stackId));
  const stackDir = path.join(out, 'stacks', stackId);
  return { path: path.relative(stackDir, file).split(path.sep).join('/'), file };
}

/** The local backend's `path` (see `localStateLocation`). */
export function localStatePath(stackId: string, outdir: string, cwd: string = process.cwd()): string {
  return localStateLocation(stackId, outdir, cwd).path;
}

/** The one line synth prints for an environment without a backend. */
export function localStateWarning(env: EnvironmentSpec, stackId: string, file: string = localStateFile(stackId)): string {
  return (
    `warning: environment "${env.name}" has no backend: the state of ${stackId} is local, in ${file} ` +
    '(outside cdktf.out, so synth never deletes it; keep it safe). ' +
    `Set environments.${env.name}.backend.bucket (and optionally key, region) in the tracking config to keep state in S3; see README "Operations".`
  );
}

/**
 * The line synth prints when a stack's state file sits where versions before `localStateLocation`
 * put it for a synth output outside the project (`<project>/terraform-state/`), and not where the
 * backend now points: Terraform would otherwise start from an empty state.
 */
export function movedLocalStateWarning(stackId: string, old: string, file: string): string {
  return (
    `warning: the local state of ${stackId} is in ${old}, but with the synth output outside the project its backend now points at ${file}; ` +
    `move it before running terraform: mkdir -p ${JSON.stringify(path.dirname(file))} && mv ${JSON.stringify(old)} ${JSON.stringify(file)} ` +
    '(docs/operations.md, "Terraform state").'
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
    const local = localStateLocation(stackId, props.outdir);
    new LocalBackend(stack, { path: local.path });
    const shown = path.relative(process.cwd(), local.file);
    console.warn(localStateWarning(env, stackId, shown.startsWith(`..${path.sep}`) || path.isAbsolute(shown) ? local.file : shown));
    const old = path.resolve(localStateFile(stackId));
    if (old !== local.file && existsSync(old) && !existsSync(local.file)) console.warn(movedLocalStateWarning(stackId, old, local.file));
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
