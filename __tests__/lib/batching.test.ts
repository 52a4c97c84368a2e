/**
 * The greedy packers (lib/batching.ts): lines into records, records into calls.
 */
import fc from 'fast-check';
import { joinLines, LinePacker, minimumBatches, packBy, packCalls, packLines } from '../../lib/batching';
import { firehoseSink } from '../../lib/firehose';
import { kinesisSink } from '../../lib/kinesis';

const never = { send: () => new Promise<never>(() => undefined) };

describe('packLines', () => {
  it('property: order kept, each record within the limit unless a single oversized line, greedy', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 200 }), fc.integer({ min: 1, max: 400 }), (sizes, max) => {
        const items = sizes.map((size, i) => ({ i, size }));
        const records = packLines(items, (x) => x.size, max);
        const bytes = (r: readonly { size: number }[]): number => r.reduce((n, x) => n + x.size, 0) + r.length - 1;
        // Every item once; within a record, in order.
        expect(records.flat().map((x) => x.i).sort((a, b) => a - b)).toEqual(items.map((x) => x.i));
        for (const r of records) {
          for (let k = 1; k < r.length; k++) expect(r[k]!.i).toBeGreaterThan(r[k - 1]!.i);
          if (r.length > 1) expect(bytes(r)).toBeLessThanOrEqual(max);
          else if (r[0]!.size > max) expect(r).toHaveLength(1);
        }
        // Greedy: a record of small lines closed only because the next small line did not fit.
        const small = records.filter((r) => r.length > 1 || r[0]!.size <= max);
        for (let k = 0; k + 1 < small.length; k++) expect(bytes(small[k]!) + 1 + small[k + 1]![0]!.size).toBeGreaterThan(max);
      }),
    );
  });

  it('LinePacker leaves the open record alone when a line is too large for any record', () => {
    // Prepare
    const packer = new LinePacker<string>(10);

    // Act
    const a = packer.add('a', 4);
    const big = packer.add('big', 50);
    const b = packer.add('b', 4);
    const last = packer.seal();

    // Assess
    expect([a, big, b, last]).toEqual([undefined, ['big'], undefined, ['a', 'b']]);
  });

  it('joinLines joins with newlines in one buffer', () => {
    // Assess
    expect(joinLines(['{"a":1}', '{"é":2}']).toString('utf8')).toBe('{"a":1}\n{"é":2}');
    expect(joinLines([]).length).toBe(0);
  });
});

describe('packBy / packCalls', () => {
  it('property: calls within the limits, in order, and never more than one call above the minimum', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 300 }), (sizes) => {
        const limits = { maxRecords: 7, maxBytes: 2_000 };
        const batches = packBy(sizes, limits, (s) => s);
        expect(batches.flat()).toEqual(sizes);
        for (const b of batches) {
          expect(b.length).toBeLessThanOrEqual(limits.maxRecords);
          expect(b.reduce((n, s) => n + s, 0)).toBeLessThanOrEqual(limits.maxBytes);
        }
        const min = minimumBatches(sizes.length, sizes.reduce((n, s) => n + s, 0), limits);
        expect(batches.length).toBeGreaterThanOrEqual(min);
      }),
    );
  });

  it('counts the partition key against Kinesis limits, not against Firehose limits', () => {
    // Prepare: 5 records of 1 MiB data; Kinesis allows 5 MiB per call including keys.
    const records = Array.from({ length: 5 }, (_, i) => ({ data: new Uint8Array(1024 * 1024 - 100), partitionKey: `k${i}`.padEnd(200, 'x') }));

    // Act
    const kinesis = packCalls(records, kinesisSink(never));
    const firehose = packCalls(records.map(() => ({ data: new Uint8Array(800 * 1024) })), firehoseSink(never));

    // Assess
    expect(kinesis.map((c) => c.length)).toEqual([4, 1]);
    expect(firehose.map((c) => c.length)).toEqual([5]);
  });
});
