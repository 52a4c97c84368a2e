/**
 * The hot path's AWS calls: the matches table (DynamoDB) and the topic (SNS). Every write that
 * must happen once is a conditional write; see docs/hot-path.md "Exactly once per match" for the
 * order of operations and what a crash between them does.
 *
 * Items in the table (key `rule`, `event_id`):
 * - a match:            rule = <rule>,           event_id = <event id> | rate:<window start>[:<group>]
 * - a window counter:   rule = <rule>#windows,   event_id = <window start, 12 digits>#<group key>
 * - a schedule cursor:  rule = <rule>#windows,   event_id = cursor
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { TrackingPipelineError } from '../../config/errors';
import type { Notification } from './match';

/** A call to DynamoDB or SNS failed: the records involved are reported as batch item failures. */
export class HotPathStoreError extends TrackingPipelineError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HotPathStoreError';
  }
}

export type PutResult = { readonly created: true } | { readonly created: false; readonly existing: Record<string, AttributeValue> };

export interface WindowCounterKey {
  readonly rule: string;
  /** Epoch seconds of the window start. */
  readonly windowStart: number;
  readonly groupKey: string;
}

export interface CounterUpdate extends WindowCounterKey {
  /** Attribute of this shard segment (`c_<hash>`). */
  readonly segment: string;
  /** Cumulative count of the segment for this window and group. */
  readonly count: number;
  readonly windowStartIso: string;
  readonly windowEndIso: string;
  readonly groupValue?: string;
  readonly expiresAt: number;
}

/** What the hot path needs from AWS; one implementation, `AwsHotPathStore`. */
export interface HotPathStore {
  /** Conditional put: creates the item unless the key exists; returns the existing item otherwise. */
  putMatch(item: Record<string, AttributeValue>, signal?: AbortSignal): Promise<PutResult>;
  /** Marks a pending match notified (conditional on it still being pending). */
  markNotified(rule: string, matchId: string, messageId: string, at: string, signal?: AbortSignal): Promise<void>;
  /** Publishes; returns the SNS message id. */
  publish(n: Notification, signal?: AbortSignal): Promise<string>;
  /** Raises a segment's cumulative count (never lowers it); returns the window's total over all segments. */
  addToWindow(u: CounterUpdate, signal?: AbortSignal): Promise<number>;
  /** Totals of every group of one window (group key -> { total, groupValue }). */
  windowTotals(rule: string, windowStart: number, signal?: AbortSignal): Promise<Map<string, { total: number; groupValue?: string }>>;
  /** The schedule cursor of a rule (next window start to evaluate), or undefined. */
  getCursor(rule: string): Promise<number | undefined>;
  /** Sets the cursor if it is still `expected` (undefined: only if none exists). Returns false if someone else moved it. */
  setCursor(rule: string, next: number, expected: number | undefined, expiresAt: number): Promise<boolean>;
}

export const WINDOWS_SUFFIX = '#windows';
export const CURSOR_ID = 'cursor';
/** Window starts as 12-digit epoch seconds, so `begins_with` selects exactly one window. */
export const windowSortPrefix = (windowStart: number): string => `${String(windowStart).padStart(12, '0')}#`;

const isConditionalCheckFailure = (err: unknown): boolean =>
  err instanceof ConditionalCheckFailedException || (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** Sum of every segment counter (`c_*`) of a window item. */
export function totalOf(item: Record<string, AttributeValue> | undefined): number {
  if (item === undefined) return 0;
  let total = 0;
  for (const [k, v] of Object.entries(item)) if (k.startsWith('c_') && v.N !== undefined) total += Number(v.N);
  return total;
}

export interface AwsHotPathStoreProps {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly tableName: string;
  readonly topicArn: string;
}

export class AwsHotPathStore implements HotPathStore {
  public constructor(private readonly props: AwsHotPathStoreProps) {}

  public async putMatch(item: Record<string, AttributeValue>, signal?: AbortSignal): Promise<PutResult> {
    try {
      await this.props.dynamodb.send(
        new PutItemCommand({
          TableName: this.props.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#rule)',
          ExpressionAttributeNames: { '#rule': 'rule' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
      return { created: true };
    } catch (err) {
      if (!isConditionalCheckFailure(err)) throw new HotPathStoreError(`PutItem on ${this.props.tableName} failed: ${(err as Error).message}`, { cause: err });
      const existing = (err as ConditionalCheckFailedException).Item ?? (await this.getItem(item.rule!, item.event_id!, signal));
      return { created: false, existing: existing ?? {} };
    }
  }

  /** Consistent read of one item (when the conditional write did not return the old item). */
  private async getItem(rule: AttributeValue, eventId: AttributeValue, signal?: AbortSignal): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const out = await this.props.dynamodb.send(
        new GetItemCommand({ TableName: this.props.tableName, Key: { rule, event_id: eventId }, ConsistentRead: true }),
        { abortSignal: signal },
      );
      return out.Item;
    } catch (err) {
      throw new HotPathStoreError(`GetItem on ${this.props.tableName} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  public async markNotified(rule: string, matchId: string, messageId: string, at: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.props.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.props.tableName,
          Key: { rule: { S: rule }, event_id: { S: matchId } },
          UpdateExpression: 'SET #status = :notified, notified_at = :at, message_id = :mid',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':notified': { S: 'notified' }, ':pending': { S: 'pending' }, ':at': { S: at }, ':mid': { S: messageId } },
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      // Already marked (a concurrent retry): nothing to do.
      if (isConditionalCheckFailure(err)) return;
      throw new HotPathStoreError(`UpdateItem (notified) on ${this.props.tableName} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  public async publish(n: Notification, signal?: AbortSignal): Promise<string> {
    try {
      const out = await this.props.sns.send(
        new PublishCommand({ TopicArn: this.props.topicArn, Subject: n.subject, Message: n.message, MessageAttributes: n.attributes }),
        { abortSignal: signal },
      );
      return out.MessageId ?? '';
    } catch (err) {
      throw new HotPathStoreError(`Publish to ${this.props.topicArn} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  public async addToWindow(u: CounterUpdate, signal?: AbortSignal): Promise<number> {
    const values: Record<string, AttributeValue> = {
      ':n': { N: String(u.count) },
      ':rule': { S: u.rule },
      ':ws': { S: u.windowStartIso },
      ':we': { S: u.windowEndIso },
      ':ttl': { N: String(u.expiresAt) },
    };
    let set = 'SET #c = :n, rule_name = :rule, window_start = :ws, window_end = :we, expires_at = :ttl';
    if (u.groupValue !== undefined) {
      values[':g'] = { S: u.groupValue };
      set += ', group_value = :g';
    }
    try {
      const out = await this.props.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.props.tableName,
          Key: { rule: { S: `${u.rule}${WINDOWS_SUFFIX}` }, event_id: { S: `${windowSortPrefix(u.windowStart)}${u.groupKey}` } },
          UpdateExpression: set,
          // A retried or bisected batch recomputes a count it already wrote, or a smaller one: keep the larger.
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :n',
          ExpressionAttributeNames: { '#c': u.segment },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
      return totalOf(out.Attributes);
    } catch (err) {
      if (isConditionalCheckFailure(err)) {
        const key = { S: `${u.rule}${WINDOWS_SUFFIX}` };
        const old = (err as ConditionalCheckFailedException).Item ?? (await this.getItem(key, { S: `${windowSortPrefix(u.windowStart)}${u.groupKey}` }, signal));
        return totalOf(old);
      }
      throw new HotPathStoreError(`UpdateItem (window counter) on ${this.props.tableName} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  public async windowTotals(rule: string, windowStart: number, signal?: AbortSignal): Promise<Map<string, { total: number; groupValue?: string }>> {
    const out = new Map<string, { total: number; groupValue?: string }>();
    const prefix = windowSortPrefix(windowStart);
    let start: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.props.dynamodb.send(
          new QueryCommand({
            TableName: this.props.tableName,
            KeyConditionExpression: '#rule = :rule AND begins_with(event_id, :prefix)',
            ExpressionAttributeNames: { '#rule': 'rule' },
            ExpressionAttributeValues: { ':rule': { S: `${rule}${WINDOWS_SUFFIX}` }, ':prefix': { S: prefix } },
            ConsistentRead: true,
            ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
          }),
          { abortSignal: signal },
        );
        for (const item of page.Items ?? []) {
          const groupKey = (item.event_id?.S ?? '').slice(prefix.length);
          out.set(groupKey, { total: totalOf(item), ...(item.group_value?.S !== undefined ? { groupValue: item.group_value.S } : {}) });
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    } catch (err) {
      throw new HotPathStoreError(`Query (window ${prefix}) on ${this.props.tableName} failed: ${(err as Error).message}`, { cause: err });
    }
    return out;
  }

  public async getCursor(rule: string): Promise<number | undefined> {
    try {
      const out = await this.props.dynamodb.send(
        new GetItemCommand({
          TableName: this.props.tableName,
          Key: { rule: { S: `${rule}${WINDOWS_SUFFIX}` }, event_id: { S: CURSOR_ID } },
          ConsistentRead: true,
        }),
      );
      const n = out.Item?.next_window?.N;
      return n === undefined ? undefined : Number(n);
    } catch (err) {
      throw new HotPathStoreError(`reading the schedule cursor of ${rule} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  public async setCursor(rule: string, next: number, expected: number | undefined, expiresAt: number): Promise<boolean> {
    try {
      await this.props.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.props.tableName,
          Key: { rule: { S: `${rule}${WINDOWS_SUFFIX}` }, event_id: { S: CURSOR_ID } },
          UpdateExpression: 'SET next_window = :next, expires_at = :ttl',
          ConditionExpression: expected === undefined ? 'attribute_not_exists(next_window)' : 'next_window = :expected',
          ExpressionAttributeValues: {
            ':next': { N: String(next) },
            ':ttl': { N: String(expiresAt) },
            ...(expected !== undefined ? { ':expected': { N: String(expected) } } : {}),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailure(err)) return false;
      throw new HotPathStoreError(`moving the schedule cursor of ${rule} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
