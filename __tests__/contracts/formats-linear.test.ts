/**
 * The `email` and `uri` formats (lib/contract-formats.ts) run on the linear-time engine: same
 * answers as the V8 expressions they replace (with the `i` flag), and V8's backtracking engine
 * never sees a whole value, only single code points.
 */
import fc from 'fast-check';
import { FORMAT_CHECKS } from '../../lib/contract-formats';

/** The expressions the formats used before, on V8 (the oracle). */
const V8_EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const V8_URI = /^[a-z][a-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/i;

const UNITS = ['a', 'Z', 'k', '0', '-', '.', '@', ':', '/', '%', 'F', '1', '!', ' ', 'ſ', 'K', 'é', '😀', '[', '#'];
const value = fc.array(fc.constantFrom(...UNITS), { maxLength: 24 }).map((u) => u.join(''));

/** Calls of V8's RegExp test/exec on strings longer than one code point, while `act` runs. */
function wholeValueRegexCalls(act: () => void): number {
  const test = RegExp.prototype.test;
  const exec = RegExp.prototype.exec;
  let calls = 0;
  const count = (s: unknown): void => {
    if (typeof s === 'string' && [...s].length > 1) calls++;
  };
  RegExp.prototype.test = function (this: RegExp, s: string): boolean {
    count(s);
    return test.call(this, s);
  };
  RegExp.prototype.exec = function (this: RegExp, s: string): RegExpExecArray | null {
    count(s);
    return exec.call(this, s);
  };
  try {
    act();
  } finally {
    RegExp.prototype.test = test;
    RegExp.prototype.exec = exec;
  }
  return calls;
}

describe('email and uri formats on the linear engine', () => {
  it.each([
    ['email', V8_EMAIL, ['ops@example.com', 'A.B@x-y.example.ORG', 'a@b', 'a@-b.com', 'a@b-.com', 'a..b@c.d', 'ſ@k.com', 'K@k.com']],
    ['uri', V8_URI, ['https://shop.example.com/cart?x=1#top', 'urn:isbn:0451450523', 'HTTP://X', 'a:%zz', 'a:%4F', '1a:b', 'a b:c']],
  ])('%s answers like the V8 expression it replaces', (format, oracle, examples) => {
    // Prepare
    const check = FORMAT_CHECKS[format]!;

    // Act / Assess
    for (const v of examples) expect([v, check(v)]).toEqual([v, oracle.test(v)]);
    fc.assert(
      fc.property(value, (v) => {
        expect([v, check(v)]).toEqual([v, oracle.test(v)]);
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['email', 'uri'])('%s never hands a whole value to the backtracking engine, at any length up to 4,096', (format) => {
    // Prepare: values that almost match, the shape that makes backtracking engines work hardest.
    const check = FORMAT_CHECKS[format]!;
    const values: string[] = [];
    for (let n = 1; n <= 4096; n *= 2) values.push(`a@${'a-'.repeat(n)}!`, `a@${'a.'.repeat(n)}-`, `a:${'%'.repeat(n)}`, `${'a'.repeat(n)}!`);

    // Act
    const calls = wholeValueRegexCalls(() => {
      for (const v of values) check(v);
    });

    // Assess
    expect(calls).toBe(0);
  });
});
