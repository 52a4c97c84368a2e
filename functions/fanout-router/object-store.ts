/**
 * The `unroutable/` destination's object store, over the official S3 client
 * (`@aws-sdk/client-s3`): signing, credentials (the Lambda runtime's environment), endpoint and
 * error parsing are the SDK's.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ObjectStore } from './deadletter';

/** The one S3Client method the store uses; injectable for tests. */
export type S3Sender = Pick<S3Client, 'send'>;

/**
 * An S3 client for the router: the SDK's own retries are off (`maxAttempts: 1`) because the
 * dead-letter sink retries within the invocation's deadline (see ./deadletter.ts).
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ maxAttempts: 1, ...config });
}

/** ObjectStore writing to one bucket. Errors (SDK service exceptions, aborts) propagate unchanged. */
export class S3ObjectStore implements ObjectStore {
  public constructor(
    private readonly bucket: string,
    private readonly client: S3Sender = createS3Client(),
  ) {}

  public async putObject(key: string, body: Buffer, contentType: string, signal: AbortSignal): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
      { abortSignal: signal },
    );
  }
}
