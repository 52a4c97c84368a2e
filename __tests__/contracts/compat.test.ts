/**
 * Review classification of contract changes (scripts/schema-compat.ts): compatible and breaking
 * changes by the documented rules, naming the event type and the field, and transitivity (a chain
 * of compatible changes is compatible with where it started).
 */
import fc from 'fast-check';
import type { SchemaMode } from '../../config/contracts';
import { breakingChanges, classifySchemaChanges, renderSchemaChanges, type ContractSet } from '../../scripts/schema-compat';
import { eventSchema, propertyName, type Schema } from './arbitraries';
import { contractOf } from './helpers';

const KEY = 'web-shop/checkout';

function set(schema: Schema | undefined, mode: SchemaMode = 'enforce'): ContractSet {
  return new Map(schema ? [[KEY, contractOf(schema, 'web-shop', 'checkout', mode)]] : []);
}

function classify(before: Schema | undefined, after: Schema | undefined, modes: [SchemaMode, SchemaMode] = ['enforce', 'enforce']) {
  return classifySchemaChanges(set(before, modes[0]), set(after, modes[1]), [KEY], [KEY]);
}

const BASE: Schema = {
  type: 'object',
  properties: {
    order_id: { type: 'string', maxLength: 20 },
    amount: { type: 'integer', minimum: 0 },
    currency: { type: 'string', enum: ['EUR', 'USD'] },
    items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, note: { type: 'string' } }, required: ['sku'] } },
    meta: { type: 'object', properties: { source: { type: 'string' } }, additionalProperties: true },
  },
  required: ['order_id', 'amount'],
};

function edit(change: (s: Schema & { properties: Record<string, Schema>; required: string[] }) => void): Schema {
  const copy = JSON.parse(JSON.stringify(BASE)) as Schema & { properties: Record<string, Schema>; required: string[] };
  change(copy);
  return copy;
}

describe('contract change classification', () => {
  it('finds nothing to report for an unchanged contract (annotations aside)', () => {
    expect(classify(BASE, edit((s) => ((s.properties.amount as Schema).description = 'now documented')))).toEqual([]);
  });

  it.each<[string, Schema, string]>([
    ['a new optional field', edit((s) => (s.properties.channel = { type: 'string' })), 'channel'],
    ['integer widened to number', edit((s) => (s.properties.amount = { type: 'number', minimum: 0 })), 'amount'],
    ['a field that may now be null', edit((s) => (s.properties.order_id = { type: ['string', 'null'], maxLength: 20 })), 'order_id'],
    ['an enum value added', edit((s) => (s.properties.currency = { type: 'string', enum: ['EUR', 'USD', 'GBP'] })), 'currency'],
    ['a maxLength raised', edit((s) => (s.properties.order_id = { type: 'string', maxLength: 40 })), 'order_id'],
    ['a minimum removed', edit((s) => (s.properties.amount = { type: 'integer' })), 'amount'],
    ['a required field made optional', edit((s) => (s.required = ['order_id'])), 'amount'],
    ['a nested optional field', edit((s) => (((s.properties.items as Schema).items as Schema).properties as Record<string, Schema>).qty = { type: 'integer' }), 'items[].qty'],
  ])('compatible: %s', (_name, after, field) => {
    // Act
    const changes = classify(BASE, after);

    // Assess
    expect(changes.length).toBeGreaterThan(0);
    expect(breakingChanges(changes)).toEqual([]);
    expect(changes.map((c) => c.field)).toContain(field);
    for (const c of changes) expect(c.eventType).toBe(KEY);
  });

  it.each<[string, Schema, string, string]>([
    ['a removed field', edit((s) => delete s.properties.currency), 'currency', 'field-removed'],
    ['a renamed field', edit((s) => ((s.properties.currency_code = s.properties.currency!), delete s.properties.currency)), 'currency', 'field-renamed'],
    ['number narrowed to integer', { ...BASE, properties: { ...(BASE.properties as object), amount: { type: 'integer', minimum: 0 } } }, 'amount', ''],
    ['a changed type', edit((s) => (s.properties.order_id = { type: 'integer' })), 'order_id', 'type-changed'],
    ['a new required field', edit((s) => ((s.properties.channel = { type: 'string' }), s.required.push('channel'))), 'channel', 'field-required'],
    ['an optional field made required', edit((s) => s.required.push('currency')), 'currency', 'field-required'],
    ['a field added to an open object', edit((s) => (((s.properties.meta as Schema).properties as Record<string, Schema>).campaign = { type: 'string' })), 'meta.campaign', 'field-added'],
    ['a maxLength lowered', edit((s) => (s.properties.order_id = { type: 'string', maxLength: 10 })), 'order_id', 'constraint-narrowed'],
    ['an enum value removed', edit((s) => (s.properties.currency = { type: 'string', enum: ['EUR'] })), 'currency', 'constraint-narrowed'],
    ['a pattern added', edit((s) => (s.properties.order_id = { type: 'string', maxLength: 20, pattern: '^o-' })), 'order_id', 'constraint-narrowed'],
    ['a nested field removed', edit((s) => delete (((s.properties.items as Schema).items as Schema).properties as Record<string, Schema>).note), 'items[].note', 'field-removed'],
    ['a closed object opened then closed again', edit((s) => ((s.properties.meta as Schema).additionalProperties = false)), 'meta', 'constraint-narrowed'],
  ])('breaking: %s', (_name, after, field, kind) => {
    // Prepare: number -> integer starts from a number.
    const before = kind === '' ? { ...BASE, properties: { ...(BASE.properties as object), amount: { type: 'number', minimum: 0 } } } : BASE;

    // Act
    const breaking = breakingChanges(classify(before, after));

    // Assess
    expect(breaking).toContainEqual(expect.objectContaining({ eventType: KEY, field, ...(kind !== '' ? { kind } : { kind: 'type-narrowed' }) }));
  });

  it('flags adding and removing a contract, and observe -> enforce, as breaking; enforce -> observe as compatible', () => {
    expect(classify(undefined, BASE)).toEqual([expect.objectContaining({ kind: 'contract-added', compatibility: 'breaking', field: '' })]);
    expect(classify(BASE, undefined)).toEqual([expect.objectContaining({ kind: 'contract-removed', compatibility: 'breaking' })]);
    expect(classify(BASE, BASE, ['observe', 'enforce'])).toEqual([expect.objectContaining({ kind: 'mode-enforced', compatibility: 'breaking' })]);
    expect(classify(BASE, BASE, ['enforce', 'observe'])).toEqual([expect.objectContaining({ kind: 'mode-relaxed', compatibility: 'compatible' })]);
  });

  it('ignores added and removed event types (nothing to be compatible with; the review flags removed streams)', () => {
    const after = new Map([[KEY, contractOf(BASE, 'web-shop', 'checkout')], ['web-shop/new', contractOf(BASE, 'web-shop', 'new')]]);
    expect(classifySchemaChanges(new Map(), after, [], [KEY, 'web-shop/new'])).toEqual([]);
  });

  it('renders a Markdown section that names the event type and field of each breaking change', () => {
    const md = renderSchemaChanges(classify(BASE, edit((s) => ((s.properties.channel = { type: 'string' }), delete s.properties.currency))));
    expect(md).toContain('### ⚠ Breaking contract changes (1)');
    expect(md).toContain('- **web-shop/checkout** `currency`: `currency` removed');
    expect(md).toContain('| `web-shop/checkout` | `channel` | `channel` added as an optional field | compatible |');
    expect(renderSchemaChanges([])).toBe('');
  });

  it('is transitive: any chain of compatible changes is compatible with its start', () => {
    type Op = (s: Schema) => Schema;
    const widen: fc.Arbitrary<Op> = fc.oneof(
      propertyName.map((name): Op => (s) => {
        const props = s.properties as Record<string, Schema>;
        const added = `n_${name}`;
        if (added in props || s.additionalProperties === true) return s;
        return { ...s, properties: { ...props, [added]: { type: 'string' } } };
      }),
      fc.nat().map((k): Op => (s) => {
        const props = { ...(s.properties as Record<string, Schema>) };
        const names = Object.keys(props);
        if (names.length === 0) return s;
        const name = names[k % names.length]!;
        const p = { ...props[name]! };
        const t = Array.isArray(p.type) ? (p.type as string[]) : [p.type as string];
        // Widen one property: integer -> number, then nullable, then drop its bounds, enum and pattern.
        if (t[0] === 'integer') p.type = t.length > 1 ? ['number', 'null'] : 'number';
        else if (t.length === 1 && !['object', 'array'].includes(t[0]!) && p.const === undefined) {
          p.type = [t[0]!, 'null'];
          if (Array.isArray(p.enum)) p.enum = [...(p.enum as unknown[]), null];
        }
        for (const bound of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'minItems', 'maxItems'] as const) delete p[bound];
        if (p.pattern === undefined) delete p.maxLength;
        delete p.format;
        props[name] = p;
        return { ...s, properties: props, required: ((s.required ?? []) as string[]).filter((r) => r !== name) };
      }),
    );
    fc.assert(
      fc.property(eventSchema, fc.array(widen, { minLength: 1, maxLength: 6 }), (start, ops) => {
        let current = start;
        for (const op of ops) {
          const next = op(current);
          expect(breakingChanges(classify(current, next))).toEqual([]);
          current = next;
        }
        expect(breakingChanges(classify(start, current))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a new optional field of a contract in observe mode', () => {
  it('is compatible, with a warning naming the event type, the field and why: stored events were not checked', () => {
    // Prepare: observe mode stores events that carry undeclared fields
    const after = edit((s) => (s.properties.coupon = { type: 'integer' }));

    // Act
    const changes = classify(BASE, after, ['observe', 'observe']);

    // Assess
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ eventType: KEY, field: 'coupon', kind: 'field-added', compatibility: 'compatible' });
    expect(changes[0]!.warning).toMatch(/^`web-shop\/checkout` was in observe mode, which stores events that violate the contract: events stored before this change may already carry `coupon` with another type than integer, which the new column may not read \(Athena queries that read it fail with HIVE_BAD_DATA, or a boolean column reads such a value as false\)/);
    const markdown = renderSchemaChanges(changes);
    expect(markdown).toContain('### ⚠ Contract warnings (1)');
    expect(markdown).toContain('- **web-shop/checkout** `coupon`: `web-shop/checkout` was in observe mode');
    expect(markdown).toContain('| `web-shop/checkout` | `coupon` | `coupon` added as an optional field | compatible (see the warning) |');
  });

  it('warns for a nested field too, with its type, and also when the change enforces the contract', () => {
    const after = edit((s) => ((s.properties.items!.items as Schema & { properties: Record<string, Schema> }).properties.qty = { type: 'number' }));
    const changes = classify(BASE, after, ['observe', 'enforce']);
    expect(changes.find((c) => c.field === 'items[].qty')?.warning).toMatch(/carry `items\[\]\.qty` with another type than number/);
  });

  it('has no warning when the contract was enforced (stored events were checked against the closed object)', () => {
    const after = edit((s) => (s.properties.coupon = { type: 'string' }));
    const changes = classify(BASE, after, ['enforce', 'observe']);
    expect(changes.filter((c) => c.kind === 'field-added').map((c) => c.warning)).toEqual([undefined]);
    expect(renderSchemaChanges(changes)).not.toContain('Contract warnings');
  });
});
