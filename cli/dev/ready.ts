/**
 * What `tracking dev` prints once it is ready: one JSON line on stdout (for scripts and tests),
 * then a short summary for people on stderr: the endpoints, a sample curl and a sample query.
 */
import * as path from 'node:path';
import { WRITE_KEY_HEADER } from '../../lib/collector-protocol';
import type { RunningDev } from './runtime';
import { LOCAL_CREDENTIALS } from './runtime';

/** The ready line, exactly: `{"ready":true,"collector":...,"awsEndpoint":...,"dataDir":...,"writeKeys":{...}}`. */
export function readyLine(dev: RunningDev): string {
  const i = dev.info;
  return JSON.stringify({ ready: true, collector: i.collector, awsEndpoint: i.awsEndpoint, dataDir: i.dataDir, writeKeys: i.writeKeys });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The human summary (stderr). */
export function summary(dev: RunningDev): string {
  const i = dev.info;
  const l = dev.local;
  const t = dev.times;
  const types = l.deliveryStreams.length;
  const parts = [
    `${types} delivery stream${types === 1 ? '' : 's'}`,
    ...(l.streams.length > 0 ? [`root stream ${l.streams.map((s) => s.name).join(', ')}`] : []),
    ...(l.httpApis.length > 0 ? ['collector'] : []),
    ...(l.tables.length > 0 ? ['hot path'] : []),
  ];
  const lines = [
    `tracking dev: ${dev.project}/${dev.environment.name} is running (${parts.join(', ')}); ready in ${t.startSeconds.toFixed(1)} s (synth ${t.synthSeconds.toFixed(1)} s, evaluation ${t.evaluateSeconds.toFixed(1)} s${t.cachedStacks > 0 ? `, ${t.cachedStacks} stack(s) cached` : ''})`,
    '',
    `  AWS endpoint  ${i.awsEndpoint}`,
    `    export AWS_ENDPOINT_URL=${i.awsEndpoint} AWS_REGION=${l.context.region} AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey}`,
  ];
  const [app, key] = Object.entries(i.writeKeys)[0] ?? [];
  const firstType = l.deliveryStreams[0];
  if (i.collector !== null) {
    lines.push(`  collector     ${i.collector}`);
    if (app !== undefined && key !== undefined) {
      const eventType = dev.environment.eventTypes.find((e) => e.application === app)?.name ?? 'page_view';
      const body = JSON.stringify({ events: [{ event_type: eventType, event_id: 'ev-0001' }] });
      lines.push(`    curl -s ${i.collector}/v1/events -H 'content-type: application/json' -H ${quote(`${WRITE_KEY_HEADER}: ${key}`)} -d ${quote(body)}`);
    }
  }
  const table = l.glueTables.find((g) => !g.name.endsWith('__errors')) ?? l.glueTables[0];
  lines.push(`  data          ${i.dataDir}`, `  logs          ${path.join(i.dataDir, 'local', 'logs')}`);
  if (table !== undefined) lines.push(`    npx tracking query --data-dir ${quote(i.dataDir)} ${quote(`SELECT * FROM "${table.database}"."${table.name}" LIMIT 10`)}`);
  else if (firstType !== undefined) lines.push(`    ls ${path.join(i.dataDir, 's3', firstType.bucket.name)}`);
  lines.push('', '  Ctrl-C stops it; buffered records are delivered first.');
  return lines.join('\n');
}
