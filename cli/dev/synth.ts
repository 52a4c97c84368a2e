/**
 * Synthesizes the config with the built app (`dist/main.js`, what `npm run synth` runs, through
 * scripts/terraform-check.ts's synthConfig) into a private output folder, and picks the stacks of
 * one environment there.
 */
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentSpec } from '../../config/model';
import { synthConfig } from '../../scripts/terraform-check';
import { DevCannotRunError } from './errors';

/** The project root: the folder holding cdktf.json, above this file (source or dist/). */
export function projectRoot(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'cdktf.json'))) return dir;
    if (path.dirname(dir) === dir) throw new DevCannotRunError(`cannot find the project (cdktf.json) above ${start}`);
  }
}

export interface SynthesizedEnvironment {
  readonly outdir: string;
  /** The environment's stack folders: the single stack, or the core and its shards. */
  readonly stacks: readonly { readonly id: string; readonly dir: string }[];
  readonly seconds: number;
}

export function synthesize(opts: { readonly root: string; readonly config: string; readonly outdir: string; readonly env: EnvironmentSpec }): SynthesizedEnvironment {
  let synth: ReturnType<typeof synthConfig>;
  // A fresh folder: a stack left from an earlier config must never be read as this one's.
  rmSync(opts.outdir, { recursive: true, force: true });
  try {
    synth = synthConfig({ root: opts.root, config: opts.config, outdir: opts.outdir });
  } catch (err) {
    throw new DevCannotRunError((err as Error).message.replace(/^terraform-check: /, ''), { cause: err });
  }
  const ids = [opts.env.stackId, ...opts.env.stacks.shards.map((s) => s.stackId)];
  const stacks = ids.map((id) => {
    const s = synth.stacks.find((x) => x.id === id);
    if (s === undefined) throw new DevCannotRunError(`synth wrote no stack ${id} for environment ${opts.env.name} into ${synth.outdir}`);
    return { id, dir: s.dir };
  });
  return { outdir: synth.outdir, stacks, seconds: synth.seconds };
}
