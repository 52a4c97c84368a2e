/**
 * A local HTTP stand-in for Amazon SQS, speaking the AWS JSON 1.0 protocol the SDK v3 uses
 * (`X-Amz-Target: AmazonSQS.<Operation>`), so the real `@aws-sdk/client-sqs` can be pointed at it.
 *
 *   const sqs = new SqsStandIn();
 *   const { endpoint, close } = await sqs.start();
 *   const url = sqs.createQueue('acme-dev-fanout-router-dlq');
 *   sqs.send(url, body);
 *   const client = standInSqsClient(endpoint);
 *   ...
 *   sqs.messages(url); // not deleted, in arrival order
 *
 * Semantics kept from SQS: a received message is invisible for its visibility timeout and gets a
 * new receipt handle on every receive; DeleteMessage / ChangeMessageVisibility need the latest
 * handle; MD5OfBody / MD5OfMessageBody are sent (the SDK checks them). Long polling waits at most
 * `maxWaitMs` (the client's WaitTimeSeconds is honoured up to that bound, to keep tests fast).
 *
 * Faults per call (`fault`): whole-call errors, for the batch operations entries that fail, and
 * answers delayed after the call was applied (to kill a client that has not heard it yet).
 * Listens on 127.0.0.1 only.
 *
 * Operations: GetQueueUrl, GetQueueAttributes, ReceiveMessage, DeleteMessage, DeleteMessageBatch,
 * ChangeMessageVisibility, ChangeMessageVisibilityBatch, SendMessage, SendMessageBatch.
 * Protocol: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  invisibleUntil: number;
  receipt?: string;
}

export type SqsFault =
  | { readonly kind: 'error'; readonly type: string; readonly status?: number }
  /** Batch operations: entries (by index in the request) answered as failed, not applied. */
  | { readonly kind: 'partial'; readonly failed: (index: number) => boolean; readonly code?: string; readonly senderFault?: boolean }
  /** The call is applied at once, and answered `ms` later (a client that dies meanwhile never hears it). */
  | { readonly kind: 'delay'; readonly ms: number };

export interface SqsCall {
  readonly index: number;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export interface SqsStandInOptions {
  /** @default none */
  readonly fault?: (call: SqsCall) => SqsFault | undefined;
  /** Longest long poll, whatever WaitTimeSeconds asks. @default 50 */
  readonly maxWaitMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

const ACCOUNT = '123456789012';

export class SqsStandIn {
  public readonly calls: SqsCall[] = [];
  private readonly queues = new Map<string, StoredMessage[]>();
  private readonly deleted = new Map<string, StoredMessage[]>();
  private base = '';
  private fault: SqsStandInOptions['fault'];

  public constructor(private readonly options: SqsStandInOptions = {}) {
    this.fault = options.fault;
  }

  public async start(): Promise<{ endpoint: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return {
      endpoint: this.base,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  public setFault(hook: SqsStandInOptions['fault']): void {
    this.fault = hook;
  }

  /** Creates a queue (idempotent); returns its URL. */
  public createQueue(name: string): string {
    if (!this.queues.has(name)) {
      this.queues.set(name, []);
      this.deleted.set(name, []);
    }
    return this.urlOf(name);
  }

  /** Adds a message as SendMessage would; returns its id. */
  public send(queueUrl: string, body: string): string {
    const q = this.queue(queueUrl);
    const m: StoredMessage = { messageId: randomUUID(), body, sentAt: this.now(), receiveCount: 0, invisibleUntil: 0 };
    q.push(m);
    return m.messageId;
  }

  /** Messages not deleted, in arrival order. */
  public messages(queueUrl: string): readonly StoredMessage[] {
    return this.queue(queueUrl);
  }

  /** Messages deleted. */
  public deletedMessages(queueUrl: string): readonly StoredMessage[] {
    return this.deleted.get(this.nameOf(queueUrl)) ?? [];
  }

  /** Removes every message (PurgeQueue), keeping the queue. */
  public purge(queueUrl: string): void {
    this.queue(queueUrl).length = 0;
  }

  /** Makes every message visible again (as if their visibility timeouts ran out). */
  public expireVisibility(queueUrl: string): void {
    for (const m of this.queue(queueUrl)) m.invisibleUntil = 0;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private urlOf(name: string): string {
    return `${this.base}/${ACCOUNT}/${name}`;
  }

  private nameOf(url: string): string {
    return url.split('/').pop() ?? '';
  }

  private queue(url: string): StoredMessage[] {
    const q = this.queues.get(this.nameOf(url));
    if (q === undefined) throw new QueueMissing(url);
    return q;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        sendError(res, 400, 'com.amazonaws.sqs#InvalidSecurity', 'body is not JSON');
        return;
      }
      const call: SqsCall = { index: this.calls.length, operation, input };
      this.calls.push(call);
      const fault = this.fault?.(call);
      if (fault?.kind === 'error') {
        sendError(res, fault.status ?? 400, fault.type, `${fault.type} (injected)`);
        return;
      }
      void this.answer(operation, input, fault)
        .then((out) => (fault?.kind === 'delay' ? new Promise((r) => setTimeout(r, fault.ms).unref()).then(() => out) : out))
        .then((out) => sendJson(res, out))
        .catch((err: unknown) => {
          if (err instanceof QueueMissing) sendError(res, 400, 'com.amazonaws.sqs#QueueDoesNotExist', `The specified queue does not exist: ${err.url}`);
          else if (err instanceof BadReceipt) sendError(res, 400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
          else sendError(res, 400, 'com.amazonaws.sqs#InvalidParameterValue', (err as Error).message);
        });
    });
  }

  private async answer(op: string, input: Record<string, unknown>, fault: SqsFault | undefined): Promise<unknown> {
    const partial = fault?.kind === 'partial' ? fault : undefined;
    const url = String(input.QueueUrl ?? '');
    switch (op) {
      case 'GetQueueUrl': {
        const name = String(input.QueueName ?? '');
        if (!this.queues.has(name)) throw new QueueMissing(name);
        return { QueueUrl: this.urlOf(name) };
      }
      case 'GetQueueAttributes': {
        const q = this.queue(url);
        const now = this.now();
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(q.filter((m) => m.invisibleUntil <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(q.filter((m) => m.invisibleUntil > now).length),
          },
        };
      }
      case 'ReceiveMessage': {
        const q = this.queue(url);
        const max = Math.min(10, Number(input.MaxNumberOfMessages ?? 1));
        const visibility = Number(input.VisibilityTimeout ?? 30);
        const waitMs = Math.min(Number(input.WaitTimeSeconds ?? 0) * 1000, this.options.maxWaitMs ?? 50);
        const deadline = Date.now() + waitMs;
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
                };
              }),
            };
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      case 'DeleteMessage':
        this.remove(url, String(input.ReceiptHandle ?? ''));
        return {};
      case 'DeleteMessageBatch':
        return this.batch(input, partial, (e) => this.remove(url, String(e.ReceiptHandle ?? '')));
      case 'ChangeMessageVisibility':
        this.changeVisibility(url, String(input.ReceiptHandle ?? ''), Number(input.VisibilityTimeout ?? 0));
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.batch(input, partial, (e) => this.changeVisibility(url, String(e.ReceiptHandle ?? ''), Number(e.VisibilityTimeout ?? 0)));
      case 'SendMessage': {
        const body = String(input.MessageBody ?? '');
        return { MessageId: this.send(url, body), MD5OfMessageBody: md5(body) };
      }
      case 'SendMessageBatch':
        return this.batch(input, partial, (e) => {
          const body = String(e.MessageBody ?? '');
          return { MessageId: this.send(url, body), MD5OfMessageBody: md5(body) };
        });
      default:
        throw new Error(`unsupported operation "${op}"`);
    }
  }

  private batch(input: Record<string, unknown>, partial: Extract<SqsFault, { kind: 'partial' }> | undefined, apply: (e: Record<string, unknown>) => Record<string, unknown> | void): unknown {
    const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
    const Successful: Record<string, unknown>[] = [];
    const Failed: Record<string, unknown>[] = [];
    entries.forEach((e, i) => {
      const Id = String(e.Id);
      if (partial?.failed(i) === true) {
        Failed.push({ Id, SenderFault: partial.senderFault ?? false, Code: partial.code ?? 'InternalError', Message: 'injected' });
        return;
      }
      try {
        Successful.push({ Id, ...(apply(e) ?? {}) });
      } catch (err) {
        if (err instanceof BadReceipt) Failed.push({ Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.' });
        else throw err;
      }
    });
    return { Successful, Failed };
  }

  private find(url: string, receipt: string): { q: StoredMessage[]; i: number } {
    const q = this.queue(url);
    const i = q.findIndex((m) => m.receipt !== undefined && m.receipt === receipt);
    if (i < 0) throw new BadReceipt();
    return { q, i };
  }

  private remove(url: string, receipt: string): void {
    const { q, i } = this.find(url, receipt);
    const [m] = q.splice(i, 1);
    this.deleted.get(this.nameOf(url))!.push(m!);
  }

  private changeVisibility(url: string, receipt: string, seconds: number): void {
    const { q, i } = this.find(url, receipt);
    q[i]!.invisibleUntil = this.now() + seconds * 1000;
  }
}

class QueueMissing extends Error {
  public constructor(public readonly url: string) {
    super(`no queue ${url}`);
  }
}

class BadReceipt extends Error {}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function sendJson(res: ServerResponse, payload: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(payload);
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** An SDK SQS client for the stand-in: dummy credentials, HTTP/1.1, no SDK retries. */
export function standInSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'standin-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
}
