/**
 * The browser tracker typed per event type with `npm run types`: good calls compile, each mistake is
 * a compile error. Compiled with the compiler API as a browser application would (lib DOM, no Node
 * types), against the tracker's real source.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { typesForConfig } from '../../cli/types/catalog';
import { FIXTURE_CONFIG } from '../collector/factories';

const ROOT = path.resolve(__dirname, '..', '..');

function compile(usage: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'browser-types-'));
  try {
    mkdirSync(path.join(dir, 'client', 'browser'), { recursive: true });
    mkdirSync(path.join(dir, 'lib'), { recursive: true });
    cpSync(path.join(ROOT, 'client', 'browser', 'index.ts'), path.join(dir, 'client', 'browser', 'index.ts'));
    cpSync(path.join(ROOT, 'lib', 'collector-protocol.ts'), path.join(dir, 'lib', 'collector-protocol.ts'));
    writeFileSync(path.join(dir, 'tracking-events.ts'), typesForConfig(FIXTURE_CONFIG));
    writeFileSync(path.join(dir, 'usage.ts'), usage);
    const program = ts.createProgram([path.join(dir, 'usage.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2020,
      module: ts.ModuleKind.ES2020,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.relative(dir, d.file.fileName) : ''}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('browser tracker types', () => {
  it('compiles in a browser project (lib DOM) and checks track() per event type', () => {
    // Prepare
    const usage = `
import type { TrackingEvents } from './tracking-events';
import { init, track, flush } from './client/browser/index';

const shop = init<TrackingEvents['web-shop']>({ endpoint: 'https://collect.example.com', writeKey: 'tpk_x', app: 'web-shop' });
shop.track('checkout_completed', { order_id: 'o-1', amount: 12.5, currency: 'EUR', items: [{ sku: 'A-1', quantity: 1 }] });
shop.track('search', { query: 'shoes', filters: ['price'] });
shop.track('page_view', { anything: { goes: true } });
const id: string = shop.track('page_view');
void id;
track('any_type', { untyped: true });
void flush();

// @ts-expect-error amount must be a number
shop.track('checkout_completed', { order_id: 'o-1', amount: '12', currency: 'EUR', items: [] });
// @ts-expect-error currency is required
shop.track('checkout_completed', { order_id: 'o-1', amount: 12, items: [] });
// @ts-expect-error discount is not declared
shop.track('checkout_completed', { order_id: 'o-1', amount: 12, currency: 'EUR', items: [], discount: 5 });
// @ts-expect-error app_open is an event type of mobile-app, not web-shop
shop.track('app_open', { os: 'ios' });
// @ts-expect-error refund_issued is not an event type
shop.track('refund_issued', {});
`;

    // Act
    const diagnostics = compile(usage);

    // Assess: no diagnostics means the tracker compiles for browsers, good calls compile and every @ts-expect-error line failed.
    expect(diagnostics).toEqual([]);
  });
});
