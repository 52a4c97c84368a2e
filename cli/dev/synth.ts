/**
 * Synthesizes the config with the built app (`dist/main.js`, what `npm run synth` runs) into a
 * private output folder, and finds the stacks of one environment there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentSpec } from '../../config/model';
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

/** Runs `node dist/main.js` with CDKTF_OUTDIR=`outdir` and TRACKING_CONFIG=`config`. */
export async function synthesize(opts: { readonly root: string; readonly config: string; readonly outdir: string; readonly env: EnvironmentSpec }): Promise<SynthesizedEnvironment> {
  const app = path.join(opts.root, 'dist', 'main.js');
  if (!existsSync(app)) throw new DevCannotRunError(`the built app ${app} is missing; run \`npm run build\` first`);
  const started = Date.now();
  rmSync(opts.outdir, { recursive: true, force: true });
  mkdirSync(opts.outdir, { recursive: true });
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [app], {
      cwd: opts.root,
      env: { ...process.env, CDKTF_OUTDIR: opts.outdir, TRACKING_CONFIG: opts.config },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output: out }));
  });
  if (code !== 0) throw new DevCannotRunError(`synth of ${opts.config} failed (exit ${String(code)}):\n${output.trim()}`);
  const ids = [opts.env.stackId, ...opts.env.stacks.shards.map((s) => s.stackId)];
  const manifest = JSON.parse(readFileSync(path.join(opts.outdir, 'manifest.json'), 'utf8')) as { stacks?: Record<string, { workingDirectory?: string }> };
  const stacks = ids.map((id) => {
    const entry = manifest.stacks?.[id];
    if (entry === undefined) throw new DevCannotRunError(`synth wrote no stack ${id} for environment ${opts.env.name} into ${opts.outdir}`);
    return { id, dir: path.join(opts.outdir, entry.workingDirectory ?? path.join('stacks', id)) };
  });
  return { outdir: opts.outdir, stacks, seconds: (Date.now() - started) / 1000 };
}
