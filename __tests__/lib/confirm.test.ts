/**
 * The one rule for what counts as delivered (lib/confirm.ts): a RecordId (Firehose) or a
 * SequenceNumber (Kinesis), nothing else.
 */
import fc from 'fast-check';
import { firehoseEntryResults, kinesisEntryResults } from '../../lib/confirm';
import { billedUnits, FIREHOSE_BILLING_INCREMENT_BYTES } from '../../lib/limits';

describe('firehoseEntryResults', () => {
  it.each([
    { entry: { RecordId: 'r1' }, expected: { ok: true, id: 'r1' } },
    { entry: { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }, expected: { ok: false, code: 'ServiceUnavailableException', retryable: true } },
    { entry: { ErrorCode: 'KMSAccessDeniedException' }, expected: { ok: false, code: 'KMSAccessDeniedException', retryable: false } },
    { entry: { RecordId: 'r1', ErrorCode: 'InternalFailure' }, expected: { ok: false, code: 'InternalFailure', retryable: true } },
    { entry: {}, expected: { ok: false, code: 'MissingRecordId', retryable: true } },
    { entry: { RecordId: '' }, expected: { ok: false, code: 'MissingRecordId', retryable: true } },
    { entry: { RecordId: null, ErrorCode: null }, expected: { ok: false, code: 'MissingRecordId', retryable: true } },
  ])('$entry -> $expected', ({ entry, expected }) => {
    // Act
    const [r] = firehoseEntryResults([entry], 1);

    // Assess
    expect(r).toMatchObject(expected);
  });

  it.each([
    { name: 'no entries', entries: undefined },
    { name: 'fewer entries', entries: [{ RecordId: 'a' }] },
    { name: 'more entries', entries: [{ RecordId: 'a' }, { RecordId: 'b' }, { RecordId: 'c' }] },
  ])('trusts none of a response with $name than records', ({ entries }) => {
    // Act
    const results = firehoseEntryResults(entries, 2);

    // Assess
    expect(results).toHaveLength(2);
    for (const r of results) expect(r).toMatchObject({ ok: false, code: 'MalformedResponse', retryable: true });
  });

  it('confirms exactly the entries that carry a RecordId and no ErrorCode (property)', () => {
    const entry = fc.record(
      { RecordId: fc.option(fc.constantFrom('', 'id-1', 'id-2'), { nil: undefined }), ErrorCode: fc.option(fc.constantFrom('', 'InternalFailure'), { nil: undefined }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
        const results = firehoseEntryResults(entries, entries.length);
        results.forEach((r, i) => {
          const e = entries[i]!;
          expect(r.ok).toBe(!!e.RecordId && !e.ErrorCode);
        });
      }),
    );
  });
});

describe('kinesisEntryResults', () => {
  it.each([
    { entry: { SequenceNumber: '4959', ShardId: 'shardId-000' }, expected: { ok: true, id: '4959', shardId: 'shardId-000' } },
    { entry: { ErrorCode: 'ProvisionedThroughputExceededException' }, expected: { ok: false, code: 'ProvisionedThroughputExceededException', retryable: true } },
    { entry: { ShardId: 'shardId-000' }, expected: { ok: false, code: 'MissingSequenceNumber', retryable: true } },
    { entry: {}, expected: { ok: false, code: 'MissingSequenceNumber', retryable: true } },
  ])('$entry -> $expected', ({ entry, expected }) => {
    // Act
    const [r] = kinesisEntryResults([entry], 1);

    // Assess
    expect(r).toMatchObject(expected);
  });
});

describe('billed units', () => {
  it.each([
    [0, 1],
    [1, 1],
    [5_000, 1],
    [5_120, 1],
    [5_121, 2],
    [12 * 1024, 3],
    [1_024_000, 200],
  ])('a record of %i bytes is billed as %i increment(s) of 5,120 bytes', (bytes, units) => {
    // Assess
    expect(FIREHOSE_BILLING_INCREMENT_BYTES).toBe(5_120);
    expect(billedUnits(bytes)).toBe(units);
  });
});
