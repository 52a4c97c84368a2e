import {
  InvalidEventError,
  transformEvent,
  transformRecordData,
  type FailureReason,
} from '../../functions/jsonl-transform/transform';
import { captureLogs, decodeText, firehoseEvent, firehoseRecord, handler, isValidJsonl, type Payload } from './factories';

const PAGE_VIEW = {
  event_type: 'page_view',
  event_id: '8f14e45f-ceea-467f-a9b1-3c1d2e7f0001',
  page: { url: 'https://shop.example.com/de/products/1001', title: 'Laufschuhe – Größe 42', tags: ['sale', 'new'] },
  price: 19.99,
  consent: true,
  referrer: null,
};
const COMPACT = JSON.stringify(PAGE_VIEW);

/** Runs the handler on one record (logs silenced) and returns its response entry. */
async function transformOne(payload: Payload, kinesis = false) {
  const logs = captureLogs();
  try {
    const response = await handler(firehoseEvent([payload], { kinesis }));
    expect(response.records).toHaveLength(1);
    const [entry] = response.records;
    if (entry === undefined) throw new Error('no response entry');
    return entry;
  } finally {
    logs.restore();
  }
}

describe.each([
  { source: 'Direct PUT', kinesis: false },
  { source: 'Kinesis stream', kinesis: true },
])('jsonl-transform ($source source)', ({ kinesis }) => {
  describe('one JSON object -> Ok, one line ending in exactly one \\n', () => {
    it.each([
      { layout: 'compact', text: COMPACT },
      { layout: 'compact with trailing \\n', text: `${COMPACT}\n` },
      { layout: 'compact with trailing \\r\\n', text: `${COMPACT}\r\n` },
      { layout: 'compact with several trailing newlines', text: `${COMPACT}\n\n\n` },
      { layout: 'pretty-printed (2 spaces)', text: JSON.stringify(PAGE_VIEW, null, 2) },
      { layout: 'pretty-printed with trailing \\n', text: `${JSON.stringify(PAGE_VIEW, null, 2)}\n` },
      { layout: 'pretty-printed (tabs) with \\r\\n line ends', text: JSON.stringify(PAGE_VIEW, null, '\t').replace(/\n/g, '\r\n') + '\r\n' },
      { layout: 'surrounded by blank lines and spaces', text: `\n  \n ${COMPACT} \n\n` },
      { layout: 'spaces around every token', text: ' { "event_type" : "page_view" , "n" : [ 1 , 2 ] , "o" : { } , "a" : [ ] } ' },
    ])('$layout', async ({ text }) => {
      // Prepare
      const expected = JSON.stringify(JSON.parse(text));

      // Act
      const entry = await transformOne(text, kinesis);

      // Assess
      expect(entry.result).toBe('Ok');
      expect(decodeText(entry.data)).toBe(`${expected}\n`);
    });
  });

  describe('string values keep their exact content', () => {
    it.each([
      { kind: 'UTF-8 text', value: '"Größe – café 東京"' },
      { kind: 'emoji (4-byte UTF-8)', value: '"😀👍🏽 family: 👨‍👩‍👧"' },
      { kind: 'escapes', value: '"tab\\t quote\\" backslash\\\\ slash\\/ newline\\n \\b\\f\\r"' },
      { kind: 'unicode escapes, kept as escapes', value: '"caf\\u00e9 \\uD83D\\uDE00 \\u0000"' },
      { kind: 'whitespace inside strings', value: '"  two  spaces  "' },
      { kind: 'JSON-looking text inside strings', value: '"{\\"a\\": [1, 2]}\\n{}"' },
    ])('$kind', async ({ value }) => {
      // Prepare
      const text = `{\n  "value": ${value}\n}\n`;

      // Act
      const entry = await transformOne(text, kinesis);

      // Assess
      expect(entry.result).toBe('Ok');
      expect(decodeText(entry.data)).toBe(`{"value":${value}}\n`);
    });
  });

  describe('numbers are copied, never re-serialized', () => {
    it.each(['1e2', '1.0', '-0', '-0.0e-0', '12345678901234567890123', '1E+400', '0.1000'])('%s', async (number) => {
      // Prepare
      const text = `{ "n": ${number} }`;

      // Act
      const entry = await transformOne(text, kinesis);

      // Assess
      expect(entry.result).toBe('Ok');
      expect(decodeText(entry.data)).toBe(`{"n":${number}}\n`);
    });
  });

  describe('several JSON objects, one per line -> Ok, each on its own line, blank lines removed', () => {
    const lines = [COMPACT, '{"event_type":"click","target":"#buy"}', '{"event_type":"scroll","depth":0.75}'];
    it.each([
      { layout: 'joined with \\n (tracker client)', text: lines.join('\n') },
      { layout: 'joined with \\n, trailing \\n', text: `${lines.join('\n')}\n` },
      { layout: 'joined with \\r\\n', text: lines.join('\r\n') },
      { layout: 'with blank lines between', text: `\n${lines.join('\n\n  \n')}\n\n` },
      { layout: 'pretty-printed objects one after the other', text: lines.map((l) => JSON.stringify(JSON.parse(l), null, 2)).join('\n') },
    ])('$layout', async ({ text }) => {
      // Act
      const entry = await transformOne(text, kinesis);

      // Assess
      expect(entry.result).toBe('Ok');
      expect(decodeText(entry.data)).toBe(lines.map((l) => `${l}\n`).join(''));
    });
  });

  describe('anything else -> ProcessingFailed with the original data', () => {
    it.each<{ case: string; payload: Payload; reason: FailureReason }>([
      { case: 'empty record', payload: '', reason: 'empty' },
      { case: 'only whitespace', payload: ' \r\n\n\t', reason: 'empty' },
      { case: 'invalid UTF-8 (lone continuation byte)', payload: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]), reason: 'invalid-utf8' },
      { case: 'invalid UTF-8 (overlong "/")', payload: Uint8Array.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), reason: 'invalid-utf8' },
      { case: 'invalid UTF-8 (surrogate encoded)', payload: Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), reason: 'invalid-utf8' },
      { case: 'invalid UTF-8 (above U+10FFFF)', payload: Uint8Array.from([0x7b, 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x3a, 0x31, 0x7d]), reason: 'invalid-utf8' },
      { case: 'invalid UTF-8 (truncated sequence)', payload: Uint8Array.from([0x7b, 0x22, 0xe2, 0x82, 0x22, 0x3a, 0x31, 0x7d]), reason: 'invalid-utf8' },
      { case: 'byte order mark', payload: `\uFEFF${COMPACT}`, reason: 'invalid-json' },
      { case: 'plain text', payload: 'Hello, this is a test 123.', reason: 'invalid-json' },
      { case: 'number', payload: '42', reason: 'not-an-object' },
      { case: 'string', payload: '"page_view"', reason: 'not-an-object' },
      { case: 'array', payload: `[${COMPACT}]`, reason: 'not-an-object' },
      { case: 'null', payload: 'null', reason: 'not-an-object' },
      { case: 'boolean', payload: 'true', reason: 'not-an-object' },
      { case: 'packed line that is not an object', payload: `${COMPACT}\n[1,2]\n${COMPACT}`, reason: 'not-an-object' },
      { case: 'packed record with one bad line', payload: `${COMPACT}\n{"event_type":"click",\n${COMPACT}`, reason: 'invalid-json' },
      { case: 'two objects on one line', payload: '{"a":1}{"b":2}', reason: 'multiple-values-per-line' },
      { case: 'two objects on one line, space between', payload: '{"a":1} {"b":2}', reason: 'multiple-values-per-line' },
      { case: 'two objects separated by a lone \\r', payload: '{"a":1}\r{"b":2}', reason: 'multiple-values-per-line' },
      { case: 'garbage after the object', payload: '{"a":1} x', reason: 'multiple-values-per-line' },
      { case: 'truncated object', payload: '{"event_type":"page_view","page":{"url":"https://sh', reason: 'invalid-json' },
      { case: 'trailing comma in object', payload: '{"a":1,}', reason: 'invalid-json' },
      { case: 'trailing comma in array', payload: '{"a":[1,2,]}', reason: 'invalid-json' },
      { case: 'NaN', payload: '{"a":NaN}', reason: 'invalid-json' },
      { case: 'Infinity', payload: '{"a":-Infinity}', reason: 'invalid-json' },
      { case: 'comment', payload: '{"a":1 /* one */}', reason: 'invalid-json' },
      { case: 'line comment', payload: '// event\n{"a":1}', reason: 'invalid-json' },
      { case: 'single-quoted string', payload: "{'a':1}", reason: 'invalid-json' },
      { case: 'unquoted key', payload: '{a:1}', reason: 'invalid-json' },
      { case: 'raw tab in a string', payload: '{"a":"x\ty"}', reason: 'invalid-json' },
      { case: 'raw newline in a string', payload: '{"a":"x\ny"}', reason: 'invalid-json' },
      { case: 'raw control character in a string', payload: '{"a":"\u0001"}', reason: 'invalid-json' },
      { case: 'invalid escape', payload: '{"a":"\\x41"}', reason: 'invalid-json' },
      { case: 'short \\u escape', payload: '{"a":"\\u12"}', reason: 'invalid-json' },
      { case: 'non-hex \\u escape', payload: '{"a":"\\u12G4"}', reason: 'invalid-json' },
      { case: 'leading zero', payload: '{"a":01}', reason: 'invalid-json' },
      { case: 'leading plus', payload: '{"a":+1}', reason: 'invalid-json' },
      { case: 'bare minus', payload: '{"a":-}', reason: 'invalid-json' },
      { case: 'dot without digits', payload: '{"a":1.}', reason: 'invalid-json' },
      { case: 'exponent without digits', payload: '{"a":1e+}', reason: 'invalid-json' },
      { case: 'hex number', payload: '{"a":0x10}', reason: 'invalid-json' },
      { case: 'misspelt literal', payload: '{"a":tru}', reason: 'invalid-json' },
      { case: 'missing colon', payload: '{"a" 1}', reason: 'invalid-json' },
      { case: 'mismatched brackets', payload: '{"a":[1}', reason: 'invalid-json' },
      { case: 'unclosed string', payload: '{"a":"x}', reason: 'invalid-json' },
      { case: 'NUL byte between tokens', payload: '{"a":1,\u0000"b":2}', reason: 'invalid-json' },
    ])('$case -> $reason', async ({ payload, reason }) => {
      // Prepare
      const record = firehoseRecord(payload);

      // Act
      const entry = await transformOne(payload, kinesis);
      const outcome = transformRecordData(record.data);

      // Assess
      expect(entry).toEqual({ recordId: record.recordId, result: 'ProcessingFailed', data: record.data });
      expect(outcome).toMatchObject({ result: 'ProcessingFailed', reason });
    });
  });
});

describe('transformRecordData', () => {
  it.each([
    { case: 'length not a multiple of 4', data: 'eyJhIjoxfQ' },
    { case: 'characters outside the alphabet', data: 'eyJh Ijox fQ==' },
    { case: 'padding in the middle', data: 'eyJh=jox' },
    // Valid JSON in the base64url alphabet ("_" for "/", "-" for "+"), which Node's decoder would accept
    { case: 'the base64url alphabet ("_")', data: `${Buffer.from('{"a":"???"}').toString('base64url')}=` },
    { case: 'the base64url alphabet ("-")', data: Buffer.from('{"a":">>>>"}').toString('base64url') },
  ])('sends non-canonical base64 ($case) to the error prefix unchanged', ({ data }) => {
    // Act
    const outcome = transformRecordData(data);

    // Assess
    expect(outcome).toMatchObject({ result: 'ProcessingFailed', data, reason: 'invalid-base64' });
  });

  it.each([null, undefined, 42, { b64: 'e30=' }])('sends a record whose data is %p to the error prefix', (data) => {
    // Act
    const outcome = transformRecordData(data);

    // Assess
    expect(outcome).toMatchObject({ result: 'ProcessingFailed', reason: 'missing-data' });
  });

  it.each([
    { depth: 1_000 },
    { depth: 100_000 },
  ])('handles nesting $depth levels deep without recursion', ({ depth }) => {
    // Prepare
    const text = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    // Act
    const outcome = transformRecordData(Buffer.from(text).toString('base64'));

    // Assess
    expect(outcome.result).toBe('Ok');
    expect(decodeText(outcome.data)).toBe(`${text}\n`);
  });

  it.each([0, 1, 2, 3, 4, 5, 100, 101, 102])(
    'fixes only the base64 tail of a compact %i-byte-longer record',
    (extra) => {
      // Prepare
      const text = `{"k":"${'x'.repeat(extra)}"}`;
      const data = Buffer.from(text).toString('base64');

      // Act
      const outcome = transformRecordData(data);

      // Assess
      expect(outcome.result).toBe('Ok');
      expect(outcome.data).toBe(Buffer.from(`${text}\n`).toString('base64'));
      const unchanged = Math.floor(Buffer.byteLength(text) / 3) * 4;
      expect(outcome.data.slice(0, unchanged)).toBe(data.slice(0, unchanged));
    },
  );

  it('decodes each record on its own: a large pretty record, then a short one, then a large one again', () => {
    // Prepare: records are decoded into one reused buffer, which grows past 64 KiB here.
    const big = JSON.stringify({ k: 'y'.repeat(200_000), n: 1 }, null, 2);
    const small = '{"a": 1}';
    const texts = [big, small, `${big}\n${small}`, small];

    // Act
    const outcomes = texts.map((t) => transformRecordData(Buffer.from(t).toString('base64')));

    // Assess
    expect(outcomes.map((o) => o.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok']);
    expect(outcomes.map((o) => decodeText(o.data))).toEqual([
      `${JSON.stringify(JSON.parse(big))}\n`,
      '{"a":1}\n',
      `${JSON.stringify(JSON.parse(big))}\n{"a":1}\n`,
      '{"a":1}\n',
    ]);
  });

  it('returns the input string itself when the record is already compact JSON lines', () => {
    // Prepare
    const data = Buffer.from(`${COMPACT}\n{"b":2}\n`).toString('base64');

    // Act
    const outcome = transformRecordData(data);

    // Assess
    expect(outcome).toMatchObject({ result: 'Ok', data, lines: 2 });
  });
});

describe('transformEvent', () => {
  it('answers every record, in order, with the same ids, and never uses Dropped', () => {
    // Prepare
    const payloads: Payload[] = [COMPACT, 'not json', '', `${COMPACT}\n${COMPACT}`, '[]', JSON.stringify(PAGE_VIEW, null, 2)];
    const event = firehoseEvent(payloads, { kinesis: true });

    // Act
    const { response, summary } = transformEvent(event);

    // Assess
    expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed', 'Ok', 'ProcessingFailed', 'Ok']);
    for (const entry of response.records) {
      expect(Object.keys(entry).sort()).toEqual(['data', 'recordId', 'result']);
      if (entry.result === 'Ok') expect(isValidJsonl(decodeText(entry.data))).toBe(true);
    }
    expect(summary).toMatchObject({ records: 6, ok: 3, processingFailed: 3, dropped: 0, lines: 4 });
    expect(summary.failureReasons).toEqual({ 'invalid-json': 1, empty: 1, 'not-an-object': 1 });
    expect(summary.sampleFailure).toEqual({
      recordId: event.records[1]?.recordId,
      reason: 'invalid-json',
      detail: 'unexpected character at byte 0',
    });
  });

  it('returns an empty response for an event without records', () => {
    // Act
    const { response, summary } = transformEvent(firehoseEvent([]));

    // Assess
    expect(response).toEqual({ records: [] });
    expect(summary).toMatchObject({ records: 0, ok: 0, processingFailed: 0 });
  });

  it('sends a record to the error prefix when the transform itself throws on it (a bug), keeping the rest', () => {
    // Prepare
    const event = firehoseEvent([COMPACT, COMPACT]);
    const broken = event.records[1];
    if (broken === undefined) throw new Error('fixture');
    Object.defineProperty(broken, 'data', {
      get() {
        throw new RangeError('simulated bug');
      },
    });

    // Act
    const { response, summary } = transformEvent(event);

    // Assess
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    expect(summary.failureReasons).toEqual({ 'internal-error': 1 });
    expect(summary.sampleFailure?.detail).toBe('transform threw RangeError');
  });

  it.each([
    { case: 'no records array', event: { invocationId: 'x', deliveryStreamArn: 'y', region: 'eu-central-1' } },
    { case: 'records is not an array', event: { records: 'nope' } },
    { case: 'a record without recordId', event: { records: [{ data: 'e30=' }] } },
    { case: 'a null record', event: { records: [null] } },
    { case: 'a null event', event: null },
  ])('throws InvalidEventError when the event is not a Firehose event ($case)', ({ event }) => {
    // Act
    const act = () => transformEvent(event as unknown as Parameters<typeof transformEvent>[0]);

    // Assess
    expect(act).toThrow(InvalidEventError);
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidEventError' }));
  });
});
