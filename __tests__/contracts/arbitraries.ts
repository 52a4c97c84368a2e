/**
 * fast-check arbitraries: schemas of the supported subset, and events that usually match them
 * and sometimes do not (a property replaced by any JSON value, removed, or added).
 */
import fc from 'fast-check';
import { ENVELOPE_FIELD_NAMES, PARTITION_COLUMNS } from '../../config/contracts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Schema = Record<string, unknown>;

const RESERVED = new Set<string>([...ENVELOPE_FIELD_NAMES, ...PARTITION_COLUMNS]);
export const propertyName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/).filter((n) => !RESERVED.has(n));

/** Patterns with a sample that matches each. */
const PATTERNS: readonly [string, string][] = [
  ['^[A-Z0-9-]+$', 'SKU-42'],
  ['^[a-z]{2}-[A-Z]{2}$', 'de-DE'],
  ['\\d', 'a1'],
];
/** Formats with samples that match. */
const FORMAT_SAMPLES: Readonly<Record<string, readonly string[]>> = {
  'date-time': ['2026-11-21T09:15:10.124Z', '2024-02-29T23:59:59+01:00', '2016-12-31t23:59:60z'],
  date: ['2026-11-21', '2024-02-29'],
  time: ['09:15:10Z', '23:59:59.5+02:00'],
  uuid: ['1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
  email: ['ops@example.com'],
  uri: ['https://shop.example.com/cart?x=1#top', 'urn:isbn:0451450523'],
  ipv4: ['192.168.0.1'],
  ipv6: ['2001:db8::1'],
};

const stringSchema: fc.Arbitrary<Schema> = fc.oneof(
  fc.record({ type: fc.constant('string'), minLength: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), maxLength: fc.option(fc.integer({ min: 3, max: 12 }), { nil: undefined }) }),
  fc.record({ type: fc.constant('string'), enum: fc.uniqueArray(fc.string({ maxLength: 6, unit: 'grapheme' }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant('string'), format: fc.constantFrom(...Object.keys(FORMAT_SAMPLES)) }),
  fc.record({ type: fc.constant('string'), pattern: fc.constantFrom(...PATTERNS.map(([p]) => p)), maxLength: fc.constant(40) }),
  fc.record({ type: fc.constant('string'), const: fc.string({ maxLength: 5 }) }),
);
const numberSchema = (type: 'integer' | 'number'): fc.Arbitrary<Schema> =>
  fc.oneof(
    fc.record({
      type: fc.constant(type),
      minimum: fc.option(fc.integer({ min: -100, max: 0 }), { nil: undefined }),
      maximum: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    }),
    fc.record({ type: fc.constant(type), exclusiveMinimum: fc.integer({ min: -5, max: 5 }), exclusiveMaximum: fc.integer({ min: 10, max: 20 }) }),
    fc.record({ type: fc.constant(type), enum: fc.uniqueArray(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 3 }) }),
  );
const booleanSchema: fc.Arbitrary<Schema> = fc.oneof(fc.constant({ type: 'boolean' }), fc.record({ type: fc.constant('boolean'), const: fc.boolean() }));

function dropUndefined(s: Schema): Schema {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

function nullable(arb: fc.Arbitrary<Schema>): fc.Arbitrary<Schema> {
  return fc.tuple(arb, fc.boolean()).map(([s, n]) => {
    const clean = dropUndefined(s);
    if (!n || clean.const !== undefined) return clean;
    const withNull: Schema = { ...clean, type: [clean.type as string, 'null'] };
    if (Array.isArray(clean.enum)) withNull.enum = [...(clean.enum as unknown[]), null];
    return withNull;
  });
}

const leaf: fc.Arbitrary<Schema> = nullable(fc.oneof(stringSchema, numberSchema('integer'), numberSchema('number'), booleanSchema));

function objectOf(child: fc.Arbitrary<Schema>, minProps: number): fc.Arbitrary<Schema> {
  return fc
    .tuple(fc.dictionary(propertyName, child, { minKeys: minProps, maxKeys: 5 }), fc.boolean(), fc.option(fc.boolean(), { nil: undefined }))
    .chain(([properties, _, additional]) =>
      fc.subarray(Object.keys(properties)).map((required) =>
        dropUndefined({ type: 'object', properties, required, additionalProperties: additional }),
      ),
    );
}

const node: fc.Memo<Schema> = fc.memo((depth) =>
  depth <= 1
    ? leaf
    : fc.oneof(
        { weight: 3, arbitrary: leaf },
        { weight: 1, arbitrary: nullable(objectOf(node(depth - 1), 1)) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(node(depth - 1), fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }), fc.boolean())
            .map(([items, minItems, maxItems, unique]) => {
              const primitive = ['string', 'integer', 'number', 'boolean'].includes(Array.isArray(items.type) ? (items.type as string[])[0]! : (items.type as string));
              // Unique lists need at most one element at least: some item schemas have a single value.
              const uniqueItems = unique && primitive ? true : undefined;
              return dropUndefined({ type: 'array', items, minItems: uniqueItems ? Math.min(minItems ?? 0, 1) : minItems, maxItems, uniqueItems });
            }),
        },
      ),
);

/** A valid event schema of the supported subset. */
export const eventSchema: fc.Arbitrary<Schema> = objectOf(node(3), 0);

// ---------------------------------------------------------------------------------------------
// Events

const anyJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;

function typeList(s: Schema): string[] {
  return Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
}

/** A value that matches `s` (when the generator can: patterns and formats use known samples). */
function matching(s: Schema): fc.Arbitrary<Json> {
  const types = typeList(s);
  const base = types.find((t) => t !== 'null')!;
  const plain: fc.Arbitrary<Json> = ((): fc.Arbitrary<Json> => {
    if (s.const !== undefined) return fc.constant(s.const as Json);
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as Json[]));
    switch (base) {
      case 'string': {
        if (typeof s.format === 'string') return fc.constantFrom(...FORMAT_SAMPLES[s.format]!);
        if (typeof s.pattern === 'string') return fc.constant(PATTERNS.find(([p]) => p === s.pattern)![1]);
        const min = (s.minLength as number | undefined) ?? 0;
        const max = (s.maxLength as number | undefined) ?? Math.max(min, 8);
        return fc.string({ minLength: min, maxLength: Math.max(min, max), unit: fc.constantFrom('a', 'é', '😀', '"', '\\', '\n', '東', 'z') });
      }
      case 'integer':
      case 'number': {
        const lo = Math.max((s.minimum as number | undefined) ?? -1e6, s.exclusiveMinimum !== undefined ? (s.exclusiveMinimum as number) + 1 : -1e6);
        const hi = Math.min((s.maximum as number | undefined) ?? 1e6, s.exclusiveMaximum !== undefined ? (s.exclusiveMaximum as number) - 1 : 1e6);
        const int = fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) });
        return base === 'integer' ? int : fc.oneof(int, int.map((v) => (v + 0.25 <= hi ? v + 0.25 : v)));
      }
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const min = (s.minItems as number | undefined) ?? 0;
        const max = (s.maxItems as number | undefined) ?? 3;
        const item = matching(s.items as Schema);
        return s.uniqueItems === true
          ? fc.uniqueArray(item, { minLength: Math.min(min, 1), maxLength: max, comparator: 'SameValueZero' })
          : fc.array(item, { minLength: min, maxLength: max });
      }
      case 'object':
        return eventLike(s, 0);
      default:
        return fc.constant(null);
    }
  })();
  return types.includes('null') ? fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.constant(null) }) : plain;
}

/**
 * An object for an object schema: each property matches, or (with `noise` > 0) is sometimes
 * replaced by any JSON value, left out, or joined by an undeclared property.
 */
export function eventLike(s: Schema, noise: number): fc.Arbitrary<{ [key: string]: Json }> {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  const entries = Object.entries(props).map(([name, child]) => {
    const options: { weight: number; arbitrary: fc.Arbitrary<Json | undefined> }[] = [{ weight: 20, arbitrary: matching(child) }];
    if (!required.has(name)) options.push({ weight: 4, arbitrary: fc.constant(undefined) });
    if (noise > 0) {
      options.push({ weight: noise, arbitrary: anyJson });
      if (required.has(name)) options.push({ weight: noise, arbitrary: fc.constant(undefined) });
    }
    return fc.oneof(...options).map((v) => [name, v] as const);
  });
  const extra: fc.Arbitrary<[string, Json][]> =
    noise > 0 ? fc.array(fc.tuple(propertyName.map((n) => `x_${n}`), anyJson), { maxLength: noise > 0 ? 1 : 0 }) : fc.constant([]);
  return fc
    .tuple(fc.tuple(...entries), fc.oneof({ weight: 6, arbitrary: fc.constant([] as [string, Json][]) }, { weight: noise, arbitrary: extra }))
    .map(([pairs, more]) => {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of pairs) if (v !== undefined) out[k] = v;
      for (const [k, v] of more) out[k] = v;
      return out;
    });
}
