/**
 * The AWS rules engine: rules that AWS, S3, Athena and Lambda enforce at apply time or run time,
 * checked on what Terraform evaluated for the synthesized stacks (the applied state of a mock
 * apply, scripts/aws-rules/state.ts), never on what the TypeScript meant.
 *
 * A rule sees every stack of one group (one config: an environment's core and shard stacks share
 * a bucket, a stream and an account, so some rules need all of them) and reports violations, each
 * with the stack, the Terraform address, the offending value, and the rule's documentation
 * sources. The rule families live in scripts/aws-rules/rules/; docs/aws-rules.md lists them.
 */
import type { MockContext } from '../terraform-check';
import { providerContexts } from '../terraform-check';
import { configured, knownAtPlan, valueAt, type MockState, type StateResource, type ValuePath } from './state';

type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A documentation page a rule comes from. */
export interface RuleSource {
  readonly title: string;
  readonly url: string;
}

/** Options of the rules that depend on the account (quotas raised on request). */
export interface RuleOptions {
  /** Lambda filters per event source mapping allowed in the account (5 by default, up to 10 after a quota increase). @default 5 */
  readonly lambdaFilterQuota: number;
  /**
   * Smallest record, in bytes, that producers send to a delivery stream with a Lambda processor:
   * the processor's buffer must fit Lambda's 6 MB request at that size. @default 13
   */
  readonly firehoseMinRecordBytes: number;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = { lambdaFilterQuota: 5, firehoseMinRecordBytes: 13 };

/** One stack as the rules see it: its applied mock state and its synthesized configuration. */
export interface StackView {
  /** Group of stacks checked together (the config they came from), such as `example`. */
  readonly label: string;
  /** Stack id, such as `tracking-dev`. */
  readonly id: string;
  /** The synthesized cdk.tf.json (provider blocks, `provider` meta-arguments: what the state does not hold). */
  readonly config: Json;
  readonly state: MockState;
}

/** A rule violation, as reported. */
export interface Violation {
  /** Rule id, such as `lambda-esm-unique`. */
  readonly rule: string;
  readonly title: string;
  /** `<label>/<stack id>`. */
  readonly stack: string;
  /** Terraform address in that stack. */
  readonly address: string;
  /** What is wrong, in one or two sentences. */
  readonly message: string;
  /** The offending value, as Terraform evaluated it. */
  readonly value: unknown;
  readonly sources: readonly RuleSource[];
}

/** What a rule reports; the engine adds the rule's id, title and sources. */
export interface Finding {
  readonly stack: StackView;
  readonly address: string;
  readonly message: string;
  readonly value: unknown;
}

export interface RuleContext {
  /** Every stack of the group, in input order. */
  readonly stacks: readonly StackView[];
  readonly options: RuleOptions;
}

export interface Rule {
  readonly id: string;
  /** The family (one file under rules/), such as `s3-lifecycle`. */
  readonly family: string;
  /** The rule, as one sentence. */
  readonly title: string;
  readonly sources: readonly RuleSource[];
  check(ctx: RuleContext): Finding[];
}

// ---------------------------------------------------------------------------------------------
// Helpers for rules
// ---------------------------------------------------------------------------------------------

/** The managed resources of a stack of one type. */
export function resourcesOf(stack: StackView, type: string): StateResource[] {
  return stack.state.resources.filter((r) => r.mode === 'managed' && r.type === type);
}

/** Every managed resource of one type in a group, with its stack. */
export function allOf(stacks: readonly StackView[], type: string): { stack: StackView; r: StateResource }[] {
  return stacks.flatMap((stack) => resourcesOf(stack, type).map((r) => ({ stack, r })));
}

/** The resource block of the synthesized configuration for a state resource (count/for_each instances share it). */
export function configBlock(stack: StackView, r: StateResource): Json | undefined {
  const byType = isObj(stack.config.resource) ? stack.config.resource[r.type] : undefined;
  const block = isObj(byType) ? byType[r.name] : undefined;
  return isObj(block) ? block : undefined;
}

/** The provider alias a resource uses (`provider = "aws.<alias>"`), or undefined for the default one. */
export function providerAliasOf(stack: StackView, r: StateResource): string | undefined {
  const p = configBlock(stack, r)?.provider;
  return typeof p === 'string' ? /^aws\.(.+)$/.exec(p)?.[1] : undefined;
}

/** Region, account and partition of the provider configuration a resource uses. */
export function contextOf(stack: StackView, r: StateResource): MockContext {
  const alias = providerAliasOf(stack, r);
  const all = providerContexts(stack.config);
  return (all.find((c) => c.alias === alias) ?? all.find((c) => c.alias === undefined) ?? all[0]!).context;
}

/**
 * The default tags of the provider configuration a resource uses, as synthesized (provider
 * configuration is not in the state). Values that hold a template sequence are left out: they
 * are not literal, and the check cannot evaluate them.
 */
export function providerDefaultTags(stack: StackView, r: StateResource): Record<string, string> {
  const alias = providerAliasOf(stack, r);
  const raw = isObj(stack.config.provider) ? stack.config.provider.aws : undefined;
  const list = Array.isArray(raw) ? raw : isObj(raw) ? [raw] : [];
  const cfg = list.find((p) => isObj(p) && p.alias === alias);
  const dt = isObj(cfg) ? (Array.isArray(cfg.default_tags) ? cfg.default_tags[0] : cfg.default_tags) : undefined;
  const tags = isObj(dt) && isObj(dt.tags) ? dt.tags : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (typeof v === 'string' && !v.includes('${') && !k.includes('${')) out[k] = v;
  return out;
}

/** The resource's `override_provider { default_tags { tags } }`, as evaluated, or undefined when it has none. */
export function overriddenDefaultTags(r: StateResource): Record<string, string> | undefined {
  const op = valueAt(r.values, ['override_provider', 0, 'default_tags', 0]);
  if (!isObj(op)) return undefined;
  const tags = isObj(op.tags) ? op.tags : {};
  return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A resource's own `tags`, as evaluated (configured only). */
export function ownTags(r: StateResource): Record<string, string> {
  const t = configured(r, ['tags']);
  return isObj(t) ? Object.fromEntries(Object.entries(t).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
}

/** The tags AWS ends up with: the provider's default tags (or the resource's override of them), then its own. */
export function effectiveTags(stack: StackView, r: StateResource): Record<string, string> {
  return { ...(overriddenDefaultTags(r) ?? providerDefaultTags(stack, r)), ...ownTags(r) };
}

/** A configured string, else undefined. */
export function str(r: StateResource, p: ValuePath): string | undefined {
  const v = configured(r, p);
  return typeof v === 'string' ? v : undefined;
}

/** A configured number (numbers may arrive as strings in some attributes), else undefined. */
export function num(r: StateResource, p: ValuePath): number | undefined {
  const v = configured(r, p);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A configured list, else []. */
export function list(r: StateResource, p: ValuePath): unknown[] {
  const v = configured(r, p);
  return Array.isArray(v) ? v : [];
}

export { configured, knownAtPlan, valueAt };

/** The bucket name of an S3 bucket ARN (`arn:<partition>:s3:::<bucket>`), or undefined. */
export function bucketOfArn(arn: unknown): string | undefined {
  return typeof arn === 'string' ? /^arn:[^:]+:s3:::([^/]+)$/.exec(arn)?.[1] : undefined;
}

/** A value for a message: JSON, shortened. */
export function show(value: unknown, max = 160): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Running rules
// ---------------------------------------------------------------------------------------------

/**
 * Runs the rules over stacks, one group (label) at a time, and returns every violation, sorted by
 * stack, address and rule. A rule that throws is reported as a violation of that rule on the
 * group's first stack, so a broken rule never passes silently.
 */
export function runRules(stacks: readonly StackView[], rules: readonly Rule[], options: Partial<RuleOptions> = {}): Violation[] {
  const opts: RuleOptions = { ...DEFAULT_RULE_OPTIONS, ...options };
  const groups = new Map<string, StackView[]>();
  for (const s of stacks) groups.set(s.label, [...(groups.get(s.label) ?? []), s]);
  const out: Violation[] = [];
  for (const group of groups.values()) {
    for (const rule of rules) {
      let findings: Finding[];
      try {
        findings = rule.check({ stacks: group, options: opts });
      } catch (err) {
        findings = [{ stack: group[0]!, address: '(rule)', message: `the rule failed to run: ${err instanceof Error ? err.stack ?? err.message : String(err)}`, value: null }];
      }
      for (const f of findings) {
        out.push({
          rule: rule.id,
          title: rule.title,
          stack: `${f.stack.label}/${f.stack.id}`,
          address: f.address,
          message: f.message,
          value: f.value,
          sources: rule.sources,
        });
      }
    }
  }
  return out.sort((a, b) => a.stack.localeCompare(b.stack) || a.address.localeCompare(b.address) || a.rule.localeCompare(b.rule));
}

/** A violation as readable text (several lines). */
export function formatViolation(v: Violation, indent = '  '): string {
  return [
    `${indent}${v.stack} ${v.address}`,
    `${indent}  rule:   ${v.rule}: ${v.title}`,
    `${indent}  what:   ${v.message}`,
    `${indent}  value:  ${show(v.value, 400)}`,
    ...v.sources.map((s, i) => `${indent}  ${i === 0 ? 'source:' : '       '} ${s.title} <${s.url}>`),
  ].join('\n');
}
