/**
 * The folder S3 through the real S3 client (path-style, as the SDK addresses an IP endpoint):
 * the operations the Lambdas, the collector and redrive call, with S3's answers, and the keys a
 * folder cannot hold refused with the reason.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { dispatcher, listen, type RunningEndpoint } from '../../cli/dev/endpoint';
import { dataLayout } from '../../cli/dev/layout';
import { FolderS3 } from '../../cli/dev/s3';

const BUCKET = 'acme-dev-tracking-events';
let root: string;
let endpoint: RunningEndpoint;
let client: S3Client;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'local-s3-'));
  const s3 = new FolderS3(dataLayout(root), [BUCKET]);
  endpoint = await listen(0, dispatcher({ services: { s3: (q, r) => s3.handle(q, r) }, onError: () => undefined }));
  // The SDK's defaults otherwise: checksums, no forcePathStyle (an IP endpoint is addressed path-style).
  client = new S3Client({ endpoint: endpoint.url, region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
  rmSync(root, { recursive: true, force: true });
});

describe('folder S3', () => {
  it('stores an object as a file at its key, streamed (aws-chunked) or not, and reads it back with its metadata', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'catalog/a.json', Body: '{"a":1}', ContentType: 'application/json', Metadata: { owner: 'me' } }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'events/x/stream.bin', Body: Readable.from([Buffer.from('chunk-1;'), Buffer.from('chunk-2')]), ContentLength: 15 }));
    expect(readFileSync(path.join(root, 's3', BUCKET, 'catalog', 'a.json'), 'utf8')).toBe('{"a":1}');
    expect(readFileSync(path.join(root, 's3', BUCKET, 'events', 'x', 'stream.bin'), 'utf8')).toBe('chunk-1;chunk-2');
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'catalog/a.json' }));
    expect(await got.Body!.transformToString()).toBe('{"a":1}');
    expect(got).toMatchObject({ ContentType: 'application/json', Metadata: { owner: 'me' }, ETag: `"${createHash('md5').update('{"a":1}').digest('hex')}"` });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'catalog/a.json' }));
    expect(head.ContentLength).toBe(7);
  });

  it('answers Range and If-None-Match like S3', async () => {
    const part = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'catalog/a.json', Range: 'bytes=1-3' }));
    expect(await part.Body!.transformToString()).toBe('"a"');
    await expect(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'catalog/a.json', IfNoneMatch: `"${createHash('md5').update('{"a":1}').digest('hex')}"` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
    await expect(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'catalog/none' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(client.send(new GetObjectCommand({ Bucket: 'other-bucket', Key: 'x' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('lists keys in order with prefix, delimiter and pagination', async () => {
    for (const k of ['l/a/1', 'l/a/2', 'l/b/1', 'l/c', 'l/d']) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
    const flat = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'l/' }));
    expect(flat.Contents!.map((c) => c.Key)).toEqual(['l/a/1', 'l/a/2', 'l/b/1', 'l/c', 'l/d']);
    const grouped = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'l/', Delimiter: '/' }));
    expect(grouped.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['l/a/', 'l/b/']);
    expect(grouped.Contents!.map((c) => c.Key)).toEqual(['l/c', 'l/d']);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'l/', MaxKeys: 2, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(keys).toEqual(['l/a/1', 'l/a/2', 'l/b/1', 'l/c', 'l/d']);
  });

  it('copies, tags and deletes (what redrive does to error objects)', async () => {
    await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'l/copied', CopySource: `${BUCKET}/l/c` }));
    expect(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'l/copied' }))).Body!.transformToString()).toBe('l/c');
    await client.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: 'l/copied', Tagging: { TagSet: [{ Key: 'redriven', Value: 'yes' }] } }));
    expect((await client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'l/copied' }))).TagSet).toEqual([{ Key: 'redriven', Value: 'yes' }]);
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'l/copied' }));
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'l/copied' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('refuses keys a folder cannot hold, with the reason', async () => {
    for (const key of ['a//b', 'a/../b', 'ends/']) {
      await expect(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }))).rejects.toMatchObject({ name: 'InvalidArgument' });
    }
    await expect(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'l/a', Body: 'x' }))).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.stringContaining('other keys start with') });
  });
});
