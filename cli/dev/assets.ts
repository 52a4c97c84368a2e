/**
 * A function's code as Lambda would run it: the zip Terraform uploads (the evaluated `filename`,
 * in the synthesized stack folder), unzipped byte for byte into the data directory, after checking
 * that its content is what the evaluated `source_code_hash` says.
 *
 * The hash rule is the one modules/bundle.ts applies when it builds the asset: SHA-256 (base64)
 * over index.js, then, for every other file in name order, "\0<name>\0<content>", where a gzip
 * file counts as its uncompressed text. A zip that does not match (a stale or hand-edited asset)
 * is refused, so the runtime never runs other code than the stack would deploy.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LocalModelError } from './errors';
import type { LocalFunction } from './resources';
import { readZip, type ZipEntry } from './zip';

/** The `source_code_hash` of a set of files, by modules/bundle.ts's rule. */
export function contentHash(entries: readonly ZipEntry[]): string | undefined {
  const index = entries.find((e) => e.name === 'index.js');
  if (index === undefined) return undefined;
  const hash = createHash('sha256').update(index.data.toString('utf8'));
  const rest = entries.filter((e) => e.name !== 'index.js').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of rest) hash.update(`\0${e.name}\0${(e.name.endsWith('.gz') ? gunzipSync(e.data) : e.data).toString('utf8')}`);
  return hash.digest('base64');
}

export interface UnpackedFunction {
  /** The task root: the folder holding the zip's files. */
  readonly dir: string;
  /** SHA-256 (hex) of the zip file. */
  readonly zipSha256: string;
  readonly files: readonly string[];
}

/** Unzips the function's asset into `<root>/<function name>/<zip sha256>/` (reused when present). */
export function unpackFunction(fn: LocalFunction, root: string): UnpackedFunction {
  let zip: Buffer;
  try {
    zip = readFileSync(fn.zipFile);
  } catch (err) {
    throw new LocalModelError(`${fn.address}: cannot read its asset ${fn.zipFile} (${(err as Error).message})`);
  }
  const entries = readZip(zip, fn.zipFile);
  const hash = contentHash(entries);
  if (hash !== fn.sourceCodeHash) {
    throw new LocalModelError(
      `${fn.address}: the asset ${fn.zipFile} hashes to ${String(hash)}, but the evaluated source_code_hash is ${fn.sourceCodeHash}; the zip is not the code the stack deploys (synthesize again)`,
    );
  }
  const zipSha256 = createHash('sha256').update(zip).digest('hex');
  const dir = path.join(root, fn.name, zipSha256.slice(0, 32));
  // The folder appears by one rename once every file is written: its presence means it is complete.
  if (!existsSync(dir)) {
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    for (const e of entries) {
      const file = path.join(tmp, e.name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, e.data);
    }
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(tmp, dir);
  }
  return { dir, zipSha256, files: entries.map((e) => e.name) };
}
