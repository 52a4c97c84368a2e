/**
 * The AWS rules check: every rule, and the entry points that run them over synthesized stacks
 * after a mock apply (docs/aws-rules.md).
 */
import type { StackResult } from '../terraform-check';
import { runRules, type Rule, type RuleOptions, type StackView, type Violation } from './engine';
import { ATHENA_RULES } from './rules/athena';
import { FIREHOSE_RULES } from './rules/firehose';
import { KMS_RULES } from './rules/kms';
import { LAMBDA_MAPPING_RULES } from './rules/lambda-mappings';
import { LAMBDA_PERMISSION_RULES } from './rules/lambda-permissions';
import { NAME_RULE_LIST } from './rules/names';
import { S3_LIFECYCLE_RULES } from './rules/s3-lifecycle';
import { TAG_RULES } from './rules/s3-object-tags';
import { mockStateFromOutput } from './state';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const ALL_RULES: readonly Rule[] = [
  ...LAMBDA_MAPPING_RULES,
  ...S3_LIFECYCLE_RULES,
  ...ATHENA_RULES,
  ...TAG_RULES,
  ...LAMBDA_PERMISSION_RULES,
  ...FIREHOSE_RULES,
  ...KMS_RULES,
  ...NAME_RULE_LIST,
];

/** The view of a checked stack (from a checker made with `createStateChecker`), or undefined when its mock apply printed no state. */
export function stackView(result: StackResult): StackView | undefined {
  if (result.mockOutput?.state === undefined) return undefined;
  const config = JSON.parse(readFileSync(path.join(result.dir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>;
  const state = mockStateFromOutput(result.mockOutput, config);
  return state === undefined ? undefined : { label: result.label, id: result.id, config, state };
}

export interface RulesReport {
  readonly violations: readonly Violation[];
  /** Stacks the rules could not check, because their mock apply did not produce a state. */
  readonly unchecked: readonly string[];
}

/** Runs every rule (or `rules`) over checked stacks. */
export function checkRules(results: readonly StackResult[], opts: { readonly rules?: readonly Rule[]; readonly options?: Partial<RuleOptions> } = {}): RulesReport {
  const views: StackView[] = [];
  const unchecked: string[] = [];
  for (const r of results) {
    const v = stackView(r);
    if (v === undefined) unchecked.push(r.stack);
    else views.push(v);
  }
  return { violations: runRules(views, opts.rules ?? ALL_RULES, opts.options ?? {}), unchecked };
}

export { formatViolation, runRules, DEFAULT_RULE_OPTIONS, type Rule, type RuleOptions, type RuleSource, type StackView, type Violation } from './engine';
export { createStateChecker, mockApplyState, mockStateFromOutput, type MockState, type StateResource } from './state';
