/**
 * Reads the entries of a zip archive (the Lambda assets cdktf writes): the central directory, then
 * each entry's stored or deflated bytes, checked against its CRC-32. Enough for the archives synth
 * writes (no ZIP64, no encryption, no multi-disk); anything else is refused with the reason.
 * Format: PKWARE APPNOTE.TXT, sections 4.3.7 (local file header), 4.3.12 (central directory
 * header) and 4.3.16 (end of central directory record).
 *
 * Written here rather than taken from a package: it is 80 lines over node:zlib, and the zip
 * libraries in the tree (yauzl, archiver's deps) are only transitive dependencies of other tools.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

export class ZipFormatError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every file entry of the archive (folders skipped), in central-directory order. */
export function readZip(archive: Buffer, source = 'archive'): ZipEntry[] {
  const fail = (what: string): never => {
    throw new ZipFormatError(`${source}: ${what}`);
  };
  // The end-of-central-directory record is 22 bytes plus a comment of up to 65,535 bytes.
  let eocd = -1;
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 22 - 65_535); i--) {
    if (archive.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end of central directory record (not a zip file)');
  const count = archive.readUInt16LE(eocd + 10);
  const size = archive.readUInt32LE(eocd + 12);
  let at = archive.readUInt32LE(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || at === 0xffffffff) fail('ZIP64 archives are not supported');
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > archive.length || archive.readUInt32LE(at) !== CENTRAL) fail(`central directory entry ${n} is malformed`);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressed = archive.readUInt32LE(at + 20);
    const uncompressed = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localAt = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if ((flags & 0x1) !== 0) fail(`${name} is encrypted`);
    if (localAt + 30 > archive.length || archive.readUInt32LE(localAt) !== LOCAL) fail(`${name}: local header is malformed`);
    const start = localAt + 30 + archive.readUInt16LE(localAt + 26) + archive.readUInt16LE(localAt + 28);
    const raw = archive.subarray(start, start + compressed);
    if (raw.length !== compressed) fail(`${name} is truncated`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else return fail(`${name} uses compression method ${method} (only stored and deflated entries are read)`);
    if (data.length !== uncompressed) fail(`${name}: ${data.length} bytes inflated, the directory says ${uncompressed}`);
    if (crc32(data) !== crc) fail(`${name}: CRC-32 mismatch`);
    if (name.split('/').some((part) => part === '..' || part === '') || name.startsWith('/')) fail(`${name}: unsafe entry path`);
    out.push({ name, data });
  }
  return out;
}
