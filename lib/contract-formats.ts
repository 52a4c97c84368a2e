/**
 * The `format` values a contract may use (config/contracts.ts SCHEMA_FORMATS), checked on the
 * decoded string. Each follows the RFC that JSON Schema 2020-12 names for it (section 7.3 of the
 * validation vocabulary); `uri` checks RFC 3986's scheme and character set, not its full grammar.
 * Pure; dependency-free apart from node:net and lib/linear-regexp.ts.
 *
 * The values are untrusted, so no check may backtrack super-linearly. `email` and `uri` have
 * unbounded repetitions next to each other, so they run on the linear-time engine
 * (lib/linear-regexp.ts; the same expressions, with `[A-Za-z]` written out for the `i` flag the
 * engine does not take, which is the same set: without `u`, `i` adds no non-ASCII letter to
 * `[a-z]`). The V8 expressions left are linear by their shape: DATE, UUID and IPV4 have only
 * bounded repetitions; TIME has one unbounded run (`\d+`) followed only by characters that are
 * not digits, so each start position is tried once and backtracks at most through that run.
 * node:net's isIPv6 runs on values without "%" (checked first): every alternative of its
 * expression is bounded in length.
 */
import { isIPv6 } from 'node:net';
import { LinearRegExp } from './linear-regexp';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
/** addr-spec (dot-atom local part, LDH domain labels). */
export const EMAIL_PATTERN =
  "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$";
/** RFC 3986: a scheme, ":", then unreserved, reserved and percent-encoded characters. */
export const URI_PATTERN = "^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\\-._~:/?#[\\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$";
const EMAIL = LinearRegExp.compile(EMAIL_PATTERN);
const URI = LinearRegExp.compile(URI_PATTERN);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** RFC 3339 full-date. */
export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && isLeapYear(y) ? 29 : DAYS[mo]!);
}

/** RFC 3339 full-time (the offset is required; a leap second only at 23:59:60 UTC). */
export function isTime(s: string): boolean {
  const m = TIME.exec(s);
  if (m === null) return false;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = Number(m[3]);
  const sign = m[4] === '-' ? -1 : 1;
  const oh = Number(m[5] ?? 0);
  const om = Number(m[6] ?? 0);
  if (oh > 23 || om > 59 || h > 23 || min > 59 || sec > 60) return false;
  if (sec <= 59) return true;
  // Leap second: must be 23:59:60 in UTC.
  const utcMin = h * 60 + min - sign * (oh * 60 + om);
  return ((utcMin % 1440) + 1440) % 1440 === 23 * 60 + 59;
}

/** RFC 3339 date-time (`T` or `t` between date and time). */
export function isDateTime(s: string): boolean {
  const t = s.indexOf('T') >= 0 ? s.indexOf('T') : s.indexOf('t');
  return t === 10 && isDate(s.slice(0, 10)) && isTime(s.slice(11));
}

export const FORMAT_CHECKS: Readonly<Record<string, (s: string) => boolean>> = {
  'date-time': isDateTime,
  date: isDate,
  time: isTime,
  uuid: (s) => UUID.test(s),
  email: (s) => EMAIL.test(s),
  uri: (s) => URI.test(s),
  ipv4: (s) => IPV4.test(s),
  ipv6: (s) => !s.includes('%') && isIPv6(s),
};
