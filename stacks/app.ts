import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { buildManifest, MANIFEST_FILE } from '../config/manifest';
import type { TrackingConfig } from '../config/model';
import { TrackingStack } from './tracking-stack';

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
  readonly stacks: readonly TrackingStack[];
}

/** One stack per environment, in name order. */
export function buildApp(props: BuildAppProps): BuiltApp {
  const app = new App({ ...(props.outdir !== undefined ? { outdir: props.outdir } : {}), skipValidation: false });
  const stacks = props.config.environments.map((env) => new TrackingStack(app, { env }));
  return { app, stacks };
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
