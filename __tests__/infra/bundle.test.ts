/**
 * Lambda asset folders (modules/bundle.ts): content-addressed, so that synths running at the same
 * time in one project (two configs, cdktf and CDK Terrain, parallel test workers) never share a
 * folder whose files differ, and never zip another config's settings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bundleFunction } from '../../modules/bundle';

const OUT = 'dist/test-assets/bundle-test';

describe('bundleFunction', () => {
  it('gives different contents different folders, and the same content the same folder, each holding exactly its files', () => {
    // Prepare / Act: the same function with two settings files (two configs), then the first again.
    const a = bundleFunction({ name: 'collector', outDir: OUT, extraFiles: { 'settings.json': '{"environment":"dev"}' } });
    const b = bundleFunction({ name: 'collector', outDir: OUT, extraFiles: { 'settings.json': '{"environment":"prod"}' } });
    const again = bundleFunction({ name: 'collector', outDir: OUT, extraFiles: { 'settings.json': '{"environment":"dev"}' } });

    // Assess
    expect(a.dir).not.toBe(b.dir);
    expect(again.dir).toBe(a.dir);
    expect(again.sourceHash).toBe(a.sourceHash);
    expect(readFileSync(path.join(a.dir, 'settings.json'), 'utf8')).toBe('{"environment":"dev"}');
    expect(readFileSync(path.join(b.dir, 'settings.json'), 'utf8')).toBe('{"environment":"prod"}');
    for (const dir of [a.dir, b.dir]) expect(readdirSync(dir).sort()).toEqual(['index.js', 'settings.json']);
    // No temporary file is left beside the folders either.
    expect(readdirSync(path.dirname(a.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
