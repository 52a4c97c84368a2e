/**
 * A small SNS stand-in on 127.0.0.1: the Query API's Publish, as the AWS SDK v3 SNS client speaks
 * it (form-encoded POST, XML response; SNS API reference "Publish" and "Query API request
 * format"). It records every accepted message, enforces the limits the hot path relies on
 * (an existing topic, a message, subject up to 100 characters, 256 KiB), and can fail calls.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, { readonly dataType: string; readonly stringValue?: string }>>;
}

export interface SnsFault {
  readonly status: number;
  readonly code: string;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_BYTES = 262_144;

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export class SnsStandIn {
  public readonly messages: PublishedMessage[] = [];
  /** Requests that were answered with an error (injected or invalid). */
  public readonly rejected: { readonly code: string; readonly params: Readonly<Record<string, string>> }[] = [];
  private fault: ((params: Readonly<Record<string, string>>) => SnsFault | undefined) | undefined;
  private server: Server | undefined;

  public constructor(private readonly topicArns: readonly string[]) {}

  /** Makes matching Publish calls fail (undefined: none). */
  public setFault(fault: ((params: Readonly<Record<string, string>>) => SnsFault | undefined) | undefined): void {
    this.fault = fault;
  }

  public async start(): Promise<{ endpoint: string; close: () => Promise<void> }> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve, reject) => this.server!.close((err?: Error) => (err ? reject(err) : resolve()))),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const requestId = randomUUID();
    const error = (status: number, code: string, message: string): void => {
      this.rejected.push({ code, params });
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code>` +
          `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    };
    if (req.method !== 'POST' || params.Action !== 'Publish') return error(400, 'InvalidAction', `unsupported action ${params.Action ?? '(none)'}`);
    if (params.Version !== '2010-03-31') return error(400, 'InvalidParameter', 'Version must be 2010-03-31');
    const topicArn = params.TopicArn ?? '';
    if (!this.topicArns.includes(topicArn)) return error(404, 'NotFound', 'Topic does not exist');
    const message = params.Message;
    if (message === undefined || message.length === 0) return error(400, 'InvalidParameter', 'Message must not be empty');
    const subject = params.Subject;
    if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject))) return error(400, 'InvalidParameter', 'Subject is invalid');
    const attributes: Record<string, { dataType: string; stringValue?: string }> = {};
    for (let i = 1; params[`MessageAttributes.entry.${i}.Name`] !== undefined; i++) {
      const name = params[`MessageAttributes.entry.${i}.Name`]!;
      const dataType = params[`MessageAttributes.entry.${i}.Value.DataType`] ?? '';
      const stringValue = params[`MessageAttributes.entry.${i}.Value.StringValue`];
      if (dataType !== 'String' || stringValue === undefined || stringValue.length === 0) return error(400, 'ParameterValueInvalid', `attribute ${name} is invalid`);
      attributes[name] = { dataType, stringValue };
    }
    const size = Buffer.byteLength(message) + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.stringValue ?? ''), 0);
    if (size > MAX_BYTES) return error(400, 'InvalidParameter', 'Message too long');
    const fault = this.fault?.(params);
    if (fault !== undefined) return error(fault.status, fault.code, 'injected fault');
    const messageId = randomUUID();
    this.messages.push({ messageId, topicArn, ...(subject !== undefined ? { subject } : {}), message, attributes });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }
}
