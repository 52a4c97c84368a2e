/**
 * kinesalite (the Kinesis API from npm) on 127.0.0.1 for the router's integration tests. Kept apart
 * from factories.ts so that the unit tests importing the factories never load an emulator
 * (npm run test:unit, __tests__/toolchain/tiers.test.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { KINESALITE_REGION } from './factories';

// kinesalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesaliteServer = require('kinesalite') as (options: { createStreamMs?: number; shardLimit?: number }) => Server;


export interface StartedKinesalite {
  readonly client: KinesisClient;
  close(): Promise<void>;
}

/** kinesalite on 127.0.0.1 with the given streams (one shard each) ACTIVE, and a real Kinesis client over HTTP/1.1. */
export async function startKinesalite(streams: readonly string[]): Promise<StartedKinesalite> {
  const server = kinesaliteServer({ createStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new KinesisClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: KINESALITE_REGION,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  const close = async (): Promise<void> => {
    client.destroy();
    await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
  };
  for (const stream of streams) {
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    let active = false;
    for (let i = 0; i < 100 && !active; i++) {
      const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      active = s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
      if (!active) await new Promise((r) => setTimeout(r, 20));
    }
    if (!active) {
      await close();
      throw new Error(`stream ${stream} did not become ACTIVE`);
    }
  }
  return { client, close };
}
