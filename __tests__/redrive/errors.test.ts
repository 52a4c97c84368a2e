/**
 * `--source errors` against s3rver and the Firehose stand-in: Firehose's processing-failed
 * objects (the fixture is AWS's documented format) are read, their original bytes go back to the
 * event type's delivery stream, and the objects are marked, moved or deleted.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runRedrive } from '../../scripts/redrive-lib/run';
import {
  arrivals,
  emptyBucket,
  envelope,
  ERROR_DIR,
  errorLine,
  FAST_CALLS,
  FIXTURES,
  listKeys,
  objectText,
  options,
  PAGE_VIEW_STREAM,
  putObject,
  startWorld,
  tagsOf,
  testConfig,
  type World,
} from './harness';

let world: World;
const config = testConfig();

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  world.firehose.reset();
  world.firehose.setFault(undefined);
  await emptyBucket(world);
});

const run = (o: Parameters<typeof options>[1], name?: string) =>
  runRedrive(options(world, o, name), { config, clients: world.clients(), callPolicy: FAST_CALLS, requestTimeoutMs: 2_000, cwd: world.dir });

const FIXTURE_LINES = readFileSync(path.join(FIXTURES, 'processing-failed.jsonl'), 'utf8').trim().split('\n');
const rawOf = (line: string): Buffer => Buffer.from((JSON.parse(line) as { rawData: string }).rawData, 'base64');

describe('dry run', () => {
  it('counts per event type and failure reason and sends, marks and writes nothing', async () => {
    // Prepare: AWS's format, plus one malformed line.
    await putObject(world, `${ERROR_DIR}acme-dev-web-shop-page_view-1-2026-11-20-10-15-30-aaaa`, [...FIXTURE_LINES, '{"attemptsMade":"4"']);
    // Act
    const r = await run({ source: 'errors', dryRun: true }, 'dry');
    // Assess
    expect(r.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(0);
    expect(await tagsOf(world, (await listKeys(world, 'errors/'))[0]!)).toEqual({});
    const rows = [...r.summary.dry.values()];
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventType: 'web-shop/page_view', reason: 'processing-failed/Lambda.ProcessingFailed', records: 4, wouldSend: 4 }),
        expect.objectContaining({ eventType: 'web-shop/page_view', reason: 'malformed-line', records: 1, wouldSkip: 1 }),
      ]),
    );
    expect(r.text).toMatch(/Dry run: redrive errors \(s3:\/\/acme-dev-tracking-events\/errors\/\) in dev; nothing was sent, marked or deleted\./);
    expect(r.text).toContain('| web-shop/page_view | processing-failed/Lambda.ProcessingFailed | 4 | 4 | 0 | 0 |');
    expect(existsSync(r.checkpoint)).toBe(false);
  });
});

describe('redrive', () => {
  it('sends the original bytes to the delivery stream and tags the object', async () => {
    // Prepare
    const key = `${ERROR_DIR}acme-dev-web-shop-page_view-1-2026-11-20-10-15-30-bbbb`;
    await putObject(world, key, FIXTURE_LINES);
    // Act
    const r = await run({ source: 'errors' });
    // Assess: byte for byte what Firehose recorded as rawData, in order.
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM).map((x) => x.data)).toEqual(FIXTURE_LINES.map(rawOf));
    const tags = await tagsOf(world, key);
    expect(tags['tracking-redrive']).toBe('done');
    expect(Date.parse(tags['tracking-redrive-at']!)).toBeGreaterThan(0);
    expect(r.summary.byType.get('web-shop/page_view')).toEqual({ read: 4, sent: 4, skipped: 0, failed: 0 });
    expect(r.text).toContain('| web-shop/page_view | 4 | 4 | 0 | 0 |');
    expect(r.text).toMatch(/Objects: 1 read, 1 tagged\./);
    expect(r.text).toMatch(/Result: OK/);
  });

  it('sends nothing new when run again, with the same or a fresh checkpoint (the tag is authoritative)', async () => {
    // Prepare
    await putObject(world, `${ERROR_DIR}a`, FIXTURE_LINES);
    await putObject(world, `${ERROR_DIR}b`, [errorLine(envelope('web-shop', 'page_view'))]);
    expect((await run({ source: 'errors' })).exitCode).toBe(0);
    const calls = world.firehose.calls.length;
    // Act
    const again = await run({ source: 'errors' });
    const fresh = await run({ source: 'errors' }, 'fresh-checkpoint');
    // Assess
    expect(world.firehose.calls).toHaveLength(calls);
    expect(again.exitCode).toBe(0);
    expect(again.text).toMatch(/2 skipped \(already redriven \(checkpoint\)\)/);
    expect(fresh.text).toMatch(/2 skipped \(already redriven \(tagged\)\)/);
    expect([...arrivals(world, PAGE_VIEW_STREAM).values()].every((n) => n === 1)).toBe(true);
  });

  it('moves finished objects to redriven/ with --mark move, and deletes them with --delete', async () => {
    await putObject(world, `${ERROR_DIR}moved`, [errorLine(envelope('web-shop', 'page_view'))]);
    expect((await run({ source: 'errors', mark: 'move' }, 'move')).exitCode).toBe(0);
    expect(await listKeys(world, 'errors/')).toEqual([]);
    expect(await listKeys(world, 'redriven/')).toEqual([`redriven/${ERROR_DIR}moved`]);

    await putObject(world, `${ERROR_DIR}deleted`, [errorLine(envelope('web-shop', 'page_view'))]);
    const r = await run({ source: 'errors', deleteObjects: true }, 'delete');
    expect(r.exitCode).toBe(0);
    expect(r.text).toMatch(/1 deleted/);
    expect(await listKeys(world, 'errors/')).toEqual([]);
  });

  it('reads gzip-compressed error objects', async () => {
    const e = envelope('web-shop', 'page_view');
    await putObject(world, `${ERROR_DIR}compressed.gz`, [errorLine(e)], { gzip: true });
    expect((await run({ source: 'errors' })).exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM).map((x) => x.data.toString())).toEqual([e]);
  });
});

describe('malformed lines', () => {
  it('reports and skips them, keeps them in a remainder object, and sends the rest', async () => {
    // Prepare: 2 good lines around 3 bad ones (not JSON, no rawData, rawData not base64).
    const good = [envelope('web-shop', 'page_view'), envelope('web-shop', 'page_view')];
    const bad = ['{"attemptsMade":"4","rawData":', JSON.stringify({ attemptsMade: '4', errorCode: 'Lambda.ProcessingFailed' }), JSON.stringify({ rawData: 'not base64!' })];
    const key = `${ERROR_DIR}mixed`;
    await putObject(world, key, [errorLine(good[0]!), bad[0]!, bad[1]!, errorLine(good[1]!), bad[2]!]);
    // Act
    const r = await run({ source: 'errors' });
    // Assess
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM).map((x) => x.data.toString())).toEqual(good);
    expect(r.summary.skippedWhy).toEqual(
      new Map([
        ['malformed-line: not a JSON object', 1],
        ['malformed-line: no rawData', 1],
        ['malformed-line: rawData is not base64', 1],
      ]),
    );
    const keys = await listKeys(world, 'errors/');
    const rest = keys.filter((k) => k !== key);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(new RegExp(`^${ERROR_DIR.replace(/[/]/g, '\\/')}mixed\\.rest-[0-9a-f]{12}\\.jsonl$`));
    expect(await objectText(world, rest[0]!)).toBe(`${bad.join('\n')}\n`);
    expect((await tagsOf(world, key))['tracking-redrive']).toBe('done');
    expect(r.text).toMatch(/1 split/);
    // The remainder alone holds nothing sendable: a later run leaves it as it is.
    const again = await run({ source: 'errors' });
    expect(again.exitCode).toBe(0);
    expect(again.summary.units.untouched).toBe(1);
    expect(await listKeys(world, 'errors/')).toEqual(keys);
  });

  it('keeps objects of an event type the config does not have', async () => {
    const key = 'errors/application=web-shop/event_type=retired/processing-failed/year=2026/month=11/day=20/hour=10/x';
    await putObject(world, key, [errorLine(envelope('web-shop', 'retired'))]);
    const r = await run({ source: 'errors' });
    expect(r.exitCode).toBe(0);
    expect(world.firehose.calls).toHaveLength(0);
    expect(r.summary.skippedWhy.get('event type not in the config')).toBe(1);
    expect(await tagsOf(world, key)).toEqual({});
  });
});

describe('filters', () => {
  it('--type lists only that event type', async () => {
    await putObject(world, `${ERROR_DIR}pv`, [errorLine(envelope('web-shop', 'page_view'))]);
    const other = 'errors/application=web-shop/event_type=checkout_completed/processing-failed/year=2026/month=11/day=20/hour=10/co';
    await putObject(world, other, [errorLine(envelope('web-shop', 'checkout_completed'))]);
    const r = await run({ source: 'errors', types: ['web-shop/checkout_completed'] });
    expect(r.exitCode).toBe(0);
    expect(world.firehose.streams()).toEqual(['acme-dev-web-shop-checkout_completed']);
    expect(await tagsOf(world, `${ERROR_DIR}pv`)).toEqual({});
  });

  it('--since/--until send only records that failed in the window and leave the object for later', async () => {
    const inside = envelope('web-shop', 'page_view');
    const key = `${ERROR_DIR}window`;
    await putObject(world, key, [errorLine(envelope('web-shop', 'page_view'), Date.parse('2026-11-19T08:00:00Z')), errorLine(inside, Date.parse('2026-11-20T10:16:00Z'))]);
    const r = await run({ source: 'errors', since: Date.parse('2026-11-20T00:00:00Z'), until: Date.parse('2026-11-21T00:00:00Z') });
    expect(r.exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM).map((x) => x.data.toString())).toEqual([inside]);
    expect(r.summary.skippedWhy.get('outside --type/--since/--until')).toBe(1);
    expect(r.summary.units.pending).toBe(1);
    expect(await tagsOf(world, key)).toEqual({});
    // Without the window, only the other record is sent, then the object is finished.
    const all = await run({ source: 'errors' });
    expect(all.exitCode).toBe(0);
    expect(world.firehose.records(PAGE_VIEW_STREAM)).toHaveLength(2);
    expect((await tagsOf(world, key))['tracking-redrive']).toBe('done');
  });
});

describe('AWS partial failures', () => {
  it('retries the entries Firehose failed, and whole calls that failed transiently', async () => {
    // Prepare: 30 records; call 0 fails entries 3 and 7 (throttled), call 1 is a 500.
    const events = Array.from({ length: 30 }, () => envelope('web-shop', 'page_view'));
    await putObject(world, `${ERROR_DIR}partial`, events.map((e) => errorLine(e)));
    world.firehose.setFault((call) =>
      call.index === 0
        ? { kind: 'partial', failed: [3, 7], errorCode: 'ServiceUnavailableException' }
        : call.index === 1
          ? { kind: 'error', type: 'ServiceUnavailableException', status: 500 }
          : undefined,
    );
    // Act
    const r = await run({ source: 'errors' });
    // Assess: every record exactly once (the failed entries only were re-sent).
    expect(r.exitCode).toBe(0);
    const got = arrivals(world, PAGE_VIEW_STREAM);
    expect([...got.keys()].sort()).toEqual(events.map((e) => (JSON.parse(e) as { event_id: string }).event_id).sort());
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    expect(world.firehose.calls.map((c) => c.records)).toEqual([30, 2, 2]);
  });

  it('reports records that keep failing, keeps their object, and sends only them on the next run', async () => {
    // Prepare: entry 1 fails with a non-retryable error on every call.
    const events = Array.from({ length: 5 }, () => envelope('web-shop', 'page_view'));
    const key = `${ERROR_DIR}stuck`;
    await putObject(world, key, events.map((e) => errorLine(e)));
    world.firehose.setFault((call) => (call.index === 0 ? { kind: 'partial', failed: [1], errorCode: 'InvalidArgumentException' } : undefined));
    // Act
    const first = await run({ source: 'errors' });
    // Assess
    expect(first.exitCode).toBe(1);
    expect(first.summary.failedWhy).toEqual(new Map([['InvalidArgumentException', 1]]));
    expect(first.text).toMatch(/Result: FAILED/);
    expect(await tagsOf(world, key)).toEqual({});
    // The cause is fixed: the next run sends the one record left, then tags the object.
    world.firehose.setFault(undefined);
    const second = await run({ source: 'errors' });
    expect(second.exitCode).toBe(0);
    expect(second.summary.skippedWhy.get('already sent (checkpoint)')).toBe(4);
    expect(world.firehose.calls.at(-1)!.records).toBe(1);
    expect([...arrivals(world, PAGE_VIEW_STREAM).values()]).toEqual([1, 1, 1, 1, 1]);
    expect((await tagsOf(world, key))['tracking-redrive']).toBe('done');
  });

  it('reports a stream that does not exist (non-retryable) without marking anything', async () => {
    world.firehose.setFault(() => ({ kind: 'error', type: 'ResourceNotFoundException', status: 400 }));
    await putObject(world, `${ERROR_DIR}nostream`, [errorLine(envelope('web-shop', 'page_view'))]);
    const r = await run({ source: 'errors' });
    expect(r.exitCode).toBe(1);
    expect(r.summary.failedWhy.get('ResourceNotFoundException')).toBe(1);
    expect(world.firehose.calls).toHaveLength(1);
  });
});
