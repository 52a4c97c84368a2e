/**
 * Local SNS: the environment's topics (from the evaluated aws_sns_topic values), speaking the Query
 * API the SDK v3 SNS client uses (form-encoded POST, XML answers; SNS API Reference, "Publish",
 * "PublishBatch" and "Query API request format"). Nothing is delivered to subscribers: every
 * accepted message is appended to `local/sns/<topic>.jsonl` (message id, time, subject, message,
 * attributes), which is what "notified" means locally.
 *
 * Checked as SNS checks them: the topic exists, a message is present, a subject has at most 100
 * characters, a message (with its attributes) is at most 256 KiB, a batch holds 1 to 10 entries.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { readBody, sendXml, xmlEscape } from './http';
import type { LocalTopic } from './resources';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_BYTES = 262_144;

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly publishedAt: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, { readonly dataType: string; readonly stringValue?: string }>>;
}

class SnsFailure extends Error {
  public constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalSns {
  public constructor(
    private readonly topics: readonly LocalTopic[],
    private readonly recordDir: string,
  ) {
    mkdirSync(recordDir, { recursive: true });
  }

  /** Publishes one message (the Query API, or the runtime's own on-failure destinations); returns its id. */
  public publish(topicArn: string, message: string, subject?: string, attributes: PublishedMessage['attributes'] = {}): string {
    const topic = this.topics.find((t) => t.arn === topicArn);
    if (topic === undefined) throw new SnsFailure(404, 'NotFound', `Topic does not exist: ${topicArn}`);
    if (message === '') throw new SnsFailure(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    if (subject !== undefined && subject.length > 100) throw new SnsFailure(400, 'InvalidParameter', 'Invalid parameter: Subject');
    const size = Buffer.byteLength(message) + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.dataType) + Buffer.byteLength(v.stringValue ?? ''), 0);
    if (size > MAX_BYTES) throw new SnsFailure(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    const m: PublishedMessage = { messageId: randomUUID(), topicArn, publishedAt: new Date().toISOString(), ...(subject !== undefined ? { subject } : {}), message, attributes };
    appendFileSync(path.join(this.recordDir, `${topic.name}.jsonl`), `${JSON.stringify(m)}\n`);
    return m.messageId;
  }

  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const params = new URLSearchParams((await readBody(req, 2 * 1024 * 1024)).toString('utf8'));
    const action = params.get('Action') ?? '';
    try {
      if (action === 'Publish') {
        const id = this.publish(params.get('TopicArn') ?? params.get('TargetArn') ?? '', params.get('Message') ?? '', params.get('Subject') ?? undefined, attributesOf(params, 'MessageAttributes.entry'));
        sendXml(res, 200, `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`);
        return;
      }
      if (action === 'PublishBatch') {
        const topicArn = params.get('TopicArn') ?? '';
        const ok: string[] = [];
        const failed: string[] = [];
        let n = 0;
        for (let i = 1; params.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
          n++;
          const at = `PublishBatchRequestEntries.member.${i}`;
          const id = params.get(`${at}.Id`)!;
          try {
            const mid = this.publish(topicArn, params.get(`${at}.Message`) ?? '', params.get(`${at}.Subject`) ?? undefined, attributesOf(params, `${at}.MessageAttributes.entry`));
            ok.push(`<member><Id>${xmlEscape(id)}</Id><MessageId>${mid}</MessageId></member>`);
          } catch (err) {
            if (!(err instanceof SnsFailure) || err.code === 'NotFound') throw err;
            failed.push(`<member><Id>${xmlEscape(id)}</Id><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message><SenderFault>true</SenderFault></member>`);
          }
        }
        if (n === 0) throw new SnsFailure(400, 'EmptyBatchRequest', 'The batch request does not contain any entries.');
        if (n > 10) throw new SnsFailure(400, 'TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.');
        sendXml(res, 200, `<PublishBatchResponse xmlns="${XMLNS}"><PublishBatchResult><Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed></PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`);
        return;
      }
      if (action === 'ListTopics') {
        sendXml(res, 200, `<ListTopicsResponse xmlns="${XMLNS}"><ListTopicsResult><Topics>${this.topics.map((t) => `<member><TopicArn>${xmlEscape(t.arn)}</TopicArn></member>`).join('')}</Topics></ListTopicsResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></ListTopicsResponse>`);
        return;
      }
      throw new SnsFailure(400, 'InvalidAction', `the local SNS does not implement ${action}`);
    } catch (err) {
      const e = err instanceof SnsFailure ? err : new SnsFailure(500, 'InternalError', (err as Error).message);
      sendXml(res, e.status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
    }
  }
}

function attributesOf(params: URLSearchParams, base: string): Record<string, { dataType: string; stringValue?: string }> {
  const out: Record<string, { dataType: string; stringValue?: string }> = {};
  for (let i = 1; params.has(`${base}.${i}.Name`); i++) {
    const value = params.get(`${base}.${i}.Value.StringValue`);
    out[params.get(`${base}.${i}.Name`)!] = { dataType: params.get(`${base}.${i}.Value.DataType`) ?? 'String', ...(value !== null ? { stringValue: value } : {}) };
  }
  return out;
}
