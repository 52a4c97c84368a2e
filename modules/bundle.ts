import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** Repository root (the folder holding cdktf.json): function entries and asset folders resolve against it. */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'cdktf.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cdktf.json not found above ${start}`);
  }
}

/** A binary extra file (for example compressed data) and the text its content stands for. */
export interface ExtraFileBytes {
  readonly bytes: Uint8Array;
  /**
   * What `sourceHash` covers for this file: its logical content (for a compressed file, the
   * uncompressed text), so that the hash does not depend on the compressor's bytes.
   */
  readonly hashedAs: string;
}

export interface BundleFunctionProps {
  /** Function name as used in `functions/<name>/handler.ts`. */
  readonly name: string;
  /**
   * Extra files written next to `index.js` in the asset folder (for example a routing table), as
   * text or as bytes.
   * @default - none
   */
  readonly extraFiles?: Readonly<Record<string, string | ExtraFileBytes>>;
  /**
   * Folder, relative to the project root, that receives the bundle.
   * @default `dist/assets/<name>`
   */
  readonly outDir?: string;
}

export interface FunctionBundle {
  /** Absolute path of the asset folder (index.js plus extra files). */
  readonly dir: string;
  /** Absolute path of the bundled handler. */
  readonly file: string;
  /** Base64 SHA-256 of the bundle and its extra files: changes only when their content changes. */
  readonly sourceHash: string;
  /** Size of index.js in bytes. */
  readonly bytes: number;
}

const cache = new Map<string, string>();

/** esbuild the handler once per process (several environments share the same bytes). */
function bundleSource(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const result = buildSync({
    entryPoints: [path.join(PROJECT_ROOT, 'functions', name, 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // The nodejs22.x runtime ships AWS SDK v3; bundling it pins the version we test against instead.
    external: [],
    write: false,
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for functions/${name}/handler.ts`);
  cache.set(name, out.text);
  return out.text;
}

/**
 * Bundles `functions/<name>/handler.ts` with esbuild into an asset folder whose content is stable:
 * the same sources give the same bytes, so `source_code_hash` only changes with the code.
 *
 * The folder is content-addressed, `<outDir>/<content hash>/`, and files are written atomically
 * (a temporary file, then a rename): synths running at the same time in one project (two
 * configs, cdktf and CDK Terrain side by side, parallel tests) never zip a folder another one is
 * writing, or a settings file of another config. Older versions stay until `dist/` is deleted.
 */
export function bundleFunction(props: BundleFunctionProps): FunctionBundle {
  const source = bundleSource(props.name);
  const hash = createHash('sha256').update(source);
  const extra = Object.entries(props.extraFiles ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [fileName, content] of extra) {
    if (fileName === 'index.js' || fileName !== path.basename(fileName)) {
      throw new Error(`extra file "${fileName}" of functions/${props.name}: use a plain file name other than index.js`);
    }
    hash.update(`\0${fileName}\0${typeof content === 'string' ? content : content.hashedAs}`);
  }
  const sourceHash = hash.digest('base64');
  const version = createHash('sha256').update(sourceHash).digest('hex').slice(0, 20);
  const dir = path.join(PROJECT_ROOT, props.outDir ?? path.join('dist', 'assets', props.name), version);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.js');
  writeIfChanged(file, source);
  for (const [fileName, content] of extra) writeIfChanged(path.join(dir, fileName), typeof content === 'string' ? content : content.bytes);
  // The zip is made from the whole folder while the hash covers only these files: a file left
  // over (a hand edit) would ship without changing source_code_hash. Remove it.
  const expected = new Set(['index.js', ...extra.map(([fileName]) => fileName)]);
  for (const entry of readdirSync(dir)) {
    if (!expected.has(entry)) rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return { dir, file, sourceHash, bytes: Buffer.byteLength(source) };
}

function writeIfChanged(file: string, content: string | Uint8Array): void {
  try {
    const current = readFileSync(file);
    if (typeof content === 'string' ? current.toString('utf8') === content : Buffer.compare(current, content) === 0) return;
  } catch {
    // missing: write it
  }
  // Atomic: a reader (a concurrent synth zipping this folder) sees the old file or the new one, never
  // a part. The temporary file is written beside the folder, so that no zip ever holds it.
  const tmp = path.join(path.dirname(path.dirname(file)), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
