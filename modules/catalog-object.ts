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
 * `aws_s3_object`, so with more than 10 common tags every object write would fail. The object is
 * therefore written through its own provider configuration: an alias of the stack's AWS provider
 * (same region, account and retry settings) without `default_tags` (`untaggedProvider`), and it
 * carries only the tags given here (at most 10). It does not use `override_provider { default_tags
 * { tags = {} } }`, the provider's own way to drop default tags, because of two open provider bugs:
 * - hashicorp/terraform-provider-aws#45506 (reported on 6.25.0, the version cdktf's bindings pin;
 *   and reproduced with 5.100.0, __tests__/infra/catalog-tags-apply.test.ts): under `override_provider`, an object tag
 *   whose key and value equal a default tag is left out of the PutObject, so the object is created
 *   without it and every later plan shows the tag as a change. The catalog's `project` and
 *   `environment` tags are always such tags.
 *   https://github.com/hashicorp/terraform-provider-aws/issues/45506
 * - hashicorp/terraform-provider-aws#45381 (6.x): `override_provider` on `aws_s3_object` no longer
 *   keeps the default tags off (`tags_all` known after apply, then a tagging call with the default
 *   tags, which fails above 10). https://github.com/hashicorp/terraform-provider-aws/issues/45381
 * A provider alias is plain Terraform and behaves the same on 5.x and 6.x (docs/operations.md,
 * "Catalog object tags").
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { TerraformStack, Token, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import * as naming from '../config/naming';
import type { ContractTable } from '../lib/contract-table';
import { catalogContent, type CatalogEventType } from './catalog-content';

export { catalogContent, type CatalogEventType } from './catalog-content';

/** S3's limit of tags per object. */
export const MAX_OBJECT_TAGS = 10;

/** Alias (and construct id) of the provider configuration without default tags. */
export const UNTAGGED_PROVIDER_ALIAS = 'untagged';

/** The stack's AWS provider configuration without an alias (the one every other resource uses). */
export function defaultAwsProvider(scope: Construct): AwsProvider {
  const stack = TerraformStack.of(scope);
  const found = stack.node.children.filter((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
  if (found.length !== 1) throw new Error(`stack ${stack.node.id}: expected one AWS provider without alias, found ${found.length}`);
  return found[0]!;
}

/**
 * The stack's alias of `base` without `default_tags`: the same region, allowed and forbidden
 * accounts, profile and retry settings, and no tags added to what its resources declare. Created
 * once per stack.
 */
export function untaggedProvider(base: AwsProvider): AwsProvider {
  const stack = TerraformStack.of(base);
  const existing = stack.node.tryFindChild(UNTAGGED_PROVIDER_ALIAS);
  if (existing instanceof AwsProvider) return existing;
  return new AwsProvider(stack, UNTAGGED_PROVIDER_ALIAS, {
    alias: UNTAGGED_PROVIDER_ALIAS,
    ...(base.region !== undefined ? { region: base.region } : {}),
    ...(base.allowedAccountIds !== undefined ? { allowedAccountIds: base.allowedAccountIds } : {}),
    ...(base.forbiddenAccountIds !== undefined ? { forbiddenAccountIds: base.forbiddenAccountIds } : {}),
    ...(base.profile !== undefined ? { profile: base.profile } : {}),
    ...(base.retryMode !== undefined ? { retryMode: base.retryMode } : {}),
    ...(base.maxRetries !== undefined ? { maxRetries: base.maxRetries } : {}),
  });
}

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
   * Tags of the object, at most 10: the only tags it gets (the provider's default tags do not apply).
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The provider configuration whose region and account the object is written in; the object uses
   * an alias of it without default tags (`untaggedProvider`).
   * @default the stack's AWS provider without alias
   */
  readonly provider?: AwsProvider;
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
      provider: untaggedProvider(props.provider ?? defaultAwsProvider(this)),
      ...(props.dependsOn !== undefined && props.dependsOn.length > 0 ? { dependsOn: [...props.dependsOn] } : {}),
    });
  }
}
