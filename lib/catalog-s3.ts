/**
 * The catalog objects of one bucket over the official S3 client (ListObjectsV2, all pages, and
 * GetObject). Errors (service exceptions, aborts) propagate unchanged: ./catalog.ts decides what
 * they mean. Shared by the collector and the fan-out router.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { CatalogObjectInfo, CatalogStore } from './catalog';

export class S3CatalogStore implements CatalogStore {
  public constructor(
    private readonly bucket: string,
    private readonly client: Pick<S3Client, 'send'>,
  ) {}

  public async list(prefix: string, signal: AbortSignal): Promise<CatalogObjectInfo[]> {
    const out: CatalogObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
      for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, etag: o.ETag ?? '' });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  public async get(key: string, signal: AbortSignal): Promise<{ body: Uint8Array; etag: string }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    if (out.Body === undefined) throw new Error(`catalog object ${key} has no body`);
    return { body: await out.Body.transformToByteArray(), etag: out.ETag ?? '' };
  }
}
