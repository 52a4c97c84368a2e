/**
 * Linear-time matching of JSON Schema `pattern`s (ECMA-262 regular expressions, `u` flag,
 * unanchored search: what `new RegExp(pattern, 'u').test(value)` answers), for values that
 * producers control.
 *
 * V8's engine backtracks: `^([a-z0-9]+)+$` takes time exponential in the length of a value
 * that almost matches, whatever `maxLength` says. This engine never backtracks:
 *
 * 1. **Parse** the pattern (already known valid: the caller compiled it with `new RegExp(p, 'u')`)
 *    into alternation, concatenation, repetition, assertions (`^`, `$`, `\b`, `\B`) and atoms.
 *    An atom is anything that matches exactly one code point: a literal, `.`, an escape, a class.
 *    Backreferences and lookaround have no linear-time algorithm: they are refused
 *    (`analyzePattern`), and so is any group syntax this parser does not know.
 * 2. **Atoms keep V8's own semantics**: each atom's source text is compiled as `^(?:atom)$` with
 *    the `u` flag and asked about one code point at a time, so `\s`, `.`, `\p{…}`, `[^…]`, case
 *    and Unicode data are exactly V8's. Such a regex consumes one code point: no backtracking.
 *    ASCII answers are tabled when the pattern is compiled.
 * 3. **Compile** to a Thompson NFA (counted repetition expanded; its size is bounded first, with
 *    saturating arithmetic) and **simulate** it on the value as a lazily built DFA: each DFA state
 *    is a set of NFA states, its transitions are cached per code point. The work per code point
 *    is one table lookup once cached, and at most one pass over the NFA (`states`) otherwise, so
 *    a value of n code points costs at most (n + 1) * states steps (`lastWork` counts them).
 *    The cache is flushed past `MAX_DFA_STATES`, so memory stays bounded too.
 *
 * Matching semantics: for a regular expression without backreferences and lookaround, whether a
 * match exists does not depend on the order a backtracking engine tries alternatives in (it tries
 * them all before answering false), so the set of values `test` accepts is the regular language
 * of the pattern. Lazy quantifiers and captures change which match is reported, never whether one
 * exists. The property test (`__tests__/contracts/linear-regexp.test.ts`) checks `test` against
 * V8 on random patterns and values.
 *
 * Pure, dependency-free: shared by the config loader (which refuses what cannot run here, and
 * bounds the work) and lib/contract-validator.ts (the transform Lambda and the collector).
 */

/** The rules a pattern can break (named in the loader's messages; see docs/contracts.md). */
export type PatternRule = 'backreference' | 'lookaround' | 'unsupported-syntax' | 'too-large';

/** A pattern the linear engine refuses, and why. */
export interface PatternRefusal {
  readonly rule: PatternRule;
  /** What in the pattern breaks the rule and how to fix it (does not repeat the pattern). */
  readonly message: string;
}

/** Most NFA states a pattern may compile to (counted repetitions expanded). */
export const MAX_PATTERN_STATES = 1_000;

/**
 * Most steps one value may cost: `states * (maxLength + 1)` (the loader checks it). A step costs
 * at most ~170 ns when no DFA state is cached (bench/contract-patterns.ts), so 100,000 steps stay
 * near 17 ms per value on the benchmark machine, and far less once the DFA is warm.
 */
export const MAX_PATTERN_WORK = 100_000;

/** The worst-case steps of matching a value of at most `maxLength` code points. */
export function patternWork(states: number, maxLength: number): number {
  return states * (maxLength + 1);
}

/** DFA states cached per compiled pattern before the cache is flushed. */
export const MAX_DFA_STATES = 1_000;

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { readonly k: 'atom'; readonly src: string }
  | { readonly k: 'assert'; readonly a: number }
  | { readonly k: 'cat'; readonly items: readonly Node[] }
  | { readonly k: 'alt'; readonly items: readonly Node[] }
  | { readonly k: 'rep'; readonly item: Node; readonly min: number; readonly max: number };

const A_BOL = 0;
const A_EOL = 1;
const A_WORD = 2;
const A_NOT_WORD = 3;

class Refused extends Error {
  public constructor(public readonly refusal: PatternRefusal) {
    super(refusal.message);
    this.name = 'PatternRefusedError';
  }
}

const refuse = (rule: PatternRule, message: string): never => {
  throw new Refused({ rule, message });
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Recursive-descent parser of a valid `u`-mode pattern (ECMA-262 §22.2.1 with [+UnicodeMode]). */
class Parser {
  private i = 0;

  public constructor(private readonly p: string) {}

  public parse(): Node {
    const node = this.disjunction();
    if (this.i < this.p.length) refuse('unsupported-syntax', `unexpected "${this.p[this.i]}" at offset ${this.i}`);
    return node;
  }

  private disjunction(): Node {
    const items = [this.alternative()];
    while (this.p[this.i] === '|') {
      this.i++;
      items.push(this.alternative());
    }
    return items.length === 1 ? items[0]! : { k: 'alt', items };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      items.push(this.term());
    }
    return { k: 'cat', items };
  }

  private term(): Node {
    const p = this.p;
    const c = p[this.i]!;
    if (c === '^') {
      this.i++;
      return { k: 'assert', a: A_BOL };
    }
    if (c === '$') {
      this.i++;
      return { k: 'assert', a: A_EOL };
    }
    if (c === '\\' && (p[this.i + 1] === 'b' || p[this.i + 1] === 'B')) {
      this.i += 2;
      return { k: 'assert', a: p[this.i - 1] === 'b' ? A_WORD : A_NOT_WORD };
    }
    let atom: Node;
    if (c === '(') atom = this.group();
    else atom = { k: 'atom', src: this.atomSource() };
    return this.quantified(atom);
  }

  private group(): Node {
    const p = this.p;
    const start = this.i;
    this.i++;
    if (p[this.i] === '?') {
      const next = p[this.i + 1];
      if (next === ':') {
        this.i += 2;
      } else if (next === '=' || next === '!') {
        refuse('lookaround', `lookahead "(?${next}" at offset ${start}`);
      } else if (next === '<' && (p[this.i + 2] === '=' || p[this.i + 2] === '!')) {
        refuse('lookaround', `lookbehind "(?<${p[this.i + 2]}" at offset ${start}`);
      } else if (next === '<') {
        const close = p.indexOf('>', this.i);
        if (close < 0) refuse('unsupported-syntax', `unterminated group name at offset ${start}`);
        this.i = close + 1;
      } else {
        refuse('unsupported-syntax', `group syntax "(?${next ?? ''}" at offset ${start}`);
      }
    }
    const inner = this.disjunction();
    if (p[this.i] !== ')') refuse('unsupported-syntax', `unterminated group at offset ${start}`);
    this.i++;
    return inner;
  }

  /** The source text of one atom (one code point's matcher) starting at the current position. */
  private atomSource(): string {
    const p = this.p;
    const start = this.i;
    const c = p[start]!;
    if (c === '[') {
      // u-mode classes do not nest: the class ends at the first "]" that is not escaped.
      let k = start + 1;
      while (k < p.length && p[k] !== ']') k += p[k] === '\\' ? 2 : 1;
      if (k >= p.length) refuse('unsupported-syntax', `unterminated character class at offset ${start}`);
      this.i = k + 1;
      return p.slice(start, this.i);
    }
    if (c === '\\') {
      const e = p[start + 1];
      if (e === undefined) return refuse('unsupported-syntax', 'pattern ends with "\\"');
      if (e >= '1' && e <= '9') {
        let k = start + 1;
        while (isDigit(p[k])) k++;
        refuse('backreference', `backreference "${p.slice(start, k)}" at offset ${start}`);
      }
      if (e === 'k') refuse('backreference', `named backreference "${p.slice(start, p.indexOf('>', start) + 1 || start + 2)}" at offset ${start}`);
      if (e === 'p' || e === 'P' || (e === 'u' && p[start + 2] === '{')) {
        const close = p.indexOf('}', start);
        if (close < 0) refuse('unsupported-syntax', `unterminated escape at offset ${start}`);
        this.i = close + 1;
        return p.slice(start, this.i);
      }
      if (e === 'u') {
        this.i = start + 6;
        // A lead surrogate escape followed by a trail surrogate escape is one code point.
        const unit = parseInt(p.slice(start + 2, start + 6), 16);
        if (unit >= 0xd800 && unit <= 0xdbff && p[this.i] === '\\' && p[this.i + 1] === 'u' && [2, 3, 4, 5].every((d) => isHex(p[this.i + d]))) {
          const trail = parseInt(p.slice(this.i + 2, this.i + 6), 16);
          if (trail >= 0xdc00 && trail <= 0xdfff) this.i += 6;
        }
        return p.slice(start, this.i);
      }
      if (e === 'x') this.i = start + 4;
      else if (e === 'c') this.i = start + 3;
      else this.i = start + 2; // \d \D \s \S \w \W \f \n \r \t \v \0 and identity escapes (syntax characters, "/")
      return p.slice(start, this.i);
    }
    if ('*+?{}])|'.includes(c)) refuse('unsupported-syntax', `"${c}" where an atom was expected at offset ${start}`);
    // A literal code point (a surrogate pair in the source is one), or ".".
    const cp = p.codePointAt(start)!;
    this.i = start + (cp > 0xffff ? 2 : 1);
    return p.slice(start, this.i);
  }

  private quantified(atom: Node): Node {
    const p = this.p;
    let min: number;
    let max: number;
    const c = p[this.i];
    if (c === '*') {
      min = 0;
      max = Infinity;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Infinity;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(this.i, this.i + 64));
      if (m === null) return refuse('unsupported-syntax', `quantifier at offset ${this.i}`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (p[this.i] === '?') this.i++; // lazy: the same language
    return { k: 'rep', item: atom, min, max };
  }
}

/** NFA instructions the node compiles to (saturating at `limit + 1`). */
function sizeOf(node: Node, limit: number): number {
  const cap = (n: number): number => (n > limit ? limit + 1 : n);
  switch (node.k) {
    case 'atom':
    case 'assert':
      return 1;
    case 'cat':
      return cap(node.items.reduce((sum, n) => cap(sum + sizeOf(n, limit)), 0));
    case 'alt':
      return cap(node.items.reduce((sum, n) => cap(sum + sizeOf(n, limit) + 2), 0));
    case 'rep': {
      const one = sizeOf(node.item, limit);
      const fixed = node.min * one;
      const optional = node.max === Infinity ? one + 2 : (node.max - node.min) * (one + 1);
      return cap(fixed + optional);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NFA

const OP_CHAR = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;

class Program {
  public readonly op: number[] = [];
  public readonly x: number[] = [];
  public readonly y: number[] = [];
  public readonly atoms: string[] = [];
  private readonly atomIndex = new Map<string, number>();

  public emit(op: number, x = 0, y = 0): number {
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    return this.op.length - 1;
  }

  public compile(node: Node): void {
    switch (node.k) {
      case 'atom': {
        let index = this.atomIndex.get(node.src);
        if (index === undefined) {
          index = this.atoms.length;
          this.atoms.push(node.src);
          this.atomIndex.set(node.src, index);
        }
        this.emit(OP_CHAR, index);
        return;
      }
      case 'assert':
        this.emit(OP_ASSERT, node.a);
        return;
      case 'cat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alt': {
        // split L1, next; L1: a; jmp end; next: split L2, …
        const jumps: number[] = [];
        node.items.forEach((item, k) => {
          if (k < node.items.length - 1) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            this.compile(item);
            jumps.push(this.emit(OP_JMP));
            this.y[split] = this.op.length;
          } else {
            this.compile(item);
          }
        });
        for (const j of jumps) this.x[j] = this.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) this.compile(node.item);
        if (node.max === Infinity) {
          // L: split body, end; body; jmp L
          const split = this.emit(OP_SPLIT);
          this.x[split] = split + 1;
          this.compile(node.item);
          this.emit(OP_JMP, split);
          this.y[split] = this.op.length;
        } else {
          // (item (item (…)?)?)?: each optional copy may skip to the end.
          const splits: number[] = [];
          for (let k = node.min; k < node.max; k++) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            splits.push(split);
            this.compile(node.item);
          }
          for (const s of splits) this.y[s] = this.op.length;
        }
        return;
      }
    }
  }
}

/**
 * Whether the linear engine runs this pattern, and its size. `pattern` must be a valid `u`-mode
 * regular expression (check with `new RegExp(pattern, 'u')` first).
 */
export function analyzePattern(pattern: string): { readonly states: number } | PatternRefusal {
  try {
    const node = new Parser(pattern).parse();
    const states = sizeOf(node, MAX_PATTERN_STATES) + 1;
    if (states > MAX_PATTERN_STATES) {
      return {
        rule: 'too-large',
        message: `it compiles to more than ${MAX_PATTERN_STATES} automaton states (counted repetitions such as {1000} are expanded): simplify it or lower its repetition counts`,
      };
    }
    return { states };
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Lazy DFA

interface DState {
  /** NFA instructions reached by consuming the previous code point (threads before closure). */
  readonly pcs: Int32Array;
  /** 1: at the start of the value; 2: the previous code point is a word character. */
  readonly flags: number;
  /** Transitions on ASCII code points (undefined: not computed yet). */
  readonly ascii: (DState | undefined)[];
  /** Transitions on the other code points. */
  high: Map<number, DState> | undefined;
  /** Whether the value may end here (computed once). */
  end: boolean | undefined;
  /** No thread left and the pattern cannot start a match after the first position. */
  readonly dead: boolean;
}

const AT_START = 1;
const PREV_WORD = 2;

/** ECMA-262 word characters (`\w` without the `i` flag): A-Z, a-z, 0-9, _. */
function isWordCodePoint(cp: number): boolean {
  return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f;
}

/** A compiled pattern: `test` answers like `new RegExp(source, 'u').test`, in linear time. */
export class LinearRegExp {
  /** NFA instructions (the work bound per code point). */
  public readonly states: number;
  /** Steps of the last `test`: code points read plus NFA instructions visited building DFA states. */
  public lastWork = 0;

  private readonly op: Int32Array;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  /** Atom of each CHAR instruction. */
  private readonly atomOf: Int32Array;
  /** Per atom: its V8 matcher of one code point, and its answers for ASCII. */
  private readonly atomRes: readonly RegExp[];
  private readonly atomAscii: readonly Uint8Array[];
  private readonly startUseless: boolean;
  private readonly matched: DState;
  private cache = new Map<string, DState>();
  private start: DState;
  // Scratch of closure().
  private readonly mark: Int32Array;
  private generation = 0;
  private readonly stack: Int32Array;
  private readonly threads: Int32Array;
  private threadCount = 0;
  private work = 0;

  private constructor(public readonly source: string, program: Program) {
    program.emit(OP_MATCH);
    const n = program.op.length;
    this.states = n;
    this.op = Int32Array.from(program.op);
    this.x = Int32Array.from(program.x);
    this.y = Int32Array.from(program.y);
    this.atomOf = new Int32Array(n).fill(-1);
    for (let pc = 0; pc < n; pc++) if (this.op[pc] === OP_CHAR) this.atomOf[pc] = this.x[pc]!;
    this.atomRes = program.atoms.map((src) => new RegExp(`^(?:${src})$`, 'u'));
    this.atomAscii = this.atomRes.map((re) => {
      const table = new Uint8Array(128);
      for (let c = 0; c < 128; c++) table[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
      return table;
    });
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n * 3 + 2);
    this.threads = new Int32Array(n);
    this.matched = { pcs: new Int32Array(0), flags: 0, ascii: [], high: undefined, end: true, dead: false };
    this.startUseless = this.computeStartUseless();
    this.start = this.intern(new Int32Array(0), AT_START);
  }

  /** Compiles a valid `u`-mode pattern; throws when `analyzePattern` refuses it. */
  public static compile(pattern: string): LinearRegExp {
    const analysis = analyzePattern(pattern);
    if ('rule' in analysis) throw new Error(`pattern ${JSON.stringify(pattern)} cannot run in linear time (${analysis.rule}): ${analysis.message}`);
    const program = new Program();
    program.compile(new Parser(pattern).parse());
    return new LinearRegExp(pattern, program);
  }

  /** Whether the value contains a match (ECMA-262 `RegExp.prototype.test` with the `u` flag). */
  public test(value: string): boolean {
    this.work = 0;
    let s = this.start;
    const n = value.length;
    let result: boolean | undefined;
    for (let i = 0; i < n; i++) {
      let c = value.charCodeAt(i);
      let next: DState | undefined;
      if (c < 128) {
        next = s.ascii[c];
      } else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
          const d = value.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
            i++;
          }
        }
        next = s.high?.get(c);
      }
      if (next === undefined) next = this.transition(s, c);
      this.work++;
      if (next === this.matched) {
        result = true;
        break;
      }
      if (next.dead) {
        result = false;
        break;
      }
      s = next;
    }
    if (result === undefined) {
      s.end ??= this.closure(s.pcs, s.flags, true, false);
      result = s.end;
    }
    this.lastWork = this.work;
    return result;
  }

  /** Follows the empty transitions from `pcs` plus the start; fills `threads` with CHAR instructions. Returns true at MATCH. */
  private closure(pcs: Int32Array, flags: number, atEnd: boolean, nextWord: boolean): boolean {
    this.threadCount = 0;
    const gen = ++this.generation;
    const mark = this.mark;
    const stack = this.stack;
    let top = 0;
    // The start is added at every position (unanchored search); seeded last, so explored first.
    for (let k = pcs.length - 1; k >= 0; k--) stack[top++] = pcs[k]!;
    stack[top++] = 0;
    const atStart = (flags & AT_START) !== 0;
    const prevWord = (flags & PREV_WORD) !== 0;
    while (top > 0) {
      const pc = stack[--top]!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      this.work++;
      switch (this.op[pc]) {
        case OP_CHAR:
          this.threads[this.threadCount++] = pc;
          break;
        case OP_MATCH:
          return true;
        case OP_JMP:
          stack[top++] = this.x[pc]!;
          break;
        case OP_SPLIT:
          stack[top++] = this.y[pc]!;
          stack[top++] = this.x[pc]!;
          break;
        case OP_ASSERT: {
          const a = this.x[pc];
          const holds = a === A_BOL ? atStart : a === A_EOL ? atEnd : a === A_WORD ? prevWord !== nextWord : prevWord === nextWord;
          if (holds) stack[top++] = pc + 1;
          break;
        }
      }
    }
    return false;
  }

  private matches(atom: number, cp: number): boolean {
    if (cp < 128) return this.atomAscii[atom]![cp] === 1;
    return this.atomRes[atom]!.test(String.fromCodePoint(cp));
  }

  /** Computes, caches and returns the transition of `s` on code point `cp`. */
  private transition(s: DState, cp: number): DState {
    const word = isWordCodePoint(cp);
    let next: DState;
    if (this.closure(s.pcs, s.flags, false, word)) {
      next = this.matched;
    } else {
      const out: number[] = [];
      const gen = ++this.generation;
      for (let k = 0; k < this.threadCount; k++) {
        const pc = this.threads[k]!;
        if (this.mark[pc + 1] !== gen && this.matches(this.atomOf[pc]!, cp)) {
          this.mark[pc + 1] = gen;
          out.push(pc + 1);
        }
      }
      out.sort((a, b) => a - b);
      if (this.cache.size >= MAX_DFA_STATES) this.flush(s);
      next = this.intern(Int32Array.from(out), word ? PREV_WORD : 0);
    }
    if (cp < 128) s.ascii[cp] = next;
    else (s.high ??= new Map()).set(cp, next);
    return next;
  }

  /** Drops every cached state but the start (memory stays bounded; `s` keeps working). */
  private flush(s: DState): void {
    this.cache = new Map();
    this.start = this.intern(this.start.pcs, this.start.flags);
    s.ascii.fill(undefined);
    s.high = undefined;
  }

  private intern(pcs: Int32Array, flags: number): DState {
    const key = `${flags}:${pcs.join(',')}`;
    let state = this.cache.get(key);
    if (state === undefined) {
      state = {
        pcs,
        flags,
        ascii: new Array<DState | undefined>(128).fill(undefined),
        high: undefined,
        end: undefined,
        dead: pcs.length === 0 && (flags & AT_START) === 0 && this.startUseless,
      };
      this.cache.set(key, state);
    }
    return state;
  }

  /** True when no match can start after the first position (every way from the start needs `^`). */
  private computeStartUseless(): boolean {
    // Word-boundary assertions are taken as satisfiable: an over-approximation keeps this sound.
    const seen = new Uint8Array(this.states);
    const stack = [0];
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (seen[pc] === 1) continue;
      seen[pc] = 1;
      const op = this.op[pc];
      if (op === OP_CHAR || op === OP_MATCH) return false;
      if (op === OP_JMP) stack.push(this.x[pc]!);
      else if (op === OP_SPLIT) stack.push(this.x[pc]!, this.y[pc]!);
      else if (op === OP_ASSERT && this.x[pc] !== A_BOL) stack.push(pc + 1);
    }
    return true;
  }
}
