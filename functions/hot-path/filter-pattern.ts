/**
 * Compiles hot-path rules into Lambda event-filter patterns on the Kinesis record `data` (the
 * decoded JSON envelope), so records that match no rule never invoke the function.
 *
 * Soundness first: a pattern must accept every event its rule accepts (a pattern that is too
 * narrow loses alerts, and the handler cannot see what the filter dropped). Where a comparison has
 * no exact pattern form, the pattern is widened (the comparison is left out) and the rule marked
 * `exact: false`; the handler re-evaluates every rule, so a wide pattern costs invocations, never
 * false alerts. Sources for every operator (docs/hot-path.md, "Filter patterns"):
 * - Lambda event filtering: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 * - Kinesis (`data` key only): https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis-filtering.html
 * - Pattern values and content filtering (EventBridge syntax, which Lambda uses):
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 *
 * Pure: no I/O. Used at synth (modules/hot-path.ts), by the tests and by the benchmark.
 */
import { alternativeCount, hotPathConsumers, MAX_ALTERNATIVES, type Comparison, type Condition, type HotPathRuleSpec, type HotPathSpec, type Scalar } from '../../config/hot-path';
import { isNumericRepresentable } from '../../lib/event-filter';
import { compare } from './evaluate';

/** Longest filter pattern Lambda accepts (API `Filter.Pattern`, maximum length 4096). */
export const MAX_PATTERN_LENGTH = 4096;
// Numeric matching's range and precision, shared with the filter model (lib/event-filter.ts).
export { isNumericRepresentable, NUMERIC_DECIMALS, NUMERIC_LIMIT } from '../../lib/event-filter';

/** One element of a field's rule list (the list is ORed). */
export type LeafRule =
  | string
  | boolean
  | { readonly numeric: readonly (string | number)[] }
  | { readonly prefix: string }
  | { readonly 'anything-but': readonly (string | number)[] }
  | { readonly exists: boolean };

/** A pattern on the record's `data`: fields map to rule lists (leaves) or nested patterns. */
export interface PatternNode {
  readonly [key: string]: readonly LeafRule[] | PatternNode;
}

export interface RulePatterns {
  readonly rule: string;
  /** Alternatives (ORed). Empty: the rule can never match. */
  readonly patterns: readonly PatternNode[];
  /** True when the patterns accept exactly the events the rule accepts (for scalar-valued fields). */
  readonly exact: boolean;
}

export interface MappingFilter {
  /** Rules evaluated by the mapping's invocations. */
  readonly rules: readonly string[];
  /**
   * Filter patterns (`{"data": {...}}` JSON), at most the quota; undefined: no filter criteria
   * (every record invokes), when no pattern fits Lambda's limits.
   */
  readonly patterns?: readonly string[];
  /** True when each pattern was compiled exactly and none was merged or widened. */
  readonly exact: boolean;
  /** Patterns before merging (to compare with the quota). */
  readonly compiledCount: number;
  /** True when patterns were merged to fit the quota. */
  readonly merged: boolean;
}

const isLeaf = (v: readonly LeafRule[] | PatternNode): v is readonly LeafRule[] => Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Conditions -> alternatives (disjunctive normal form)
// ---------------------------------------------------------------------------------------------

/** The condition as alternatives of comparisons (ORed lists of ANDed comparisons), or undefined above the limit. */
export function alternatives(c: Condition, limit = MAX_ALTERNATIVES): Comparison[][] | undefined {
  if (alternativeCount(c) > limit) return undefined;
  const walk = (x: Condition): Comparison[][] => {
    if (x.kind === 'cmp') return [[x]];
    if (x.kind === 'any') return x.of.flatMap(walk);
    return x.of.reduce<Comparison[][]>((acc, child) => acc.flatMap((left) => walk(child).map((right) => [...left, ...right])), [[]]);
  };
  return walk(c);
}

// ---------------------------------------------------------------------------------------------
// One field: the comparisons on it -> one rule list
// ---------------------------------------------------------------------------------------------

type FieldResult =
  | { readonly kind: 'leaf'; readonly leaf: readonly LeafRule[]; readonly exact: boolean }
  /** No pattern form: leave the field out (widens the pattern). */
  | { readonly kind: 'omit' }
  /** No value satisfies these comparisons together. */
  | { readonly kind: 'unsatisfiable' };

/** Evaluates one comparison against a candidate field value, with the evaluator's semantics. */
function holds(c: Comparison, value: Scalar): boolean {
  return compare({ ...c, field: ['v'] }, { v: value });
}

interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

function numericLeaf(lo: Bound | undefined, hi: Bound | undefined): FieldResult {
  if (lo !== undefined && hi !== undefined) {
    if (lo.value > hi.value || (lo.value === hi.value && !(lo.inclusive && hi.inclusive))) return { kind: 'unsatisfiable' };
    if (lo.value === hi.value) return isNumericRepresentable(lo.value) ? { kind: 'leaf', leaf: [{ numeric: ['=', lo.value] }], exact: true } : { kind: 'omit' };
  }
  const ops: (string | number)[] = [];
  if (lo !== undefined) {
    if (!isNumericRepresentable(lo.value)) return { kind: 'omit' };
    ops.push(lo.inclusive ? '>=' : '>', lo.value);
  }
  if (hi !== undefined) {
    if (!isNumericRepresentable(hi.value)) return { kind: 'omit' };
    ops.push(hi.inclusive ? '<=' : '<', hi.value);
  }
  return { kind: 'leaf', leaf: [{ numeric: ops }], exact: true };
}

function tighterLow(a: Bound | undefined, b: Bound): Bound {
  if (a === undefined || b.value > a.value) return b;
  if (b.value === a.value) return { value: a.value, inclusive: a.inclusive && b.inclusive };
  return a;
}
function tighterHigh(a: Bound | undefined, b: Bound): Bound {
  if (a === undefined || b.value < a.value) return b;
  if (b.value === a.value) return { value: a.value, inclusive: a.inclusive && b.inclusive };
  return a;
}

function scalarLeaf(values: readonly Scalar[]): FieldResult {
  const leaf: LeafRule[] = [];
  for (const v of values) {
    if (typeof v === 'number') {
      // Plain numbers match by their string representation (300 and 300.0 differ): compare numerically.
      if (!isNumericRepresentable(v)) return { kind: 'omit' };
      leaf.push({ numeric: ['=', v] });
    } else leaf.push(v);
  }
  return { kind: 'leaf', leaf, exact: true };
}

/** The rule list for all comparisons of one conjunction that target the same field. */
export function fieldRule(cmps: readonly Comparison[]): FieldResult {
  const existsFalse = cmps.some((c) => c.op === 'exists' && c.value === false);
  // Every comparison but exists:false implies a string, number or boolean is present.
  const presence = cmps.filter((c) => !(c.op === 'exists'));
  if (existsFalse) return presence.length > 0 || cmps.some((c) => c.op === 'exists' && c.value !== false) ? { kind: 'unsatisfiable' } : { kind: 'omit' };
  if (presence.length === 0) return { kind: 'leaf', leaf: [{ exists: true }], exact: true };

  // Equality sets (= and in): the candidates are known; filter them by every other comparison.
  const sets = presence.filter((c) => c.op === '=' || c.op === 'in');
  if (sets.length > 0) {
    const first = sets[0]!;
    const candidates = first.op === 'in' ? (first.value as readonly Scalar[]) : [first.value as Scalar];
    const unique = candidates.filter((v, i) => candidates.findIndex((w) => typeof w === typeof v && w === v) === i);
    const kept = unique.filter((v) => presence.every((c) => holds(c, v)));
    return kept.length === 0 ? { kind: 'unsatisfiable' } : scalarLeaf(kept);
  }

  const numeric = presence.filter((c) => c.op === '<' || c.op === '<=' || c.op === '>' || c.op === '>=');
  const prefixes = presence.filter((c) => c.op === 'prefix').map((c) => c.value as string);
  const notEqual = presence.filter((c) => c.op === '!=');
  const types = new Set<string>([
    ...(numeric.length > 0 ? ['number'] : []),
    ...(prefixes.length > 0 ? ['string'] : []),
    ...notEqual.map((c) => typeof c.value),
  ]);
  // Type-strict comparisons on one field must agree on its type.
  if (types.size > 1) return { kind: 'unsatisfiable' };

  if (numeric.length > 0) {
    let lo: Bound | undefined;
    let hi: Bound | undefined;
    for (const c of numeric) {
      const v = c.value as number;
      if (c.op === '>' || c.op === '>=') lo = tighterLow(lo, { value: v, inclusive: c.op === '>=' });
      else hi = tighterHigh(hi, { value: v, inclusive: c.op === '<=' });
    }
    const result = numericLeaf(lo, hi);
    if (result.kind !== 'leaf') return result;
    // A != inside the interval has no pattern form next to a range: widen (the handler re-checks).
    const inside = notEqual.filter((c) => numeric.every((n) => holds(n, c.value as number)));
    return { ...result, exact: inside.length === 0 };
  }

  if (prefixes.length > 0) {
    const longest = prefixes.reduce((a, b) => (b.length > a.length ? b : a));
    if (!prefixes.every((p) => longest.startsWith(p))) return { kind: 'unsatisfiable' };
    const relevant = notEqual.filter((c) => (c.value as string).startsWith(longest));
    return { kind: 'leaf', leaf: [{ prefix: longest }], exact: relevant.length === 0 };
  }

  // Only != comparisons, all of one type.
  const type = [...types][0];
  const excluded = [...new Set(notEqual.map((c) => c.value as Scalar))];
  if (type === 'boolean') {
    const left = [true, false].filter((b) => !excluded.includes(b));
    return left.length === 0 ? { kind: 'unsatisfiable' } : { kind: 'leaf', leaf: left, exact: true };
  }
  if (type === 'number' && !excluded.every((n) => isNumericRepresentable(n as number))) return { kind: 'omit' };
  // anything-but accepts a list of strings or a list of numbers.
  return { kind: 'leaf', leaf: [{ 'anything-but': excluded as (string | number)[] }], exact: true };
}

// ---------------------------------------------------------------------------------------------
// One rule -> patterns
// ---------------------------------------------------------------------------------------------

const PATH_SEP = '\u0000';

/** The envelope fields every pattern starts with: the rule's application and event type. */
function envelopeComparisons(rule: HotPathRuleSpec): Comparison[] {
  return [
    { kind: 'cmp', field: ['app'], op: '=', value: rule.eventType.app },
    { kind: 'cmp', field: ['event_type'], op: '=', value: rule.eventType.type },
  ];
}

/** One conjunction of comparisons -> one pattern, or 'unsatisfiable'. */
function conjunctionPattern(cmps: readonly Comparison[]): { node: PatternNode; exact: boolean } | 'unsatisfiable' {
  const byPath = new Map<string, Comparison[]>();
  for (const c of cmps) {
    const key = c.field.join(PATH_SEP);
    byPath.set(key, [...(byPath.get(key) ?? []), c]);
  }
  // A field cannot hold a value and have children. Comparisons other than `exists: false` need a
  // value at their field; `exists: false` alone is satisfied by an object (or by nothing).
  const paths = [...byPath.keys()].sort();
  const needsValue = (p: string): boolean => byPath.get(p)!.some((c) => !(c.op === 'exists' && c.value === false));
  const dropped = new Set<string>();
  for (const a of paths) {
    for (const d of paths) {
      if (!d.startsWith(a + PATH_SEP)) continue;
      if (needsValue(a) && needsValue(d)) return 'unsatisfiable';
      // A value at `a` has no children: `d` is absent, as its exists:false requires.
      if (needsValue(a)) dropped.add(d);
      // `d` has a value, so `a` is an object: its exists:false holds.
      else if (needsValue(d)) dropped.add(a);
    }
  }
  let exact = true;
  const kept = paths.filter((p) => !dropped.has(p));
  const root: Record<string, unknown> = {};
  for (const p of kept) {
    const result = fieldRule(byPath.get(p)!);
    if (result.kind === 'unsatisfiable') return 'unsatisfiable';
    if (result.kind === 'omit') {
      exact = false;
      continue;
    }
    if (!result.exact) exact = false;
    const segments = p.split(PATH_SEP);
    let node = root;
    for (const s of segments.slice(0, -1)) {
      node[s] ??= {};
      node = node[s] as Record<string, unknown>;
    }
    node[segments[segments.length - 1]!] = result.leaf;
  }
  return { node: root as PatternNode, exact };
}

/** The patterns of one rule (match condition, or a rate rule's `where`), exact or widened. */
export function compileRule(rule: HotPathRuleSpec): RulePatterns {
  const envelope = envelopeComparisons(rule);
  const condition = rule.condition;
  const alts = condition === undefined ? [[]] : alternatives(condition);
  if (alts === undefined) {
    // Too many alternatives: the event type alone (the handler evaluates the condition).
    const only = conjunctionPattern(envelope);
    return { rule: rule.name, patterns: only === 'unsatisfiable' ? [] : [only.node], exact: false };
  }
  let exact = true;
  const patterns: PatternNode[] = [];
  for (const alt of alts) {
    const compiled = conjunctionPattern([...envelope, ...alt]);
    if (compiled === 'unsatisfiable') continue;
    if (!compiled.exact) exact = false;
    if (!patterns.some((p) => canonical(p) === canonical(compiled.node))) patterns.push(compiled.node);
  }
  return { rule: rule.name, patterns, exact };
}

// ---------------------------------------------------------------------------------------------
// Patterns of one mapping: merge to the quota, widen to the length limit
// ---------------------------------------------------------------------------------------------

/** JSON with sorted keys: equal patterns give equal text. */
export function canonical(node: PatternNode | readonly LeafRule[] | LeafRule): string {
  if (Array.isArray(node)) return `[${node.map((x) => canonical(x as LeafRule)).join(',')}]`;
  if (node !== null && typeof node === 'object') {
    const entries = Object.keys(node)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((node as Record<string, PatternNode | LeafRule>)[k]!)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(node);
}

/** The filter pattern text Lambda receives: the node under the Kinesis `data` key. */
export function patternText(node: PatternNode): string {
  return canonical({ data: node } as unknown as PatternNode);
}

/**
 * The smallest pattern (of this form) accepting everything `a` or `b` accepts: the fields both
 * constrain, with the union of their rule lists (a rule list is an OR); fields only one of them
 * constrains are dropped.
 */
export function mergePatterns(a: PatternNode, b: PatternNode): PatternNode {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(a).sort()) {
    if (!(key in b)) continue;
    const x = a[key]!;
    const y = b[key]!;
    if (isLeaf(x) && isLeaf(y)) {
      const union = [...x];
      for (const r of y) if (!union.some((u) => canonical(u) === canonical(r))) union.push(r);
      out[key] = union.sort((l, r) => (canonical(l) < canonical(r) ? -1 : 1));
    } else if (!isLeaf(x) && !isLeaf(y)) {
      const inner = mergePatterns(x, y);
      if (Object.keys(inner).length > 0) out[key] = inner;
    }
  }
  return out as PatternNode;
}

/** Number of constrained fields: what a merge keeps (more is more selective). */
export function specificity(node: PatternNode): number {
  return Object.values(node).reduce<number>((n, v) => n + (isLeaf(v) ? 1 : specificity(v)), 0);
}

/** Drops the longest rule list (the envelope fields last) until the pattern fits; undefined if nothing fits. */
function widenToLength(node: PatternNode): PatternNode | undefined {
  let current = node;
  while (patternText(current).length > MAX_PATTERN_LENGTH) {
    const leaves: { path: string[]; size: number }[] = [];
    const walk = (n: PatternNode, path: string[]): void => {
      for (const [k, v] of Object.entries(n)) {
        if (isLeaf(v)) leaves.push({ path: [...path, k], size: canonical(v).length + (path.length === 0 && (k === 'app' || k === 'event_type') ? -1e9 : 0) });
        else walk(v, [...path, k]);
      }
    };
    walk(current, []);
    if (leaves.length === 0) return undefined;
    leaves.sort((a, b) => b.size - a.size);
    current = without(current, leaves[0]!.path);
    if (Object.keys(current).length === 0) return undefined;
  }
  return current;
}

function without(node: PatternNode, path: readonly string[]): PatternNode {
  const [head, ...rest] = path;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k !== head) out[k] = v;
    else if (rest.length > 0 && !isLeaf(v)) {
      const inner = without(v, rest);
      if (Object.keys(inner).length > 0) out[k] = inner;
    }
  }
  return out as PatternNode;
}

/**
 * The filter of one event source mapping over some rules. Over the quota, patterns are MERGED
 * (never split across mappings: every mapping is one more standard reader of the root stream).
 * Greedy: merge the pair whose merge keeps the most constrained fields, ties by text order.
 */
export function compileMappingFilter(rules: readonly HotPathRuleSpec[], quota: number): MappingFilter {
  const compiled = rules.map(compileRule);
  let exact = compiled.every((c) => c.exact);
  let nodes: PatternNode[] = [];
  for (const c of compiled) for (const p of c.patterns) if (!nodes.some((n) => canonical(n) === canonical(p))) nodes.push(p);
  nodes.sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  const compiledCount = nodes.length;
  const names = rules.map((r) => r.name);
  if (nodes.length === 0) {
    // No rule can ever match: a pattern no envelope satisfies keeps the mapping idle but valid.
    return { rules: names, patterns: [patternText({ event_type: [{ exists: false }], app: [{ exists: false }] })], exact, compiledCount, merged: false };
  }
  let merged = false;
  while (nodes.length > quota) {
    let best: { i: number; j: number; node: PatternNode; score: number; text: string } | undefined;
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const node = mergePatterns(nodes[i]!, nodes[j]!);
        const score = specificity(node);
        const text = canonical(node);
        if (best === undefined || score > best.score || (score === best.score && text < best.text)) best = { i, j, node, score, text };
      }
    }
    const { i, j, node } = best!;
    nodes = [...nodes.filter((_, k) => k !== i && k !== j), node];
    // Merging may make patterns identical or make one cover another: keep distinct ones.
    nodes = nodes.filter((n, k) => nodes.findIndex((m) => canonical(m) === canonical(n)) === k);
    nodes.sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
    merged = true;
    exact = false;
  }
  const fitted: PatternNode[] = [];
  for (const n of nodes) {
    const w = widenToLength(n);
    if (w === undefined) return { rules: names, exact: false, compiledCount, merged };
    if (canonical(w) !== canonical(n)) exact = false;
    fitted.push(w);
  }
  return { rules: names, patterns: fitted.map(patternText), exact, compiledCount, merged };
}

/** One consumer's rules (one event source mapping, one alias): match rules together, then one group per rate window, in a fixed order. */
export interface MappingGroup {
  /** `match`, or `rate-<seconds>s`: the consumer's alias, and part of its resources' Terraform addresses. */
  readonly id: string;
  /** The Lambda alias the consumer's mapping invokes (equal to `id`). */
  readonly alias: string;
  readonly windowSeconds?: number;
  readonly rules: readonly HotPathRuleSpec[];
}

export function mappingGroups(spec: Pick<HotPathSpec, 'rules'>): MappingGroup[] {
  return hotPathConsumers(spec).map((c) =>
    c.kind === 'match'
      ? { id: c.alias, alias: c.alias, rules: spec.rules.filter((r) => r.kind === 'match') }
      : { id: c.alias, alias: c.alias, windowSeconds: c.windowSeconds, rules: spec.rules.filter((r) => r.kind === 'rate' && r.windowSeconds === c.windowSeconds) },
  );
}
