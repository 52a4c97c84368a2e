import fc from 'fast-check';
import { transformEvent } from '../../functions/jsonl-transform/transform';
import { captureLogs, decode, decodeText, firehoseEvent, handler, isValidJsonl, linesOf, type Payload } from './factories';

const RUNS = { numRuns: 300 };

/** Arbitrary JSON objects (JSON.parse-d back, so -0 and friends are already normalized). */
const jsonObject = fc
  .dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 })
  .map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);

/** How an object may be laid out in a record: compact, or pretty with any indent and line end. */
const layout = fc.record({
  indent: fc.constantFrom(undefined, 1, 2, 4, '\t'),
  crlf: fc.boolean(),
});

/** What may separate packed lines: at least one line end, plus blank lines and spaces. */
const separator = fc.constantFrom('\n', '\r\n', '\n\n', '\n \n', ' \n\t', '\r\n\r\n');

/** A record packing 1..5 objects, each laid out arbitrarily, with optional leading/trailing blank space. */
const packedRecord = fc
  .record({
    objects: fc.array(fc.record({ value: jsonObject, layout }), { minLength: 1, maxLength: 5 }),
    separators: fc.array(separator, { minLength: 5, maxLength: 5 }),
    lead: fc.constantFrom('', '\n', ' ', '\r\n  '),
    trail: fc.constantFrom('', '\n', '\r\n', '\n\n', ' '),
  })
  .map(({ objects, separators, lead, trail }) => {
    const parts = objects.map(({ value, layout: { indent, crlf } }) => {
      const text = JSON.stringify(value, null, indent);
      // JSON.stringify escapes newlines inside strings, so every raw \n is layout whitespace.
      return crlf ? text.replace(/\n/g, '\r\n') : text;
    });
    const text = lead + parts.map((p, k) => (k === 0 ? p : `${separators[k - 1] ?? '\n'}${p}`)).join('') + trail;
    return { text, values: objects.map((o) => o.value) };
  });

/** Bytes that look a lot like JSON (to reach deep into the validator), or anything at all. */
const jsonish = fc.string({
  unit: fc.constantFrom(...'{}[]":,0123456789-+.eEtrufalsn\\u /\n\r\t é😀'.split(''), '\u0001', 'true', 'null', '"k":', '{"a":'),
  maxLength: 40,
});
const anyPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  jsonish,
  packedRecord.map((r) => r.text),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

function silenced<T>(fn: () => Promise<T>): Promise<T> {
  const logs = captureLogs();
  return fn().finally(() => logs.restore());
}

describe('jsonl-transform properties', () => {
  it('arbitrary JSON objects, packed arbitrarily, come back as compact lines that parse to the same objects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packedRecord, { minLength: 1, maxLength: 4 }), async (records) => {
        // Prepare
        const event = firehoseEvent(records.map((r) => r.text));

        // Act
        const response = await silenced(() => handler(event));

        // Assess
        response.records.forEach((entry, k) => {
          const values = records[k]?.values ?? [];
          expect(entry.result).toBe('Ok');
          expect(isValidJsonl(decodeText(entry.data))).toBe(true);
          // JSON.stringify output is compact, and minifying a pretty layout must give exactly it back.
          expect(linesOf(entry.data)).toEqual(values.map((v) => JSON.stringify(v)));
        });
      }),
      RUNS,
    );
  });

  it('arbitrary bytes always get every recordId back exactly once, in order, never Dropped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyPayload, { maxLength: 8 }), fc.boolean(), async (payloads, kinesis) => {
        // Prepare
        const event = firehoseEvent(payloads, { kinesis });

        // Act
        const response = await silenced(() => handler(event));

        // Assess
        expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
        expect(new Set(response.records.map((r) => r.recordId)).size).toBe(event.records.length);
        response.records.forEach((entry, k) => {
          expect(['Ok', 'ProcessingFailed']).toContain(entry.result);
          if (entry.result === 'ProcessingFailed') expect(entry.data).toBe(event.records[k]?.data);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('no Ok output is ever invalid JSONL', () => {
    fc.assert(
      fc.property(anyPayload, (payload) => {
        // Prepare
        const event = firehoseEvent([payload]);

        // Act
        const [entry] = transformEvent(event).response.records;

        // Assess
        if (entry?.result === 'Ok') expect(isValidJsonl(decodeText(entry.data))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on single-line input: Ok exactly when it is one JSON object', () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.jsonValue().map((v) => JSON.stringify(v))), (raw) => {
        // Prepare: one line only (a line end would make it a packed record, which JSON.parse rejects)
        const text = raw.replace(/\n/g, ' ');
        let isObject: boolean;
        try {
          const value: unknown = JSON.parse(text);
          isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        } catch {
          isObject = false;
        }

        // Act
        const [entry] = transformEvent(firehoseEvent([text])).response.records;

        // Assess
        expect(entry?.result).toBe(isObject ? 'Ok' : 'ProcessingFailed');
        if (isObject) expect(JSON.parse(decodeText(entry?.data))).toEqual(JSON.parse(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every response entry smaller than its input entry (output data <= input bytes + 1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ payload: anyPayload, kinesis: fc.boolean(), timestamp: fc.integer({ min: 0, max: 4102444800000 }) }), {
          maxLength: 8,
        }),
        (specs) => {
          // Prepare
          const event = firehoseEvent(specs.map((s) => s.payload));
          event.records.forEach((record, k) => {
            const spec = specs[k];
            if (spec === undefined) return;
            record.approximateArrivalTimestamp = spec.timestamp;
            if (!spec.kinesis) delete record.kinesisRecordMetadata;
          });

          // Act
          const { response } = transformEvent(event);

          // Assess
          response.records.forEach((entry, k) => {
            const input = event.records[k];
            if (input === undefined) throw new Error('missing input');
            expect(decode(entry.data).length).toBeLessThanOrEqual(decode(input.data).length + 1);
            expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThan(Buffer.byteLength(JSON.stringify(input)));
          });
          expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(Buffer.byteLength(JSON.stringify(event)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
