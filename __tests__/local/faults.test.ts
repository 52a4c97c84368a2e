/**
 * Deliveries that fail and are retried lose nothing and duplicate nothing. `tracking dev` runs the
 * fixture config with faults injected through $TRACKING_DEV_FAULTS:
 * - Firehose answers 30% of PutRecordBatch entries with ServiceUnavailableException (as it does
 *   under throttling): the tracker (direct mode) and the router (root stream) send them again;
 * - the transform's first two invocations fail: Firehose retries the invocation (3 retries);
 * - the router's first invocation fails: the event source mapping retries the batch (bisecting).
 * Every event must still be exactly one row, and no record may reach the error output.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { catalogForConfig } from '../../cli/types/catalog';
import { createTracker } from '../../client/node/index';
import { FIXTURES, query, sdkEnv, startDev, type DevProcess } from './helpers';

const CONFIG = path.join(FIXTURES, 'pipeline.yaml');

let dev: DevProcess;
const saved: Record<string, string | undefined> = {};
const sent = new Set<string>();
let trackerRetries = 0;

beforeAll(async () => {
  // Prepare
  dev = await startDev({
    config: CONFIG,
    flushSeconds: 1,
    env: { TRACKING_DEV_FAULTS: JSON.stringify({ firehoseFailRate: 0.3, failInvocations: { 'acme-local-jsonl-transform': 2, 'acme-local-fanout-router': 1 } }) },
  });
  for (const [k, v] of Object.entries(sdkEnv(dev.info))) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  // Act: one tracker per mode, unpacked so that every event is its own record (more entries to fail).
  for (const mode of ['direct', 'root-stream'] as const) {
    const t = createTracker({ project: 'acme', environment: 'local', catalog: catalogForConfig(CONFIG), mode, packing: false, maxBatchDelayMs: 20, retryDeadlineMs: 60_000 });
    for (let i = 0; i < 150; i++) {
      const eventId = `${mode}-${randomUUID()}`;
      sent.add(eventId);
      await t.track('web-shop', 'page_view', { event_id: eventId, i });
    }
    await t.close();
    expect(t.metrics().eventsFailed).toBe(0);
    trackerRetries += t.metrics().recordsRetried;
  }
  await dev.flush();
}, 10 * 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await dev?.dispose();
});

describe('faults injected into the local pipeline', () => {
  it('failed deliveries happened and were retried', async () => {
    const status = (await dev.flush()) as { deliveryStreams: Record<string, { invocationErrors: number; failed: number }>; mappings: Record<string, { failedInvocations: number }> };
    expect(trackerRetries).toBeGreaterThan(0);
    expect(status.deliveryStreams['acme-local-web-shop-page_view']!.invocationErrors).toBeGreaterThanOrEqual(1);
    const router = Object.entries(status.mappings).find(([address]) => address.includes('router'))![1];
    expect(router.failedInvocations).toBeGreaterThanOrEqual(1);
  });

  it('every event is exactly one row, and nothing went to the error output', () => {
    const ids = query(dev.info.dataDir, 'SELECT raw FROM web_shop__page_view').map((r) => String((JSON.parse(String(r.raw)) as { event_id: string }).event_id));
    expect(ids.length).toBe(sent.size);
    expect(new Set(ids)).toEqual(sent);
    expect(query(dev.info.dataDir, 'SELECT count(*) AS n FROM web_shop__page_view__errors')).toEqual([{ n: 0 }]);
  });
});
