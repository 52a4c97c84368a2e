/**
 * Firehose's S3 prefixes and object names, as the developer guide gives them.
 *
 * "Understand custom prefixes for Amazon S3 objects"
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html):
 * - `!{timestamp:<Java DateTimeFormatter pattern>}` evaluates, in UTC, "the approximate arrival
 *   timestamp of the oldest record that's contained in the Amazon S3 object being written"; every
 *   use in one prefix is the same instant;
 * - `!{firehose:error-output-type}` is the kind of failure (`processing-failed` for records a Lambda
 *   processor failed) and belongs to the error output prefix; `!{firehose:random-string}` is 11
 *   random characters;
 * - a custom prefix replaces the default `yyyy/MM/dd/HH/` time prefix.
 *
 * "Configure Amazon S3 object name format"
 * (https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html): an object's key is
 * `<evaluated prefix><stream name>-<stream version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><file extension>`,
 * the version beginning at 1.
 *
 * The pattern letters read are those a prefix needs (y, M, d, H, h, m, s, S, D, a, quoted
 * literals); any other letter is refused at start-up rather than expanded wrongly.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export class PrefixError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'PrefixError';
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

type Token = { readonly literal: string } | { readonly letter: string; readonly count: number };

/** Parses a DateTimeFormatter pattern into tokens (quoted text, repeated letters, other characters). */
export function parsePattern(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out.push({ literal: "'" });
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new PrefixError(`unterminated quote in timestamp pattern ${JSON.stringify(pattern)}`);
      out.push({ literal: pattern.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      if (!'yuMdHhmsSDa'.includes(c)) throw new PrefixError(`timestamp pattern letter "${c}" in ${JSON.stringify(pattern)} is not modelled by the local runtime (y, u, M, d, D, H, h, m, s, S, a are)`);
      out.push({ letter: c, count: j - i });
      i = j;
      continue;
    }
    out.push({ literal: c });
    i++;
  }
  return out;
}

/** Formats a UTC instant with a parsed pattern. */
export function formatPattern(tokens: readonly Token[], at: Date): string {
  return tokens
    .map((t) => {
      if ('literal' in t) return t.literal;
      const n = t.count;
      switch (t.letter) {
        case 'y':
        case 'u':
          return n === 2 ? pad(at.getUTCFullYear() % 100, 2) : pad(at.getUTCFullYear(), n);
        case 'M':
          if (n >= 3) throw new PrefixError('month names (MMM) are not modelled by the local runtime');
          return pad(at.getUTCMonth() + 1, n);
        case 'd':
          return pad(at.getUTCDate(), n);
        case 'D': {
          const start = Date.UTC(at.getUTCFullYear(), 0, 1);
          return pad(Math.floor((at.getTime() - start) / 86_400_000) + 1, n);
        }
        case 'H':
          return pad(at.getUTCHours(), n);
        case 'h':
          return pad(at.getUTCHours() % 12 === 0 ? 12 : at.getUTCHours() % 12, n);
        case 'a':
          return at.getUTCHours() < 12 ? 'AM' : 'PM';
        case 'm':
          return pad(at.getUTCMinutes(), n);
        case 's':
          return pad(at.getUTCSeconds(), n);
        case 'S':
          return pad(at.getUTCMilliseconds(), 3).slice(0, n).padEnd(n, '0');
        default:
          throw new PrefixError(`pattern letter ${t.letter}`);
      }
    })
    .join('');
}

const EXPRESSION = /!\{([A-Za-z]+):([^}]*)\}/g;

/** A prefix checked once (at start-up), evaluated per object. */
export interface CompiledPrefix {
  readonly source: string;
  evaluate(oldestArrival: Date, errorOutputType?: string): string;
}

/** Checks a prefix's expressions; `kind` says whether it is the error output prefix. */
export function compilePrefix(prefix: string, kind: 'prefix' | 'error'): CompiledPrefix {
  const parts: ({ readonly text: string } | { readonly timestamp: Token[] } | { readonly firehose: 'error-output-type' | 'random-string' })[] = [];
  let last = 0;
  let hasTimestamp = false;
  for (const m of prefix.matchAll(EXPRESSION)) {
    parts.push({ text: prefix.slice(last, m.index) });
    last = m.index + m[0].length;
    const [, namespace, value] = m;
    if (namespace === 'timestamp') {
      parts.push({ timestamp: parsePattern(value!) });
      hasTimestamp = true;
    } else if (namespace === 'firehose') {
      if (value === 'error-output-type') {
        if (kind === 'prefix') throw new PrefixError(`!{firehose:error-output-type} can only be used in the error output prefix, not in ${JSON.stringify(prefix)}`);
        parts.push({ firehose: value });
      } else if (value === 'random-string') parts.push({ firehose: value });
      else throw new PrefixError(`!{firehose:${value}} is not a firehose namespace value (error-output-type, random-string)`);
    } else {
      throw new PrefixError(`!{${namespace}:...} in ${JSON.stringify(prefix)} needs dynamic partitioning, which the local runtime does not model`);
    }
  }
  parts.push({ text: prefix.slice(last) });
  if (prefix.replace(EXPRESSION, '').includes('!{')) throw new PrefixError(`malformed expression in prefix ${JSON.stringify(prefix)}`);
  // Without expressions, Firehose appends its default time prefix.
  const defaultTime = parsePattern("yyyy'/'MM'/'dd'/'HH'/'");
  return {
    source: prefix,
    evaluate(oldestArrival, errorOutputType) {
      const out = parts
        .map((p) => {
          if ('text' in p) return p.text;
          if ('timestamp' in p) return formatPattern(p.timestamp, oldestArrival);
          if (p.firehose === 'random-string') return randomBytes(8).toString('base64url').slice(0, 11);
          return errorOutputType ?? 'processing-failed';
        })
        .join('');
      return hasTimestamp ? out : `${out}${formatPattern(defaultTime, oldestArrival)}`;
    },
  };
}

/** The object name Firehose appends to the evaluated prefix. */
export function objectSuffix(streamName: string, version: number, at: Date, extension: string): string {
  const t = formatPattern(parsePattern('yyyy-MM-dd-HH-mm-ss'), at);
  return `${streamName}-${version}-${t}-${randomUUID()}${extension}`;
}
