/**
 * The byte-level contract validator (functions/jsonl-transform/contract.ts) against ajv, the
 * reference JSON Schema 2020-12 implementation, plus the two deliberate restrictions (integer
 * literals within bigint, no duplicate declared keys) and the reporting of schema paths.
 */
import fc from 'fast-check';
import { transformRecordData } from '../../functions/jsonl-transform/transform';
import { eventLike, eventSchema } from './arbitraries';
import { activeContract, ajvValidator, contractOf } from './helpers';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The transform's verdict on one record for a contract (enforce). */
function verdict(contract: ReturnType<typeof contractOf>, text: string): { ok: boolean; keyword?: string; schemaPath?: string; line?: number } {
  const outcome = transformRecordData(b64(text), activeContract(contract));
  if (outcome.result === 'Ok') return { ok: true };
  if (outcome.reason !== 'schema-violation') throw new Error(`not a schema verdict: ${outcome.reason} ${outcome.detail}`);
  return { ok: false, keyword: outcome.violation?.keyword, schemaPath: outcome.violation?.schemaPath, line: outcome.violation?.line };
}

const CHECKOUT = contractOf({
  type: 'object',
  properties: {
    order_id: { type: 'string', minLength: 1, maxLength: 8 },
    amount: { type: 'number', minimum: 0 },
    quantity: { type: 'integer', exclusiveMinimum: 0 },
    currency: { type: 'string', enum: ['EUR', 'USD'] },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, maxItems: 3 },
    customer: { type: ['object', 'null'], properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
    meta: { type: 'object', properties: { source: { type: 'string' } }, additionalProperties: true },
  },
  required: ['order_id', 'amount'],
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The validator's deliberate restriction, as an oracle beside ajv: where the schema allows
 * `integer` and not `number`, the value must be written as an integer literal (digits, with an
 * optional minus) within Athena's bigint (-2^63 .. 2^63-1), judged on the text JSON.stringify
 * writes. ajv judges doubles: to it, -2^63 - 192 (written "-9223372036854776000") and 10^21
 * (written "1e+21", an exponent, which no bigint literal has) are integers.
 */
function withinBigint(schema: Record<string, unknown>, value: Json): boolean {
  const types = [schema.type].flat();
  if (typeof value === 'number') {
    if (!types.includes('integer') || types.includes('number') || !Number.isInteger(value)) return true;
    const text = JSON.stringify(value);
    if (!/^-?[0-9]+$/.test(text)) return false;
    const literal = BigInt(text);
    return literal >= -(2n ** 63n) && literal <= 2n ** 63n - 1n;
  }
  if (Array.isArray(value)) {
    const items = schema.items as Record<string, unknown> | undefined;
    return items === undefined || value.every((v) => withinBigint(items, v));
  }
  if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    return Object.entries(value).every(([k, v]) => props[k] === undefined || withinBigint(props[k]!, v));
  }
  return true;
}

describe('contract validator', () => {
  it('agrees with ajv (plus the bigint restriction) on any schema of the subset and any JSON.stringify-ed event', () => {
    fc.assert(
      fc.property(
        eventSchema.chain((schema) => fc.tuple(fc.constant(schema), fc.array(eventLike(schema, 2), { minLength: 1, maxLength: 4 }))),
        ([schema, events]) => {
          // Prepare
          const contract = contractOf(schema);
          const ajvOnly = ajvValidator(contract);
          const ajv = (e: unknown): boolean => ajvOnly(e) && withinBigint(schema as Record<string, unknown>, e as Json);

          // Act / Assess: one event per record, then all of them packed into one record.
          for (const event of events) {
            const text = JSON.stringify(event);
            expect(verdict(contract, text).ok).toBe(ajv(JSON.parse(text)));
          }
          const packed = verdict(contract, events.map((e) => JSON.stringify(e)).join('\n'));
          expect(packed.ok).toBe(events.every((e) => ajv(e)));
          if (!packed.ok) expect(ajv(events[packed.line!])).toBe(false);
        },
      ),
      {
        numRuns: 250,
        examples: [
          // The double -2^63, written "-9223372036854776000": outside bigint as a literal.
          [[{ type: 'object', properties: { _pk_: { type: 'integer', maximum: 8 } }, required: [], additionalProperties: true }, [{ _pk_: -9223372036854776000 }, { _pk_: 0 }]]],
          // Integer doubles from 10^21 up, written in exponent form ("1e+21", "-1.5e+300"): no integer literal.
          [[{ type: 'object', properties: { _pk_: { type: 'integer' } }, required: [], additionalProperties: true }, [{ _pk_: 1e21 }, { _pk_: -1.5e300 }, { _pk_: 0 }]]],
        ],
      },
    );
  });

  it.each([
    ['a string where a number is declared', '{"order_id":"o-1","amount":"12"}', 'type', '/properties/amount/type'],
    ['a missing required field', '{"order_id":"o-1"}', 'required', '/required'],
    ['an undeclared field of a closed object', '{"order_id":"o-1","amount":1,"discount":5}', 'additionalProperties', '/additionalProperties'],
    ['a value outside the enum', '{"order_id":"o-1","amount":1,"currency":"CHF"}', 'enum', '/properties/currency/enum'],
    ['a string longer than maxLength (code points)', '{"order_id":"o-123456789","amount":1}', 'maxLength', '/properties/order_id/maxLength'],
    ['a string shorter than minLength', '{"order_id":"","amount":1}', 'minLength', '/properties/order_id/minLength'],
    ['a number below minimum', '{"order_id":"o","amount":-0.5}', 'minimum', '/properties/amount/minimum'],
    ['an integer at the exclusive minimum', '{"order_id":"o","amount":1,"quantity":0}', 'exclusiveMinimum', '/properties/quantity/exclusiveMinimum'],
    ['a repeated list element', '{"order_id":"o","amount":1,"tags":["a","b","a"]}', 'uniqueItems', '/properties/tags/uniqueItems'],
    ['too many list elements', '{"order_id":"o","amount":1,"tags":["a","b","c","d"]}', 'maxItems', '/properties/tags/maxItems'],
    ['a nested required field', '{"order_id":"o","amount":1,"customer":{}}', 'required', '/properties/customer/required'],
    ['a bad format', '{"order_id":"o","amount":1,"customer":{"id":"1234"}}', 'format', '/properties/customer/properties/id/format'],
    ['a wrong envelope event_type', '{"event_type":"page_view","order_id":"o","amount":1}', 'const', '/properties/event_type/const'],
    ['an envelope sent_at that is not RFC 3339', '{"sent_at":"yesterday","order_id":"o","amount":1}', 'format', '/properties/sent_at/format'],
  ])('rejects %s with keyword and schema path, never the value', (_name, text, keyword, schemaPath) => {
    // Act
    const result = verdict(CHECKOUT, text);

    // Assess
    expect(result).toEqual({ ok: false, keyword, schemaPath, line: 0 });
    expect(ajvValidator(CHECKOUT)(JSON.parse(text))).toBe(false);
  });

  it.each([
    ['null for a nullable object', '{"order_id":"o","amount":1,"customer":null}'],
    ['undeclared fields in an open object', '{"order_id":"o","amount":1,"meta":{"source":"app","campaign":{"id":7}}}'],
    ['escapes in keys and values', '{"\\u006frder_id":"\\u00e9\\ud83d\\ude00","amount":1e2,"currency":"\\u0045UR"}'],
    ['code points, not UTF-16 units, for lengths', '{"order_id":"😀😀😀😀😀😀😀😀","amount":0}'],
    ['a pretty-printed event', '{\r\n  "order_id" : "o",\r\n  "amount" : 12.50 ,\r\n  "tags" : [ ]\r\n}\r\n'],
    ['the envelope the tracker adds', '{"app":"web-shop","event_type":"checkout","event_id":"e-1","sent_at":"2026-11-21T09:15:10.124Z","order_id":"o","amount":1}'],
  ])('accepts %s', (_name, text) => {
    expect(verdict(CHECKOUT, text)).toEqual({ ok: true });
    expect(ajvValidator(CHECKOUT)(JSON.parse(text))).toBe(true);
  });

  it.each([
    ['12.0', 'a fraction'],
    ['1.2e1', 'an exponent'],
    ['9223372036854775808', 'above bigint'],
    ['-9223372036854775809', 'below -2^63'],
  ])('rejects the integer %s (%s): Athena reads integers as bigint literals only', (literal) => {
    const result = verdict(CHECKOUT, `{"order_id":"o","amount":1,"quantity":${literal}}`);
    expect(result).toEqual({ ok: false, keyword: 'type', schemaPath: '/properties/quantity/type', line: 0 });
  });

  it.each(['9223372036854775807', '1', '123456789012345678'])('accepts the integer %s', (literal) => {
    expect(verdict(CHECKOUT, `{"order_id":"o","amount":1,"quantity":${literal}}`)).toEqual({ ok: true });
  });

  it('rejects a declared field given twice (the SerDe would read one of them)', () => {
    expect(verdict(CHECKOUT, '{"order_id":"o","amount":1,"amount":2}')).toEqual({
      ok: false,
      keyword: 'duplicateKey',
      schemaPath: '/properties/amount',
      line: 0,
    });
  });

  it('names the first violating event of a packed record', () => {
    const text = ['{"order_id":"a","amount":1}', '{"order_id":"b","amount":2}', '{"order_id":"c"}', '{"order_id":"d","amount":"x"}'].join('\n');
    expect(verdict(CHECKOUT, text)).toEqual({ ok: false, keyword: 'required', schemaPath: '/required', line: 2 });
  });
});
