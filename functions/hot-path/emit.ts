/**
 * Stores and/or notifies one match, at most once per (rule, match id) — the order of operations:
 *
 * 1. Conditional PutItem (`attribute_not_exists`): status `pending` when the rule notifies,
 *    `stored` otherwise, with the match's owner (`source`: the record, shard or schedule).
 *    If the key exists, the match was seen before: stop, unless it is still `pending` AND owned by
 *    this same source, which means this is a retry of an attempt that stored but did not publish.
 * 2. Publish to SNS. If it fails, the error propagates: the record is reported as a batch item
 *    failure (or the window batch fails) and Lambda retries it; step 1 then finds its own pending
 *    item and publishes.
 * 3. Conditional UpdateItem `pending` -> `notified`. If this fails after a successful publish, the
 *    failure is logged and counted, not retried: retrying would publish a second time.
 *
 * A crash between 2 and 3 (the process dies after SNS accepted the message) is the only way a
 * retry publishes the same match twice; subscribers can drop it by `matchId` (SNS standard topics
 * deliver at least once anyway). A crash between 1 and 2 is recovered by step 1 of the retry.
 */
import type { RulesDocument } from './rules';
import { matchItem, notification, type Match } from './match';
import type { HotPathStore } from './store';

export type EmitOutcome = 'stored' | 'notified' | 'duplicate';

export interface EmitDeps {
  readonly store: HotPathStore;
  readonly doc: Pick<RulesDocument, 'environment' | 'dedupeTtlSeconds' | 'retentionDays'>;
  /** Called when a published match could not be marked notified (logged by the handler). */
  readonly onMarkFailure?: (m: Match, err: unknown) => void;
}

const DAY = 86_400;

/** Epoch seconds at which the item may expire: never before a redelivery could bring the match back. */
export function expiresAt(m: Match, nowSeconds: number, doc: EmitDeps['doc']): number {
  const keep = m.rule.actions.store ? Math.max(doc.retentionDays * DAY, doc.dedupeTtlSeconds) : doc.dedupeTtlSeconds;
  return Math.floor(nowSeconds) + keep;
}

export async function emitMatch(m: Match, deps: EmitDeps, nowSeconds: number, signal?: AbortSignal): Promise<EmitOutcome> {
  const notify = m.rule.actions.notify;
  const put = await deps.store.putMatch(matchItem(m, notify ? 'pending' : 'stored', expiresAt(m, nowSeconds, deps.doc)), signal);
  if (!notify) return put.created ? 'stored' : 'duplicate';
  if (!put.created && !(put.existing.status?.S === 'pending' && put.existing.source?.S === m.source)) return 'duplicate';
  const messageId = await deps.store.publish(notification(deps.doc.environment, m), signal);
  try {
    await deps.store.markNotified(m.rule.name, m.matchId, messageId, new Date(nowSeconds * 1000).toISOString(), signal);
  } catch (err) {
    deps.onMarkFailure?.(m, err);
  }
  return 'notified';
}
