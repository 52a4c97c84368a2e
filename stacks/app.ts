import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { TrackingPipelineError } from '../config/errors';
import { buildManifest, MANIFEST_FILE } from '../config/manifest';
import type { EnvironmentSpec, TrackingConfig } from '../config/model';
import { CoreStack, ShardStack, TrackingStack } from './tracking-stack';

export interface BuildAppProps {
  readonly config: TrackingConfig;
  /**
   * Output folder of the synthesized Terraform.
   * @default $CDKTF_OUTDIR, else `cdktf.out` (cdktf's own rule)
   */
  readonly outdir?: string;
}

export interface BuiltApp {
  readonly app: App;
  /** Every stack, per environment in name order: the single stack, or the core then its shards. */
  readonly stacks: readonly (TrackingStack | CoreStack | ShardStack)[];
}

/** The synth output folder cdktf will use: `outdir`, else $CDKTF_OUTDIR, else `cdktf.out`. */
export function resolveOutdir(outdir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return outdir ?? (env.CDKTF_OUTDIR !== undefined && env.CDKTF_OUTDIR !== '' ? env.CDKTF_OUTDIR : 'cdktf.out');
}

/** The output folder cannot be created (a file in the way, no permission). */
export class OutputFolderError extends TrackingPipelineError {
  public constructor(outdir: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    super(`cannot create the synth output folder ${JSON.stringify(outdir)} (CDKTF_OUTDIR) (${reason}); choose a folder you can write to`, { cause });
    this.name = 'OutputFolderError';
  }
}

/** The stacks of every environment, in name order (docs/operations.md, "Stacks"). */
export function buildApp(props: BuildAppProps): BuiltApp {
  const outdir = resolveOutdir(props.outdir);
  // cdktf creates only the last level of the output folder; create the whole path (CDKTF_OUTDIR may
  // point under a folder that does not exist yet).
  try {
    mkdirSync(outdir, { recursive: true });
  } catch (err) {
    throw new OutputFolderError(outdir, err);
  }
  const app = new App({ outdir, skipValidation: false });
  const stacks = props.config.environments.flatMap((env) => addEnvironmentStacks(app, env));
  return { app, stacks };
}

/** The stacks of one environment: the single stack, or the core stack and one stack per shard. */
export function addEnvironmentStacks(app: App, env: EnvironmentSpec): (TrackingStack | CoreStack | ShardStack)[] {
  if (env.stacks.layout === 'single') return [new TrackingStack(app, { env })];
  const core = new CoreStack(app, { env });
  return [core, ...env.stacks.shards.map((shard) => new ShardStack(app, { env, shard, core }))];
}

/** Synthesizes the app and writes the manifest the tracker client and tooling read. */
export function synthesize(props: BuildAppProps): BuiltApp {
  const built = buildApp(props);
  built.app.synth();
  const outdir = built.app.outdir;
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path.join(outdir, MANIFEST_FILE), `${JSON.stringify(buildManifest(props.config), null, 2)}\n`);
  return built;
}
