/**
 * The checkpoint: an append-only JSON-lines journal, one line per fact, each written and fsynced
 * before the tool goes on:
 *
 *   {"t":"run","v":1,"project":"acme","environment":"dev","source":"errors","target":"s3://…/errors/","at":"…"}
 *   {"t":"sent","u":"<unit>","ids":["L0","L1",…]}   the service confirmed these items' records
 *   {"t":"rh","u":"<unit>","rh":"<receipt handle>"}  dlq: the message is held by this run
 *   {"t":"requeued","u":"<unit>","ids":["S…",…]}     dlq: SQS confirmed these items, written back to
 *                                                     the queue as dead letters of their own (split)
 *   {"t":"done","u":"<unit>","how":"tagged"}          the unit was marked, moved, deleted or split
 *
 * A batch's confirmed items are written right after its calls return, so a crash or Ctrl-C can
 * re-send at most the batch in flight. The same holds for a split message's write-back: each
 * SendMessageBatch's confirmed entries are written before the next call and before the message is
 * deleted, so a run after a crash (or after a failed delete) deletes the message without writing
 * its records back again. A line cut short by a crash (the last one) is ignored and
 * truncated; any other unreadable line stops the tool (the file was edited or is not a journal).
 * A lock file next to it (`<file>.lock`, holding the pid) keeps two runs off one checkpoint; a lock
 * whose process is gone is taken over.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { CheckpointError, type UnitDone } from './types';

export interface JournalHeader {
  readonly project: string;
  readonly environment: string;
  readonly source: string;
  /** Bucket prefix or queue the units come from. */
  readonly target: string;
}

interface UnitState {
  sent: Set<string>;
  requeued?: Set<string>;
  receipt?: string;
  done?: UnitDone;
}

/** Compact the journal on close above this many lines. */
const COMPACT_ABOVE_LINES = 10_000;

export class Journal {
  private readonly units = new Map<string, UnitState>();
  private fd: number | undefined;
  private lines = 0;
  private readonly lockFile: string;
  private locked = false;

  private constructor(
    public readonly file: string,
    private readonly header: JournalHeader,
    public readonly readOnly: boolean,
    private readonly compactAboveLines: number,
  ) {
    this.lockFile = `${file}.lock`;
  }

  /**
   * Opens (or creates) the checkpoint for `header`. `readOnly` (dry runs) reads it without a lock
   * and never writes. `compactAboveLines`: rewrite it on close when longer (default 10,000).
   */
  public static open(file: string, header: JournalHeader, options: { readonly readOnly?: boolean; readonly compactAboveLines?: number } = {}): Journal {
    const j = new Journal(file, header, options.readOnly === true, options.compactAboveLines ?? COMPACT_ABOVE_LINES);
    if (!j.readOnly) {
      mkdirSync(path.dirname(file), { recursive: true });
      j.lock();
    }
    try {
      j.replay();
      if (!j.readOnly) {
        j.fd = openSync(file, 'a');
        j.append({ t: 'run', v: 1, ...header, at: new Date().toISOString() });
      }
    } catch (err) {
      j.unlock();
      throw err;
    }
    return j;
  }

  /** Items of `unit` confirmed in this or an earlier run. */
  public sent(unit: string): ReadonlySet<string> {
    return this.units.get(unit)?.sent ?? EMPTY;
  }

  /** Items of `unit` written back to the queue (a split message) in this or an earlier run. */
  public requeued(unit: string): ReadonlySet<string> {
    return this.units.get(unit)?.requeued ?? EMPTY;
  }

  /** How `unit` was finished, if it was. */
  public done(unit: string): UnitDone | undefined {
    return this.units.get(unit)?.done;
  }

  /** Messages a run held and did not finish (a crash): their last receipt handles. */
  public heldReceipts(): { unit: string; receipt: string }[] {
    return [...this.units.entries()].filter(([, s]) => s.receipt !== undefined && s.done === undefined).map(([unit, s]) => ({ unit, receipt: s.receipt! }));
  }

  public recordSent(unit: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.append({ t: 'sent', u: unit, ids });
    const s = this.state(unit);
    for (const id of ids) s.sent.add(id);
  }

  public recordRequeued(unit: string, ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.append({ t: 'requeued', u: unit, ids });
    const s = this.state(unit);
    s.requeued ??= new Set();
    for (const id of ids) s.requeued.add(id);
  }

  public recordReceipt(unit: string, receipt: string): void {
    this.append({ t: 'rh', u: unit, rh: receipt });
    this.state(unit).receipt = receipt;
  }

  public recordDone(unit: string, how: UnitDone): void {
    this.append({ t: 'done', u: unit, how });
    this.state(unit).done = how;
  }

  /** Closes the file (compacting it when long) and releases the lock. */
  public close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
      if (this.lines > this.compactAboveLines) this.compact();
    }
    this.unlock();
  }

  private state(unit: string): UnitState {
    let s = this.units.get(unit);
    if (s === undefined) this.units.set(unit, (s = { sent: new Set() }));
    return s;
  }

  private append(entry: Record<string, unknown>): void {
    if (this.readOnly) return;
    if (this.fd === undefined) throw new CheckpointError(`checkpoint ${this.file} is closed`);
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(this.fd);
    this.lines++;
  }

  private replay(): void {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    const rows = text.split('\n');
    let goodBytes = 0;
    let offset = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const isLast = i === rows.length - 1;
      const rowBytes = Buffer.byteLength(row) + (isLast ? 0 : 1);
      offset += rowBytes;
      if (row === '') {
        if (!isLast) goodBytes = offset;
        continue;
      }
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(row) as Record<string, unknown>;
      } catch (err) {
        // The last line without its newline was being written when the process died: ignore it.
        if (isLast) break;
        throw new CheckpointError(
          `checkpoint ${this.file} line ${i + 1} is not valid JSON: the file was edited or is not a redrive checkpoint. ` +
            'Move it away to start over (records sent before it would be sent again).',
          { cause: err },
        );
      }
      if (isLast) break; // a complete JSON value but no newline: treat as cut short too
      this.apply(entry, i + 1);
      goodBytes = offset;
      this.lines++;
    }
    if (!this.readOnly && goodBytes < Buffer.byteLength(text)) {
      const fd = openSync(this.file, 'r+');
      try {
        ftruncateSync(fd, goodBytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  private apply(e: Record<string, unknown>, line: number): void {
    switch (e.t) {
      case 'run': {
        for (const k of ['project', 'environment', 'source', 'target'] as const) {
          if (e[k] !== this.header[k]) {
            throw new CheckpointError(
              `checkpoint ${this.file} belongs to another redrive (${k} ${JSON.stringify(e[k])}, this run has ${JSON.stringify(this.header[k])}); ` +
                'pass --checkpoint <another file>',
            );
          }
        }
        return;
      }
      case 'sent':
        if (typeof e.u === 'string' && Array.isArray(e.ids)) {
          const s = this.state(e.u);
          for (const id of e.ids) if (typeof id === 'string') s.sent.add(id);
          return;
        }
        break;
      case 'requeued':
        if (typeof e.u === 'string' && Array.isArray(e.ids)) {
          const s = this.state(e.u);
          s.requeued ??= new Set();
          for (const id of e.ids) if (typeof id === 'string') s.requeued.add(id);
          return;
        }
        break;
      case 'rh':
        if (typeof e.u === 'string' && typeof e.rh === 'string') {
          this.state(e.u).receipt = e.rh;
          return;
        }
        break;
      case 'done':
        if (typeof e.u === 'string' && typeof e.how === 'string') {
          this.state(e.u).done = e.how as UnitDone;
          return;
        }
        break;
    }
    throw new CheckpointError(`checkpoint ${this.file} line ${line} is not a checkpoint entry: the file was edited or is not a redrive checkpoint`);
  }

  /** Rewrites the journal as one line per unit (atomic rename). */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    const out: string[] = [JSON.stringify({ t: 'run', v: 1, ...this.header, at: new Date().toISOString(), compacted: true })];
    for (const [u, s] of this.units) {
      if (s.sent.size > 0) out.push(JSON.stringify({ t: 'sent', u, ids: [...s.sent] }));
      if (s.requeued !== undefined && s.requeued.size > 0) out.push(JSON.stringify({ t: 'requeued', u, ids: [...s.requeued] }));
      if (s.receipt !== undefined && s.done === undefined) out.push(JSON.stringify({ t: 'rh', u, rh: s.receipt }));
      if (s.done !== undefined) out.push(JSON.stringify({ t: 'done', u, how: s.done }));
    }
    writeFileSync(tmp, `${out.join('\n')}\n`);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockFile, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }), { flag: 'wx' });
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CheckpointError(`cannot create ${this.lockFile}: ${(err as Error).message}`, { cause: err });
      }
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        holder = JSON.parse(readFileSync(this.lockFile, 'utf8')) as typeof holder;
      } catch {
        // unreadable: treat as stale
      }
      if (typeof holder.pid === 'number' && holder.host === hostname() && isAlive(holder.pid)) {
        throw new CheckpointError(`another redrive (pid ${holder.pid}) is using checkpoint ${this.file}; wait for it, or stop it`);
      }
      if (typeof holder.pid === 'number' && holder.host !== hostname()) {
        throw new CheckpointError(`checkpoint ${this.file} is locked by pid ${holder.pid} on ${String(holder.host)}; if that run is gone, delete ${this.lockFile}`);
      }
      rmSync(this.lockFile, { force: true }); // its process is gone (a crash): take it over
    }
    throw new CheckpointError(`cannot lock checkpoint ${this.file}`);
  }

  private unlock(): void {
    if (this.locked) {
      rmSync(this.lockFile, { force: true });
      this.locked = false;
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
