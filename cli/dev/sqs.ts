/**
 * Local SQS: the environment's queues (from the evaluated aws_sqs_queue values), speaking the AWS
 * JSON 1.0 protocol the SDK v3 uses (`X-Amz-Target: AmazonSQS.<Operation>`). Every message a
 * queue receives is also appended to `local/sqs/<queue>.jsonl`, so a test or a person can see what
 * went to a dead-letter queue after the runtime stopped.
 *
 * Kept from SQS (Amazon SQS Developer Guide, "Amazon SQS visibility timeout"; API Reference): a
 * received message is invisible for its visibility timeout and gets a new receipt handle on every
 * receive; DeleteMessage and ChangeMessageVisibility need the latest handle; MD5OfMessageBody and
 * MD5OfBody are sent (the SDK checks them); batches hold at most 10 entries; a message is at most
 * 256 KiB. Long polling waits up to WaitTimeSeconds (at most 20). Not modelled: FIFO ordering and
 * deduplication, delay queues, redrive policies between queues, message retention expiry.
 *
 * Operations: GetQueueUrl, GetQueueAttributes, ListQueues, SendMessage, SendMessageBatch,
 * ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility,
 * ChangeMessageVisibilityBatch, PurgeQueue.
 * Protocol: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { readBody, sendAwsJson, sendAwsJsonError } from './http';
import type { LocalQueue } from './resources';

const JSON10 = 'application/x-amz-json-1.0';
/** 256 KiB: the largest message (SendMessage, MessageBody). */
const MAX_MESSAGE_BYTES = 262_144;

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly sentAt: number;
  receiveCount: number;
  invisibleUntil: number;
  receipt?: string;
}

class SqsFailure extends Error {
  public constructor(
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

export class LocalSqs {
  private readonly messages = new Map<string, Message[]>();

  public constructor(
    private readonly queues: readonly LocalQueue[],
    private readonly recordDir: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(recordDir, { recursive: true });
    for (const q of queues) this.messages.set(q.name, []);
  }

  /** The queue a QueueUrl (or name, or ARN) names: the evaluated URL, else the URL's last segment. */
  public queueOf(ref: string): LocalQueue {
    const q = this.queues.find((x) => x.url === ref || x.arn === ref || x.name === ref) ?? this.queues.find((x) => x.name === ref.split('/').pop());
    if (q === undefined) throw new SqsFailure('com.amazonaws.sqs#QueueDoesNotExist', `The specified queue does not exist: ${ref}`);
    return q;
  }

  /** Adds a message (SendMessage, or the runtime's own on-failure destinations); returns its id. */
  public send(ref: string, body: string, attributes: Record<string, unknown> = {}): string {
    const q = this.queueOf(ref);
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) throw new SqsFailure('com.amazonaws.sqs#InvalidParameterValue', `message is larger than ${MAX_MESSAGE_BYTES} bytes`);
    const m: Message = { messageId: randomUUID(), body, attributes, sentAt: this.now(), receiveCount: 0, invisibleUntil: 0 };
    this.messages.get(q.name)!.push(m);
    appendFileSync(path.join(this.recordDir, `${q.name}.jsonl`), `${JSON.stringify({ messageId: m.messageId, sentAt: new Date(m.sentAt).toISOString(), body, attributes })}\n`);
    return m.messageId;
  }

  /** Messages not deleted, in arrival order. */
  public pending(ref: string): readonly { readonly messageId: string; readonly body: string }[] {
    return this.messages.get(this.queueOf(ref).name) ?? [];
  }

  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    try {
      const input = JSON.parse((await readBody(req, 4 * 1024 * 1024)).toString('utf8') || '{}') as Record<string, unknown>;
      sendAwsJson(res, await this.answer(op, input, req.headers.host ?? '127.0.0.1'), JSON10);
    } catch (err) {
      if (err instanceof SqsFailure) sendAwsJsonError(res, 400, err.type, err.message, JSON10);
      else sendAwsJsonError(res, 400, 'com.amazonaws.sqs#InvalidParameterValue', (err as Error).message, JSON10);
    }
  }

  /**
   * The URL the service answers for a queue: on the host the request came to (the SDK sends calls
   * to the QueueUrl's host, so a URL naming AWS would leave the machine).
   */
  private localUrl(host: string, q: LocalQueue): string {
    return `http://${host}/${q.arn.split(':')[4] ?? '000000000000'}/${q.name}`;
  }

  private async answer(op: string, input: Record<string, unknown>, host: string): Promise<unknown> {
    const url = String(input.QueueUrl ?? '');
    switch (op) {
      case 'GetQueueUrl':
        return { QueueUrl: this.localUrl(host, this.queueOf(String(input.QueueName ?? ''))) };
      case 'ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        return { QueueUrls: this.queues.filter((q) => q.name.startsWith(prefix)).map((q) => this.localUrl(host, q)) };
      }
      case 'GetQueueAttributes': {
        const q = this.queueOf(url);
        const list = this.messages.get(q.name)!;
        const now = this.now();
        return {
          Attributes: {
            QueueArn: q.arn,
            ApproximateNumberOfMessages: String(list.filter((m) => m.invisibleUntil <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(list.filter((m) => m.invisibleUntil > now).length),
          },
        };
      }
      case 'SendMessage': {
        const body = String(input.MessageBody ?? '');
        return { MessageId: this.send(url, body, (input.MessageAttributes as Record<string, unknown> | undefined) ?? {}), MD5OfMessageBody: md5(body) };
      }
      case 'SendMessageBatch':
        return this.batch(input, (e) => {
          const body = String(e.MessageBody ?? '');
          return { MessageId: this.send(url, body, (e.MessageAttributes as Record<string, unknown> | undefined) ?? {}), MD5OfMessageBody: md5(body) };
        });
      case 'ReceiveMessage':
        return this.receive(url, input);
      case 'DeleteMessage':
        this.remove(url, String(input.ReceiptHandle ?? ''));
        return {};
      case 'DeleteMessageBatch':
        return this.batch(input, (e) => this.remove(url, String(e.ReceiptHandle ?? '')));
      case 'ChangeMessageVisibility':
        this.find(url, String(input.ReceiptHandle ?? '')).invisibleUntil = this.now() + Number(input.VisibilityTimeout ?? 0) * 1000;
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.batch(input, (e) => {
          this.find(url, String(e.ReceiptHandle ?? '')).invisibleUntil = this.now() + Number(e.VisibilityTimeout ?? 0) * 1000;
        });
      case 'PurgeQueue':
        this.messages.get(this.queueOf(url).name)!.length = 0;
        return {};
      default:
        throw new SqsFailure('com.amazonaws.sqs#UnsupportedOperation', `the local SQS does not implement ${op}`);
    }
  }

  private async receive(url: string, input: Record<string, unknown>): Promise<unknown> {
    const q = this.messages.get(this.queueOf(url).name)!;
    const max = Math.min(10, Math.max(1, Number(input.MaxNumberOfMessages ?? 1)));
    const visibility = Number(input.VisibilityTimeout ?? 30);
    const deadline = Date.now() + Math.min(20, Number(input.WaitTimeSeconds ?? 0)) * 1000;
    for (;;) {
      const now = this.now();
      const visible = q.filter((m) => m.invisibleUntil <= now).slice(0, max);
      if (visible.length > 0 || Date.now() >= deadline) {
        return {
          Messages: visible.map((m) => {
            m.receiveCount++;
            m.invisibleUntil = now + visibility * 1000;
            m.receipt = randomBytes(16).toString('hex');
            return {
              MessageId: m.messageId,
              ReceiptHandle: m.receipt,
              MD5OfBody: md5(m.body),
              Body: m.body,
              Attributes: { SentTimestamp: String(m.sentAt), ApproximateReceiveCount: String(m.receiveCount) },
              ...(Object.keys(m.attributes).length > 0 ? { MessageAttributes: m.attributes } : {}),
            };
          }),
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private batch(input: Record<string, unknown>, apply: (e: Record<string, unknown>) => Record<string, unknown> | void): unknown {
    const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
    if (entries.length === 0) throw new SqsFailure('com.amazonaws.sqs#EmptyBatchRequest', 'The batch request does not contain any entries.');
    if (entries.length > 10) throw new SqsFailure('com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible (10).');
    const Successful: Record<string, unknown>[] = [];
    const Failed: Record<string, unknown>[] = [];
    for (const e of entries) {
      const Id = String(e.Id);
      try {
        Successful.push({ Id, ...(apply(e) ?? {}) });
      } catch (err) {
        if (!(err instanceof SqsFailure)) throw err;
        Failed.push({ Id, SenderFault: true, Code: err.type.replace(/^.*#/, ''), Message: err.message });
      }
    }
    return { Successful, Failed };
  }

  private find(url: string, receipt: string): Message {
    const m = this.messages.get(this.queueOf(url).name)!.find((x) => x.receipt !== undefined && x.receipt === receipt);
    if (m === undefined) throw new SqsFailure('com.amazonaws.sqs#ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
    return m;
  }

  private remove(url: string, receipt: string): void {
    const list = this.messages.get(this.queueOf(url).name)!;
    const m = this.find(url, receipt);
    list.splice(list.indexOf(m), 1);
  }
}
