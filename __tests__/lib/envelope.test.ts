/**
 * Serialize exactly what was checked (lib/envelope.ts): the event is read once into a plain
 * snapshot, the reserved fields are checked on the snapshot, and the snapshot is serialized. A
 * hostile toJSON, getter or Proxy can neither change app / event_type nor add a duplicate key.
 */
import fc from 'fast-check';
import { buildEnvelope, envelopeHead, inspectRecord, plainSnapshot } from '../../lib/envelope';

const APP = 'web-shop';
const TYPE = 'page_view';

/** JSON.parse that fails on duplicate top-level keys. */
function parseStrict(json: string): Record<string, unknown> {
  const parsed = JSON.parse(json) as Record<string, unknown>;
  const keys = Object.keys(parsed).length;
  const written = [...json.matchAll(/"((?:[^"\\]|\\.)*)":/g)].length;
  // Only valid when no nested objects: the events below are flat at the top level or checked otherwise.
  if (written === keys) return parsed;
  throw new Error(`duplicate keys in ${json}`);
}

function ok(event: unknown): { eventId: string; json: string; parsed: Record<string, unknown> } {
  const r = buildEnvelope(APP, TYPE, event);
  if (!r.ok) throw new Error(`expected ok, got ${r.problem}: ${r.message}`);
  return { eventId: r.eventId, json: r.json, parsed: JSON.parse(r.json) as Record<string, unknown> };
}

describe('buildEnvelope', () => {
  it('adds app, event_type, event_id and sent_at in front of the members', () => {
    // Act
    const { json, eventId, parsed } = ok({ path: '/a' });

    // Assess
    expect(Object.keys(parsed)).toEqual(['app', 'event_type', 'event_id', 'sent_at', 'path']);
    expect(parsed).toMatchObject({ app: APP, event_type: TYPE, event_id: eventId, path: '/a' });
    expect(json.startsWith(`{${envelopeHead(APP, TYPE)}`)).toBe(true);
  });

  it('refuses a toJSON() that changes the app, even when the object itself agrees', () => {
    // Prepare
    const event = { app: APP, event_type: TYPE, toJSON: () => ({ app: 'other-app', event_type: TYPE }) };

    // Act
    const r = buildEnvelope(APP, TYPE, event);

    // Assess
    expect(r).toMatchObject({ ok: false, problem: 'app-mismatch' });
  });

  it('refuses a toJSON() that adds another event_type to an object without one (no duplicate key)', () => {
    // Prepare
    const event = { n: 1, toJSON: () => ({ n: 1, event_type: 'checkout_completed' }) };

    // Act
    const r = buildEnvelope(APP, TYPE, event);

    // Assess
    expect(r).toMatchObject({ ok: false, problem: 'event-type-mismatch' });
  });

  it('calls toJSON() once and serializes what it returned, with the envelope added', () => {
    // Prepare
    let calls = 0;
    const event = {
      secret: 'not sent',
      toJSON: () => {
        calls++;
        return { visible: calls };
      },
    };

    // Act
    const { parsed } = ok(event);

    // Assess
    expect(calls).toBe(1);
    expect(parsed).toMatchObject({ app: APP, event_type: TYPE, visible: 1 });
    expect(parsed.secret).toBeUndefined();
  });

  it('reads a getter once: the value checked is the value sent', () => {
    // Prepare: a getter that says the right app when checked and another one afterwards.
    let reads = 0;
    const event = {
      get app(): string {
        reads++;
        return reads === 1 ? APP : 'other-app';
      },
      n: 1,
    };

    // Act
    const { json, parsed } = ok(event);

    // Assess
    expect(reads).toBe(1);
    expect(parsed.app).toBe(APP);
    expect(parseStrict(json)).toMatchObject({ app: APP, n: 1 });
  });

  it('reads a Proxy once per trap: keys and values checked are the ones sent', () => {
    // Prepare: ownKeys and get answer differently on each call.
    let keysCalls = 0;
    let getCalls = 0;
    const target: Record<string, unknown> = { event_type: TYPE, n: 1 };
    const proxy = new Proxy(target, {
      ownKeys: () => (++keysCalls === 1 ? ['event_type', 'n'] : ['event_type', 'n', 'app']),
      getOwnPropertyDescriptor: (t, k) => ({ value: (t as Record<string | symbol, unknown>)[k] ?? 'x', enumerable: true, configurable: true }),
      get: (t, k) => (k === 'event_type' ? (++getCalls === 1 ? TYPE : 'checkout_completed') : (t as Record<string | symbol, unknown>)[k]),
    });

    // Act
    const { json, parsed } = ok(proxy);

    // Assess
    expect(keysCalls).toBe(1);
    expect(parsed.event_type).toBe(TYPE);
    expect(parsed.app).toBe(APP);
    expect(parseStrict(json)).toBeDefined();
  });

  it('keeps an own "__proto__" member as data', () => {
    // Prepare
    const event = JSON.parse('{"__proto__":{"polluted":true},"n":1}') as object;

    // Act
    const { json } = ok(event);

    // Assess
    expect(json).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    { name: 'a Date', event: new Date(0), problem: 'not-an-object' },
    { name: 'an array', event: [1], problem: 'not-an-object' },
    { name: 'a boxed string', event: new String('ab'), problem: 'not-an-object' },
    { name: 'null', event: null, problem: 'not-an-object' },
    { name: 'a toJSON returning a string', event: { toJSON: () => 'x' }, problem: 'not-an-object' },
    { name: 'a throwing toJSON', event: { toJSON: () => { throw new Error('boom'); } }, problem: 'not-serializable' },
    { name: 'a throwing getter', event: { get x(): number { throw new Error('boom'); } }, problem: 'not-serializable' },
    { name: 'a BigInt', event: { n: BigInt(1) }, problem: 'not-serializable' },
    { name: 'an empty event_id', event: { event_id: '' }, problem: 'bad-event-id' },
    { name: 'an event_id over 256 characters', event: { event_id: 'x'.repeat(257) }, problem: 'bad-event-id' },
    { name: 'a numeric sent_at', event: { sent_at: 5 }, problem: 'bad-sent-at' },
  ])('refuses $name with $problem', ({ event, problem }) => {
    // Act
    const r = buildEnvelope(APP, TYPE, event);

    // Assess
    expect(r).toMatchObject({ ok: false, problem });
  });

  it('writes a Date sent_at as ISO 8601 and keeps a given event_id', () => {
    // Act
    const { parsed, eventId } = ok({ event_id: 'id-1', sent_at: new Date(0) });

    // Assess
    expect(eventId).toBe('id-1');
    expect(parsed).toMatchObject({ event_id: 'id-1', sent_at: '1970-01-01T00:00:00.000Z' });
  });

  it("sets the producer's fields whatever the event holds (the collector's received_at)", () => {
    // Act
    const r = buildEnvelope(APP, TYPE, { received_at: 'forged', n: 1 }, { set: { received_at: '2026-01-01T00:00:00.000Z' } });

    // Assess
    expect(r.ok).toBe(true);
    const json = (r as { json: string }).json;
    expect(parseStrict(json)).toMatchObject({ received_at: '2026-01-01T00:00:00.000Z', n: 1 });
  });

  it('property: any plain JSON object envelopes to one object with the checked app and type and no duplicate key', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })), (obj) => {
        const o = { ...obj } as Record<string, unknown>;
        delete o.app;
        delete o.event_type;
        delete o.event_id;
        delete o.sent_at;
        const r = buildEnvelope(APP, TYPE, o);
        expect(r.ok).toBe(true);
        const json = (r as { json: string }).json;
        const parsed = JSON.parse(json) as Record<string, unknown>;
        expect(parsed.app).toBe(APP);
        expect(parsed.event_type).toBe(TYPE);
        expect(Object.keys(parsed)).toHaveLength(Object.keys(o).length + 4);
      }),
    );
  });
});

describe('plainSnapshot', () => {
  it('copies the top level only, without a prototype', () => {
    // Prepare
    const nested = { a: 1 };

    // Act
    const r = plainSnapshot({ nested, n: 2 });

    // Assess
    expect(r.ok).toBe(true);
    const snap = (r as { snapshot: Record<string, unknown> }).snapshot;
    expect(Object.getPrototypeOf(snap)).toBeNull();
    expect(snap.nested).toBe(nested);
  });
});

describe('inspectRecord', () => {
  it.each([
    { data: '', reason: 'empty' },
    { data: 'nope', reason: 'not-json' },
    { data: '[1]', reason: 'not-an-object' },
    { data: '{"event_type":"t"}', reason: 'missing-app' },
    { data: '{"app":"a"}', reason: 'missing-event-type' },
  ])('$data -> $reason', ({ data, reason }) => {
    // Assess
    expect(inspectRecord(Buffer.from(data), 1_024_000)).toMatchObject({ ok: false, reason });
  });

  it('reads app and event_type, and refuses an oversized record', () => {
    // Assess
    expect(inspectRecord(Buffer.from('{"app":"a","event_type":"t"}'), 1_024_000)).toEqual({ ok: true, app: 'a', eventType: 't' });
    expect(inspectRecord(Buffer.alloc(11), 10)).toMatchObject({ ok: false, reason: 'oversized' });
  });
});
