/**
 * Every command is its own entry point. esbuild bundles the `require.main === module` block of every
 * file it pulls into a command, where `module` is the command's own module: a module that another
 * one imports and that has a main block would run its command line inside the importing command too
 * (`npm run migrate -- --help` printed review's usage; with real arguments, whichever main finished
 * first ended the process). This test bundles every source file the way scripts/build.mjs does
 * (esbuild, dependencies external) and reads esbuild's own list of the files each bundle holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');
/** Folders that hold no source of ours, or only tests. */
const SKIP = new Set(['node_modules', 'dist', 'cdktf.out', '__tests__', 'terrain', 'coverage', '.git', '.gen', 'generated', 'terraform-state']);
const MAIN_BLOCK = /require\.main\s*===\s*module|module\s*===\s*require\.main/;

/** Whether a file's code (comments removed) has a main block. */
function hasMainBlock(file: string): boolean {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
  return MAIN_BLOCK.test(code);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts|cts)$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(full);
  }
  return out;
}

describe('entry points', () => {
  it('detects a main block in code, not in comments', () => {
    expect(hasMainBlock(path.join(ROOT, 'scripts', 'review.ts'))).toBe(true);
    expect(hasMainBlock(path.join(ROOT, 'scripts', 'review-synth.ts'))).toBe(false);
  });

  it('no module that another module imports has a main block (esbuild would run it inside the importer)', async () => {
    // Prepare: every source file as an entry point, as scripts/build.mjs bundles main.ts, bench/ and scripts/
    const entries = sourceFiles(ROOT).map((f) => path.relative(ROOT, f));
    expect(entries).toEqual(expect.arrayContaining(['main.ts', 'scripts/review.ts', 'scripts/migrate.ts']));

    // Act
    const result = await build({
      entryPoints: entries,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      outdir: 'out',
      outbase: '.',
      absWorkingDir: ROOT,
      logLevel: 'silent',
    });

    // Assess: for each bundle, the files besides its own entry point that carry a main block
    const offenders: string[] = [];
    for (const output of Object.values(result.metafile.outputs)) {
      if (output.entryPoint === undefined) continue;
      for (const input of Object.keys(output.inputs)) {
        if (input === output.entryPoint || input.includes('node_modules')) continue;
        if (hasMainBlock(path.join(ROOT, input))) offenders.push(`${output.entryPoint} bundles ${input}, which has a main block`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
