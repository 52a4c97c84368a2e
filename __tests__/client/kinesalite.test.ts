/**
 * Root-stream mode against kinesalite (a local Kinesis): every event is one Kinesis record (one
 * JSON envelope, never packed), its partition key is its event_id, and all of them can be read
 * back with the real SDK (GetShardIterator / GetRecords).
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracker } from '../../client/node/index';
import { EVENT_TYPES, eventOfSize, rootStreamOf, trackerOptions } from './factories';

type KinesaliteFactory = (options: { createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number }) => Server;
const kinesalite = createRequire(__filename)('kinesalite') as KinesaliteFactory;

const EVENTS = 1_500;
const SHARDS = 2;
const STREAM = rootStreamOf('dev');

async function waitActive(client: KinesisClient): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeStreamCommand({ StreamName: STREAM }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') return (d.StreamDescription.Shards ?? []).map((s) => s.ShardId!);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${STREAM} did not become ACTIVE`);
}

async function readAll(client: KinesisClient, shardIds: readonly string[]): Promise<_Record[]> {
  const out: _Record[] = [];
  for (const ShardId of shardIds) {
    const it = await client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    let iterator = it.ShardIterator;
    // Bounded: stop at the first empty page after the data, or after 1,000 pages.
    for (let page = 0; page < 1_000 && iterator !== undefined; page++) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1_000 }));
      out.push(...(r.Records ?? []));
      if ((r.Records ?? []).length === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return out;
}

describe('root-stream mode against kinesalite', () => {
  let server: Server;
  let client: KinesisClient;

  beforeAll(async () => {
    server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new KinesisClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      requestHandler: new NodeHttpHandler(),
    });
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
  });

  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('writes one envelope per record, partition key = event_id, all readable back', async () => {
    // Prepare
    const shardIds = await waitActive(client);
    const tracker = createTracker(trackerOptions({ environment: 'dev', mode: 'root-stream', kinesisClient: client }));

    // Act
    for (let seq = 0; seq < EVENTS; seq++) {
      const [app, type] = EVENT_TYPES[seq % EVENT_TYPES.length]!;
      await tracker.track(app, type, eventOfSize(seq % 10 === 0 ? 20_000 : 200, seq));
    }
    await tracker.close();
    const records = await readAll(client, shardIds);

    // Assess
    const events = records.map((r) => ({ key: r.PartitionKey, text: Buffer.from(r.Data!).toString('utf8') }));
    expect(events.filter((e) => e.text.includes('\n'))).toEqual([]);
    const parsed = events.map((e) => ({ key: e.key, event: JSON.parse(e.text) as Record<string, unknown> }));
    expect(parsed.filter((p) => p.key !== p.event.event_id)).toEqual([]);
    const seqs = new Set(parsed.map((p) => p.event.seq as number));
    expect(seqs.size).toBe(EVENTS);
    for (const p of parsed) {
      const [app, type] = EVENT_TYPES[(p.event.seq as number) % EVENT_TYPES.length]!;
      expect([p.event.app, p.event.event_type]).toEqual([app, type]);
    }
    expect(tracker.metrics()).toMatchObject({ eventsDelivered: EVENTS, recordsSent: EVENTS, eventsFailed: 0, billedUnits: 0 });
  });
});
