/**
 * A model of how Lambda applies event-filter patterns to Kinesis records, written from AWS's
 * documentation (sources in docs/hot-path.md, "Filter patterns"). It is not used by the handler:
 * the tests check compiled patterns against it (and against AWS's documented examples), the
 * benchmark uses it to count the invocations filtering avoids, and the local runtime
 * (`tracking dev`, cli/dev/mapping.ts) filters records with it before it invokes a function.
 *
 * Where the documentation is silent, the model takes the NARROWEST reading (it matches less).
 * Checking "every event a rule accepts passes its patterns" against the narrowest reading makes
 * the check hold for any broader behaviour of the real service too.
 *
 * Documented behaviour modelled:
 * - the filters of a mapping are ORed; a pattern's fields are ANDed; a field's rule list is ORed;
 * - the event must contain every field the pattern names, with the same nesting;
 * - for Kinesis, patterns apply to `data`, and only when `data` is valid JSON;
 * - strings match character by character; the keywords true, false and null match themselves;
 * - an array value matches when any element matches;
 * - `prefix` applies to strings; `anything-but` to a string or number (or lists of one type),
 *   or `{ "prefix": ... }`; `numeric` to JSON numbers between -1e9 and 1e9 with at most six
 *   decimal places; `exists` works on leaf nodes: `exists: false` also matches an object.
 *
 * Pure: no I/O.
 */
/** Numeric matching works for values between -1.0e9 and +1.0e9 with six digits after the decimal point. */
export const NUMERIC_LIMIT = 1e9;
export const NUMERIC_DECIMALS = 6;

/** Whether a number is one Lambda's numeric matching can compare (range and decimal places above). */
export function isNumericRepresentable(n: number): boolean {
  if (!Number.isFinite(n) || Math.abs(n) > NUMERIC_LIMIT) return false;
  const scale = 10 ** NUMERIC_DECIMALS;
  return Math.round(n * scale) / scale === n;
}


const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function matchesScalar(rule: unknown, v: unknown): boolean {
  if (rule === null || typeof rule !== 'object') {
    // Literal: strings exact; numbers by value (the service compares their text; the model's input is parsed JSON).
    return v === rule;
  }
  const r = rule as Record<string, unknown>;
  if ('prefix' in r) return typeof v === 'string' && typeof r.prefix === 'string' && v.startsWith(r.prefix);
  if ('anything-but' in r) {
    const x = r['anything-but'];
    if (isObject(x) && typeof x.prefix === 'string') return typeof v === 'string' && !v.startsWith(x.prefix);
    const list = Array.isArray(x) ? x : [x];
    if (list.length === 0) return false;
    if (list.every((e) => typeof e === 'string')) return typeof v === 'string' && !list.includes(v);
    if (list.every((e) => typeof e === 'number')) return typeof v === 'number' && isNumericRepresentable(v) && !list.includes(v);
    return false;
  }
  if ('numeric' in r) {
    if (typeof v !== 'number' || !isNumericRepresentable(v)) return false;
    const ops = r.numeric as unknown[];
    for (let i = 0; i + 1 < ops.length; i += 2) {
      const op = ops[i];
      const n = ops[i + 1] as number;
      const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : false;
      if (!ok) return false;
    }
    return ops.length >= 2;
  }
  return false;
}

/** One field's rule list (ORed) against the field's value (undefined: absent). */
export function leafMatches(rules: readonly unknown[], v: unknown): boolean {
  const existsRules = rules.filter((r) => isObject(r) && 'exists' in r) as { exists: boolean }[];
  const valueRules = rules.filter((r) => !(isObject(r) && 'exists' in r));
  if (v === undefined) return existsRules.some((r) => r.exists === false);
  if (isObject(v)) return existsRules.some((r) => r.exists === false);
  const values = Array.isArray(v) ? v : [v];
  const leaves = values.filter((x) => !isObject(x) && !Array.isArray(x));
  if (existsRules.some((r) => r.exists === true) && leaves.some((x) => x !== null)) return true;
  return valueRules.some((rule) => leaves.some((x) => matchesScalar(rule, x)));
}

/** A pattern (object of rule lists and nested patterns) against a JSON value. */
export function nodeMatches(pattern: Record<string, unknown>, value: unknown): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const v = isObject(value) && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
    if (Array.isArray(sub)) return leafMatches(sub, v);
    const nested = sub as Record<string, unknown>;
    if (Array.isArray(v)) return v.some((e) => nodeMatches(nested, e));
    return nodeMatches(nested, isObject(v) ? v : {});
  });
}

/**
 * Whether a Kinesis record with these bytes passes a mapping's filters. `patterns` undefined: no
 * filter criteria (every record passes). A record whose data is not JSON fails every pattern on `data`.
 */
export function recordPasses(patterns: readonly string[] | undefined, data: Buffer | string): boolean {
  if (patterns === undefined) return true;
  let parsed: unknown;
  let json = true;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    json = false;
  }
  return patterns.some((text) => {
    const pattern = JSON.parse(text) as Record<string, unknown>;
    if ('data' in pattern && !json) return false;
    return nodeMatches(pattern, { data: parsed });
  });
}

/** Whether a decoded event passes one pattern (for tests). */
export function eventPasses(patternTextOrNode: string | Record<string, unknown>, event: unknown): boolean {
  const pattern = typeof patternTextOrNode === 'string' ? (JSON.parse(patternTextOrNode) as Record<string, unknown>) : patternTextOrNode;
  return nodeMatches(pattern, { data: event });
}
