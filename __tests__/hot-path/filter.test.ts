/**
 * Filter patterns compiled from rules, checked three ways:
 * 1. table-driven, against AWS's documented examples for each operator the compiler emits: the
 *    compiled rule list must be the documented syntax, and both the pattern (through the model of
 *    Lambda's filtering, functions/hot-path/filter-model.ts) and the handler's evaluator must give
 *    the documented answer on matching and non-matching events;
 * 2. by property: on random rules and events, every event a rule accepts passes its patterns
 *    (soundness: a filter must never drop an alert), and exact patterns accept nothing more;
 * 3. a deliberately wrong pattern is caught by the same agreement check.
 *
 * Sources (cited in docs/hot-path.md):
 * [L]  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html ("Filter rule syntax" table, examples)
 * [K]  https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis-filtering.html (order.type example)
 * [E]  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * [EV] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html (true/false/null, arrays)
 */
import fc from 'fast-check';
import { resolveCondition, type ComparisonConfig, type Condition, type ConditionConfig, type HotPathRuleSpec, type MatchRuleSpec } from '../../config/hot-path';
import { evaluate, type JsonObject } from '../../functions/hot-path/evaluate';
import { eventPasses, recordPasses } from '../../functions/hot-path/filter-model';
import {
  canonical,
  compileMappingFilter,
  compileRule,
  MAX_PATTERN_LENGTH,
  mergePatterns,
  patternText,
  type PatternNode,
} from '../../functions/hot-path/filter-pattern';

const APP = 'web-shop';
const TYPE = 'checkout_completed';
const matchRule = (condition: Condition, name = 'r'): MatchRuleSpec => ({
  name,
  kind: 'match',
  eventType: { app: APP, type: TYPE, key: `${APP}/${TYPE}` },
  actions: { notify: true, store: true },
  includePayload: false,
  fields: [],
  condition,
});
const cond = (c: ConditionConfig): Condition => resolveCondition(c);
const withEnvelope = (fields: Record<string, unknown>): JsonObject => ({ app: APP, event_type: TYPE, event_id: 'e-1', ...fields });

/** Events where the rule and its patterns disagree; `sound` only checks rule => pattern. */
function disagreements(rule: HotPathRuleSpec, patterns: readonly string[], events: readonly JsonObject[], sound = false): JsonObject[] {
  return events.filter((e) => {
    const byRule = rule.condition === undefined || evaluate(rule.condition, e);
    const byPattern = patterns.some((p) => eventPasses(p, e));
    return sound ? byRule && !byPattern : byRule !== byPattern;
  });
}

interface DocCase {
  readonly operator: string;
  readonly source: string;
  readonly condition: ConditionConfig;
  /** The `data` pattern's user fields, as the documentation writes them. */
  readonly documented: PatternNode;
  readonly matching: readonly Record<string, unknown>[];
  readonly nonMatching: readonly Record<string, unknown>[];
}

const DOC_CASES: DocCase[] = [
  {
    operator: 'Equals',
    source: '[L] Name is "Alice"',
    condition: { field: 'Name', op: '=', value: 'Alice' },
    documented: { Name: ['Alice'] },
    matching: [{ Name: 'Alice' }],
    // Exact character-by-character matching, no case folding [EV].
    nonMatching: [{ Name: 'alice' }, { Name: 'Alice ' }, {}, { name: 'Alice' }],
  },
  {
    operator: 'And',
    source: '[L] Location is "New York" and Day is "Monday"',
    condition: { all: [{ field: 'Location', op: '=', value: 'New York' }, { field: 'Day', op: '=', value: 'Monday' }] },
    documented: { Location: ['New York'], Day: ['Monday'] },
    matching: [{ Location: 'New York', Day: 'Monday' }],
    nonMatching: [{ Location: 'New York', Day: 'Tuesday' }, { Location: 'Boston', Day: 'Monday' }, { Location: 'New York' }],
  },
  {
    operator: 'Or',
    source: '[L] PaymentType is "Credit" or "Debit"',
    condition: { field: 'PaymentType', op: 'in', value: ['Credit', 'Debit'] },
    documented: { PaymentType: ['Credit', 'Debit'] },
    matching: [{ PaymentType: 'Credit' }, { PaymentType: 'Debit' }],
    nonMatching: [{ PaymentType: 'Cash' }, {}],
  },
  {
    operator: 'Not (anything-but)',
    source: '[L] Weather is anything but "Raining"',
    condition: { field: 'Weather', op: '!=', value: 'Raining' },
    documented: { Weather: [{ 'anything-but': ['Raining'] }] },
    matching: [{ Weather: 'Sunny' }, { Weather: 'raining' }],
    // The field must exist for a pattern naming it to match [L].
    nonMatching: [{ Weather: 'Raining' }, {}],
  },
  {
    operator: 'Not (anything-but, list)',
    source: '[E] state is anything but "stopped" or "overloaded"',
    condition: { all: [{ field: 'state', op: '!=', value: 'stopped' }, { field: 'state', op: '!=', value: 'overloaded' }] },
    documented: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] },
    matching: [{ state: 'running' }, { state: 'initializing' }],
    nonMatching: [{ state: 'stopped' }, { state: 'overloaded' }],
  },
  {
    operator: 'Not (anything-but, numbers)',
    source: '[E] x-limit is anything but 100, 200, 300',
    condition: { all: [100, 200, 300].map((value) => ({ field: 'x-limit', op: '!=' as const, value })) },
    documented: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] },
    matching: [{ 'x-limit': 150 }, { 'x-limit': 0 }],
    nonMatching: [{ 'x-limit': 200 }, { 'x-limit': 300 }],
  },
  {
    operator: 'Numeric (equals)',
    source: '[L] Price is 100; [E] x-limit = 3.018e2',
    condition: { field: 'Price', op: '=', value: 100 },
    documented: { Price: [{ numeric: ['=', 100] }] },
    // Numeric matching compares values, so 100.0 matches too (a plain 100 would not: [EV] "300, 300.0 and 3.0e2 are not equal").
    matching: [{ Price: 100 }, { Price: 100.0 }],
    nonMatching: [{ Price: 101 }, { Price: '100' }, {}],
  },
  {
    operator: 'Numeric (range)',
    source: '[L] Price is more than 10, and less than or equal to 20',
    condition: { all: [{ field: 'Price', op: '>', value: 10 }, { field: 'Price', op: '<=', value: 20 }] },
    documented: { Price: [{ numeric: ['>', 10, '<=', 20] }] },
    matching: [{ Price: 20 }, { Price: 10.5 }, { Price: 15 }],
    nonMatching: [{ Price: 10 }, { Price: 20.000001 }, { Price: '15' }],
  },
  {
    operator: 'Numeric (range, Temperature)',
    source: '[L] Temperature greater than 50 and less than or equal to 60',
    condition: { all: [{ field: 'Temperature', op: '>', value: 50 }, { field: 'Temperature', op: '<=', value: 60 }] },
    documented: { Temperature: [{ numeric: ['>', 50, '<=', 60] }] },
    matching: [{ Temperature: 55 }, { Temperature: 60 }],
    nonMatching: [{ Temperature: 50 }, { Temperature: 61 }, { Temperature: '55' }],
  },
  {
    operator: 'Numeric (less than)',
    source: '[E] d-count < 10',
    condition: { field: 'd-count', op: '<', value: 10 },
    documented: { 'd-count': [{ numeric: ['<', 10] }] },
    matching: [{ 'd-count': 9 }, { 'd-count': -3 }],
    nonMatching: [{ 'd-count': 10 }, { 'd-count': 11 }],
  },
  {
    operator: 'Numeric (greater or equal)',
    source: '[E] numeric >= (same operator set as [L])',
    condition: { field: 'amount', op: '>=', value: 500 },
    documented: { amount: [{ numeric: ['>=', 500] }] },
    matching: [{ amount: 500 }, { amount: 999999 }],
    nonMatching: [{ amount: 499.999999 }, { amount: true }],
  },
  {
    operator: 'Exists',
    source: '[L] ProductName exists',
    condition: { field: 'ProductName', op: 'exists' },
    documented: { ProductName: [{ exists: true }] },
    matching: [{ ProductName: 'Chair' }, { ProductName: 0 }, { ProductName: false }],
    // Exists works on leaf nodes only [E].
    nonMatching: [{}, { ProductName: { id: 1 } }],
  },
  {
    operator: 'Begins with',
    source: '[L] Region is in the US; [E] time starts with "2017-10-02"',
    condition: { field: 'Region', op: 'prefix', value: 'us-' },
    documented: { Region: [{ prefix: 'us-' }] },
    matching: [{ Region: 'us-east-1' }, { Region: 'us-' }],
    nonMatching: [{ Region: 'eu-west-1' }, { Region: 'US-east-1' }, { Region: 5 }],
  },
  {
    operator: 'Equals (boolean keyword)',
    source: '[EV] patterns match the keywords true and false',
    condition: { field: 'flagged', op: '=', value: true },
    documented: { flagged: [true] },
    matching: [{ flagged: true }],
    nonMatching: [{ flagged: false }, { flagged: 'true' }, {}],
  },
  {
    operator: 'Nested field',
    source: '[K] order.type is "buy"',
    condition: { field: 'order.type', op: '=', value: 'buy' },
    documented: { order: { type: ['buy'] } },
    matching: [{ record: 12345, order: { type: 'buy', stock: 'ANYCO', quantity: 1000 } }],
    nonMatching: [{ record: 12345, order: { type: 'sell', stock: 'ANYCO', quantity: 1000 } }, { order: 'buy' }, { type: 'buy' }],
  },
];

describe("AWS's documented examples, operator by operator", () => {
  it.each(DOC_CASES.map((c) => [`${c.operator} (${c.source})`, c] as const))('%s', (_name, c) => {
    // Prepare
    const rule = matchRule(cond(c.condition));
    // Act
    const compiled = compileRule(rule);
    // Assess: the documented rule syntax, under the envelope of the rule's event type.
    expect(compiled.exact).toBe(true);
    expect(compiled.patterns.map((p) => canonical(p))).toEqual([canonical({ app: [APP], event_type: [TYPE], ...c.documented })]);
    const patterns = compiled.patterns.map(patternText);
    for (const e of c.matching) {
      expect({ event: e, byPattern: patterns.some((p) => eventPasses(p, withEnvelope(e))), byRule: evaluate(rule.condition, withEnvelope(e)) }).toEqual({ event: e, byPattern: true, byRule: true });
    }
    for (const e of c.nonMatching) {
      expect({ event: e, byPattern: patterns.some((p) => eventPasses(p, withEnvelope(e))), byRule: evaluate(rule.condition, withEnvelope(e)) }).toEqual({ event: e, byPattern: false, byRule: false });
    }
  });

  it('the model reproduces the documented behaviour the compiler relies on', () => {
    // [E] exists:false matches a missing field and a non-leaf one.
    expect(eventPasses({ data: { 'c-count': [{ exists: false }] } }, { state: ['initializing', 'running'] })).toBe(true);
    expect(eventPasses({ data: { 'c-count': [{ exists: false }] } }, { 'c-count': { c1: 100 } })).toBe(true);
    expect(eventPasses({ data: { 'c-count': [{ exists: false }] } }, { 'c-count': 3 })).toBe(false);
    // [EV] an array value matches when the intersection with the pattern's values is not empty.
    expect(eventPasses({ data: { resources: ['a', 'b'] } }, { resources: ['x', 'b'] })).toBe(true);
    // [K] non-JSON data fails every pattern on data; no filter criteria pass everything.
    expect(recordPasses(['{"data":{"a":[{"exists":true}]}}'], 'not json')).toBe(false);
    expect(recordPasses(undefined, 'not json')).toBe(true);
  });

  it('a filter that disagrees with its rule fails the agreement check', () => {
    // Prepare: the documented range, and a wrong pattern with ">=" instead of ">".
    const rule = matchRule(cond({ all: [{ field: 'Price', op: '>', value: 10 }, { field: 'Price', op: '<=', value: 20 }] }));
    const right = compileRule(rule).patterns.map(patternText);
    const wrong = [patternText({ app: [APP], event_type: [TYPE], Price: [{ numeric: ['>=', 10, '<=', 20] }] })];
    const tooNarrow = [patternText({ app: [APP], event_type: [TYPE], Price: [{ numeric: ['>', 10, '<', 20] }] })];
    const events = [9, 10, 10.5, 20, 21].map((Price) => withEnvelope({ Price }));
    // Act / Assess
    expect(disagreements(rule, right, events)).toEqual([]);
    expect(disagreements(rule, wrong, events)).toEqual([withEnvelope({ Price: 10 })]);
    // Too narrow is the dangerous kind (a lost alert): the soundness check catches it.
    expect(disagreements(rule, tooNarrow, events, true)).toEqual([withEnvelope({ Price: 20 })]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const FIELDS = ['a', 'b', 'c', 'n.x', 'n.y'];
const STRINGS = ['', 'x', 'xy', 'us-', 'us-east', 'eu'];
const NUMBERS = [-1, 0, 0.5, 1, 2, 10, 1000.25];
const stringArb = fc.constantFrom(...STRINGS);
const numberArb = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -3, max: 3 }));
const scalarArb = fc.oneof(stringArb, numberArb, fc.boolean());

const comparisonArb: fc.Arbitrary<ComparisonConfig> = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom('=' as const, '!=' as const), value: scalarArb }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const), value: numberArb }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constant('exists' as const), value: fc.boolean() }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constant('prefix' as const), value: fc.constantFrom('x', 'us-', 'u', 'e') }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constant('in' as const), value: fc.array(scalarArb, { minLength: 1, maxLength: 4 }) }),
);
const innerArb = fc.oneof(
  comparisonArb,
  fc.record({ all: fc.array(comparisonArb, { minLength: 1, maxLength: 3 }) }),
  fc.record({ any: fc.array(comparisonArb, { minLength: 1, maxLength: 3 }) }),
);
const conditionArb: fc.Arbitrary<ConditionConfig> = fc.oneof(
  comparisonArb,
  fc.record({ all: fc.array(fc.oneof(comparisonArb, fc.record({ any: fc.array(comparisonArb, { minLength: 1, maxLength: 3 }) })), { minLength: 1, maxLength: 3 }) }),
  fc.record({ any: fc.array(fc.oneof(comparisonArb, fc.record({ all: fc.array(comparisonArb, { minLength: 1, maxLength: 3 }) })), { minLength: 1, maxLength: 3 }) }),
) as fc.Arbitrary<ConditionConfig>;
void innerArb;

/** Field values: scalars, null, objects, missing; `withArrays` adds arrays (outside the exactness domain). */
const valueArb = (withArrays: boolean): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: scalarArb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant({ k: 1 }) },
    { weight: withArrays ? 2 : 0, arbitrary: fc.array(scalarArb, { maxLength: 3 }) },
  );
const eventArb = (withArrays: boolean): fc.Arbitrary<JsonObject> =>
  fc
    .record(
      {
        a: valueArb(withArrays),
        b: valueArb(withArrays),
        c: valueArb(withArrays),
        n: fc.oneof(fc.record({ x: valueArb(withArrays), y: valueArb(withArrays) }, { requiredKeys: [] }), valueArb(withArrays)),
      },
      { requiredKeys: [] },
    )
    .map((fields) => withEnvelope(fields));

describe('compiled patterns agree with the evaluator (fast-check)', () => {
  it('soundness: every event a rule accepts passes its patterns, arrays, nulls and objects included', () => {
    fc.assert(
      fc.property(conditionArb, fc.array(eventArb(true), { minLength: 1, maxLength: 20 }), (c, events) => {
        const rule = matchRule(cond(c));
        const patterns = compileRule(rule).patterns.map(patternText);
        expect(disagreements(rule, patterns, events, true)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('exactness: a pattern marked exact accepts nothing its rule rejects (events without arrays)', () => {
    let exactRules = 0;
    fc.assert(
      fc.property(conditionArb, fc.array(eventArb(false), { minLength: 1, maxLength: 20 }), (c, events) => {
        const rule = matchRule(cond(c));
        const compiled = compileRule(rule);
        if (!compiled.exact) return;
        exactRules++;
        expect(disagreements(rule, compiled.patterns.map(patternText), events)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    // The property is not vacuous: most random rules compile exactly.
    expect(exactRules).toBeGreaterThan(200);
  });

  it('merging to the quota keeps soundness: events any rule accepts pass the merged filters', () => {
    fc.assert(
      fc.property(fc.array(conditionArb, { minLength: 1, maxLength: 12 }), fc.array(eventArb(true), { minLength: 1, maxLength: 20 }), fc.integer({ min: 5, max: 10 }), (cs, events, quota) => {
        const rules = cs.map((c, i) => matchRule(cond(c), `r${i}`));
        const filter = compileMappingFilter(rules, quota);
        expect(filter.patterns === undefined || filter.patterns.length <= quota).toBe(true);
        for (const p of filter.patterns ?? []) expect(p.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        for (const e of events) {
          if (rules.some((r) => evaluate(r.condition, e))) expect(recordPasses(filter.patterns, JSON.stringify(e))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a merge accepts everything either pattern accepts', () => {
    fc.assert(
      fc.property(conditionArb, conditionArb, fc.array(eventArb(true), { maxLength: 20 }), (c1, c2, events) => {
        const [p1] = compileRule(matchRule(cond(c1))).patterns;
        const [p2] = compileRule(matchRule(cond(c2))).patterns;
        if (p1 === undefined || p2 === undefined) return;
        const merged = patternText(mergePatterns(p1, p2));
        for (const e of events) {
          if (eventPasses(patternText(p1), e) || eventPasses(patternText(p2), e)) expect(eventPasses(merged, e)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('mapping filters: quota and length', () => {
  const eq = (field: string, value: string): ConditionConfig => ({ field, op: '=', value });
  const typed = (type: string, condition: ConditionConfig, name: string): MatchRuleSpec => ({
    ...matchRule(cond(condition), name),
    eventType: { app: APP, type, key: `${APP}/${type}` },
  });

  it('fits the quota by merging (never by more mappings), keeping the event type filter', () => {
    // Prepare: 7 rules on 7 event types, quota 5.
    const rules = Array.from({ length: 7 }, (_, i) => typed(`type_${i}`, eq('status', `s${i}`), `rule-${i}`));
    // Act
    const filter = compileMappingFilter(rules, 5);
    // Assess
    expect(filter).toMatchObject({ compiledCount: 7, merged: true, exact: false });
    expect(filter.patterns).toHaveLength(5);
    const all = (filter.patterns ?? []).join('\n');
    for (let i = 0; i < 7; i++) expect(all).toContain(`"type_${i}"`);
    // Records of undeclared types are still filtered out.
    expect(recordPasses(filter.patterns, JSON.stringify({ app: APP, event_type: 'page_view', status: 's1' }))).toBe(false);
  });

  it('stays exact at or below the quota', () => {
    const rules = Array.from({ length: 5 }, (_, i) => typed(`type_${i}`, eq('status', `s${i}`), `rule-${i}`));
    expect(compileMappingFilter(rules, 5)).toMatchObject({ compiledCount: 5, merged: false, exact: true });
  });

  it('widens a pattern over 4,096 characters, dropping the largest rule list first', () => {
    // Prepare: an `in` of 100 long values, beside a small comparison.
    const values = Array.from({ length: 100 }, (_, i) => `merchant-${'x'.repeat(40)}-${i}`);
    const rule = matchRule(cond({ all: [{ field: 'merchant', op: 'in', value: values }, { field: 'country', op: '=', value: 'DE' }] }));
    // Act
    const filter = compileMappingFilter([rule], 5);
    // Assess
    expect(filter.patterns).toEqual([patternText({ app: [APP], event_type: [TYPE], country: ['DE'] })]);
    expect(filter.exact).toBe(false);
    expect(recordPasses(filter.patterns, JSON.stringify(withEnvelope({ merchant: values[3], country: 'DE' })))).toBe(true);
  });

  it('leaves a comparison out where no exact pattern exists, and says so', () => {
    // exists:false has no safe pattern form; a numeric bound beyond Lambda's range neither.
    const missing = compileRule(matchRule(cond({ field: 'order_id', op: 'exists', value: false })));
    expect(missing).toEqual({ rule: 'r', patterns: [{ app: [APP], event_type: [TYPE] }], exact: false });
    const huge = compileRule(matchRule(cond({ field: 'amount', op: '>', value: 5e9 })));
    expect(huge).toEqual({ rule: 'r', patterns: [{ app: [APP], event_type: [TYPE] }], exact: false });
  });

  // Several comparisons on one field share one rule list: each combination, its pattern, its exactness.
  it.each<[string, ConditionConfig, PatternNode | undefined, boolean, unknown[]]>([
    ['range bounds merge', { all: [{ field: 'a', op: '>', value: 1 }, { field: 'a', op: '>=', value: 2 }, { field: 'a', op: '<', value: 9 }] }, { a: [{ numeric: ['>=', 2, '<', 9] }] }, true, [1.5, 2, 8.9, 9]],
    ['a point range is =', { all: [{ field: 'a', op: '>=', value: 2 }, { field: 'a', op: '<=', value: 2 }] }, { a: [{ numeric: ['=', 2] }] }, true, [1, 2, 3]],
    ['!= inside a range widens', { all: [{ field: 'a', op: '>', value: 1 }, { field: 'a', op: '!=', value: 5 }] }, { a: [{ numeric: ['>', 1] }] }, false, [5, 6]],
    ['!= outside a range is redundant', { all: [{ field: 'a', op: '>', value: 1 }, { field: 'a', op: '!=', value: -5 }] }, { a: [{ numeric: ['>', 1] }] }, true, [-5, 2]],
    ['!= under a prefix widens', { all: [{ field: 'a', op: 'prefix', value: 'us-' }, { field: 'a', op: '!=', value: 'us-east' }] }, { a: [{ prefix: 'us-' }] }, false, ['us-east', 'us-west']],
    ['!= beside a prefix is redundant', { all: [{ field: 'a', op: 'prefix', value: 'us-' }, { field: 'a', op: '!=', value: 'eu' }] }, { a: [{ prefix: 'us-' }] }, true, ['us-east', 'eu']],
    ['nested prefixes keep the longest', { all: [{ field: 'a', op: 'prefix', value: 'u' }, { field: 'a', op: 'prefix', value: 'us-' }] }, { a: [{ prefix: 'us-' }] }, true, ['u', 'us-x']],
    ['in filtered by the others', { all: [{ field: 'a', op: 'in', value: [1, 5, 'x'] }, { field: 'a', op: '>', value: 2 }] }, { a: [{ numeric: ['=', 5] }] }, true, [1, 5, 'x']],
    ['two in lists intersect', { all: [{ field: 'a', op: 'in', value: ['x', 'y', true] }, { field: 'a', op: 'in', value: ['y', true, 1] }] }, { a: ['y', true] }, true, ['x', 'y', true, 1]],
    ['!= true on a boolean is false', { field: 'a', op: '!=', value: true }, { a: [false] }, true, [true, false, 'x']],
    ['exists beside a comparison is redundant', { all: [{ field: 'a', op: 'exists' }, { field: 'a', op: '=', value: 'x' }] }, { a: ['x'] }, true, ['x', 'y']],
    ['a value and a child of it cannot both exist', { all: [{ field: 'n', op: 'exists' }, { field: 'n.x', op: '=', value: 1 }] }, undefined, true, [1]],
    ['a child with a value makes its parent an object', { all: [{ field: 'n', op: 'exists', value: false }, { field: 'n.x', op: '=', value: 1 }] }, { n: { x: [{ numeric: ['=', 1] }] } }, true, [1, 2]],
    ['a parent with a value has no child', { all: [{ field: 'n', op: '=', value: 'v' }, { field: 'n.x', op: 'exists', value: false }] }, { n: ['v'] }, true, ['v', 1]],
    ['prefix and > cannot both hold', { all: [{ field: 'a', op: 'prefix', value: 'x' }, { field: 'a', op: '>', value: 1 }] }, undefined, true, ['x', 2]],
    ['exists false and = cannot both hold', { all: [{ field: 'a', op: 'exists', value: false }, { field: 'a', op: '=', value: 'x' }] }, undefined, true, ['x']],
  ])('%s', (_name, condition, userFields, exact, values) => {
    // Prepare
    const rule = matchRule(cond(condition));
    // Act
    const compiled = compileRule(rule);
    // Assess
    expect(compiled.patterns).toEqual(userFields === undefined ? [] : [{ app: [APP], event_type: [TYPE], ...userFields }]);
    expect(compiled.exact).toBe(exact);
    const events = [...values.map((a) => withEnvelope({ a })), ...values.map((x) => withEnvelope({ n: { x } }))];
    expect(disagreements(rule, compiled.patterns.map(patternText), events, !exact)).toEqual([]);
    if (!exact) expect(disagreements(rule, compiled.patterns.map(patternText), events)).not.toEqual([]);
  });

  it('drops alternatives no event can satisfy, exactly', () => {
    const rule = matchRule(cond({ any: [{ all: [{ field: 'a', op: '>', value: 5 }, { field: 'a', op: '<', value: 3 }] }, { field: 'b', op: '=', value: 'x' }] }));
    expect(compileRule(rule)).toEqual({ rule: 'r', patterns: [{ app: [APP], event_type: [TYPE], b: ['x'] }], exact: true });
  });
});
