/**
 * Reads the entries of a ZIP archive (the Lambda assets `cdktf synth` writes), with Node's zlib
 * only: the end-of-central-directory record, then each central directory entry and its local
 * header; stored (0) and deflated (8) entries. No ZIP64, no encryption: neither occurs in an asset.
 * Format: PKWARE APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory header),
 * 4.3.16 (end of central directory).
 */
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every file of the archive: name -> bytes (folders left out). */
export function unzipEntries(zip: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP archive: no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw new Error(`ZIP central directory entry ${n} is malformed`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (zip.readUInt32LE(local) !== LOCAL) throw new Error(`ZIP local header of ${name} is malformed`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : undefined;
    if (data === undefined) throw new Error(`ZIP entry ${name} uses compression method ${method}`);
    if (data.length !== size) throw new Error(`ZIP entry ${name} is ${data.length} bytes, the directory says ${size}`);
    out.set(name, data);
  }
  return out;
}
