/**
 * kinesalite (the Kinesis API) and dynalite (the DynamoDB API), in memory, behind the runtime's
 * own endpoint: their request handlers are driven directly (`server.emit('request', ...)`), so
 * they never listen on a port of their own. Their streams and tables are created from the
 * evaluated aws_kinesis_stream and aws_dynamodb_table values.
 *
 * Both keep their data in memory (memdown): the root stream and the hot-path table start empty at
 * every start. Stopping the runtime drains the root stream first (./runtime.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, IncreaseStreamRetentionPeriodCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { LocalStream, LocalTable } from './resources';

// Neither package ships type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (options: { createStreamMs?: number; deleteStreamMs?: number; updateStreamMs?: number; shardLimit?: number }) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** An emulator driven through its request handler. */
export interface Emulator {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

function driven(server: Server): Emulator {
  return {
    handle: (req, res) => void server.emit('request', req, res),
    // Closing releases the in-memory store (both wrap server.close to close their database).
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function startKinesalite(totalShards: number): Emulator {
  return driven(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: Math.max(10, totalShards) }));
}

export function startDynalite(): Emulator {
  return driven(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates each stream with its shard count and retention, and waits until it is ACTIVE. */
export async function createStreams(client: KinesisClient, streams: readonly LocalStream[]): Promise<void> {
  for (const s of streams) {
    await client.send(new CreateStreamCommand({ StreamName: s.name, ShardCount: s.shardCount }));
    for (let i = 0; ; i++) {
      const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: s.name }));
      if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      if (i > 200) throw new Error(`stream ${s.name} did not become ACTIVE`);
      await wait(10);
    }
    if (s.retentionHours > 24) await client.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: s.name, RetentionPeriodHours: s.retentionHours }));
  }
}

/** Creates each table with its keys, attributes, indexes and time-to-live attribute. */
export async function createTables(client: DynamoDBClient, tables: readonly LocalTable[]): Promise<void> {
  for (const t of tables) {
    await client.send(
      new CreateTableCommand({
        TableName: t.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: t.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type as 'S' | 'N' | 'B' })),
        KeySchema: [{ AttributeName: t.hashKey, KeyType: 'HASH' }, ...(t.rangeKey !== undefined ? [{ AttributeName: t.rangeKey, KeyType: 'RANGE' as const }] : [])],
        ...(t.globalSecondaryIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: t.globalSecondaryIndexes.map((g) => ({
                IndexName: g.name,
                KeySchema: [{ AttributeName: g.hashKey, KeyType: 'HASH' as const }, ...(g.rangeKey !== undefined ? [{ AttributeName: g.rangeKey, KeyType: 'RANGE' as const }] : [])],
                Projection: { ProjectionType: g.projectionType as 'ALL' | 'KEYS_ONLY' | 'INCLUDE' },
              })),
            }
          : {}),
      }),
    );
    for (let i = 0; ; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName: t.name }));
      if (d.Table?.TableStatus === 'ACTIVE') break;
      if (i > 200) throw new Error(`table ${t.name} did not become ACTIVE`);
      await wait(10);
    }
    if (t.ttlAttribute !== undefined) {
      // dynalite keeps the setting; it does not expire items (DynamoDB itself deletes them within days, not on time).
      await client.send(new UpdateTimeToLiveCommand({ TableName: t.name, TimeToLiveSpecification: { Enabled: true, AttributeName: t.ttlAttribute } })).catch(() => undefined);
    }
  }
}
