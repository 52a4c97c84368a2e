/**
 * The checkpoint: what a run wrote is what the next run reads back, whatever byte a crash cut the
 * file at; it refuses a file it did not write, another run's file, and a lock held by a live run.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { Journal, type JournalHeader } from '../../scripts/redrive-lib/journal';
import { CheckpointError } from '../../scripts/redrive-lib/types';

const HEADER: JournalHeader = { project: 'acme', environment: 'dev', source: 'errors', target: 's3://acme-dev-tracking-events/errors/' };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('reads back what was written: sent items, receipts of held messages, finished units', () => {
  const file = path.join(dir, 'c.jsonl');
  const j = Journal.open(file, HEADER);
  j.recordSent('u1', ['L0', 'L1']);
  j.recordSent('u1', ['L2']);
  j.recordReceipt('m1', 'rh-1');
  j.recordReceipt('m2', 'rh-2');
  j.recordDone('m2', 'deleted');
  j.recordDone('u1', 'tagged');
  j.close();
  const again = Journal.open(file, HEADER);
  expect([...again.sent('u1')]).toEqual(['L0', 'L1', 'L2']);
  expect(again.done('u1')).toBe('tagged');
  expect(again.heldReceipts()).toEqual([{ unit: 'm1', receipt: 'rh-1' }]);
  again.close();
});

it('reads back the items of a split message written back to the queue, before and after compaction', () => {
  // Prepare: a message with sent items and items written back, not yet deleted (a crash).
  const file = path.join(dir, 'c.jsonl');
  const j = Journal.open(file, HEADER, { compactAboveLines: 1 });
  j.recordReceipt('sqs:m1', 'rh-1');
  j.recordSent('sqs:m1', ['S1', 'S2']);
  j.recordRequeued('sqs:m1', ['S3']);
  j.recordRequeued('sqs:m1', ['S4', 'S5']);
  j.recordRequeued('sqs:m1', []);
  // Act: closing compacts it (more than one line).
  j.close();
  // Assess
  expect(readFileSync(file, 'utf8')).toMatch(/"compacted":true/);
  const again = Journal.open(file, HEADER, { readOnly: true });
  expect([...again.requeued('sqs:m1')]).toEqual(['S3', 'S4', 'S5']);
  expect([...again.sent('sqs:m1')]).toEqual(['S1', 'S2']);
  expect(again.heldReceipts()).toEqual([{ unit: 'sqs:m1', receipt: 'rh-1' }]);
  expect(again.requeued('sqs:other').size).toBe(0);
});

it('ignores a last line cut short by a crash, truncates it, and appends after it', () => {
  const file = path.join(dir, 'c.jsonl');
  const j = Journal.open(file, HEADER);
  j.recordSent('u1', ['L0']);
  j.close();
  appendFileSync(file, '{"t":"sent","u":"u1","ids":["L1"'); // the write a kill interrupted
  const again = Journal.open(file, HEADER);
  expect([...again.sent('u1')]).toEqual(['L0']);
  again.recordSent('u1', ['L2']);
  again.close();
  expect(readFileSync(file, 'utf8').split('\n').every((l) => l === '' || JSON.parse(l) !== undefined)).toBe(true);
  expect([...Journal.open(file, HEADER, { readOnly: true }).sent('u1')]).toEqual(['L0', 'L2']);
});

it('keeps every fully written line, whatever byte a crash cut the file at (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('u1', 'u2', 'u3'), fc.array(fc.integer({ min: 0, max: 50 }).map((n) => `L${n}`), { minLength: 1, maxLength: 5 })), { minLength: 1, maxLength: 20 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (writes, cutAt) => {
        const file = path.join(dir, `p-${Math.random().toString(36).slice(2)}.jsonl`);
        const j = Journal.open(file, HEADER);
        const ends: number[] = [];
        for (const [u, ids] of writes) {
          j.recordSent(u, ids);
          ends.push(readFileSync(file).length);
        }
        j.close();
        const size = readFileSync(file).length;
        const cut = Math.floor(cutAt * size);
        truncateSync(file, cut);
        const r = Journal.open(file, HEADER, { readOnly: true });
        // Everything whose line ended before the cut is there; nothing that was not written.
        const expected = new Map<string, Set<string>>();
        writes.forEach(([u, ids], i) => {
          if (ends[i]! <= cut) for (const id of ids) (expected.get(u) ?? expected.set(u, new Set()).get(u)!).add(id);
        });
        for (const u of ['u1', 'u2', 'u3']) expect([...r.sent(u)].sort()).toEqual([...(expected.get(u) ?? [])].sort());
        rmSync(file, { force: true });
      },
    ),
    { numRuns: 60 },
  );
});

it('refuses a file that is not a checkpoint, or belongs to another redrive', () => {
  const file = path.join(dir, 'c.jsonl');
  writeFileSync(file, 'hello\n{"t":"sent","u":"x","ids":[]}\n');
  expect(() => Journal.open(file, HEADER)).toThrow(/line 1 is not valid JSON: the file was edited or is not a redrive checkpoint/);
  writeFileSync(file, '{"t":"what"}\n');
  expect(() => Journal.open(file, HEADER)).toThrow(/line 1 is not a checkpoint entry/);
  rmSync(file);
  Journal.open(file, HEADER).close();
  expect(() => Journal.open(file, { ...HEADER, source: 'unroutable' })).toThrow(CheckpointError);
  expect(() => Journal.open(file, { ...HEADER, environment: 'prod' })).toThrow(/belongs to another redrive \(environment "dev", this run has "prod"\); pass --checkpoint/);
});

it('keeps a second run off a checkpoint in use, and takes over the lock of a dead run', () => {
  const file = path.join(dir, 'c.jsonl');
  const j = Journal.open(file, HEADER);
  expect(() => Journal.open(file, HEADER)).toThrow(new RegExp(`another redrive \\(pid ${process.pid}\\) is using checkpoint`));
  // A dry run reads without the lock.
  expect(() => Journal.open(file, HEADER, { readOnly: true }).close()).not.toThrow();
  j.close();
  // A lock left by a process that is gone.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
  const taken = Journal.open(file, HEADER);
  taken.recordSent('u', ['L0']);
  taken.close();
});

it('compacts a long checkpoint into one line per unit and per fact', () => {
  const file = path.join(dir, 'c.jsonl');
  const j = Journal.open(file, HEADER, { compactAboveLines: 100 });
  for (let i = 0; i < 150; i++) j.recordSent(`u${i % 3}`, [`L${i}`]);
  j.recordDone('u0', 'tagged');
  j.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines.length).toBeLessThanOrEqual(5);
  const again = Journal.open(file, HEADER, { readOnly: true });
  expect(again.sent('u1').size).toBe(50);
  expect(again.done('u0')).toBe('tagged');
});
