/**
 * Time bounds (lib/deadline.ts): a call that never answers is cut off at its time, and waiting
 * for a concurrency slot ends at a deadline. Only generous upper bounds are asserted.
 */
import { abortableSleep, CallCutOffError, callWithin, Slots } from '../../lib/deadline';

const GENEROUS_MS = 5_000;

describe('callWithin', () => {
  it('cuts off a call that never settles at its request timeout, and aborts its signal', async () => {
    // Prepare
    let seen: AbortSignal | undefined;
    const t0 = Date.now();

    // Act
    const err = await callWithin(
      (signal) => {
        seen = signal;
        return new Promise<never>(() => undefined);
      },
      50,
      true,
    ).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(CallCutOffError);
    expect(err).toMatchObject({ code: 'TimeoutError' });
    expect(seen?.aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(GENEROUS_MS);
  });

  it('says DeadlineExceeded when the time was the deadline, or the cutoff signal fired', async () => {
    // Prepare
    const cutoff = new AbortController();

    // Act
    const byDeadline = callWithin(() => new Promise<never>(() => undefined), 20, false).catch((e: unknown) => e);
    const bySignal = callWithin(() => new Promise<never>(() => undefined), 60_000, true, cutoff.signal).catch((e: unknown) => e);
    cutoff.abort();

    // Assess
    expect(await byDeadline).toMatchObject({ code: 'DeadlineExceeded' });
    expect(await bySignal).toMatchObject({ code: 'DeadlineExceeded' });
    await expect(callWithin(() => Promise.resolve(1), 0, true)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
  });

  it('returns the answer, and a late rejection of the abandoned call is never unhandled', async () => {
    // Prepare
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): number => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);

    // Act
    const value = await callWithin(() => Promise.resolve('ok'), 1_000, true);
    await callWithin(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30)), 5, true).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 60));
    process.off('unhandledRejection', onUnhandled);

    // Assess
    expect(value).toBe('ok');
    expect(unhandled).toEqual([]);
  });
});

describe('Slots', () => {
  it('never exceeds its size, hands slots over in order, and gives up waiters at their deadline', async () => {
    // Prepare
    const slots = new Slots(2);
    const order: number[] = [];

    // Act
    expect(await slots.acquire(Date.now() + 1_000)).toBe(true);
    expect(await slots.acquire(Date.now() + 1_000)).toBe(true);
    const third = slots.acquire(Date.now() + 1_000).then((ok) => (order.push(3), ok));
    const fourth = slots.acquire(Date.now() + 1_000).then((ok) => (order.push(4), ok));
    const late = slots.acquire(Date.now() + 20);
    const aborted = new AbortController();
    const cancelled = slots.acquire(Date.now() + 60_000, aborted.signal);
    aborted.abort();
    expect(await late).toBe(false);
    expect(await cancelled).toBe(false);
    slots.release();
    slots.release();

    // Assess
    expect(await third).toBe(true);
    expect(await fourth).toBe(true);
    expect(order).toEqual([3, 4]);
    expect(slots.inUse).toBe(2);
    expect(slots.queued).toBe(0);
  });
});

describe('abortableSleep', () => {
  it('ends at once when its signal aborts', async () => {
    // Prepare
    const c = new AbortController();
    const t0 = Date.now();

    // Act
    const sleeping = abortableSleep(60_000, c.signal);
    c.abort();
    await sleeping;

    // Assess
    expect(Date.now() - t0).toBeLessThan(GENEROUS_MS);
  });
});
