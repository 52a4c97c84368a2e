/**
 * Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise (CI logs, a
 * file, a pipe), at most one every `intervalMs`, and always one at the end.
 */
import type { RedriveSummary } from './engine';

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** `bar` on a terminal, `plain` elsewhere; `none` prints nothing. @default 'auto' */
  readonly mode?: 'auto' | 'bar' | 'plain' | 'none';
  /** Units expected (objects listed, messages in the queue), when known. */
  readonly total?: () => number | undefined;
  /** Shortest time between two plain lines. @default 5000 */
  readonly intervalMs?: number;
  /** Shortest time between two redraws of the bar. @default 100 */
  readonly redrawMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

const BAR_WIDTH = 24;

export class Progress {
  private readonly mode: 'bar' | 'plain' | 'none';
  private last = -Infinity;
  private drawn = false;

  public constructor(
    private readonly out: ProgressOutput,
    private readonly o: ProgressOptions = {},
  ) {
    const m = o.mode ?? 'auto';
    this.mode = m === 'auto' ? (out.isTTY === true ? 'bar' : 'plain') : m;
  }

  public update(s: RedriveSummary): void {
    if (this.mode === 'none') return;
    const now = (this.o.now ?? Date.now)();
    const every = this.mode === 'bar' ? (this.o.redrawMs ?? 100) : (this.o.intervalMs ?? 5_000);
    if (now - this.last < every) return;
    this.last = now;
    this.draw(s);
  }

  public done(s: RedriveSummary): void {
    if (this.mode === 'none') return;
    this.draw(s);
    if (this.mode === 'bar' && this.drawn) this.out.write('\n');
  }

  /** The progress text without the bar: `12/40 objects, 3,120 read, 3,000 sent, 100 skipped, 20 failed`. */
  public static text(s: RedriveSummary, total: number | undefined): string {
    let read = 0;
    let sent = 0;
    let skipped = 0;
    let failed = 0;
    for (const c of s.byType.values()) {
      read += c.read;
      sent += c.sent;
      skipped += c.skipped;
      failed += c.failed;
    }
    let skippedUnits = 0;
    for (const n of s.units.skipped.values()) skippedUnits += n;
    const done = s.units.seen + skippedUnits;
    const units = `${fmt(done)}${total !== undefined ? `/${fmt(Math.max(total, done))}` : ''} ${s.unitNoun}s`;
    const verb = s.dryRun ? 'would send' : 'sent';
    const sentCount = s.dryRun ? [...s.dry.values()].reduce((n, r) => n + r.wouldSend, 0) : sent;
    return `${units}, ${fmt(read)} records read, ${fmt(sentCount)} ${verb}, ${fmt(skipped)} skipped, ${fmt(failed)} failed`;
  }

  private draw(s: RedriveSummary): void {
    const total = this.o.total?.();
    const text = Progress.text(s, total);
    if (this.mode === 'plain') {
      this.out.write(`redrive: ${text}\n`);
      return;
    }
    let skippedUnits = 0;
    for (const n of s.units.skipped.values()) skippedUnits += n;
    const done = s.units.seen + skippedUnits;
    const ratio = total !== undefined && total > 0 ? Math.min(1, done / total) : undefined;
    const bar =
      ratio !== undefined
        ? `[${'#'.repeat(Math.round(ratio * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${String(Math.floor(ratio * 100)).padStart(3)}% `
        : `[${spinner(done)}] `;
    let line = `${bar}${text}`;
    const width = this.out.columns ?? 120;
    if (line.length > width - 1) line = `${line.slice(0, Math.max(0, width - 2))}…`;
    // \r, the line, then erase to the end of the line (ANSI EL).
    this.out.write(`\r${line}\u001b[K`);
    this.drawn = true;
  }
}

function spinner(n: number): string {
  return '|/-\\'[n % 4]!.padEnd(BAR_WIDTH, ' ');
}

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
