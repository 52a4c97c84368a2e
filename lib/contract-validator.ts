/**
 * Contract validation on a record's bytes (pure; no JSON.parse of the event). Shared by the JSONL
 * transform (functions/jsonl-transform, on records that passed its RFC 8259 scan) and the collector
 * (functions/collector, on the JSON it serialized itself, see `validateSerialized`).
 *
 * At synth, modules/contracts.ts compiles each event type's JSON Schema (the subset of
 * config/contracts.ts) into a `ProgramNode` tree: plain data, no annotations, type bits instead
 * of names. On the first record of a stream, `linkProgram` turns it into lookup structures (key
 * tables by length, enum sets, patterns compiled for the linear-time engine of lib/linear-regexp.ts,
 * schema paths). `validateRecord`
 * then walks the JSON bytes once per line, checking each value against its node as it goes.
 *
 * Why not JSON.parse + a generated validator (ajv standalone): JSON.parse alone runs at about
 * 1.4x the naive parse/stringify transform on the benchmark events, so no design that parses
 * can reach the 3x budget; and ajv's generated code is ~7 KB per schema, 35 MB at 5,000 types.
 * See docs/contracts.md ("Why a byte-level validator"). ajv is the oracle of the property tests.
 *
 * PRECONDITION: the bytes are valid UTF-8 and valid JSON, one object per line (the transform's
 * scan checked them, or JSON.stringify wrote them). The walker relies on it and does not re-check
 * the grammar.
 *
 * Semantics are JSON Schema 2020-12's for the subset, with two deliberate restrictions that
 * keep every accepted event readable by Athena: `integer` means an integer *literal* (`12`,
 * not `12.0` or `1.2e1`) within Athena's bigint range, and a declared property may appear only
 * once per object (duplicate keys are ambiguous for the SerDe).
 *
 * Moved here from functions/jsonl-transform/contract.ts (which re-exports it) so that the
 * collector shares it without importing another function's folder.
 */
import { FORMAT_CHECKS } from './contract-formats';
import { LinearRegExp } from './linear-regexp';

export type Primitive = string | number | boolean | null;

/** Type bits of `ProgramNode.t`. `number` accepts integers too (JSON Schema's rule). */
export const T_STRING = 1;
export const T_INTEGER = 2;
export const T_NUMBER = 4;
export const T_BOOLEAN = 8;
export const T_NULL = 16;
export const T_OBJECT = 32;
export const T_ARRAY = 64;

/** One compiled schema node (short keys: at 5,000 event types the table's size matters). */
export interface ProgramNode {
  /** Type bits. */
  readonly t: number;
  /** enum. */
  readonly e?: readonly Primitive[];
  /** const, wrapped (so that `null` is a value). */
  readonly c?: readonly [Primitive];
  /** minLength / maxLength (code points). */
  readonly n?: number;
  readonly x?: number;
  /** pattern (ECMA-262 with the `u` flag, like ajv; run by lib/linear-regexp.ts in linear time). */
  readonly r?: string;
  /** format. */
  readonly f?: string;
  /** minimum / maximum / exclusiveMinimum / exclusiveMaximum. */
  readonly lo?: number;
  readonly hi?: number;
  readonly xlo?: number;
  readonly xhi?: number;
  /** Object: properties in declaration order, indexes of the required ones, and 1 when other keys are allowed. */
  readonly p?: readonly (readonly [string, ProgramNode])[];
  readonly q?: readonly number[];
  readonly a?: 1;
  /** Array: items, minItems, maxItems, uniqueItems. */
  readonly i?: ProgramNode;
  readonly in?: number;
  readonly ix?: number;
  readonly u?: 1;
}

/** The first violation of a line, by schema path only: never the value. */
export interface Violation {
  /** JSON Schema keyword (or `duplicateKey`). */
  readonly keyword: string;
  /** Path in the schema, such as `/properties/amount/type`. */
  readonly schemaPath: string;
  /** 0-based line (event) of the record. */
  readonly line: number;
}

export interface RecordValidation {
  /** Events (lines) of the record that violate the schema (counting stops at the first unless `all`). */
  readonly violations: number;
  /** Events checked. */
  readonly events: number;
  readonly first?: Violation;
  /** Violating events per keyword of their first violation (set when there are violations). */
  readonly byKeyword?: Readonly<Record<string, number>>;
}

interface KeyEntry {
  readonly bytes: Uint8Array;
  readonly index: number;
}

/** One allowed string value; `index` stands for the value in uniqueness checks (no decoding needed). */
interface EnumEntry {
  readonly bytes: Uint8Array;
  readonly index: number;
}

/** A linked node: lookup structures built once per stream. */
export interface LinkedNode {
  readonly path: string;
  readonly t: number;
  readonly enumSet: Set<Primitive> | undefined;
  readonly hasConst: boolean;
  readonly constValue: Primitive;
  readonly minLength: number;
  readonly maxLength: number;
  /** The pattern, on the linear-time engine (never V8's backtracking one: values are untrusted). */
  readonly re: LinearRegExp | undefined;
  readonly format: ((s: string) => boolean) | undefined;
  readonly formatName: string;
  readonly lo: number;
  readonly hi: number;
  readonly xlo: number;
  readonly xhi: number;
  /** String enum / const values as bytes, by length (compared without decoding when the string has no escapes). */
  readonly enumBytes: readonly (readonly EnumEntry[] | undefined)[] | undefined;
  /** The same values by string, with their index (for strings with escapes). */
  readonly enumIndex: ReadonlyMap<string, number> | undefined;
  /** A byte-level check of the format (no decoding), when there is one. */
  readonly formatBytes: ((s: number, e: number) => boolean) | undefined;
  /** The string must be decoded (pattern, a format without a byte-level check, an element of a unique list, or escapes). */
  readonly needsString: boolean;
  readonly needsLength: boolean;
  readonly needsNumber: boolean;
  // object
  readonly props: readonly LinkedNode[];
  readonly names: readonly string[];
  /** The property names as bytes (names are ASCII: letters, digits, "_"). */
  readonly nameBytes: readonly Uint8Array[];
  readonly byLength: readonly (readonly KeyEntry[] | undefined)[];
  readonly byName: ReadonlyMap<string, number>;
  readonly required: readonly number[];
  readonly additional: boolean;
  /** First slot of this node's properties in the shared `seen` stamps. */
  readonly base: number;
  /** The property matched at each key position of the previous object (events of a type keep their key order). */
  readonly hint: Int32Array;
  // array
  readonly items: LinkedNode | undefined;
  readonly minItems: number;
  readonly maxItems: number;
  readonly unique: boolean;
  /** Scratch list of a unique list's values (reused: a node's lists are never checked at the same time). */
  readonly seenValues: Primitive[] | undefined;
}

/** Slots handed out so far (one per declared property of every linked object node). */
let slots = 0;
let seen = new Int32Array(1024);
let objectId = 0;

/** Links a compiled program (once per stream; microseconds). */
export function linkProgram(program: ProgramNode): LinkedNode {
  return link(program, '', false);
}

function link(node: ProgramNode, path: string, wantValue: boolean): LinkedNode {
  const names = (node.p ?? []).map(([name]) => name);
  const props = (node.p ?? []).map(([name, child]) => link(child, `${path}/properties/${name}`, false));
  const byLength: KeyEntry[][] = [];
  names.forEach((name, index) => {
    (byLength[name.length] ??= []).push({ bytes: Buffer.from(name, 'latin1'), index });
  });
  const base = slots;
  slots += names.length;
  if (slots > seen.length) {
    const grown = new Int32Array(Math.max(slots, seen.length * 2));
    grown.set(seen);
    seen = grown;
  }
  const unique = node.u === 1;
  const hasConst = node.c !== undefined;
  const format = node.f !== undefined ? FORMAT_CHECKS[node.f] : undefined;
  if (node.f !== undefined && format === undefined) throw new Error(`unknown format "${node.f}" in a compiled contract`);
  const formatBytes = node.f !== undefined ? BYTE_FORMATS[node.f] : undefined;
  // The string values a string may take: the const (if the enum, when there is one, allows it), else the enum's strings.
  const allowed = hasConst ? (node.e === undefined || node.e.includes(node.c![0]) ? [node.c![0]] : []) : (node.e ?? []);
  let enumBytes: EnumEntry[][] | undefined;
  let enumIndex: Map<string, number> | undefined;
  if ((node.t & T_STRING) !== 0 && (hasConst || node.e !== undefined)) {
    enumBytes = [];
    enumIndex = new Map();
    for (const v of allowed.filter((x): x is string => typeof x === 'string')) {
      const bytes = Buffer.from(v, 'utf8');
      const index = enumIndex.size;
      enumIndex.set(v, index);
      (enumBytes[bytes.length] ??= []).push({ bytes, index });
    }
  }
  // In a unique list, an enum string stands for itself by its index: no decoding.
  const wantString = wantValue && enumBytes === undefined;
  const needsString = node.r !== undefined || (format !== undefined && formatBytes === undefined) || wantString;
  return {
    path,
    t: node.t,
    enumSet: node.e !== undefined ? new Set(node.e) : undefined,
    hasConst,
    constValue: hasConst ? node.c![0] : null,
    minLength: node.n ?? 0,
    maxLength: node.x ?? Infinity,
    re: node.r !== undefined ? LinearRegExp.compile(node.r) : undefined,
    format,
    formatName: node.f ?? '',
    enumBytes,
    enumIndex,
    formatBytes,
    lo: node.lo ?? -Infinity,
    hi: node.hi ?? Infinity,
    xlo: node.xlo ?? -Infinity,
    xhi: node.xhi ?? Infinity,
    needsString,
    needsLength: node.n !== undefined || node.x !== undefined,
    needsNumber: hasConst || node.e !== undefined || node.lo !== undefined || node.hi !== undefined || node.xlo !== undefined || node.xhi !== undefined || wantValue,
    props,
    names,
    nameBytes: names.map((n) => Buffer.from(n, 'latin1')),
    byLength,
    byName: new Map(names.map((n, k) => [n, k])),
    required: node.q ?? [],
    additional: node.a === 1,
    base,
    hint: new Int32Array(names.length).fill(-1),
    items: node.i !== undefined ? link(node.i, `${path}/items`, unique) : undefined,
    minItems: node.in ?? 0,
    maxItems: node.ix ?? Infinity,
    unique,
    seenValues: unique ? [] : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Walker state (module-level for speed; the walker is not re-entrant)

const QUOTE = 0x22;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;

const WS = new Uint8Array(256);
WS[0x20] = 1;
WS[0x09] = 1;
WS[0x0a] = 1;
WS[0x0d] = 1;


/** Bytes that end a number or literal. */
const END = new Uint8Array(256);
END[COMMA] = 1;
END[RBRACE] = 1;
END[RBRACKET] = 1;
END[0x20] = 1;
END[0x09] = 1;
END[0x0a] = 1;
END[0x0d] = 1;

let b: Buffer = Buffer.alloc(0);
/** The scan's string tape (see transform.ts) and the read position in it. */
let ends: Int32Array = new Int32Array(0);
let tp = 0;
let escaped = false;
/** The last primitive value seen (for uniqueItems), as a type-tagged key. */
let lastValue: string | number | boolean | null = null;
let vKeyword = '';
let vPath = '';

function fail(path: string, keyword: string): number {
  vKeyword = keyword;
  vPath = path;
  return -1;
}

function ws(i: number): number {
  const buf = b;
  while (WS[buf[i]!] === 1) i++;
  return i;
}

/** Index after the closing quote of the string opening at the current position; sets `escaped`. From the scan's tape. */
function stringEnd(): number {
  const end = ends[tp++]!;
  escaped = end < 0;
  return escaped ? -end : end;
}

/** Decodes the string whose quotes are at `s - 1` and `e` (exclusive end of contents). */
function decodeString(s: number, e: number): string {
  return escaped ? (JSON.parse(utf8Slice.call(b, s - 1, e + 1)) as string) : utf8Slice.call(b, s, e);
}

/** Buffer's own UTF-8 slice (what `toString('utf8', s, e)` ends in, without its argument handling). */
const utf8Slice: (this: Buffer, start: number, end: number) => string =
  (Buffer.prototype as unknown as { utf8Slice?: (this: Buffer, start: number, end: number) => string }).utf8Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('utf8', start, end);
  };

/** Code points of a string without escapes: UTF-8 bytes that do not continue a sequence. */
function utf8CodePoints(s: number, e: number): number {
  let count = 0;
  for (let k = s; k < e; k++) if ((b[k]! & 0xc0) !== 0x80) count++;
  return count;
}

/** Code points of a decoded string (a surrogate pair counts once, as in ajv's ucs2length). */
function codePoints(str: string): number {
  let count = 0;
  for (let k = 0; k < str.length; k++) {
    const c = str.charCodeAt(k);
    count++;
    if (c >= 0xd800 && c <= 0xdbff && k + 1 < str.length) {
      const d = str.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) k++;
    }
  }
  return count;
}

/** The index of the entry of `table` (indexed by length) equal to the bytes b[s, e), or -1. */
function bytesIn(table: readonly (readonly EnumEntry[] | undefined)[], s: number, e: number): number {
  const candidates = table[e - s];
  if (candidates === undefined) return -1;
  const buf = b;
  for (let k = 0; k < candidates.length; k++) {
    const bytes = candidates[k]!.bytes;
    let j = 0;
    while (j < bytes.length && bytes[j] === buf[s + j]) j++;
    if (j === bytes.length) return candidates[k]!.index;
  }
  return -1;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of the number literal b[s, e). With at most 15 significant digits and no exponent,
 * digits / 10^k is exact in both operands, so IEEE division rounds it exactly as Number() does;
 * anything else goes through Number().
 */
function numberAt(s: number, e: number): number {
  let k = s;
  const negative = b[k] === MINUS;
  if (negative) k++;
  let digits = 0;
  let value = 0;
  let scale = -1;
  for (; k < e; k++) {
    const d = b[k]!;
    if (d === DOT) {
      scale = 0;
      continue;
    }
    if (d < 0x30 || d > 0x39 || ++digits > 15) return Number(b.toString('latin1', s, e));
    value = value * 10 + (d - 0x30);
    if (scale >= 0) scale++;
  }
  if (scale > 0) value /= POW10[scale]!;
  return negative ? -value : value;
}

function digitsAt(k: number, count: number): number {
  let v = 0;
  for (let j = 0; j < count; j++) {
    const d = b[k + j]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 3339 full-date at b[s, s + 10). */
function dateAt(s: number): boolean {
  if (b[s + 4] !== MINUS || b[s + 7] !== MINUS) return false;
  const y = digitsAt(s, 4);
  const m = digitsAt(s + 5, 2);
  const d = digitsAt(s + 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m]!);
}

/** RFC 3339 full-time at b[s, e) (offset required; a leap second only at 23:59:60 UTC). */
function timeAt(s: number, e: number): boolean {
  if (e - s < 9 || b[s + 2] !== 0x3a || b[s + 5] !== 0x3a) return false;
  const h = digitsAt(s, 2);
  const min = digitsAt(s + 3, 2);
  const sec = digitsAt(s + 6, 2);
  if (h < 0 || h > 23 || min < 0 || min > 59 || sec < 0 || sec > 60) return false;
  let k = s + 8;
  if (b[k] === DOT) {
    const start = ++k;
    while (k < e && b[k]! >= 0x30 && b[k]! <= 0x39) k++;
    if (k === start) return false;
  }
  let offset = 0;
  const z = b[k];
  if (z === 0x5a || z === 0x7a) {
    k++;
  } else if ((z === 0x2b || z === MINUS) && e - k === 6 && b[k + 3] === 0x3a) {
    const oh = digitsAt(k + 1, 2);
    const om = digitsAt(k + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = (z === MINUS ? -1 : 1) * (oh * 60 + om);
    k += 6;
  } else {
    return false;
  }
  if (k !== e) return false;
  if (sec <= 59) return true;
  const utc = (((h * 60 + min - offset) % 1440) + 1440) % 1440;
  return utc === 23 * 60 + 59;
}

/** RFC 3986 URI bytes: an absolute URI's scheme, then only unreserved, reserved and %XX. */
const URI_BYTE = new Uint8Array(256);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=") URI_BYTE[ch.charCodeAt(0)] = 1;
const HEX_BYTE = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX_BYTE[ch.charCodeAt(0)] = 1;
const ALPHA = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function uriAt(s: number, e: number): boolean {
  if (s >= e || !ALPHA(b[s]!)) return false;
  let k = s + 1;
  while (k < e && (ALPHA(b[k]!) || (b[k]! >= 0x30 && b[k]! <= 0x39) || b[k] === 0x2b || b[k] === MINUS || b[k] === DOT)) k++;
  if (k >= e || b[k] !== 0x3a) return false;
  for (k++; k < e; k++) {
    const c = b[k]!;
    if (URI_BYTE[c] === 1) continue;
    if (c === 0x25 && k + 2 < e && HEX_BYTE[b[k + 1]!] === 1 && HEX_BYTE[b[k + 2]!] === 1) {
      k += 2;
      continue;
    }
    return false;
  }
  return true;
}

/** Formats checked on the bytes (only for strings without escapes; the others are decoded). */
const BYTE_FORMATS: Readonly<Record<string, (s: number, e: number) => boolean>> = {
  'date-time': (s, e) => e - s >= 20 && (b[s + 10] === 0x54 || b[s + 10] === 0x74) && dateAt(s) && timeAt(s + 11, e),
  date: (s, e) => e - s === 10 && dateAt(s),
  time: (s, e) => timeAt(s, e),
  uri: uriAt,
};

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/** Whether the integer literal b[s, e) fits Athena's bigint (a signed 64-bit integer). */
function fitsInt64(s: number, e: number): boolean {
  const negative = b[s] === MINUS;
  const digits = e - s - (negative ? 1 : 0);
  if (digits < 19) return true;
  if (digits > 19) return false;
  const text = b.toString('latin1', negative ? s + 1 : s, e);
  return text <= (negative ? INT64_MIN_ABS : INT64_MAX);
}

function skipValue(i: number): number {
  const c = b[i]!;
  if (c === QUOTE) return stringEnd();
  if (c !== LBRACE && c !== LBRACKET) {
    while (END[b[i]!] !== 1 && i < b.length) i++;
    return i;
  }
  let depth = 0;
  for (;;) {
    const d = b[i]!;
    if (d === QUOTE) {
      i = stringEnd();
      continue;
    }
    if (d === LBRACE || d === LBRACKET) depth++;
    else if ((d === RBRACE || d === RBRACKET) && --depth === 0) return i + 1;
    i++;
  }
}

function nextObjectId(): number {
  if (objectId >= 0x3fffffff) {
    seen.fill(0);
    objectId = 0;
  }
  return ++objectId;
}

function lookupKey(node: LinkedNode, s: number, e: number, position: number): number {
  if (escaped) return node.byName.get(decodeString(s, e)) ?? -1;
  const buf = b;
  const length = e - s;
  // Most events of a type repeat the key order of the previous one: try that property first.
  const hint = node.hint;
  if (position < hint.length) {
    const guess = hint[position]!;
    if (guess >= 0) {
      const bytes = node.nameBytes[guess]!;
      if (bytes.length === length) {
        let j = 0;
        while (j < length && bytes[j] === buf[s + j]) j++;
        if (j === length) return guess;
      }
    }
  }
  const candidates = node.byLength[length];
  if (candidates === undefined) return -1;
  for (let k = 0; k < candidates.length; k++) {
    const entry = candidates[k]!;
    const bytes = entry.bytes;
    let j = 0;
    while (j < length && bytes[j] === buf[s + j]) j++;
    if (j === length) {
      if (position < hint.length) hint[position] = entry.index;
      return entry.index;
    }
  }
  return -1;
}

function checkObject(node: LinkedNode, i: number): number {
  const id = nextObjectId();
  i = ws(i + 1);
  let position = 0;
  if (b[i] !== RBRACE) {
    for (;;) {
      const s = i + 1;
      i = stringEnd();
      const index = lookupKey(node, s, i - 1, position++);
      // Whitespace is rare (records are minified before validation): look before calling ws().
      if (WS[b[i]!] === 1) i = ws(i);
      i++; // ':'
      if (WS[b[i]!] === 1) i = ws(i);
      if (index < 0) {
        if (!node.additional) return fail(`${node.path}/additionalProperties`, 'additionalProperties');
        i = skipValue(i);
      } else {
        const slot = node.base + index;
        const child = node.props[index]!;
        if (seen[slot] === id) return fail(child.path, 'duplicateKey');
        seen[slot] = id;
        i = checkValue(child, i);
        if (i < 0) return -1;
      }
      if (WS[b[i]!] === 1) i = ws(i);
      if (b[i] === COMMA) {
        i++;
        if (WS[b[i]!] === 1) i = ws(i);
        continue;
      }
      break;
    }
  }
  const required = node.required;
  for (let k = 0; k < required.length; k++) {
    if (seen[node.base + required[k]!] !== id) return fail(`${node.path}/required`, 'required');
  }
  return i + 1;
}

function checkArray(node: LinkedNode, i: number): number {
  i = ws(i + 1);
  let count = 0;
  const items = node.items;
  const values = node.seenValues;
  if (values !== undefined) values.length = 0;
  let seenSet: Set<Primitive> | undefined;
  if (b[i] !== RBRACKET) {
    for (;;) {
      if (items !== undefined) {
        i = checkValue(items, i);
        if (i < 0) return -1;
      } else {
        i = skipValue(i);
      }
      if (values !== undefined) {
        // Lists are short: a linear search, then a Set past 16 elements. Equality is ===, as ajv's (-0 === 0).
        if (seenSet !== undefined) {
          if (seenSet.has(lastValue === 0 ? 0 : lastValue)) return fail(`${node.path}/uniqueItems`, 'uniqueItems');
          seenSet.add(lastValue === 0 ? 0 : lastValue);
        } else {
          for (let k = 0; k < values.length; k++) if (values[k] === lastValue) return fail(`${node.path}/uniqueItems`, 'uniqueItems');
          values.push(lastValue);
          if (values.length > 16) seenSet = new Set(values.map((v) => (v === 0 ? 0 : v)));
        }
      }
      count++;
      if (WS[b[i]!] === 1) i = ws(i);
      if (b[i] === COMMA) {
        i++;
        if (WS[b[i]!] === 1) i = ws(i);
        continue;
      }
      break;
    }
  }
  if (count < node.minItems) return fail(`${node.path}/minItems`, 'minItems');
  if (count > node.maxItems) return fail(`${node.path}/maxItems`, 'maxItems');
  return i + 1;
}

function checkPrimitive(node: LinkedNode, value: Primitive): number {
  if (node.hasConst && value !== node.constValue) return fail(`${node.path}/const`, 'const');
  if (node.enumSet !== undefined && !node.enumSet.has(value)) return fail(`${node.path}/enum`, 'enum');
  return 0;
}

function checkValue(node: LinkedNode, i: number): number {
  const c = b[i]!;
  if (c === QUOTE) {
    const s = i + 1;
    const end = stringEnd();
    if ((node.t & T_STRING) === 0) return fail(`${node.path}/type`, 'type');
    const e = end - 1;
    if (node.needsString || (escaped && (node.enumBytes !== undefined || node.formatBytes !== undefined || node.needsLength))) {
      const str = decodeString(s, e);
      lastValue = node.enumIndex !== undefined ? (node.enumIndex.get(str) ?? str) : str;
      if (checkPrimitive(node, str) < 0) return -1;
      if (node.needsLength) {
        const len = codePoints(str);
        if (len < node.minLength) return fail(`${node.path}/minLength`, 'minLength');
        if (len > node.maxLength) return fail(`${node.path}/maxLength`, 'maxLength');
      }
      if (node.re !== undefined && !node.re.test(str)) return fail(`${node.path}/pattern`, 'pattern');
      if (node.format !== undefined && !node.format(str)) return fail(`${node.path}/format`, 'format');
      return end;
    }
    // No escapes: check on the bytes.
    if (node.enumBytes !== undefined) {
      const index = bytesIn(node.enumBytes, s, e);
      if (index < 0) return fail(`${node.path}/${node.hasConst ? 'const' : 'enum'}`, node.hasConst ? 'const' : 'enum');
      lastValue = index;
    }
    if (node.needsLength) {
      const bytes = e - s;
      // Code points are between bytes / 4 and bytes: count only when that range straddles a bound.
      if ((bytes > node.maxLength && utf8CodePoints(s, e) > node.maxLength) || (bytes < 4 * node.minLength && utf8CodePoints(s, e) < node.minLength)) {
        return fail(`${node.path}/${bytes > node.maxLength ? 'maxLength' : 'minLength'}`, bytes > node.maxLength ? 'maxLength' : 'minLength');
      }
    }
    if (node.formatBytes !== undefined && !node.formatBytes(s, e)) return fail(`${node.path}/format`, 'format');
    return end;
  }
  if (c === LBRACE) {
    if ((node.t & T_OBJECT) === 0) return fail(`${node.path}/type`, 'type');
    return checkObject(node, i);
  }
  if (c === LBRACKET) {
    if ((node.t & T_ARRAY) === 0) return fail(`${node.path}/type`, 'type');
    return checkArray(node, i);
  }
  if (c === LOWER_T || c === LOWER_F) {
    if ((node.t & T_BOOLEAN) === 0) return fail(`${node.path}/type`, 'type');
    const value = c === LOWER_T;
    lastValue = value;
    if (checkPrimitive(node, value) < 0) return -1;
    return i + (value ? 4 : 5);
  }
  if (c === LOWER_N) {
    if ((node.t & T_NULL) === 0) return fail(`${node.path}/type`, 'type');
    lastValue = null;
    if (checkPrimitive(node, null) < 0) return -1;
    return i + 4;
  }
  // A number.
  const s = i;
  let integer = true;
  const buf = b;
  const n = buf.length;
  while (i < n && END[buf[i]!] !== 1) {
    const d = buf[i]!;
    if (d === DOT || d === LOWER_E || d === UPPER_E) integer = false;
    i++;
  }
  if ((node.t & T_NUMBER) === 0) {
    if ((node.t & T_INTEGER) === 0 || !integer || !fitsInt64(s, i)) return fail(`${node.path}/type`, 'type');
  }
  if (node.needsNumber) {
    const value = numberAt(s, i);
    lastValue = value;
    if (checkPrimitive(node, value) < 0) return -1;
    if (value < node.lo) return fail(`${node.path}/minimum`, 'minimum');
    if (value > node.hi) return fail(`${node.path}/maximum`, 'maximum');
    if (value <= node.xlo) return fail(`${node.path}/exclusiveMinimum`, 'exclusiveMinimum');
    if (value >= node.xhi) return fail(`${node.path}/exclusiveMaximum`, 'exclusiveMaximum');
  }
  return i;
}

/** Where the scan found each string's end and each event's start (transform.ts records it). */
export interface ScanTape {
  /** End (index after the closing quote) of every string, in document order; negated when it holds an escape. */
  readonly ends: Int32Array;
  /** Byte index where each event (top-level value) starts. */
  readonly lineStarts: Int32Array;
  /** Index into `ends` of each event's first string. */
  readonly lineTapes: Int32Array;
  /** Number of events. */
  readonly lines: number;
}

const NO_VIOLATION: RecordValidation = { violations: 0, events: 0 };

/**
 * Validates every event (line) of a record that passed the transform's scan, with the scan's
 * tape. Stops at the first violating event unless `all` (observe mode counts every violating event).
 */
export function validateRecord(data: Buffer, root: LinkedNode, all: boolean, tape: ScanTape): RecordValidation {
  return validateLines(data, root, all, tape.ends, tape.lineStarts, tape.lineTapes, tape.lines);
}

/** `validateRecord` with the tape as arguments (the transform's hot path: no object per record). */
export function validateLines(
  data: Buffer,
  root: LinkedNode,
  all: boolean,
  tapeEnds: Int32Array,
  lineStarts: Int32Array,
  lineTapes: Int32Array,
  lines: number,
): RecordValidation {
  b = data;
  ends = tapeEnds;
  let violations = 0;
  let first: Violation | undefined;
  let byKeyword: Record<string, number> | undefined;
  for (let line = 0; line < lines; line++) {
    tp = lineTapes[line]!;
    if (checkValue(root, lineStarts[line]!) < 0) {
      violations++;
      first ??= { keyword: vKeyword, schemaPath: vPath === '' ? '/' : vPath, line };
      byKeyword ??= {};
      byKeyword[vKeyword] = (byKeyword[vKeyword] ?? 0) + 1;
      if (!all) break;
    }
  }
  if (first === undefined) return lines === 1 ? SINGLE_EVENT : lines === 0 ? NO_VIOLATION : { violations, events: lines };
  return { violations, events: lines, first, byKeyword: byKeyword ?? {} };
}

const SINGLE_EVENT: RecordValidation = { violations: 0, events: 1 };

/** Reused tape of `validateSerialized` (grows on demand). */
let serialEnds = new Int32Array(256);
const ONE_LINE_STARTS = new Int32Array(1);
const ONE_LINE_TAPES = new Int32Array(1);

/**
 * Validates ONE event serialized by `JSON.stringify` (compact, one object, valid UTF-8): builds
 * the string tape the transform's scan would have built (where each string ends, negated when it
 * holds an escape), then walks it like `validateRecord`. For producers that validate what they
 * are about to write (the collector): the bytes validated are exactly the bytes sent.
 * Never pass bytes that did not come from `JSON.stringify` (or another writer of compact, valid JSON).
 */
export function validateSerialized(json: Buffer, root: LinkedNode): RecordValidation {
  const n = json.length;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (json[i] !== QUOTE) continue;
    let k = i + 1;
    let escapedString = false;
    while (json[k] !== QUOTE) {
      if (json[k] === 0x5c) {
        escapedString = true;
        k += 2;
      } else k++;
    }
    if (count === serialEnds.length) {
      const grown = new Int32Array(serialEnds.length * 2);
      grown.set(serialEnds);
      serialEnds = grown;
    }
    serialEnds[count++] = escapedString ? -(k + 1) : k + 1;
    i = k;
  }
  ONE_LINE_STARTS[0] = 0;
  ONE_LINE_TAPES[0] = 0;
  return validateLines(json, root, false, serialEnds, ONE_LINE_STARTS, ONE_LINE_TAPES, 1);
}
