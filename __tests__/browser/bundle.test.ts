/** The browser tracker as shipped: one self-contained ES module within 5 KB minified and gzipped. */
import { bundleBrowserTracker, MAX_GZIP_BYTES } from '../../client/browser/bundle';

describe('browser tracker bundle', () => {
  const bundle = bundleBrowserTracker();

  it(`is at most ${MAX_GZIP_BYTES} bytes minified and gzipped`, () => {
    expect(bundle.gzipBytes).toBeLessThanOrEqual(MAX_GZIP_BYTES);
    expect(bundle.gzipBytes).toBeGreaterThan(500); // it is the real tracker, not an empty file
  });

  it('is a dependency-free ES module exporting init, track, flush and createTracker', () => {
    expect(bundle.code).not.toMatch(/\bimport\s*[{("'*]|\brequire\(/);
    const exported = /export\s*\{([^}]*)\}/.exec(bundle.code)?.[1] ?? '';
    const names = exported.split(',').map((e) => e.trim().split(/\s+as\s+/).pop());
    expect(names.sort()).toEqual(['createTracker', 'flush', 'init', 'track']);
  });

  it('sets no cookie and reads no personal data from the browser', () => {
    expect(bundle.code).not.toMatch(/document\.cookie|userAgent|geolocation|navigator\.language|screen\.|document\.referrer|location\.href/);
    expect(bundle.code).toContain('credentials:"omit"');
  });
});
