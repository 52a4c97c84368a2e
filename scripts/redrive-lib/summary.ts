/**
 * What the tool prints at the end: per event type, records read, sent, skipped and failed, with
 * the reasons; what happened to the objects or messages; for a dry run, the counts per event type
 * and failure reason.
 */
import { totals, type RedriveSummary } from './engine';
import { fmt } from './progress';

function reasons(m: ReadonlyMap<string, number>): string {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([why, n]) => `${fmt(n)} ${why}`)
    .join('; ');
}

const DONE_WORDS: Record<string, string> = {
  tagged: 'tagged',
  moved: 'moved to redriven/',
  deleted: 'deleted',
  split: 'split (the records that cannot be sent now written back, the rest marked)',
};

export function renderSummary(s: RedriveSummary, environment: string): string {
  const out: string[] = [];
  const units = `${s.unitNoun}s`;
  if (s.dryRun) {
    out.push(`Dry run: redrive ${s.source} (${s.location}) in ${environment}; nothing was sent, marked or deleted.`);
    out.push('');
    out.push('| Event type | Failure reason | Records | Would send | Would skip | Would fail |');
    out.push('|---|---|---:|---:|---:|---:|');
    const rows = [...s.dry.values()].sort((a, b) => (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : a.reason < b.reason ? -1 : 1));
    for (const r of rows) out.push(`| ${r.eventType} | ${r.reason} | ${fmt(r.records)} | ${fmt(r.wouldSend)} | ${fmt(r.wouldSkip)} | ${fmt(r.wouldFail)} |`);
    const t = rows.reduce((a, r) => ({ records: a.records + r.records, send: a.send + r.wouldSend, skip: a.skip + r.wouldSkip, fail: a.fail + r.wouldFail }), { records: 0, send: 0, skip: 0, fail: 0 });
    out.push(`| **Total** | | **${fmt(t.records)}** | **${fmt(t.send)}** | **${fmt(t.skip)}** | **${fmt(t.fail)}** |`);
  } else {
    out.push(`Redrive ${s.source} (${s.location}) in ${environment}${s.interrupted ? ': INTERRUPTED' : ''}.`);
    out.push('');
    out.push('| Event type | Read | Sent | Skipped | Failed |');
    out.push('|---|---:|---:|---:|---:|');
    for (const [type, c] of [...s.byType.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out.push(`| ${type} | ${fmt(c.read)} | ${fmt(c.sent)} | ${fmt(c.skipped)} | ${fmt(c.failed)} |`);
    }
    const t = totals(s);
    out.push(`| **Total** | **${fmt(t.read)}** | **${fmt(t.sent)}** | **${fmt(t.skipped)}** | **${fmt(t.failed)}** |`);
  }
  out.push('');
  if (s.skippedWhy.size > 0) out.push(`Skipped records: ${reasons(s.skippedWhy)}.`);
  if (s.failedWhy.size > 0) out.push(`Failed records: ${reasons(s.failedWhy)}.`);
  const u: string[] = [`${fmt(s.units.seen)} read`];
  for (const [how, n] of s.units.done) u.push(`${fmt(n)} ${DONE_WORDS[how] ?? how}`);
  if (s.units.pending > 0) u.push(`${fmt(s.units.pending)} left as they are (a record failed or was outside the filters: run again)`);
  if (s.units.untouched > 0) u.push(`${fmt(s.units.untouched)} left as they are (nothing in them can be sent now)`);
  if (s.units.failed > 0) u.push(`${fmt(s.units.failed)} failed`);
  for (const [why, n] of s.units.skipped) u.push(`${fmt(n)} skipped (${why})`);
  out.push(`${units[0]!.toUpperCase()}${units.slice(1)}: ${u.join(', ')}.`);
  for (const e of s.errors) out.push(`  - ${e}`);
  return out.join('\n');
}
