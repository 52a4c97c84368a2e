/**
 * Pure JSONL transform for Firehose data-transformation records (no I/O, no logging).
 *
 * Each record (base64) must hold one JSON object, compact or pretty-printed, or several objects,
 * one per line. An `Ok` record comes back as JSON lines: each object minified onto its own line,
 * each line ending in exactly one `\n`, blank lines removed. Anything else is `ProcessingFailed`
 * with its original `data`, so Firehose writes it under the error prefix. `Dropped` is never used.
 *
 * No JSON.parse / JSON.stringify round trip: that would rewrite numbers (1e2 -> 100, 1.0 -> 1,
 * big integers lose precision) and escapes. Instead a single-pass byte-level validator checks the
 * RFC 8259 grammar and notes whether the bytes are already compact JSON lines; only records that
 * are not get a second, minifying pass. String contents are copied byte for byte.
 *
 * SIZE INVARIANT (keeps the Lambda response under 6 MB for every request Firehose can send):
 * every output entry is smaller than its input entry.
 * - `Ok` data: minification only removes bytes. We emit one `\n` per top-level object; every object
 *   but the last is followed in the input by at least one whitespace byte containing a `\n`, which
 *   pays for its `\n`. Only the last object can add one byte. So output bytes <= input bytes + 1,
 *   which is at most 4 more base64 characters (4 * ceil((n + 1) / 3) <= 4 * ceil(n / 3) + 4).
 * - `ProcessingFailed` data is the input string itself.
 * - The response entry `{recordId, result, data}` drops `approximateArrivalTimestamp` (at least
 *   `"approximateArrivalTimestamp":0,` = 32 bytes of JSON, 45 for a real epoch-ms value) and
 *   `kinesisRecordMetadata`, and adds `"result":"Ok",` (14 bytes, + 4 base64 chars = 18) or
 *   `"result":"ProcessingFailed",` (28 bytes, data unchanged). So each entry shrinks, and the
 *   response `{"records":[...]}` is smaller than the request, which Lambda caps at 6 MB.
 * `minify` writes into a buffer of exactly input + 1 bytes, and `transformRecordData` checks the
 * base64 length, so a violation would be an internal error, never a silent oversize response.
 *
 * CONTRACTS: with an `ActiveContract` (the stream's compiled schema, see ./contract.ts), every
 * event of a valid record is also checked against the schema. In `enforce` mode a record with a
 * violating event is `ProcessingFailed` with its original data (a packed record fails as a whole);
 * in `observe` mode it stays `Ok` and the violations are only counted. Violations are reported by
 * keyword and schema path, never with the value.
 */

import { isUtf8 } from 'node:buffer';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { TrackingPipelineError } from '../../config/errors';
import { validateLines, type Violation } from './contract';
import type { ActiveContract } from './table';

/** Why a record was sent to the error prefix. Fixed codes: never derived from the payload. */
export type FailureReason =
  | 'missing-data'
  | 'invalid-base64'
  | 'empty'
  | 'invalid-utf8'
  | 'invalid-json'
  | 'not-an-object'
  | 'multiple-values-per-line'
  | 'schema-violation'
  | 'internal-error';

export interface OkOutcome {
  readonly result: 'Ok';
  /** Base64 JSON lines. */
  readonly data: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Number of JSON lines (objects) in the output. */
  readonly lines: number;
  /** Observe mode: events of this record that violate the schema (let through). */
  readonly violations?: number;
  /** Observe mode: the first violation. */
  readonly violation?: Violation;
  /** Observe mode: violating events per keyword of their first violation. */
  readonly violationsByKeyword?: Readonly<Record<string, number>>;
}

export interface FailedOutcome {
  readonly result: 'ProcessingFailed';
  /** The input data, unchanged. */
  readonly data: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly reason: FailureReason;
  /** Human-readable detail with byte offsets only, never payload bytes. */
  readonly detail: string;
  /** For `schema-violation`: the first violation (keyword and schema path, no value). */
  readonly violation?: Violation;
}

export type RecordOutcome = OkOutcome | FailedOutcome;

/** Raised when the event itself (not a record) does not have the Firehose shape: a caller bug. */
export class InvalidEventError extends TrackingPipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Raised when the transform breaks its own size invariant: a bug, never bad input. */
export class InvariantError extends TrackingPipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** Per-invocation counts for the structured log line (no payloads). */
export interface TransformSummary {
  records: number;
  ok: number;
  processingFailed: number;
  dropped: number;
  /** Objects written as lines across all `Ok` records (> ok when records were packed). */
  lines: number;
  /** Decoded bytes in and out. */
  bytesIn: number;
  bytesOut: number;
  failureReasons: Partial<Record<FailureReason, number>>;
  sampleFailure?: { recordId: string; reason: FailureReason; detail: string };
  /** Events that violated the stream's schema (in enforce mode, their records failed; in observe mode, they passed). */
  schemaViolations: number;
  /** Violating events per JSON Schema keyword of their first violation (`type`, `required`, ...). */
  violations: Partial<Record<string, number>>;
  /** The first violation of the invocation: record, line, keyword and schema path; never the value. */
  firstViolation?: { recordId: string; line: number; keyword: string; schemaPath: string };
}

export interface TransformEventOutput {
  readonly response: FirehoseTransformationResult;
  readonly summary: TransformSummary;
}

// ---------------------------------------------------------------------------------------------
// Byte classes

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_T = 0x74;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const EQUALS = 0x3d;

/** 1 for JSON insignificant whitespace (space, tab, CR, LF). */
const WS = new Uint8Array(256);
WS[SPACE] = 1;
WS[TAB] = 1;
WS[CR] = 1;
WS[LF] = 1;

/** 1 for bytes that end the fast string loop: quote, backslash, control characters. */
const STR_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STR_STOP[c] = 1;
STR_STOP[QUOTE] = 1;
STR_STOP[BACKSLASH] = 1;

/** 1 for the characters allowed after a backslash, except `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const ch of '"\\/bfnrt') SIMPLE_ESCAPE[ch.charCodeAt(0)] = 1;

/** 1 for hexadecimal digits. */
const HEX = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

const IN_OBJECT = 1;
const IN_ARRAY = 2;

// ---------------------------------------------------------------------------------------------
// Validator: one pass, no writes. Sets the `scan*` module state below.

/** Open containers of the value being scanned (grows on demand: nesting depth is unbounded). */
let stack = new Uint8Array(64);

let scanReason: FailureReason = 'invalid-json';
let scanDetail = '';
/** True when the bytes are already compact JSON lines (no whitespace but single `\n` separators). */
let scanCompact = true;
/** True when the record ends with the `\n` of its last line. */
let scanEndsWithNewline = false;
/** Number of top-level objects. */
let scanValues = 0;

// The string tape: when `tapeOn` (the stream has a contract), the scan records where every string
// ends (negated when it holds an escape) and where each top-level value starts, so that contract
// validation (./contract.ts) never walks a string's bytes a second time.
let tapeOn = false;
let tapeEnds = new Int32Array(4096);
let tapeLength = 0;
let lineStarts = new Int32Array(64);
let lineTapes = new Int32Array(64);
/** Set by scanString: the string held a backslash escape. */
let stringEscaped = false;

function growTape(): void {
  const grown = new Int32Array(tapeEnds.length * 2);
  grown.set(tapeEnds);
  tapeEnds = grown;
}

function tapeLine(line: number, start: number): void {
  if (line === lineStarts.length) {
    const starts = new Int32Array(lineStarts.length * 2);
    starts.set(lineStarts);
    lineStarts = starts;
    const tapes = new Int32Array(lineTapes.length * 2);
    tapes.set(lineTapes);
    lineTapes = tapes;
  }
  lineStarts[line] = start;
  lineTapes[line] = tapeLength;
}

function fail(reason: FailureReason, detail: string): false {
  scanReason = reason;
  scanDetail = detail;
  return false;
}

function failJson(what: string, at: number): false {
  return fail('invalid-json', `${what} at byte ${at}`);
}

/**
 * Scans one string starting at the opening quote `b[i]`. Returns the index after the closing
 * quote, or -1 (with `scanReason` set). UTF-8 has been validated for the whole record already.
 */
function scanString(b: Uint8Array, i: number, n: number): number {
  i++;
  stringEscaped = false;
  for (;;) {
    // Four bytes per step while none of them needs a look (about 1.5x faster than one per step).
    while (
      i + 4 <= n &&
      (STR_STOP[b[i]!]! | STR_STOP[b[i + 1]!]! | STR_STOP[b[i + 2]!]! | STR_STOP[b[i + 3]!]!) === 0
    ) {
      i += 4;
    }
    while (i < n && STR_STOP[b[i]!] === 0) i++;
    if (i >= n) {
      failJson('unterminated string', i);
      return -1;
    }
    const c = b[i]!;
    if (c === QUOTE) {
      if (tapeOn) {
        if (tapeLength === tapeEnds.length) growTape();
        tapeEnds[tapeLength++] = stringEscaped ? -(i + 1) : i + 1;
      }
      return i + 1;
    }
    if (c === BACKSLASH) {
      stringEscaped = true;
      const e = i + 1 < n ? b[i + 1]! : 0;
      if (SIMPLE_ESCAPE[e] === 1) {
        i += 2;
      } else if (
        e === 0x75 /* u */ &&
        i + 5 < n &&
        HEX[b[i + 2]!] === 1 &&
        HEX[b[i + 3]!] === 1 &&
        HEX[b[i + 4]!] === 1 &&
        HEX[b[i + 5]!] === 1
      ) {
        i += 6;
      } else {
        failJson('invalid escape in string', i);
        return -1;
      }
    } else {
      failJson('unescaped control character in string', i);
      return -1;
    }
  }
}

/** Scans a number starting at `b[i]` (a `-` or a digit). Returns the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, n: number): number {
  const start = i;
  if (b[i] === MINUS) i++;
  if (i >= n) {
    failJson('invalid number', start);
    return -1;
  }
  let c = b[i]!;
  if (c === ZERO) {
    i++;
  } else if (c > ZERO && c <= NINE) {
    i++;
    while (i < n && (c = b[i]!) >= ZERO && c <= NINE) i++;
  } else {
    failJson('invalid number', start);
    return -1;
  }
  if (i < n && b[i] === DOT) {
    i++;
    const digits = i;
    while (i < n && (c = b[i]!) >= ZERO && c <= NINE) i++;
    if (i === digits) {
      failJson('invalid number', start);
      return -1;
    }
  }
  if (i < n && ((c = b[i]!) === LOWER_E || c === UPPER_E)) {
    i++;
    if (i < n && ((c = b[i]!) === PLUS || c === MINUS)) i++;
    const digits = i;
    while (i < n && (c = b[i]!) >= ZERO && c <= NINE) i++;
    if (i === digits) {
      failJson('invalid number', start);
      return -1;
    }
  }
  return i;
}

function matches(b: Uint8Array, i: number, n: number, word: string): boolean {
  if (i + word.length > n) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

function typeName(first: number): string {
  if (first === LBRACKET) return 'an array';
  if (first === QUOTE) return 'a string';
  if (first === LOWER_T || first === LOWER_F) return 'a boolean';
  if (first === LOWER_N) return 'null';
  return 'a number';
}

/**
 * Validates a decoded record: UTF-8 (checked before, by the caller), JSON grammar (RFC 8259,
 * strict), top-level values all objects, one object per line. Returns true when valid.
 */
function scan(b: Uint8Array): boolean {
  const n = b.length;
  tapeLength = 0;
  let i = 0;
  let compact = true;
  let values = 0;
  scanEndsWithNewline = false;

  for (;;) {
    // Whitespace before / between / after top-level values.
    const sepStart = i;
    let newline = false;
    while (i < n && WS[b[i]!] === 1) {
      if (b[i] === LF) newline = true;
      i++;
    }
    if (i === n) {
      if (values === 0) return fail('empty', n === 0 ? 'record is empty' : 'record holds only whitespace');
      const sepLength = n - sepStart;
      if (sepLength === 1 && newline) scanEndsWithNewline = true;
      else if (sepLength !== 0) compact = false;
      break;
    }
    if (values > 0) {
      if (!newline) {
        return fail(
          'multiple-values-per-line',
          `data after the object on the same line at byte ${i} (one object per line)`,
        );
      }
      if (i - sepStart !== 1) compact = false;
    } else if (i !== 0) {
      compact = false;
    }

    // One JSON value, iteratively (no recursion: any depth is fine).
    if (tapeOn) tapeLine(values, i);
    const first = b[i]!;
    let depth = 0;
    value: for (;;) {
      // Expecting a value at b[i]; whitespace already skipped.
      if (i >= n) return failJson('unexpected end of data', i);
      const c = b[i]!;
      if (c === LBRACE || c === LBRACKET) {
        i++;
        const ws = i;
        while (i < n && WS[b[i]!] === 1) i++;
        if (i !== ws) compact = false;
        const close = c === LBRACE ? RBRACE : RBRACKET;
        if (i < n && b[i] === close) {
          i++;
        } else {
          if (depth === stack.length) {
            const grown = new Uint8Array(stack.length * 2);
            grown.set(stack);
            stack = grown;
          }
          stack[depth++] = c === LBRACE ? IN_OBJECT : IN_ARRAY;
          if (c === LBRACKET) continue value;
          // First key of an object.
          if (i >= n || b[i] !== QUOTE) return failJson('expected a string key', i);
          i = scanString(b, i, n);
          if (i < 0) return false;
          const ws1 = i;
          while (i < n && WS[b[i]!] === 1) i++;
          if (i >= n || b[i] !== COLON) return failJson("expected ':'", i);
          i++;
          while (i < n && WS[b[i]!] === 1) i++;
          if (i !== ws1 + 1) compact = false;
          continue value;
        }
      } else if (c === QUOTE) {
        i = scanString(b, i, n);
        if (i < 0) return false;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        i = scanNumber(b, i, n);
        if (i < 0) return false;
      } else if (c === LOWER_T && matches(b, i, n, 'true')) {
        i += 4;
      } else if (c === LOWER_F && matches(b, i, n, 'false')) {
        i += 5;
      } else if (c === LOWER_N && matches(b, i, n, 'null')) {
        i += 4;
      } else {
        return failJson('unexpected character', i);
      }

      // After a value: commas and closing brackets until the next value or the end of the top-level value.
      for (;;) {
        if (depth === 0) break value;
        const ws = i;
        while (i < n && WS[b[i]!] === 1) i++;
        if (i !== ws) compact = false;
        if (i >= n) return failJson('unexpected end of data', i);
        const d = b[i]!;
        const container = stack[depth - 1]!;
        if (d === COMMA) {
          i++;
          const ws2 = i;
          while (i < n && WS[b[i]!] === 1) i++;
          if (i !== ws2) compact = false;
          if (container === IN_OBJECT) {
            if (i >= n || b[i] !== QUOTE) return failJson('expected a string key', i);
            i = scanString(b, i, n);
            if (i < 0) return false;
            const ws3 = i;
            while (i < n && WS[b[i]!] === 1) i++;
            if (i >= n || b[i] !== COLON) return failJson("expected ':'", i);
            i++;
            while (i < n && WS[b[i]!] === 1) i++;
            if (i !== ws3 + 1) compact = false;
          }
          continue value;
        }
        if (d === (container === IN_OBJECT ? RBRACE : RBRACKET)) {
          depth--;
          i++;
          continue;
        }
        return failJson(container === IN_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'", i);
      }
    }

    values++;
    if (first !== LBRACE) {
      return fail('not-an-object', `top-level value ${values} is ${typeName(first)}, not an object`);
    }
  }

  scanCompact = compact;
  scanValues = values;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Minifier: second pass, only for valid records that are not compact JSON lines yet.

/**
 * Copies `b` (valid, objects only) into `out` without insignificant whitespace, one object per
 * line, each followed by `\n`. Returns the number of bytes written; never more than b.length + 1
 * (see the size invariant at the top of this file), so `out` is allocated with b.length + 1 bytes.
 */
function minify(b: Uint8Array, out: Uint8Array): number {
  const n = b.length;
  let i = 0;
  let o = 0;
  let depth = 0;
  while (i < n) {
    const c = b[i++]!;
    if (c === QUOTE) {
      out[o++] = c;
      for (;;) {
        const d = b[i++]!;
        out[o++] = d;
        if (d === QUOTE) break;
        if (d === BACKSLASH) out[o++] = b[i++]!;
      }
    } else if (WS[c] === 1) {
      // insignificant whitespace: dropped
    } else {
      out[o++] = c;
      if (c === LBRACE || c === LBRACKET) {
        depth++;
      } else if ((c === RBRACE || c === RBRACKET) && --depth === 0) {
        out[o++] = LF;
      }
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Base64 helpers

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of the last `r` (0..2) bytes of `b` followed by `\n`: 4 characters. */
function encodeTailWithNewline(b: Uint8Array, r: number): string {
  const n = b.length;
  if (r === 0) return 'Cg==';
  if (r === 1) {
    const x = b[n - 1]!;
    return B64[x >> 2]! + B64[((x & 3) << 4) | (LF >> 4)]! + B64[(LF & 15) << 2]! + '=';
  }
  const x = b[n - 2]!;
  const y = b[n - 1]!;
  return B64[x >> 2]! + B64[((x & 3) << 4) | (y >> 4)]! + B64[((y & 15) << 2) | (LF >> 6)]! + B64[LF & 63]!;
}

/** Decoded length of canonical, padded base64 of this length, or -1 when the length is impossible. */
function decodedLength(data: string): number {
  const len = data.length;
  if (len % 4 !== 0) return -1;
  if (len === 0) return 0;
  const pad = data.charCodeAt(len - 1) === EQUALS ? (data.charCodeAt(len - 2) === EQUALS ? 2 : 1) : 0;
  return (len / 4) * 3 - pad;
}

// ---------------------------------------------------------------------------------------------
// Public API

function failed(data: string, bytesIn: number, reason: FailureReason, detail: string): FailedOutcome {
  return { result: 'ProcessingFailed', data, bytesIn, bytesOut: bytesIn, reason, detail };
}

/**
 * Transforms one record's base64 `data` into JSON lines, or reports why it cannot. With a
 * contract, also validates every event of the record against the stream's schema.
 * Never throws for bad input.
 */
/** Where records are decoded; grows to the largest record seen (Firehose records are at most 1,000 KiB). */
let decodeScratch = Buffer.allocUnsafe(64 * 1024);

export function transformRecordData(data: unknown, contract?: ActiveContract): RecordOutcome {
  if (typeof data !== 'string') return failed('', 0, 'missing-data', 'record data is not a string');
  const expected = decodedLength(data);
  // Decoded into a reused buffer (no allocation per record): nothing below keeps `b` past this call.
  const capacity = Math.max(expected, 0) + 3;
  if (capacity > decodeScratch.length) decodeScratch = Buffer.allocUnsafe(Math.max(capacity, decodeScratch.length * 2));
  const n = decodeScratch.write(data, 0, capacity, 'base64');
  const b = decodeScratch.subarray(0, n);
  // Node's decoder skips characters outside the alphabet: a length mismatch means the text was not
  // canonical base64. It also accepts the base64url alphabet ("-" and "_"), which Firehose never
  // sends: refused as well. Canonical input also lets the fast path below reuse `data` as it is.
  if (expected !== n || data.indexOf('-') !== -1 || data.indexOf('_') !== -1) {
    return failed(data, n, 'invalid-base64', 'data is not canonical base64 (standard alphabet, padded)');
  }
  if (n === 0) return failed(data, 0, 'empty', 'record is empty');
  if (!isUtf8(b)) return failed(data, n, 'invalid-utf8', 'record is not valid UTF-8');
  tapeOn = contract !== undefined;
  if (!scan(b)) return failed(data, n, scanReason, scanDetail);
  const lines = scanValues;
  const compact = scanCompact;
  const endsWithNewline = scanEndsWithNewline;

  let observed: { violations: number; violation: Violation; violationsByKeyword: Readonly<Record<string, number>> } | undefined;
  if (contract !== undefined) {
    const check = validateLines(b, contract.root, contract.mode === 'observe', tapeEnds, lineStarts, lineTapes, lines);
    if (check.first !== undefined) {
      if (contract.mode === 'enforce') {
        const v = check.first;
        return {
          ...failed(data, n, 'schema-violation', `event ${v.line + 1} of ${check.events}: ${v.keyword} at ${v.schemaPath}`),
          violation: v,
        };
      }
      observed = { violations: check.violations, violation: check.first, violationsByKeyword: check.byKeyword ?? {} };
    }
  }

  let ok: OkOutcome;
  if (compact) {
    // Already compact JSON lines: keep the base64 as it is and fix only its tail.
    if (endsWithNewline) {
      ok = { result: 'Ok', data, bytesIn: n, bytesOut: n, lines };
    } else {
      const full = Math.floor(n / 3);
      const out = data.slice(0, full * 4) + encodeTailWithNewline(b, n - full * 3);
      ok = { result: 'Ok', data: out, bytesIn: n, bytesOut: n + 1, lines };
    }
  } else {
    const out = Buffer.allocUnsafe(n + 1);
    const written = minify(b, out);
    if (written > n + 1) throw new InvariantError('output larger than input + 1 byte');
    ok = { result: 'Ok', data: out.toString('base64', 0, written), bytesIn: n, bytesOut: written, lines };
  }
  return observed === undefined ? ok : { ...ok, ...observed };
}

/**
 * Transforms a whole Firehose event: one response entry per input record, same order, same ids.
 * Bad records become `ProcessingFailed` with their original data; this only throws when the event
 * itself is not a Firehose transformation event (no `records` array, a record without a string id).
 * `contract` is the stream's compiled schema, when it has one.
 */
export function transformEvent(event: FirehoseTransformationEvent, contract?: ActiveContract): TransformEventOutput {
  const input: unknown = (event as { records?: unknown } | null | undefined)?.records;
  if (!Array.isArray(input)) throw new InvalidEventError('event.records is not an array');

  const records: FirehoseTransformationResultRecord[] = new Array(input.length);
  const summary: TransformSummary = {
    records: input.length,
    ok: 0,
    processingFailed: 0,
    dropped: 0,
    lines: 0,
    bytesIn: 0,
    bytesOut: 0,
    failureReasons: {},
    schemaViolations: 0,
    violations: {},
  };

  for (let k = 0; k < input.length; k++) records[k] = transformOne(input[k], k, contract, summary);

  return { response: { records }, summary };
}

/** One record: its response entry, counted into `summary` (a function of its own, so V8 optimizes it on its own). */
function transformOne(item: unknown, k: number, contract: ActiveContract | undefined, summary: TransformSummary): FirehoseTransformationResultRecord {
  const record = item as { recordId?: unknown; data?: unknown } | null | undefined;
  const recordId = record?.recordId;
  if (typeof recordId !== 'string') throw new InvalidEventError(`records[${k}].recordId is not a string`);

  let data: unknown;
  let outcome: RecordOutcome;
  try {
    data = record?.data;
    outcome = transformRecordData(data, contract);
  } catch (err) {
    // A bug triggered by one record must not fail (and re-send) the whole batch: that record
    // goes to the error prefix with its data unchanged, and the log shows the error name.
    const name = err instanceof Error ? err.name : typeof err;
    outcome = failed(typeof data === 'string' ? data : '', 0, 'internal-error', `transform threw ${name}`);
  }

  summary.bytesIn += outcome.bytesIn;
  summary.bytesOut += outcome.bytesOut;
  if (outcome.result === 'Ok') {
    summary.ok++;
    summary.lines += outcome.lines;
    if (outcome.violation !== undefined) {
      countViolation(summary, recordId, outcome.violation, outcome.violationsByKeyword ?? { [outcome.violation.keyword]: 1 });
    }
  } else {
    summary.processingFailed++;
    summary.failureReasons[outcome.reason] = (summary.failureReasons[outcome.reason] ?? 0) + 1;
    summary.sampleFailure ??= { recordId, reason: outcome.reason, detail: outcome.detail };
    if (outcome.violation !== undefined) countViolation(summary, recordId, outcome.violation, { [outcome.violation.keyword]: 1 });
  }
  return { recordId, result: outcome.result, data: outcome.data };
}

/** Adds one record's violations: per reason, each violating event counts under the keyword of its first violation. */
function countViolation(summary: TransformSummary, recordId: string, first: Violation, byKeyword: Readonly<Record<string, number>>): void {
  for (const [keyword, count] of Object.entries(byKeyword)) {
    summary.schemaViolations += count;
    summary.violations[keyword] = (summary.violations[keyword] ?? 0) + count;
  }
  summary.firstViolation ??= { recordId, line: first.line, keyword: first.keyword, schemaPath: first.schemaPath };
}
