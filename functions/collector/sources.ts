/**
 * The AWS side of the collector's run-time configuration, over the official SDK clients: the
 * catalog objects in the events bucket (S3 ListObjectsV2 / GetObject) and the write-key parameters
 * (SSM GetParametersByPath). Errors (service exceptions, aborts) propagate unchanged.
 */
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ParameterSource } from './keys';

/** The catalog objects of one bucket (shared with the fan-out router). */
export { S3CatalogStore } from '../../lib/catalog-s3';

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
