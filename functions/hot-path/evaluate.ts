/**
 * The hot path's rule evaluator: the authority on whether an event matches a condition. Lambda's
 * event filters only decide which records reach the function; every rule is evaluated again here,
 * so a filter that lets too much through costs an invocation, never a false alert.
 *
 * Semantics (docs/hot-path.md, "Rule semantics"):
 * - a field is found by walking objects (`order.total`); a path through an array or a missing
 *   key is absent;
 * - comparisons are type-strict: a value compares only with a field of the same JSON type, so
 *   `"10" > 5` is false and `!= "x"` is false for a number;
 * - `exists: true` holds for a string, number or boolean (not null, not an object or array);
 * - `<`, `<=`, `>`, `>=` compare numbers; `prefix` compares strings; `in` is `=` to any listed value.
 *
 * Pure: no I/O.
 */
import type { Comparison, Condition, Scalar } from '../../config/hot-path';

export type JsonObject = { readonly [key: string]: unknown };

export const isJsonObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A string, number or boolean: what comparisons work on. */
export const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The value at a path, walking objects only; undefined when absent. */
export function lookup(event: JsonObject, path: readonly string[]): unknown {
  let v: unknown = event;
  for (const key of path) {
    if (!isJsonObject(v) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

const sameScalar = (a: Scalar, b: Scalar): boolean => typeof a === typeof b && a === b;

export function compare(c: Comparison, event: JsonObject): boolean {
  const v = lookup(event, c.field);
  switch (c.op) {
    case 'exists':
      return isScalar(v) === (c.value !== false);
    case '=':
      return isScalar(v) && sameScalar(v, c.value as Scalar);
    case '!=':
      return isScalar(v) && typeof v === typeof c.value && v !== c.value;
    case '<':
      return typeof v === 'number' && v < (c.value as number);
    case '<=':
      return typeof v === 'number' && v <= (c.value as number);
    case '>':
      return typeof v === 'number' && v > (c.value as number);
    case '>=':
      return typeof v === 'number' && v >= (c.value as number);
    case 'prefix':
      return typeof v === 'string' && v.startsWith(c.value as string);
    case 'in':
      return isScalar(v) && (c.value as readonly Scalar[]).some((x) => sameScalar(v, x));
  }
}

/** True when the event satisfies the condition. */
export function evaluate(c: Condition, event: JsonObject): boolean {
  switch (c.kind) {
    case 'cmp':
      return compare(c, event);
    case 'all':
      return c.of.every((x) => evaluate(x, event));
    case 'any':
      return c.of.some((x) => evaluate(x, event));
  }
}

/** The values of the named fields (dot paths); absent fields are left out. */
export function pickFields(event: JsonObject, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = lookup(event, f.split('.'));
    if (v !== undefined) out[f] = v;
  }
  return out;
}
