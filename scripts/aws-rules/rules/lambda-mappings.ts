/**
 * Lambda event source mappings: one mapping per (event source, qualified function), and the
 * limits of filter criteria.
 */
import { allOf, contextOf, list, show, str, type Finding, type Rule, type RuleSource, type StackView } from '../engine';
import type { StateResource } from '../state';

const CREATE_ESM: RuleSource = {
  title: 'AWS Lambda API Reference: CreateEventSourceMapping (ResourceConflictException)',
  url: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html',
};
const FILTERING: RuleSource = {
  title: 'AWS Lambda Developer Guide: Control which events Lambda sends to your function (five filters per mapping by default, up to 10 after a quota increase)',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html',
};
const FILTER_API: RuleSource = {
  title: 'AWS Lambda API Reference: Filter (Pattern: maximum length 4096)',
  url: 'https://docs.aws.amazon.com/lambda/latest/api/API_Filter.html',
};

/** Lambda's hard ceiling of filters per event source mapping, whatever the account quota. */
export const MAX_FILTERS_AFTER_INCREASE = 10;
/** Longest filter pattern Lambda accepts, in characters. */
export const MAX_FILTER_PATTERN_LENGTH = 4096;

/**
 * The function a mapping invokes, as the full ARN with its qualifier (version or alias) if any:
 * Lambda accepts a name, a partial ARN (`<account>:function:<name>`) or a full ARN, each with an
 * optional `:<qualifier>`. Undefined when the value is none of these.
 */
export function qualifiedFunctionArn(value: string, ctx: { partition: string; region: string; account: string }): string | undefined {
  const full = /^arn:([^:]+):lambda:([^:]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([^:]+))?$/.exec(value);
  if (full) return `arn:${full[1]}:lambda:${full[2]}:${full[3]}:function:${full[4]}${full[5] !== undefined ? `:${full[5]}` : ''}`;
  const partial = /^(\d{12}):function:([A-Za-z0-9_-]+)(?::([^:]+))?$/.exec(value);
  if (partial) return `arn:${ctx.partition}:lambda:${ctx.region}:${partial[1]}:function:${partial[2]}${partial[3] !== undefined ? `:${partial[3]}` : ''}`;
  const name = /^([A-Za-z0-9_-]+)(?::([^:]+))?$/.exec(value);
  if (name) return `arn:${ctx.partition}:lambda:${ctx.region}:${ctx.account}:function:${name[1]}${name[2] !== undefined ? `:${name[2]}` : ''}`;
  return undefined;
}

export const esmUnique: Rule = {
  id: 'lambda-esm-unique',
  family: 'lambda-mappings',
  title: 'One event source mapping per (event source ARN, function ARN with qualifier); Lambda refuses a second with ResourceConflictException',
  sources: [CREATE_ESM],
  check(ctx): Finding[] {
    const byKey = new Map<string, { stack: StackView; r: StateResource; source: string; fn: string }[]>();
    for (const { stack, r } of allOf(ctx.stacks, 'aws_lambda_event_source_mapping')) {
      // Applied values: references to other resources' ARNs resolve to their (realistic) identities.
      const source = typeof r.values.event_source_arn === 'string' ? r.values.event_source_arn : undefined;
      const fnValue = typeof r.values.function_name === 'string' ? r.values.function_name : undefined;
      if (source === undefined || fnValue === undefined) continue;
      const fn = qualifiedFunctionArn(fnValue, contextOf(stack, r)) ?? fnValue;
      const key = `${source}\n${fn}`;
      byKey.set(key, [...(byKey.get(key) ?? []), { stack, r, source, fn }]);
    }
    const out: Finding[] = [];
    for (const group of byKey.values()) {
      if (group.length < 2) continue;
      const [first, ...rest] = group;
      for (const m of rest) {
        out.push({
          stack: m.stack,
          address: m.r.address,
          message:
            `a second mapping from ${m.source} to ${m.fn}: ${first!.stack.id} ${first!.r.address} already maps this pair, ` +
            `so creating this one fails (${group.length} mappings share it: ${group.map((g) => g.r.address).join(', ')})`,
          value: { event_source_arn: m.source, function_name: m.r.values.function_name },
        });
      }
    }
    return out;
  },
};

export const filterCriteria: Rule = {
  id: 'lambda-filter-criteria',
  family: 'lambda-mappings',
  title:
    "Event source mapping filters within Lambda's limits: at most the account's quota of filters per mapping (5 by default, 10 at most), " +
    'each pattern a JSON object of at most 4,096 characters',
  sources: [FILTERING, FILTER_API],
  check(ctx): Finding[] {
    const out: Finding[] = [];
    const quota = Math.min(ctx.options.lambdaFilterQuota, MAX_FILTERS_AFTER_INCREASE);
    for (const { stack, r } of allOf(ctx.stacks, 'aws_lambda_event_source_mapping')) {
      const filters = list(r, ['filter_criteria', 0, 'filter']);
      if (filters.length > quota) {
        out.push({
          stack,
          address: r.address,
          message:
            `${filters.length} filters; Lambda allows ${quota} per mapping in this account` +
            (quota < MAX_FILTERS_AFTER_INCREASE ? ` (a quota increase allows up to ${MAX_FILTERS_AFTER_INCREASE}; pass the raised quota to the check)` : ''),
          value: filters.length,
        });
      }
      filters.forEach((_f, i) => {
        const pattern = str(r, ['filter_criteria', 0, 'filter', i, 'pattern']);
        if (pattern === undefined) return;
        if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
          out.push({ stack, address: r.address, message: `filter ${i} pattern is ${pattern.length} characters; Lambda allows ${MAX_FILTER_PATTERN_LENGTH}`, value: show(pattern) });
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(pattern);
        } catch {
          parsed = undefined;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          out.push({ stack, address: r.address, message: `filter ${i} pattern is not a JSON object, which Lambda rejects`, value: pattern });
        }
      });
    }
    return out;
  },
};

export const LAMBDA_MAPPING_RULES: readonly Rule[] = [esmUnique, filterCriteria];
