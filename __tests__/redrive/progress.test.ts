/**
 * Progress: a bar redrawn in place on a terminal, plain lines (throttled) otherwise.
 */
import { newSummary } from '../../scripts/redrive-lib/engine';
import { Progress } from '../../scripts/redrive-lib/progress';
import type { Source, Unit } from '../../scripts/redrive-lib/types';

const source = { name: 'errors', unitNoun: 'object', location: 's3://b/errors/' } as unknown as Source<Unit>;

function summaryWith(units: number, read: number, sent: number) {
  const s = newSummary(source, false);
  s.units.seen = units;
  s.byType.set('web-shop/page_view', { read, sent, skipped: read - sent, failed: 0 });
  return s;
}

it('draws a bar on a terminal: carriage return, percentage, counts, a newline at the end', () => {
  const out: string[] = [];
  let now = 0;
  const p = new Progress({ write: (t) => out.push(t), isTTY: true, columns: 200 }, { total: () => 40, now: () => now });
  p.update(summaryWith(10, 1_000, 990));
  now += 50;
  p.update(summaryWith(11, 1_100, 1_090)); // within 100 ms: not redrawn
  now += 100;
  p.update(summaryWith(20, 2_000, 1_990));
  p.done(summaryWith(40, 4_000, 3_990));
  expect(out).toHaveLength(4);
  expect(out[0]).toBe('\r[######..................]  25% 10/40 objects, 1,000 records read, 990 sent, 10 skipped, 0 failed\u001b[K');
  expect(out[1]).toMatch(/^\r\[#{12}\.{12}\] {2}50% 20\/40 objects/);
  expect(out[2]).toMatch(/^\r\[#{24}\] 100% 40\/40 objects, 4,000 records read, 3,990 sent/);
  expect(out[3]).toBe('\n');
});

it('fits the bar to the terminal width', () => {
  const out: string[] = [];
  new Progress({ write: (t) => out.push(t), isTTY: true, columns: 40 }, { total: () => 40 }).done(summaryWith(1, 1, 1));
  expect(out[0]!.replace('\r', '').replace('\u001b[K', '').length).toBeLessThanOrEqual(39);
});

it('prints plain lines elsewhere, at most one per interval, and always the last one', () => {
  const out: string[] = [];
  let now = 0;
  const p = new Progress({ write: (t) => out.push(t), isTTY: false }, { total: () => undefined, now: () => now, intervalMs: 5_000 });
  p.update(summaryWith(1, 10, 10));
  now += 1_000;
  p.update(summaryWith(2, 20, 20));
  now += 5_000;
  p.update(summaryWith(3, 30, 30));
  p.done(summaryWith(4, 40, 40));
  expect(out).toEqual([
    'redrive: 1 objects, 10 records read, 10 sent, 0 skipped, 0 failed\n',
    'redrive: 3 objects, 30 records read, 30 sent, 0 skipped, 0 failed\n',
    'redrive: 4 objects, 40 records read, 40 sent, 0 skipped, 0 failed\n',
  ]);
  expect(out.join('')).not.toContain('\r');
});

it('prints nothing with --progress none', () => {
  const out: string[] = [];
  const p = new Progress({ write: (t) => out.push(t), isTTY: true }, { mode: 'none' });
  p.update(summaryWith(1, 1, 1));
  p.done(summaryWith(1, 1, 1));
  expect(out).toEqual([]);
});
