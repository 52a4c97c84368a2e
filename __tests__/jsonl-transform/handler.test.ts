import type { FirehoseTransformationEvent } from 'aws-lambda';
import {
  captureLogs,
  decode,
  decodeText,
  expectedValues,
  firehoseEvent,
  FIXTURE_EXPECTATIONS,
  handler,
  isValidJsonl,
  linesOf,
} from './factories';

describe.each(FIXTURE_EXPECTATIONS)('handler on the $name fixture', ({ event, results, lines, failureReasons }) => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('answers every record once, in order, with the same ids and the expected results', async () => {
    // Prepare
    const input = event();

    // Act
    const response = await handler(input);

    // Assess
    expect(response.records.map((r) => r.recordId)).toEqual(input.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(results);
  });

  it('turns good records into valid JSON lines with the same objects', async () => {
    // Prepare
    const input = event();

    // Act
    const response = await handler(input);

    // Assess
    response.records.forEach((entry, k) => {
      const source = input.records[k];
      if (entry.result !== 'Ok' || source === undefined) return;
      expect(isValidJsonl(decodeText(entry.data))).toBe(true);
      expect(linesOf(entry.data)).toHaveLength(lines[k] ?? -1);
      expect(linesOf(entry.data).map((line) => JSON.parse(line) as unknown)).toEqual(expectedValues(source.data));
    });
  });

  it('copies compact records byte for byte (numbers and escapes untouched), adding only the newline', async () => {
    // Prepare
    const input = event();

    // Act
    const response = await handler(input);

    // Assess
    const compact = response.records.filter((entry, k) => {
      const text = decodeText(input.records[k]?.data);
      const outsideStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      return entry.result === 'Ok' && !/[ \t\r]/.test(outsideStrings) && !text.trimEnd().includes('\n');
    });
    expect(compact.length).toBeGreaterThan(0);
    for (const entry of compact) {
      const text = decodeText(input.records.find((r) => r.recordId === entry.recordId)?.data);
      expect(decodeText(entry.data)).toBe(`${text.trimEnd()}\n`);
    }
  });

  it('returns bad records with their original data', async () => {
    // Prepare
    const input = event();

    // Act
    const response = await handler(input);

    // Assess
    response.records.forEach((entry, k) => {
      if (entry.result === 'ProcessingFailed') expect(entry.data).toBe(input.records[k]?.data);
    });
  });

  it('drops the arrival timestamp and Kinesis metadata from the response entries', async () => {
    // Prepare
    const input = event();

    // Act
    const response = await handler(input);

    // Assess
    for (const entry of response.records) expect(Object.keys(entry).sort()).toEqual(['data', 'recordId', 'result']);
    expect(Object.keys(response)).toEqual(['records']);
  });

  it('logs one structured JSON line with the counts and a sample failure reason', async () => {
    // Prepare
    const input = event();

    // Act
    await handler(input);

    // Assess
    const logged = logs.lines();
    expect(logged).toHaveLength(1);
    const ok = results.filter((r) => r === 'Ok').length;
    expect(logged[0]).toMatchObject({
      level: 'warn',
      message: 'jsonl-transform',
      invocationId: input.invocationId,
      deliveryStreamArn: input.deliveryStreamArn,
      records: results.length,
      ok,
      processingFailed: results.length - ok,
      dropped: 0,
      failureReasons,
      sampleFailure: { recordId: expect.any(String), reason: expect.any(String), detail: expect.any(String) },
    });
    expect(logs.raw()[0]).not.toContain('\n');
  });

  it('never logs payloads', async () => {
    // Prepare
    const input = event();

    // Act
    await handler(input);

    // Assess
    const logged = logs.lines()[0] as Record<string, unknown>;
    delete logged.invocationId;
    // The stream name (…-page_view) and its event type key come from the config and may share words with payloads.
    delete logged.deliveryStreamArn;
    delete logged.eventType;
    const line = JSON.stringify(logged);
    for (const record of input.records) {
      if (record.data.length > 0) expect(line).not.toContain(record.data);
      for (const fragment of decodeText(record.data).match(/[A-Za-z0-9äöüß:/._#-]{6,}/g) ?? []) {
        expect(line).not.toContain(fragment);
      }
    }
  });
});

describe('handler', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('logs level info and no sample failure when every record is Ok', async () => {
    // Prepare
    const input = firehoseEvent(['{"a":1}', '{"b":2}\n{"c":3}']);

    // Act
    await handler(input);

    // Assess
    const [line] = logs.lines();
    expect(line).toMatchObject({ level: 'info', records: 2, ok: 2, processingFailed: 0, dropped: 0, lines: 3 });
    expect(line).not.toHaveProperty('sampleFailure');
  });

  it('reports decoded bytes in and out', async () => {
    // Prepare
    const input = firehoseEvent(['{ "a": 1 }', 'oops']);

    // Act
    const response = await handler(input);

    // Assess
    expect(logs.lines()[0]).toMatchObject({ bytesIn: 10 + 4, bytesOut: decode(response.records[0]?.data).length + 4 });
  });

  it('rejects (does not answer) an event that is not a Firehose event: that is a caller bug', async () => {
    // Prepare
    const input = { invocationId: 'x' } as unknown as FirehoseTransformationEvent;

    // Act
    const act = handler(input);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidEventError' });
  });
});
