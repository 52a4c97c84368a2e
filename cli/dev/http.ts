/**
 * HTTP plumbing shared by the local AWS endpoint's services: reading bodies (with a bound),
 * the JSON protocols' answers and errors, and which AWS service a request is for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The body is larger than the bound the caller gave. */
export class BodyTooLargeError extends Error {
  public constructor(public readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the whole body; rejects with BodyTooLargeError beyond `limit` bytes (the rest is drained). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => (over ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks))));
  });
}

/** An error answer of the JSON protocols (Firehose, Kinesis, DynamoDB, SSM, SQS): `{ "__type", "message" }`. */
export function sendAwsJsonError(res: ServerResponse, status: number, type: string, message: string, contentType = 'application/x-amz-json-1.1'): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-errortype': type });
  res.end(body);
}

export function sendAwsJson(res: ServerResponse, value: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export const xmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** An AWS service a request is for, or undefined (the request is for the collector). */
export type AwsService = 's3' | 'firehose' | 'kinesis' | 'dynamodb' | 'sqs' | 'sns' | 'ssm' | 'sts';

const TARGET_PREFIXES: readonly [string, AwsService][] = [
  ['Firehose_20150804.', 'firehose'],
  ['Kinesis_20131202.', 'kinesis'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['AmazonSQS.', 'sqs'],
  ['AmazonSSM.', 'ssm'],
];

const SIGNING_NAMES: Readonly<Record<string, AwsService>> = {
  s3: 's3',
  firehose: 'firehose',
  kinesis: 'kinesis',
  dynamodb: 'dynamodb',
  sqs: 'sqs',
  sns: 'sns',
  ssm: 'ssm',
  sts: 'sts',
};

/**
 * The service a request is signed for: the JSON protocols name it in `X-Amz-Target`; every SigV4
 * request names it in the credential scope of its `Authorization` header (or of a presigned URL's
 * `X-Amz-Credential`): `Credential=<key>/<date>/<region>/<service>/aws4_request`.
 * See "Elements of an AWS API request signature" (IAM User Guide).
 */
export function serviceOf(req: IncomingMessage): AwsService | 'unknown-aws' | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    for (const [prefix, service] of TARGET_PREFIXES) if (target.startsWith(prefix)) return service;
  }
  const auth = req.headers.authorization;
  let scope: string | undefined;
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256')) scope = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
  else {
    const q = (req.url ?? '').indexOf('?');
    if (q !== -1) {
      const cred = new URLSearchParams((req.url ?? '').slice(q + 1)).get('X-Amz-Credential');
      if (cred !== null) scope = cred.split('/')[3];
    }
  }
  if (scope === undefined) return typeof auth === 'string' && auth.startsWith('AWS') ? 'unknown-aws' : undefined;
  return SIGNING_NAMES[scope] ?? 'unknown-aws';
}

/**
 * Decodes an `aws-chunked` body (SigV4 streaming upload): `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n`
 * repeated, ended by a zero-size chunk and optional trailers. The SDK sends S3 uploads this way
 * when it adds a checksum trailer (`x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
 * Source: Amazon S3 API Reference, "Signature calculations for the Authorization header:
 * Transferring payload in multiple chunks (chunked upload)".
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at, 'latin1');
    if (eol === -1) throw new Error('aws-chunked body: a chunk header has no end');
    const header = body.subarray(at, eol).toString('latin1');
    const size = parseInt(header.split(';')[0]!, 16);
    if (!Number.isFinite(size) || size < 0) throw new Error(`aws-chunked body: bad chunk size ${JSON.stringify(header)}`);
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (at + size > body.length) throw new Error('aws-chunked body: truncated chunk');
    parts.push(body.subarray(at, at + size));
    at += size;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw new Error('aws-chunked body: a chunk is not followed by CRLF');
    at += 2;
  }
}

/** Whether a request's body is `aws-chunked`. */
export function isAwsChunked(req: IncomingMessage): boolean {
  const sha = req.headers['x-amz-content-sha256'];
  const encoding = req.headers['content-encoding'];
  return (typeof sha === 'string' && sha.startsWith('STREAMING-')) || (typeof encoding === 'string' && encoding.split(',').some((e) => e.trim() === 'aws-chunked'));
}
