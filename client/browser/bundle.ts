/**
 * Builds the browser tracker for shipping: one dependency-free ES module (client/browser/index.ts
 * and the protocol constants it imports, nothing else), minified. Used by the size test, the
 * browser tests and the benchmark; for your site:
 *
 *   npx esbuild client/browser/index.ts --bundle --format=esm --minify --target=es2020 --outfile=tracker.js
 *
 * Build-time only (esbuild): the tracker itself never imports this file.
 */
import { buildSync } from 'esbuild';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The tracker's entry point, found from here upwards (this file also runs compiled into dist/). */
function entryPoint(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'index.ts'), path.join(dir, 'client', 'browser', 'index.ts')]) {
      if (existsSync(candidate) && existsSync(path.join(path.dirname(candidate), 'bundle.ts'))) return candidate;
    }
    if (path.dirname(dir) === dir) throw new Error(`client/browser/index.ts not found above ${__dirname}`);
  }
}

/** Browsers the bundle targets: ES2020 (every evergreen browser since 2020). */
export const BROWSER_TARGET = 'es2020';
/** The size budget, minified and gzipped. */
export const MAX_GZIP_BYTES = 5 * 1024;

export interface BrowserBundle {
  /** The minified ES module. */
  readonly code: string;
  readonly bytes: number;
  /** Minified and gzipped (level 9), as a CDN would serve it. */
  readonly gzipBytes: number;
}

export function bundleBrowserTracker(): BrowserBundle {
  const out = buildSync({
    entryPoints: [entryPoint()],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: BROWSER_TARGET,
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}
