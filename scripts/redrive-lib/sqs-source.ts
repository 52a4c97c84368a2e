/**
 * Units from the router's dead-letter queue (`<project>-<env>-fanout-router-dlq`): one message is
 * one unit. Two kinds of message arrive there (docs/root-stream.md):
 * - the router's dead letters (`tracking.unroutable-record`, one record each), with the record's
 *   bytes, or without them (`dataOmitted`), when the record is read back from the root stream by
 *   sequence number while the stream retains it;
 * - Lambda's on-failure records of batches the event source mapping gave up on: the shard and the
 *   sequence-number range, read back from the stream the same way.
 *
 * A message is deleted only once every record it carries was confirmed by the service it was
 * sent to (or, for a batch holding records that cannot be sent now, once those were written back
 * to the queue as dead letters of their own, each checkpointed as SQS confirms it, so that a
 * crash or a failed delete never writes them back twice). A message left as is is made visible
 * again when the run ends. Messages are received with a visibility timeout long enough for the run
 * (`--visibility-timeout`); the checkpoint keeps their receipt handles, so a run after a crash
 * makes the messages the crashed run held visible again at once.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { EnvironmentSpec } from '../../config/model';
import { eventTypeKey } from '../../config/naming';
import { packSqsBatches, sqsBody } from '../../functions/fanout-router/deadletter';
import { isRetryableEntryError } from '../../lib/retry';
import { SQS_LIMITS } from '../../lib/limits';
import type { Journal } from './journal';
import { parseBatchFailure, parseDeadLetter, routeAction, routeEnvelope, type RouteTarget } from './records';
import { callWithRetries, type CallPolicy } from './retry-call';
import type { StreamReader, StreamRecord } from './stream-reader';
import { RedriveError, UNKNOWN_TYPE, type Item, type Source, type SourceContext, type Unit, type UnitDone } from './types';

export interface SqsUnit extends Unit {
  readonly messageId: string;
  readonly body: string;
  /** When SQS received the message (epoch ms). */
  readonly sentAt?: number;
}

export interface SqsSourceOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly env: EnvironmentSpec;
  readonly journal: Journal;
  /** Reads records back from the root stream. */
  readonly streams: StreamReader;
  /** @default GetQueueUrl of the environment's router dead-letter queue */
  readonly queueUrl?: string;
  /** @default 'delivery' */
  readonly to?: RouteTarget;
  /** Seconds a received message stays invisible to other receivers. @default 900 */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling of each receive; the run ends at the first receive that returns nothing. @default 5 */
  readonly waitSeconds?: number;
  /** At most this many messages. @default all */
  readonly limit?: number;
  /** Dry run: write nothing to the checkpoint, release every message at the end. @default false */
  readonly dryRun?: boolean;
  readonly policy?: CallPolicy;
}

export class SqsSource implements Source<SqsUnit> {
  public readonly name = 'dlq' as const;
  public readonly unitNoun = 'message';
  public location: string;
  private queueUrl: string | undefined;
  private count: number | undefined;
  /** Latest receipt handle of each message received in this run. */
  private readonly receipts = new Map<string, string>();

  public constructor(private readonly o: SqsSourceOptions) {
    this.queueUrl = o.queueUrl;
    this.location = o.queueUrl ?? o.env.rootStream.router.deadLetterQueueName;
  }

  public total(): number | undefined {
    return this.count;
  }

  public async *units(ctx: SourceContext): AsyncIterable<SqsUnit> {
    const url = await this.url(ctx.signal);
    if (!this.o.dryRun) await this.releaseHeld(url, ctx.signal);
    const attrs = await this.call('GetQueueAttributes', (s) =>
      this.o.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }), { abortSignal: s }), ctx.signal);
    const n = Number(attrs.Attributes?.ApproximateNumberOfMessages);
    this.count = Number.isFinite(n) ? (this.o.limit !== undefined ? Math.min(n, this.o.limit) : n) : undefined;
    const seen = new Set<string>();
    let yielded = 0;
    while (!ctx.signal.aborted && (this.o.limit === undefined || yielded < this.o.limit)) {
      const want = Math.min(SQS_LIMITS.maxMessagesPerBatch, this.o.limit !== undefined ? this.o.limit - yielded : SQS_LIMITS.maxMessagesPerBatch);
      const r = await this.call('ReceiveMessage', (s) =>
        this.o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: this.o.waitSeconds ?? 5,
            VisibilityTimeout: this.o.visibilityTimeoutSeconds ?? 900,
            MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          }),
          { abortSignal: s },
        ), ctx.signal);
      const messages: Message[] = r.Messages ?? [];
      if (messages.length === 0) break;
      let fresh = 0;
      for (const m of messages) {
        if (m.MessageId === undefined || m.ReceiptHandle === undefined) continue;
        const id = `sqs:${m.MessageId}`;
        this.receipts.set(id, m.ReceiptHandle);
        if (seen.has(id)) continue; // its visibility ran out during this run: already handled
        seen.add(id);
        fresh++;
        const sent = Number(m.Attributes?.SentTimestamp);
        const unit: SqsUnit = { id, label: m.MessageId, messageId: m.MessageId, body: m.Body ?? '', ...(Number.isFinite(sent) ? { sentAt: sent } : {}) };
        if (this.o.journal.done(id) !== undefined) {
          // Finished by an earlier run whose delete did not take (or SQS delivered it again).
          if (!this.o.dryRun) await this.finish([unit], ctx.signal);
          ctx.onSkipUnit(unit, 'already redriven (checkpoint)');
          continue;
        }
        if (!this.o.dryRun) this.o.journal.recordReceipt(id, m.ReceiptHandle);
        yielded++;
        yield unit;
      }
      if (fresh === 0) break; // only messages this run already handled come back
    }
  }

  public async load(unit: SqsUnit, signal: AbortSignal): Promise<Item[]> {
    const letter = parseDeadLetter(unit.body);
    if (letter.ok) {
      const { doc } = letter.value;
      const time = doc.kinesis.approximateArrivalTimestamp * 1000;
      const docType = doc.app !== undefined && doc.eventType !== undefined ? eventTypeKey(doc.app, doc.eventType) : UNKNOWN_TYPE;
      const data = letter.value.data ?? (await this.o.streams.readDeadLetter(letter.value, signal));
      if (data === undefined) {
        return [{ id: 'M', eventType: docType, reason: doc.reason, time, action: { kind: 'fail', why: 'data-expired: omitted from the message and no longer in the stream' } }];
      }
      const route = routeEnvelope(data, this.o.env, this.o.to ?? 'delivery', doc.kinesis.partitionKey);
      return [
        {
          id: 'M',
          eventType: route.eventType,
          reason: doc.reason,
          time,
          action: routeAction(route, data),
        },
      ];
    }
    const batch = parseBatchFailure(unit.body);
    if (!batch.ok) {
      return [{ id: 'M', eventType: UNKNOWN_TYPE, reason: 'unknown-message', action: { kind: 'keep', why: `malformed-message: neither a dead letter (${letter.why}) nor a Kinesis on-failure record` } }];
    }
    const b = batch.value;
    const reason = `batch-failure/${b.condition}`;
    const read = await this.o.streams.readBatch(b, signal);
    const items: Item[] = read.records.map((rec) => this.batchItem(rec, b.streamArn, b.shardId, reason));
    if (!read.complete) {
      items.push({
        id: 'RANGE',
        eventType: UNKNOWN_TYPE,
        reason,
        ...(b.approximateArrivalOfFirstRecord !== undefined ? { time: b.approximateArrivalOfFirstRecord } : {}),
        action: {
          kind: 'fail',
          why: `records-expired: ${b.shardId} ${b.startSequenceNumber}..${b.endSequenceNumber} is no longer (completely) in the stream; ${read.records.length} record(s) read`,
        },
      });
    }
    return items;
  }

  /** One record of a failed batch; kept as a dead letter of its own if it cannot be sent now. */
  private batchItem(rec: StreamRecord, streamArn: string, shardId: string, reason: string): Item {
    const route = routeEnvelope(rec.data, this.o.env, this.o.to ?? 'delivery', rec.partitionKey);
    const base = { id: `S${rec.sequenceNumber}`, eventType: route.eventType, reason, ...(rec.arrival !== undefined ? { time: rec.arrival } : {}) };
    if (route.ok) {
      return { ...base, action: routeAction(route, rec.data) };
    }
    const record: KinesisStreamRecord = {
      awsRegion: this.o.env.region,
      eventID: `${shardId}:${rec.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: streamArn,
      eventVersion: '1.0',
      invokeIdentityArn: '',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: rec.partitionKey,
        sequenceNumber: rec.sequenceNumber,
        data: rec.data.toString('base64'),
        approximateArrivalTimestamp: (rec.arrival ?? 0) / 1000,
      },
    };
    const { body } = sqsBody(
      { id: 0, reason: route.reason, detail: route.why, ...(route.app !== undefined ? { app: route.app } : {}), ...(route.type !== undefined ? { eventType: route.type } : {}), record, data: rec.data },
      this.o.env.name,
    );
    return { ...base, action: { kind: 'keep', why: route.why }, keepAs: body };
  }

  public async finish(units: readonly SqsUnit[], signal: AbortSignal): Promise<Map<string, UnitDone | Error>> {
    const out = new Map<string, UnitDone | Error>();
    const url = await this.url(signal);
    for (let i = 0; i < units.length; i += SQS_LIMITS.maxMessagesPerBatch) {
      let pending = units.slice(i, i + SQS_LIMITS.maxMessagesPerBatch);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const batch = pending;
        let r;
        try {
          r = await this.call('DeleteMessageBatch', (s) =>
            this.o.sqs.send(
              new DeleteMessageBatchCommand({ QueueUrl: url, Entries: batch.map((u, k) => ({ Id: String(k), ReceiptHandle: this.receipts.get(u.id) ?? '' })) }),
              { abortSignal: s },
            ), signal);
        } catch (err) {
          for (const u of batch) out.set(u.id, err as Error);
          break;
        }
        const failed = new Map((r.Failed ?? []).map((f) => [f.Id, f]));
        pending = [];
        batch.forEach((u, k) => {
          const f = failed.get(String(k));
          if (f === undefined) out.set(u.id, 'deleted');
          else if (!f.SenderFault && isRetryableEntryError(f.Code) && attempt < 5) pending.push(u);
          else out.set(u.id, new RedriveError(`DeleteMessage ${u.messageId} failed: ${f.Code ?? 'unknown'}${f.Message ? ` (${f.Message})` : ''}`));
        });
        if (pending.length > 0) await new Promise((res) => setTimeout(res, 100 * attempt));
      }
      for (const u of pending) if (!out.has(u.id)) out.set(u.id, new RedriveError(`DeleteMessage ${u.messageId} kept failing`));
    }
    return out;
  }

  /**
   * Writes the kept records back to the queue, one dead letter each, then deletes the message.
   * The entries SQS confirms are written to the checkpoint as each SendMessageBatch returns, before
   * the next call and before the delete: a run after a crash, or after a delete that failed, finds
   * them there (the engine does not pass them as kept again) and only deletes the message. So a
   * crash writes back at most the SendMessageBatch in flight twice (10 messages).
   */
  public async split(unit: SqsUnit, kept: readonly Item[], signal: AbortSignal): Promise<UnitDone> {
    const url = await this.url(signal);
    const entries = kept.map((k) => {
      if (k.keepAs === undefined) throw new RedriveError(`message ${unit.messageId}: item ${k.id} cannot be written back`);
      return { body: k.keepAs, item: k.id };
    });
    for (const batch of packSqsBatches(entries)) {
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const current = pending;
        const r = await this.call('SendMessageBatch', (s) =>
          this.o.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: current.map((b, k) => ({ Id: String(k), MessageBody: b.body })) }), { abortSignal: s }), signal);
        const failed = new Map((r.Failed ?? []).map((f) => [f.Id, f]));
        // The checkpoint first: these records are in the queue now, and are never written back again.
        if (!this.o.dryRun) this.o.journal.recordRequeued(unit.id, current.filter((_, k) => !failed.has(String(k))).map((b) => b.item));
        pending = current.filter((_, k) => failed.has(String(k)));
        const fatal = [...failed.values()].find((f) => f.SenderFault || !isRetryableEntryError(f.Code));
        if (fatal !== undefined || (pending.length > 0 && attempt >= 5)) {
          throw new RedriveError(`writing the remainder of message ${unit.messageId} back to the queue failed: ${fatal?.Code ?? 'kept failing'}`);
        }
      }
    }
    const done = (await this.finish([unit], signal)).get(unit.id);
    if (done instanceof Error) throw done;
    return 'split';
  }

  public async release(units: readonly SqsUnit[]): Promise<void> {
    if (units.length === 0) return;
    const url = await this.url(new AbortController().signal);
    for (let i = 0; i < units.length; i += SQS_LIMITS.maxMessagesPerBatch) {
      const batch = units.slice(i, i + SQS_LIMITS.maxMessagesPerBatch).filter((u) => this.receipts.has(u.id));
      if (batch.length === 0) continue;
      try {
        await this.call('ChangeMessageVisibilityBatch', (s) =>
          this.o.sqs.send(
            new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: batch.map((u, k) => ({ Id: String(k), ReceiptHandle: this.receipts.get(u.id)!, VisibilityTimeout: 0 })) }),
            { abortSignal: s },
          ), AbortSignal.timeout(30_000));
      } catch {
        // Best effort: the messages become visible again when their visibility timeout ends.
      }
    }
  }

  /** Messages a crashed run held: visible again now rather than at the end of their timeout. */
  private async releaseHeld(url: string, signal: AbortSignal): Promise<void> {
    const held = this.o.journal.heldReceipts();
    for (let i = 0; i < held.length; i += SQS_LIMITS.maxMessagesPerBatch) {
      const batch = held.slice(i, i + SQS_LIMITS.maxMessagesPerBatch);
      try {
        await this.call('ChangeMessageVisibilityBatch', (s) =>
          this.o.sqs.send(
            new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: batch.map((h, k) => ({ Id: String(k), ReceiptHandle: h.receipt, VisibilityTimeout: 0 })) }),
            { abortSignal: s },
          ), signal);
      } catch {
        // Expired handles: those messages are visible already.
      }
    }
  }

  private async url(signal: AbortSignal): Promise<string> {
    if (this.queueUrl === undefined) {
      const name = this.o.env.rootStream.router.deadLetterQueueName;
      const r = await this.call(`GetQueueUrl ${name}`, (s) => this.o.sqs.send(new GetQueueUrlCommand({ QueueName: name }), { abortSignal: s }), signal);
      if (r.QueueUrl === undefined) throw new RedriveError(`GetQueueUrl ${name} returned no URL`);
      this.queueUrl = r.QueueUrl;
      this.location = r.QueueUrl;
    }
    return this.queueUrl;
  }

  private call<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    return callWithRetries(operation, fn, { signal, ...(this.o.policy !== undefined ? { policy: this.o.policy } : {}) });
  }
}
