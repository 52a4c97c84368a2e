/**
 * The catalog object of one stack holding event types: `catalog/<stack id>.json.gz` in the events
 * bucket, listing the stack's event types, their delivery streams and their compiled contracts (the
 * same contract table the JSONL transform ships, lib/contract-table.ts). The collector reads every
 * catalog object at run time (functions/collector/catalog.ts), so it never lists event types itself
 * and adding one changes only the stack of its shard (issue #11).
 *
 * The object's content is data, computed at synth and deterministic (sorted streams, programs
 * deduplicated by content, gzip of the same text): the same event types give the same bytes, so a
 * plan shows the object only when its stack's event types or contracts change.
 *
 * Tags: S3 objects accept at most 10 tags, and the provider's `default_tags` apply to
 * `aws_s3_object`; with more than 10 common tags every object write would fail. The object
 * therefore overrides the provider's default tags with an empty set (`override_provider {
 * default_tags { tags = {} } }`, AWS provider 5.x and 6.x) and carries only the tags given here.
 */
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { Token, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import * as naming from '../config/naming';
import type { ContractTable } from '../lib/contract-table';
import { catalogContent, type CatalogEventType } from './catalog-content';

export { catalogContent, type CatalogEventType } from './catalog-content';

/** S3's limit of tags per object. */
export const MAX_OBJECT_TAGS = 10;

export interface CatalogObjectProps {
  /** The environment's events bucket (a reference in the single stack, the name in a shard). */
  readonly bucketName: string;
  /** The stack's id (config/naming `stackId` or `shardStackId`): the object's key. */
  readonly stackId: string;
  /** Environment name, recorded in the table. */
  readonly environment: string;
  /** The event types of this stack, every one of them (native transforms included). */
  readonly eventTypes: readonly CatalogEventType[];
  /**
   * Tags of the object, at most 10 (the provider's default tags do not apply to it).
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Resources the object waits for: the stack's delivery streams, so that the collector never
   * learns an event type before its stream exists.
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

export class CatalogObject extends Construct {
  public readonly object: S3Object;
  /** The object's key: `catalog/<stack id>.json.gz`. */
  public readonly key: string;
  /** The table the object holds. */
  public readonly table: ContractTable;

  public constructor(scope: Construct, id: string, props: CatalogObjectProps) {
    super(scope, id);
    const tags = { ...props.tags };
    if (Object.keys(tags).length > MAX_OBJECT_TAGS) {
      throw new RangeError(`catalog object of ${props.stackId}: ${Object.keys(tags).length} tags; S3 objects accept at most ${MAX_OBJECT_TAGS}`);
    }
    if (props.eventTypes.length === 0) throw new RangeError(`catalog object of ${props.stackId}: the stack holds no event types`);
    if (Token.isUnresolved(props.stackId)) throw new TypeError('CatalogObject: stackId must be a literal (it is the object key)');
    const content = catalogContent(props.environment, props.eventTypes);
    this.key = naming.catalogObjectKey(props.stackId);
    this.table = content.table;
    this.object = new S3Object(this, 'object', {
      bucket: props.bucketName,
      key: this.key,
      contentBase64: content.gzip.toString('base64'),
      contentType: 'application/gzip',
      cacheControl: 'no-store',
      tags,
      overrideProvider: { defaultTags: { tags: {} } },
      ...(props.dependsOn !== undefined && props.dependsOn.length > 0 ? { dependsOn: [...props.dependsOn] } : {}),
    });
  }
}
