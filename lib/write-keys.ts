/**
 * Write keys of the collector (docs/collector.md, "Write keys"): what a key looks like, how it is
 * hashed, and the document each application's SSM parameter holds. Shared by the config checks
 * (config/collector.ts), the construct that writes the parameters (modules/collector.ts), the
 * collector that reads them (functions/collector) and the local collector (scripts/collector-dev.ts).
 *
 * A write key identifies an application; it is not a strong secret (browser keys are public by
 * nature, mobile keys can be extracted from the app). Only its SHA-256 is stored anywhere: in the
 * config, in the plan and in Parameter Store. A key is 32 random bytes, so a fast hash is enough
 * (no password hashing needed: there is nothing to guess).
 *
 * Dependency-free apart from node:crypto.
 */
import { createHash, randomBytes } from 'node:crypto';

/** `tpk_` + 43 base64url characters (32 random bytes). */
export const WRITE_KEY_PATTERN = /^tpk_[A-Za-z0-9_-]{43}$/;
/** The stored form: 64 lowercase hexadecimal characters. */
export const WRITE_KEY_HASH_PATTERN = /^[0-9a-f]{64}$/;
/** Version of the parameter document. */
export const WRITE_KEY_DOCUMENT_VERSION = 1;
/** Standard-tier SSM parameters hold at most 4 KB. */
export const MAX_PARAMETER_VALUE_BYTES = 4096;
/**
 * A browser origin as browsers send it: scheme, host, optional port; no path, no trailing slash,
 * lowercase (RFC 6454 serialization).
 */
export const ORIGIN_PATTERN = /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/;

/** A new random write key. */
export function newWriteKey(): string {
  return `tpk_${randomBytes(32).toString('base64url')}`;
}

/** The stored hash of a key: SHA-256 of its UTF-8 bytes, lowercase hex. */
export function hashWriteKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What one application's parameter holds. */
export interface WriteKeyDocument {
  readonly app: string;
  /** SHA-256 of each valid key (two during a rotation). */
  readonly keys: readonly string[];
  /** Browser origins allowed to send with these keys; empty: no browser (requests with an Origin header are refused). */
  readonly origins: readonly string[];
  /** Requests must come through the JWT-authorized route. */
  readonly requireJwt: boolean;
}

/** The parameter's value: compact JSON, keys in a fixed order (the same settings give the same bytes). */
export function encodeWriteKeyDocument(doc: WriteKeyDocument): string {
  return JSON.stringify({ v: WRITE_KEY_DOCUMENT_VERSION, app: doc.app, keys: [...doc.keys], origins: [...doc.origins], jwt: doc.requireJwt });
}

export type WriteKeyDocumentResult = { readonly ok: true; readonly doc: WriteKeyDocument } | { readonly ok: false; readonly problem: string };

/** Parses a parameter's value; a malformed document is reported, never half-used. */
export function parseWriteKeyDocument(text: string): WriteKeyDocumentResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the value is not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: 'the value is not a JSON object' };
  const o = raw as Record<string, unknown>;
  if (o.v !== WRITE_KEY_DOCUMENT_VERSION) return { ok: false, problem: `version ${String(o.v)} is not ${WRITE_KEY_DOCUMENT_VERSION}` };
  if (typeof o.app !== 'string' || o.app === '') return { ok: false, problem: '"app" is missing' };
  const strings = (v: unknown, pattern: RegExp): string[] | undefined =>
    Array.isArray(v) && v.every((x) => typeof x === 'string' && pattern.test(x)) ? (v as string[]) : undefined;
  const keys = strings(o.keys, WRITE_KEY_HASH_PATTERN);
  if (keys === undefined) return { ok: false, problem: '"keys" is not a list of SHA-256 hashes (64 lowercase hex characters)' };
  const origins = strings(o.origins, ORIGIN_PATTERN);
  if (origins === undefined) return { ok: false, problem: '"origins" is not a list of origins (scheme://host[:port])' };
  if (typeof o.jwt !== 'boolean') return { ok: false, problem: '"jwt" is not a boolean' };
  return { ok: true, doc: { app: o.app, keys, origins, requireJwt: o.jwt } };
}
