/**
 * The deadline-bounded send engine (lib/send.ts) over a scripted sink: every record gets exactly one
 * outcome, confirmed only when the sink confirmed it, only failed entries are resent, calls stay
 * within the limits and the concurrency, and the whole send ends by its deadline whatever the sink
 * does (including never answering). Only generous upper bounds on time are asserted.
 */
import fc from 'fast-check';
import type { EntryResult } from '../../lib/confirm';
import { Slots } from '../../lib/deadline';
import { sendLines, sendRecords, windowFor, type CallReport, type RecordOutcome } from '../../lib/send';
import type { OutRecord, Sink } from '../../lib/sink';

const GENEROUS_MS = 5_000;

type Behaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'entries'; readonly mask: readonly ('ok' | 'retry' | 'fatal' | 'none')[] }
  | { readonly kind: 'throw'; readonly name: string; readonly status: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'malformed' };

interface Rec extends OutRecord {
  readonly n: number;
}

/** A sink answering call k with behaviours[k % length], keeping a ledger of what it confirmed. */
function scripted(behaviours: readonly Behaviour[], limits = { maxRecordsPerCall: 4, maxBytesPerCall: 40, maxRecordBytes: 40 }) {
  const confirmed: number[] = [];
  const calls: number[][] = [];
  let active = 0;
  let peak = 0;
  const sink: Sink = {
    service: 'firehose',
    limits,
    cost: (r) => r.data.byteLength,
    send: async (_destination, records, signal) => {
      const k = calls.length;
      calls.push(records.map((r) => (r as Rec).n));
      // A call counts as active until it settles or is aborted (the SDK destroys an aborted request).
      let done = false;
      const end = (): void => {
        if (!done) active--;
        done = true;
      };
      active++;
      peak = Math.max(peak, active);
      signal.addEventListener('abort', end);
      try {
        await new Promise((r) => setImmediate(r));
        const b = behaviours[k % behaviours.length]!;
        // Hangs until aborted, as the SDK's HTTP handler does (it destroys the request on abort).
        if (b.kind === 'hang') {
          return await new Promise<never>((_, reject) => {
            if (signal.aborted) reject(new Error('aborted'));
            signal.addEventListener('abort', () => reject(new Error('aborted')));
          });
        }
        if (b.kind === 'throw') throw Object.assign(new Error(b.name), { name: b.name, $metadata: { httpStatusCode: b.status } });
        if (b.kind === 'malformed') return [];
        // An answer never reaches a caller that has cut the call off: only what it receives is confirmed.
        if (signal.aborted) throw new Error('aborted');
        return records.map((r, i): EntryResult => {
          const what = b.kind === 'ok' ? 'ok' : b.mask[i % b.mask.length]!;
          if (what === 'ok') {
            confirmed.push((r as Rec).n);
            return { ok: true, id: `id-${(r as Rec).n}` };
          }
          if (what === 'none') return { ok: false, code: 'MissingRecordId', message: '', retryable: true };
          return what === 'retry'
            ? { ok: false, code: 'ServiceUnavailableException', message: '', retryable: true }
            : { ok: false, code: 'KMSAccessDeniedException', message: '', retryable: false };
        });
      } finally {
        end();
      }
    },
  };
  return { sink, confirmed, calls, peak: () => peak };
}

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constant<Behaviour>({ kind: 'ok' }),
  fc.record({ kind: fc.constant('entries' as const), mask: fc.array(fc.constantFrom('ok' as const, 'retry' as const, 'fatal' as const, 'none' as const), { minLength: 1, maxLength: 5 }) }),
  fc.constantFrom<Behaviour>(
    { kind: 'throw', name: 'ThrottlingException', status: 400 },
    { kind: 'throw', name: 'ResourceNotFoundException', status: 400 },
    { kind: 'hang' },
    { kind: 'malformed' },
  ),
);

function records(sizes: readonly number[]): Rec[] {
  return sizes.map((size, n) => ({ n, data: new Uint8Array(size) }));
}

describe('sendRecords', () => {
  it('property: one outcome per record, confirmed only if the sink confirmed it, within limits, concurrency and deadline', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.array(behaviour, { minLength: 1, maxLength: 6 }),
        async (sizes, behaviours) => {
          // Prepare
          const s = scripted(behaviours);
          const recs = records(sizes);
          const seen: number[] = [];
          const now = Date.now();

          // Act
          const outcomes = await sendRecords('stream', recs, {
            sink: s.sink,
            policy: { requestTimeoutMs: 30, baseDelayMs: 1, maxDelayMs: 5 },
            window: { retryUntil: now + 120, deadline: now + 160 },
            slots: new Slots(2),
            onOutcome: (o) => seen.push(o.record.n),
          });
          const elapsed = Date.now() - now;

          // Assess
          expect(outcomes.map((o) => o.record.n)).toEqual(recs.map((r) => r.n));
          expect(seen.sort((a, b) => a - b)).toEqual(recs.map((r) => r.n));
          const confirmedByOutcome = outcomes.filter((o) => o.status === 'confirmed').map((o) => o.record.n);
          // Confirmed <=> the sink confirmed it; never sent again after a confirmation.
          expect(confirmedByOutcome.sort((a, b) => a - b)).toEqual([...s.confirmed].sort((a, b) => a - b));
          expect(new Set(s.confirmed).size).toBe(s.confirmed.length);
          for (const call of s.calls) {
            expect(call.length).toBeLessThanOrEqual(4);
            expect(call.reduce((n, i) => n + sizes[i]!, 0)).toBeLessThanOrEqual(40);
          }
          expect(s.peak()).toBeLessThanOrEqual(2);
          for (const o of outcomes) if (o.status === 'failed') expect(o.code).not.toBe('');
          expect(elapsed).toBeLessThan(160 + GENEROUS_MS);
        },
      ),
      { numRuns: 60, seed: 20261122 },
    );
  });

  it('sends only the failed entries again, and stops at maxAttempts', async () => {
    // Prepare: entry 0 always fails, entry 1 succeeds.
    const s = scripted([{ kind: 'entries', mask: ['retry', 'ok'] }]);
    const reports: CallReport<Rec>[] = [];

    // Act
    const outcomes = await sendRecords('stream', records([1, 1]), {
      sink: s.sink,
      policy: { requestTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
      window: { retryUntil: Date.now() + 10_000, deadline: Date.now() + 11_000 },
      onCall: (r) => reports.push(r),
    });

    // Assess
    expect(s.calls).toEqual([[0, 1], [0], [0]]);
    expect(reports.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(outcomes).toMatchObject([
      { status: 'failed', code: 'ServiceUnavailableException', retryable: true, attempts: 3 },
      { status: 'confirmed', id: 'id-1', attempts: 1 },
    ]);
  });

  it('ends at once when its signal aborts, cutting off the call in flight', async () => {
    // Prepare
    const s = scripted([{ kind: 'hang' }]);
    const abort = new AbortController();
    const t0 = Date.now();

    // Act
    const pending = sendRecords('stream', records([1, 1, 1]), {
      sink: s.sink,
      policy: { requestTimeoutMs: 60_000, baseDelayMs: 1, maxDelayMs: 2 },
      window: { retryUntil: Date.now() + 60_000, deadline: Date.now() + 120_000, signal: abort.signal },
    });
    setTimeout(() => abort.abort(), 20);
    const outcomes: RecordOutcome<Rec>[] = await pending;

    // Assess
    expect(Date.now() - t0).toBeLessThan(GENEROUS_MS);
    expect(outcomes.map((o) => [o.status, o.status === 'failed' ? o.code : ''])).toEqual([
      ['failed', 'DeadlineExceeded'],
      ['failed', 'DeadlineExceeded'],
      ['failed', 'DeadlineExceeded'],
    ]);
  });

  it('reports a record whose first call could not start before the deadline without calling', async () => {
    // Prepare: the only slot is taken for good.
    const s = scripted([{ kind: 'ok' }]);
    const slots = new Slots(1);
    await slots.acquire(Date.now() + 1_000);

    // Act
    const outcomes = await sendRecords('stream', records([1]), {
      sink: s.sink,
      slots,
      policy: { requestTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 2 },
      window: { retryUntil: Date.now() + 10, deadline: Date.now() + 30 },
    });

    // Assess
    expect(s.calls).toEqual([]);
    expect(outcomes).toMatchObject([{ status: 'failed', code: 'DeadlineExceeded', attempts: 0 }]);
  });
});

describe('sendLines (the collector and tool entry point)', () => {
  it('packs lines into Firehose records and maps each record outcome back to its lines', async () => {
    // Prepare: the second call's entry fails for good.
    const s = scripted([{ kind: 'entries', mask: ['ok', 'fatal'] }]);
    const lines = ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}'].map((json, i) => ({ json, i }));

    // Act: 15-byte records hold two 7-byte lines.
    const out = await sendLines('stream', lines, {
      sink: { ...s.sink, cost: (r) => r.data.byteLength },
      policy: { requestTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 2 },
      window: windowFor(5_000, 1_000),
      packedRecordBytes: 15,
    });

    // Assess
    expect(out.map((o) => [o.line.i, o.outcome.status])).toEqual([
      [0, 'confirmed'],
      [1, 'confirmed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(out[2]!.outcome).toMatchObject({ status: 'failed', code: 'KMSAccessDeniedException', retryable: false });
  });

  it('refuses to pack for Kinesis, and keys each record by its line', async () => {
    // Prepare
    const sent: (string | undefined)[] = [];
    const sink: Sink = {
      service: 'kinesis',
      limits: { maxRecordsPerCall: 500, maxBytesPerCall: 5 * 1024 * 1024, maxRecordBytes: 1024 * 1024 },
      cost: (r) => r.data.byteLength,
      send: async (_d, records) => records.map((r, i) => (sent.push(r.partitionKey), { ok: true as const, id: `seq-${i}` })),
    };
    const options = { sink, policy: { requestTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 2 }, window: windowFor(5_000, 1_000) };

    // Act
    const packed = sendLines('root', [{ json: '{}', partitionKey: 'k' }], { ...options, packedRecordBytes: 100 });
    const out = await sendLines('root', [{ json: '{"a":1}', partitionKey: 'id-1' }, { json: '{"b":2}', partitionKey: 'id-2' }], options);

    // Assess
    await expect(packed).rejects.toBeInstanceOf(RangeError);
    expect(sent).toEqual(['id-1', 'id-2']);
    expect(out.map((o) => (o.outcome.status === 'confirmed' ? o.outcome.id : ''))).toEqual(['seq-0', 'seq-1']);
  });

  it('windowFor leaves the last retry its full request time', () => {
    // Assess
    expect(windowFor(10_000, 3_000, 1_000)).toEqual({ retryUntil: 8_000, deadline: 11_000 });
    expect(windowFor(1_000, 3_000, 1_000)).toEqual({ retryUntil: 1_000, deadline: 2_000 });
  });
});

describe('records over the record limit', () => {
  it('are reported RecordTooLarge without being sent, and do not fail the others', async () => {
    // Prepare: limit 40 bytes per record.
    const s = scripted([{ kind: 'ok' }]);

    // Act
    const out = await sendRecords('stream', records([10, 41, 10]), {
      sink: s.sink,
      policy: { requestTimeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 2 },
      window: windowFor(5_000, 1_000),
    });

    // Assess
    expect(s.calls).toEqual([[0, 2]]);
    expect(out.map((o) => (o.status === 'failed' ? o.code : o.status))).toEqual(['confirmed', 'RecordTooLarge', 'confirmed']);
    expect(out[1]).toMatchObject({ retryable: false, attempts: 0 });
  });
});
