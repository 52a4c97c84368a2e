/**
 * The AWS side of the collector's run-time configuration, over the official SDK clients: the
 * catalog objects in the events bucket (S3 ListObjectsV2 / GetObject) and the write-key parameters
 * (SSM GetParametersByPath). Errors (service exceptions, aborts) propagate unchanged.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { CatalogObjectInfo, CatalogStore } from './catalog';
import type { ParameterSource } from './keys';

/** The catalog objects of one bucket. */
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

/** The parameters directly under one path (String parameters: hashes are not secrets, docs/collector.md). */
export class SsmParameterSource implements ParameterSource {
  public constructor(private readonly client: Pick<SSMClient, 'send'>) {}

  public async byPath(path: string, signal: AbortSignal): Promise<{ name: string; value: string }[]> {
    const out: { name: string; value: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetParametersByPathCommand({ Path: path, Recursive: false, WithDecryption: false, MaxResults: 10, NextToken: token }),
        { abortSignal: signal },
      );
      for (const p of page.Parameters ?? []) if (p.Name !== undefined && p.Value !== undefined) out.push({ name: p.Name, value: p.Value });
      token = page.NextToken;
    } while (token !== undefined && token !== '');
    return out;
  }
}
