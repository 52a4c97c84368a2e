/**
 * A folder-based S3: each bucket is a folder under `<data-dir>/s3/`, each object a file at its
 * key's path, so DuckDB (and any tool) reads the lake where it lies. Writes land in a temporary
 * file and are renamed into place: a reader never sees half an object. Object metadata (content
 * type and encoding, user metadata, tags, ETag) lives beside, under `local/s3meta/`, never inside
 * a bucket's folder.
 *
 * The REST operations the pipeline's code calls, path-style (the SDK uses path-style addressing
 * for an endpoint that is an IP address) or virtual-hosted on `localhost`: GetObject (with Range and
 * If-None-Match), HeadObject, PutObject (plain or aws-chunked bodies), CopyObject, DeleteObject,
 * DeleteObjects, ListObjectsV2 (prefix, delimiter, start-after, continuation, max-keys),
 * Get/PutObjectTagging, HeadBucket, ListBuckets. Answers and errors follow the Amazon S3 API
 * Reference (XML bodies, `NoSuchKey`, `NoSuchBucket`, ...).
 *
 * What a folder cannot hold is refused with `InvalidArgument` and the reason: keys with empty,
 * `.` or `..` segments, keys ending in `/`, and a key that is also the prefix of another key
 * (`a/b` beside `a/b/c`). Versioning, object lock, encryption and bucket policies are not modelled.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { decodeAwsChunked, isAwsChunked, readBody, sendXml, xmlEscape } from './http';
import { bucketFolder, type DataLayout } from './layout';

/** Largest single PUT S3 accepts: 5 GB (Amazon S3 User Guide, "Uploading objects"). Bounded lower here: a local runtime. */
const MAX_PUT_BYTES = 512 * 1024 * 1024;

export interface ObjectMeta {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly etag: string;
  readonly lastModified: string;
  readonly size: number;
}

export class S3Error extends Error {
  public constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly key?: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/** Compares keys as S3 orders them: by their UTF-8 bytes. */
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export class FolderS3 {
  private readonly buckets: Set<string>;

  public constructor(
    private readonly layout: DataLayout,
    buckets: readonly string[],
  ) {
    this.buckets = new Set(buckets);
    for (const b of buckets) mkdirSync(bucketFolder(layout, b), { recursive: true });
    mkdirSync(layout.tmp, { recursive: true });
  }

  public bucketNames(): string[] {
    return [...this.buckets].sort();
  }

  private bucket(name: string): string {
    if (!this.buckets.has(name)) throw new S3Error(404, 'NoSuchBucket', `The specified bucket does not exist: ${name}`);
    return bucketFolder(this.layout, name);
  }

  /** The file of a key, or S3Error(400) when a folder cannot hold the key. */
  public fileOf(bucket: string, key: string): string {
    const root = this.bucket(bucket);
    if (key === '') throw new S3Error(400, 'InvalidArgument', 'empty key');
    const parts = key.split('/');
    if (key.endsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes('\0')) {
      throw new S3Error(400, 'InvalidArgument', `the local bucket keeps objects as files and cannot hold key ${JSON.stringify(key)} (empty, "." or ".." segments, or a trailing "/")`, key);
    }
    return path.join(root, ...parts);
  }

  private metaFile(bucket: string, key: string): string {
    return path.join(this.layout.s3meta, bucket, `${key}.json`);
  }

  public put(bucket: string, key: string, body: Buffer, meta: Omit<ObjectMeta, 'etag' | 'lastModified' | 'size'> = {}): ObjectMeta {
    const file = this.fileOf(bucket, key);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch {
      throw new S3Error(400, 'InvalidArgument', `the local bucket cannot hold key ${JSON.stringify(key)}: a part of its path is an object`, key);
    }
    try {
      if (statSync(file).isDirectory()) throw new S3Error(400, 'InvalidArgument', `the local bucket cannot hold key ${JSON.stringify(key)}: other keys start with "${key}/"`, key);
    } catch (err) {
      if (err instanceof S3Error) throw err;
    }
    const full: ObjectMeta = { ...meta, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: new Date().toUTCString(), size: body.length };
    const tmp = path.join(this.layout.tmp, `${randomBytes(8).toString('hex')}.part`);
    writeFileSync(tmp, body);
    const metaFile = this.metaFile(bucket, key);
    mkdirSync(path.dirname(metaFile), { recursive: true });
    writeFileSync(`${metaFile}.tmp`, JSON.stringify(full));
    renameSync(`${metaFile}.tmp`, metaFile);
    renameSync(tmp, file);
    return full;
  }

  public head(bucket: string, key: string): ObjectMeta {
    const file = this.fileOf(bucket, key);
    let size: number;
    let mtime: Date;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
      mtime = st.mtime;
    } catch {
      throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', key);
    }
    try {
      const m = JSON.parse(readFileSync(this.metaFile(bucket, key), 'utf8')) as ObjectMeta;
      if (m.size === size) return m;
    } catch {
      // no sidecar: an object put into the folder by hand
    }
    return { etag: `"${createHash('md5').update(readFileSync(file)).digest('hex')}"`, lastModified: mtime.toUTCString(), size };
  }

  public get(bucket: string, key: string): { body: Buffer; meta: ObjectMeta } {
    const meta = this.head(bucket, key);
    return { body: readFileSync(this.fileOf(bucket, key)), meta };
  }

  public delete(bucket: string, key: string): void {
    const file = this.fileOf(bucket, key);
    rmSync(file, { force: true });
    rmSync(this.metaFile(bucket, key), { force: true });
    // Empty folders are not objects: remove them up to the bucket's folder.
    const root = this.bucket(bucket);
    for (let dir = path.dirname(file); dir.startsWith(`${root}${path.sep}`); dir = path.dirname(dir)) {
      try {
        if (readdirSync(dir).length > 0) break;
        rmSync(dir, { recursive: false, force: true });
      } catch {
        break;
      }
    }
  }

  public setTags(bucket: string, key: string, tags: Record<string, string>): void {
    const meta = this.head(bucket, key);
    const file = this.metaFile(bucket, key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ ...meta, tags }));
  }

  /** Every key under `prefix`, in S3's order. */
  public keys(bucket: string, prefix: string): string[] {
    const root = this.bucket(bucket);
    const cut = prefix.lastIndexOf('/');
    const base = cut === -1 ? '' : prefix.slice(0, cut + 1);
    const start = base === '' ? root : path.join(root, ...base.slice(0, -1).split('/'));
    const out: string[] = [];
    const walk = (dir: string, keyPrefix: string): void => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const key = `${keyPrefix}${e.name}`;
        if (e.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) walk(path.join(dir, e.name), `${key}/`);
        } else if (e.isFile() && key.startsWith(prefix)) out.push(key);
      }
    };
    if (base.split('/').some((p, i, all) => i < all.length - 1 && (p === '' || p === '.' || p === '..'))) return [];
    walk(start, base);
    return out.sort(byUtf8);
  }

  // -------------------------------------------------------------------------------------------
  // REST
  // -------------------------------------------------------------------------------------------

  /** Serves one S3 REST request. */
  public async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      await this.route(req, res, requestId);
    } catch (err) {
      const e = err instanceof S3Error ? err : new S3Error(500, 'InternalError', (err as Error).message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(e.status, { 'x-amz-request-id': requestId, 'x-amz-error-code': e.code }).end();
        return;
      }
      sendXml(
        res,
        e.status,
        `<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message>${e.key !== undefined ? `<Key>${xmlEscape(e.key)}</Key>` : ''}<RequestId>${requestId}</RequestId></Error>`,
        { 'x-amz-request-id': requestId },
      );
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    // The raw path, not a URL's: URL parsing would resolve "." and ".." segments of a key.
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const rawPath = at === -1 ? raw : raw.slice(0, at);
    const q = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
    const method = (req.method ?? 'GET').toUpperCase();
    // Virtual-hosted style: <bucket>.localhost[:port].
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    let bucket: string | undefined;
    let key: string;
    const hosted = /^(.+)\.localhost$/.exec(host)?.[1];
    if (hosted !== undefined && this.buckets.has(hosted)) {
      bucket = hosted;
      key = decodeURIComponent(rawPath.slice(1));
    } else {
      const parts = rawPath.slice(1).split('/');
      bucket = parts[0] === '' ? undefined : decodeURIComponent(parts[0]!);
      key = parts.slice(1).map(decodeURIComponent).join('/');
    }
    const url = { pathname: rawPath, search: at === -1 ? '' : raw.slice(at) };
    const common = { 'x-amz-request-id': requestId };
    if (bucket === undefined) {
      if (method !== 'GET') throw new S3Error(405, 'MethodNotAllowed', `${method} on the service`);
      const list = this.bucketNames()
        .map((b) => `<Bucket><Name>${xmlEscape(b)}</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket>`)
        .join('');
      sendXml(res, 200, `<ListAllMyBucketsResult><Owner><ID>local</ID></Owner><Buckets>${list}</Buckets></ListAllMyBucketsResult>`, common);
      return;
    }
    this.bucket(bucket);
    if (key === '') {
      if (method === 'HEAD') {
        res.writeHead(200, common).end();
        return;
      }
      if (method === 'GET' && (q.get('list-type') === '2' || q.size === 0 || q.has('prefix'))) return this.list(res, bucket, q, common);
      if (method === 'POST' && q.has('delete')) return this.deleteMany(req, res, bucket, common);
      throw new S3Error(501, 'NotImplemented', `the local S3 does not implement ${method} ${url.pathname}${url.search}`);
    }
    if (q.has('tagging')) {
      if (method === 'GET') {
        const tags = this.head(bucket, key).tags ?? {};
        const set = Object.entries(tags)
          .map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`)
          .join('');
        sendXml(res, 200, `<Tagging><TagSet>${set}</TagSet></Tagging>`, common);
        return;
      }
      if (method === 'PUT') {
        const body = (await this.body(req)).toString('utf8');
        const tags: Record<string, string> = {};
        for (const m of body.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)) tags[unescapeXml(m[1]!)] = unescapeXml(m[2]!);
        this.setTags(bucket, key, tags);
        res.writeHead(200, common).end();
        return;
      }
    }
    switch (method) {
      case 'GET':
      case 'HEAD':
        return this.getObject(req, res, bucket, key, common);
      case 'PUT': {
        const source = req.headers['x-amz-copy-source'];
        if (typeof source === 'string') return this.copy(req, res, bucket, key, source, common);
        const body = await this.body(req);
        const meta = this.put(bucket, key, body, metaFromHeaders(req));
        res.writeHead(200, { ...common, etag: meta.etag }).end();
        return;
      }
      case 'DELETE':
        this.delete(bucket, key);
        res.writeHead(204, common).end();
        return;
      default:
        throw new S3Error(405, 'MethodNotAllowed', `${method} on an object`);
    }
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const raw = await readBody(req, MAX_PUT_BYTES);
    return isAwsChunked(req) ? decodeAwsChunked(raw) : raw;
  }

  private getObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, common: Record<string, string>): void {
    const meta = this.head(bucket, key);
    const headers: Record<string, string> = {
      ...common,
      etag: meta.etag,
      'last-modified': meta.lastModified,
      'accept-ranges': 'bytes',
      'content-type': meta.contentType ?? 'binary/octet-stream',
      ...(meta.contentEncoding !== undefined ? { 'content-encoding': meta.contentEncoding } : {}),
      ...(meta.cacheControl !== undefined ? { 'cache-control': meta.cacheControl } : {}),
      ...(meta.tags !== undefined ? { 'x-amz-tagging-count': String(Object.keys(meta.tags).length) } : {}),
    };
    for (const [k, v] of Object.entries(meta.metadata ?? {})) headers[`x-amz-meta-${k}`] = v;
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === meta.etag || t.trim() === '*')) {
      res.writeHead(304, headers).end();
      return;
    }
    const im = req.headers['if-match'];
    if (typeof im === 'string' && !im.split(',').some((t) => t.trim() === meta.etag || t.trim() === '*')) throw new S3Error(412, 'PreconditionFailed', 'At least one of the preconditions you specified did not hold.');
    let start = 0;
    let end = meta.size - 1;
    let status = 200;
    const range = req.headers.range;
    if (typeof range === 'string') {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m !== null && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') start = Math.max(0, meta.size - Number(m[2]));
        else {
          start = Number(m[1]);
          end = m[2] === '' ? meta.size - 1 : Math.min(Number(m[2]), meta.size - 1);
        }
        if (start >= meta.size || start > end) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
      }
    }
    headers['content-length'] = String(meta.size === 0 ? 0 : end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || meta.size === 0) {
      res.end();
      return;
    }
    createReadStream(this.fileOf(bucket, key), { start, end }).pipe(res);
  }

  private copy(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, source: string, common: Record<string, string>): void {
    const decoded = decodeURIComponent(source.replace(/^\//, '').split('?')[0]!);
    const slash = decoded.indexOf('/');
    if (slash <= 0) throw new S3Error(400, 'InvalidArgument', `bad x-amz-copy-source ${source}`);
    const from = this.get(decoded.slice(0, slash), decoded.slice(slash + 1));
    const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
    const tagging = req.headers['x-amz-tagging-directive'] === 'REPLACE' ? parseTagging(req.headers['x-amz-tagging']) : from.meta.tags;
    const base = replace ? metaFromHeaders(req) : { contentType: from.meta.contentType, contentEncoding: from.meta.contentEncoding, cacheControl: from.meta.cacheControl, metadata: from.meta.metadata };
    const meta = this.put(bucket, key, from.body, { ...stripUndefined(base), ...(tagging !== undefined ? { tags: tagging } : {}) });
    sendXml(res, 200, `<CopyObjectResult><ETag>${xmlEscape(meta.etag)}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`, common);
  }

  private async deleteMany(req: IncomingMessage, res: ServerResponse, bucket: string, common: Record<string, string>): Promise<void> {
    const body = (await this.body(req)).toString('utf8');
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(body);
    const deleted: string[] = [];
    const errors: string[] = [];
    for (const m of body.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)) {
      const key = unescapeXml(m[1]!);
      try {
        this.delete(bucket, key);
        if (!quiet) deleted.push(`<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`);
      } catch (err) {
        const e = err instanceof S3Error ? err : new S3Error(500, 'InternalError', String(err));
        errors.push(`<Error><Key>${xmlEscape(key)}</Key><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error>`);
      }
    }
    sendXml(res, 200, `<DeleteResult>${deleted.join('')}${errors.join('')}</DeleteResult>`, common);
  }

  private list(res: ServerResponse, bucket: string, q: URLSearchParams, common: Record<string, string>): void {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000) || 0));
    const token = q.get('continuation-token');
    const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    const all = this.keys(bucket, prefix).filter((k) => after === '' || byUtf8(k, after) > 0);
    const contents: string[] = [];
    const common2 = new Set<string>();
    let last = '';
    let truncated = false;
    for (const k of all) {
      const at = delimiter !== '' ? k.indexOf(delimiter, prefix.length) : -1;
      const group = at !== -1 ? k.slice(0, at + delimiter.length) : undefined;
      // A common prefix counts once, however many keys it rolls up.
      if (group !== undefined && common2.has(group)) {
        last = k;
        continue;
      }
      if (contents.length + common2.size >= maxKeys) {
        truncated = true;
        break;
      }
      last = k;
      if (group !== undefined) {
        common2.add(group);
        continue;
      }
      const m = this.head(bucket, k);
      contents.push(
        `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${new Date(m.lastModified).toISOString()}</LastModified><ETag>${xmlEscape(m.etag)}</ETag><Size>${m.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
    }
    const xml = [
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>`,
      delimiter !== '' ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${contents.length + common2.size}</KeyCount><IsTruncated>${truncated}</IsTruncated>`,
      token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
      truncated ? `<NextContinuationToken>${Buffer.from(lastOfGroup(last, delimiter, prefix), 'utf8').toString('base64url')}</NextContinuationToken>` : '',
      ...contents,
      ...[...common2].map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`),
      '</ListBucketResult>',
    ].join('');
    sendXml(res, 200, xml, common);
  }
}

/** The key to continue after: past every key of the last common prefix when the last entry was one. */
function lastOfGroup(last: string, delimiter: string, prefix: string): string {
  if (delimiter === '') return last;
  const at = last.indexOf(delimiter, prefix.length);
  return at === -1 ? last : `${last.slice(0, at + delimiter.length)}\u{10FFFF}`;
}

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[e] !== undefined) return named[e];
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function parseTagging(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'string') return undefined;
  return Object.fromEntries(new URLSearchParams(v));
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function metaFromHeaders(req: IncomingMessage): Omit<ObjectMeta, 'etag' | 'lastModified' | 'size'> {
  const h = req.headers;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice('x-amz-meta-'.length)] = v;
  // aws-chunked is a transfer detail, not the object's encoding.
  const encoding = typeof h['content-encoding'] === 'string' ? h['content-encoding'].split(',').map((e) => e.trim()).filter((e) => e !== 'aws-chunked').join(',') : '';
  const tags = parseTagging(h['x-amz-tagging']);
  return {
    ...(typeof h['content-type'] === 'string' ? { contentType: h['content-type'] } : {}),
    ...(encoding !== '' ? { contentEncoding: encoding } : {}),
    ...(typeof h['cache-control'] === 'string' ? { cacheControl: h['cache-control'] } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(tags !== undefined ? { tags } : {}),
  };
}
