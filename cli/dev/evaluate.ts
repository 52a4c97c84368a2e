/**
 * Each resource's values as Terraform evaluates them: the state of a mock-provider apply of the
 * synthesized stack (`terraform test` with `mock_provider "aws"`), never the TypeScript's intent.
 * The local runtime starts its counterparts from these values and wires them by the references
 * Terraform resolved (a mapping's `function_name` is matched to the function whose `arn` it is).
 *
 * A mock apply costs seconds to tens of seconds per stack. Its result depends only on the stack's
 * cdk.tf.json (every asset's content enters it through `source_code_hash`), on the evaluator and on
 * the provider it ran with, so it is cached by their content hash:
 * `$TRACKING_CACHE_DIR`, else `$XDG_CACHE_HOME/tracking-pipeline`, else `~/.cache/tracking-pipeline`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

type Json = Record<string, unknown>;

/** One managed resource of the applied state. */
export interface EvaluatedResource {
  /** `aws_lambda_function.collector_function_D7C28AA5`. */
  readonly address: string;
  readonly type: string;
  /** The resource's name in the stack (the part after the type). */
  readonly name: string;
  /** Attribute values after the apply: configured ones as Terraform evaluated them, computed ones as the mock made them. */
  readonly values: Readonly<Json>;
}

/** Region, account and partition the mock provider ran with. */
export interface EvaluationContext {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

export interface EvaluatedStack {
  readonly id: string;
  /** The synthesized stack folder (asset paths in the values are relative to it). */
  readonly dir: string;
  readonly resources: readonly EvaluatedResource[];
  readonly context: EvaluationContext;
  /** The AWS provider version the apply ran with (the local mirror may differ from the pin). */
  readonly providerVersion: string;
  /** True when the state came from the cache. */
  readonly cached: boolean;
}

/**
 * What a mock apply gives for one stack folder. The implementation lives in ./mock-apply.ts, over
 * the project's one Terraform evaluation module; tests may pass another.
 */
export interface StackEvaluator {
  /** Changes whenever the evaluator would give other values for the same stack (part of the cache key). */
  readonly version: string;
  apply(stackDir: string): Promise<{ readonly resources: readonly EvaluatedResource[]; readonly context: EvaluationContext; readonly providerVersion: string }>;
}

/** The cache folder of evaluated states. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRACKING_CACHE_DIR !== undefined && env.TRACKING_CACHE_DIR !== '') return path.resolve(env.TRACKING_CACHE_DIR);
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'tracking-pipeline');
}

const CACHE_FORMAT = 1;

/** Evaluates one synthesized stack (cached by content). */
export async function evaluateStack(stackDir: string, evaluator: StackEvaluator, opts: { readonly cache?: string | false } = {}): Promise<EvaluatedStack> {
  const id = path.basename(stackDir);
  const text = readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8');
  const key = createHash('sha256').update(`${CACHE_FORMAT}\0${evaluator.version}\0${text}`).digest('hex');
  const folder = opts.cache === false ? undefined : path.join(opts.cache ?? cacheDir(), 'dev-eval');
  const file = folder !== undefined ? path.join(folder, `${key}.json`) : undefined;
  if (file !== undefined) {
    try {
      const hit = JSON.parse(readFileSync(file, 'utf8')) as Omit<EvaluatedStack, 'id' | 'dir' | 'cached'>;
      return { ...hit, id, dir: stackDir, cached: true };
    } catch {
      // not cached yet (or unreadable): evaluate
    }
  }
  const applied = await evaluator.apply(stackDir);
  const result = { resources: applied.resources, context: applied.context, providerVersion: applied.providerVersion };
  if (file !== undefined && folder !== undefined) {
    try {
      mkdirSync(folder, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(result));
      renameSync(tmp, file);
    } catch {
      // A cache that cannot be written costs time, never correctness.
    }
  }
  return { ...result, id, dir: stackDir, cached: false };
}
