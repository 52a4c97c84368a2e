/**
 * Time per event against value length for contract patterns: the patterns of the fixtures and
 * the benchmark schema, the adversarial family that backtracks exponentially in V8, and patterns
 * built to defeat the DFA cache at the loader's work bound (the worst the loader accepts).
 *
 * Each event is `{"app":…,"event_type":…,"handle":"<value>"}` with one patterned string, validated
 * as the collector does (lib/contract-validator.ts `validateSerialized`; the transform runs the
 * same walker). "warm": the steady state, over 16 different values of the length; "cold": a
 * freshly linked contract per event (new instance, empty DFA cache: every step on the slow path).
 * "V8" is what the validator did before: `new RegExp(pattern, 'u').test(value)` alone; it is
 * skipped at longer lengths once one value took more than 10 ms (each extra character can double it).
 *
 *   node scripts/build.mjs && node dist/bench/contract-patterns.js [--quick]
 */
import { checkEventSchema, normalizeEventSchema } from '../config/contracts';
import { linkProgram, validateSerialized } from '../lib/contract-validator';
import { analyzePattern, MAX_PATTERN_WORK } from '../lib/linear-regexp';
import { compileProgram } from '../modules/contracts';

const quick = process.argv.includes('--quick');
const V8_SKIP_MS = 10;

interface Case {
  readonly name: string;
  readonly pattern: string;
  readonly maxLength: number;
  /** A value of length n (varied by `k`), shaped to make the engine work hardest. */
  readonly value: (n: number, k: number) => string;
  readonly lengths: readonly number[];
}

let seed = 42;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const ab = (n: number): string => Array.from({ length: n }, () => (random() < 0.5 ? 'a' : 'b')).join('');
const upTo64 = [1, 8, 16, 24, 28, 32, 48, 64];

/** The longest maxLength the loader accepts for a pattern. */
function maxLengthAtBound(pattern: string): number {
  const a = analyzePattern(pattern);
  if ('rule' in a) throw new Error(`${pattern} is refused: ${a.message}`);
  return Math.floor(MAX_PATTERN_WORK / a.states) - 1;
}

const HOSTILE_1 = '^(?:a|b)*a(?:a|b){120}$';
const HOSTILE_2 = '^(?:a?){300}a{300}$';
const CASES: readonly Case[] = [
  { name: 'fixture sku', pattern: '^[A-Z0-9-]+$', maxLength: 32, value: (n, k) => `${'A1-'.repeat(n).slice(0, n - 1)}${k % 2 ? 'a' : 'Z'}`, lengths: [1, 8, 16, 32] },
  { name: 'bench locale', pattern: '^[a-z]{2}-[A-Z]{2}$', maxLength: 5, value: (_n, k) => (k % 2 ? 'de-DE' : 'de-de'), lengths: [5] },
  { name: 'arbitraries digit', pattern: '\\d', maxLength: 40, value: (n, k) => `${'x'.repeat(n - 1)}${k % 2}`, lengths: [1, 8, 16, 40] },
  { name: 'ReDoS (issue)', pattern: '^([a-z0-9]+)+$', maxLength: 64, value: (n, k) => `${'a1'.repeat(n).slice(0, n - 1)}${k % 2 ? '!' : '-'}`, lengths: upTo64 },
  { name: 'nested plus', pattern: '^(a+)+$', maxLength: 64, value: (n) => `${'a'.repeat(n - 1)}!`, lengths: upTo64 },
  { name: 'overlapping alternation', pattern: '^(a|aa)+$', maxLength: 64, value: (n) => `${'a'.repeat(n - 1)}!`, lengths: upTo64 },
  { name: 'words and spaces', pattern: '^(\\w+\\s?)*$', maxLength: 64, value: (n) => `${'a '.repeat(n).slice(0, n - 1)}!`, lengths: upTo64 },
  { name: 'unanchored (x+x+)+y', pattern: '(x+x+)+y', maxLength: 64, value: (n) => 'x'.repeat(n), lengths: upTo64 },
  { name: 'DFA-hostile at the work bound', pattern: HOSTILE_1, maxLength: maxLengthAtBound(HOSTILE_1), value: (n) => `${ab(n - 1)}c`, lengths: [64, maxLengthAtBound(HOSTILE_1)] },
  { name: 'NFA-heavy at the work bound', pattern: HOSTILE_2, maxLength: maxLengthAtBound(HOSTILE_2), value: (n) => `${'a'.repeat(n - 1)}!`, lengths: [64, maxLengthAtBound(HOSTILE_2)] },
];

function linked(pattern: string, maxLength: number): ReturnType<typeof linkProgram> {
  const schema = { type: 'object', properties: { handle: { type: 'string', maxLength, pattern } }, required: ['handle'] };
  const problems = checkEventSchema(schema);
  if (problems.length > 0) throw new Error(`${pattern}: ${problems.map((p) => p.message).join('; ')}`);
  return linkProgram(compileProgram(normalizeEventSchema(schema, 'web-shop', 'signup')));
}

const eventOf = (value: string): Buffer => Buffer.from(JSON.stringify({ app: 'web-shop', event_type: 'signup', handle: value }));

/** Median ms per call of `run(k)`, over at least `minRuns` calls and ~`budgetMs`. */
function median(run: (k: number) => void, minRuns: number, budgetMs: number): number {
  const times: number[] = [];
  const start = performance.now();
  for (let k = 0; times.length < minRuns || performance.now() - start < budgetMs; k++) {
    const t0 = performance.now();
    run(k);
    times.push(performance.now() - t0);
    if (times.length >= 100_000) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const fmt = (ms: number): string => (ms < 0.01 ? `${(ms * 1000).toFixed(2)} µs` : ms < 10 ? `${ms.toFixed(3)} ms` : `${ms.toFixed(1)} ms`);

console.log(`Contract patterns: time per event against value length, Node ${process.version}${quick ? ' (--quick)' : ''}`);
console.log(`Loader bounds: states * (maxLength + 1) <= ${MAX_PATTERN_WORK} steps per value\n`);
console.log('| Pattern | maxLength | states | length | warm (per event) | cold (per event) | V8 backtracking (regex alone) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const c of CASES) {
  const analysis = analyzePattern(c.pattern);
  const states = 'rule' in analysis ? NaN : analysis.states;
  const root = linked(c.pattern, c.maxLength);
  const v8 = new RegExp(c.pattern, 'u');
  let v8Skipped = false;
  for (const n of c.lengths) {
    const events = Array.from({ length: 16 }, (_, k) => eventOf(c.value(n, k)));
    for (const e of events) validateSerialized(e, root); // warm-up: fill the DFA cache
    const warm = median((k) => validateSerialized(events[k % 16]!, root), 50, quick ? 100 : 400);
    const cold = median((k) => validateSerialized(events[k % 16]!, linked(c.pattern, c.maxLength)), 5, quick ? 100 : 400);
    let v8Text = 'skipped';
    if (!v8Skipped) {
      const values = Array.from({ length: 4 }, (_, k) => c.value(n, k));
      const once = performance.now();
      v8.test(values[0]!);
      const first = performance.now() - once;
      const ms = first > V8_SKIP_MS ? first : median((k) => v8.test(values[k % 4]!), 3, quick ? 100 : 400);
      v8Text = fmt(ms);
      if (ms > V8_SKIP_MS) v8Skipped = true;
    }
    console.log(`| ${c.name}: \`${c.pattern}\` | ${c.maxLength} | ${states} | ${n} | ${fmt(warm)} | ${fmt(cold)} | ${v8Text} |`);
  }
}
