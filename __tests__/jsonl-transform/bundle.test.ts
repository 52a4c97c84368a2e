import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import type { FunctionBundle } from '../../modules/bundle';
import { bundleJsonlTransform } from '../../modules/contracts';
import { captureLogs, decodeText, expectedValues, FIXTURE_EXPECTATIONS, isValidJsonl, linesOf, type Handler } from './factories';

/**
 * Tests what ships: the esbuild output that synth puts into the Lambda asset, with the contract
 * table of a function serving the fixtures' stream (no schema), loaded with require.
 */
describe('jsonl-transform bundle (dist/assets/<function>/index.js + contracts.json)', () => {
  let bundle: FunctionBundle;
  let handler: Handler;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(() => {
    bundle = bundleJsonlTransform({
      assetName: 'test-jsonl-transform-no-contract',
      environment: 'dev',
      eventTypes: [{ key: 'web-shop/page_view', deliveryStreamName: 'acme-dev-web-shop-page_view' }],
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(bundle.file) as { handler?: unknown };
    if (typeof loaded.handler !== 'function') throw new Error('bundle does not export handler');
    handler = loaded.handler as Handler;
  });
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('is small and has no runtime dependencies besides Node built-ins', () => {
    // Prepare
    const source = readFileSync(bundle.file, 'utf8');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

    // Act
    const required = [...source.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);

    // Assess
    expect(bundle.bytes).toBeLessThan(32 * 1024);
    expect(required.filter((name) => name === undefined || !builtins.has(name))).toEqual([]);
  });

  describe.each(FIXTURE_EXPECTATIONS)('on the $name fixture', ({ event, results, failureReasons }) => {
    it('answers every record with the expected result, valid JSON lines and original data for failures', async () => {
      // Prepare
      const input = event();

      // Act
      const response = await handler(input);

      // Assess
      expect(response.records.map((r) => r.recordId)).toEqual(input.records.map((r) => r.recordId));
      expect(response.records.map((r) => r.result)).toEqual(results);
      response.records.forEach((entry, k) => {
        const source = input.records[k];
        if (source === undefined) throw new Error('missing input record');
        if (entry.result === 'Ok') {
          expect(isValidJsonl(decodeText(entry.data))).toBe(true);
          expect(linesOf(entry.data).map((line) => JSON.parse(line) as unknown)).toEqual(expectedValues(source.data));
        } else {
          expect(entry.data).toBe(source.data);
        }
      });
    });

    it('logs one JSON line with the counts', async () => {
      // Prepare
      const input = event();

      // Act
      await handler(input);

      // Assess
      expect(logs.lines()).toEqual([expect.objectContaining({ records: results.length, dropped: 0, failureReasons })]);
    });
  });
});
