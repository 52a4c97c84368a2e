/**
 * `npm run types`: TypeScript types from the contracts, reproducible, and precise enough that the
 * TypeScript compiler rejects a wrong `track()` call (checked with the compiler API, against the
 * typed signature that the tracker client's `createTracker<EventMap>()` gains).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { typesForConfig } from '../../cli/types/catalog';
import { generateEventTypes, typeName } from '../../cli/types/types';
import { FIXTURE_CONFIG, loadWithContracts } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');

/** The typed tracker signature (the client patch in docs/contracts.md adds exactly this). */
const TRACKER_SIGNATURE = `
export type EventMap = { readonly [app: string]: { readonly [eventType: string]: object } };
export interface Tracker<M extends EventMap = EventMap> {
  track<A extends keyof M & string, T extends keyof M[A] & string>(app: A, eventType: T, event: M[A][T]): Promise<void>;
}
`;

function compile(files: Record<string, string>): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'tracking-types-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const program = ts.createProgram(
      Object.keys(files).map((f) => path.join(dir, f)),
      { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, isolatedModules: true, exactOptionalPropertyTypes: false, skipLibCheck: true, types: [] },
    );
    return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ''}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('npm run types', () => {
  it('is reproducible: the same config gives the same bytes, sorted, without timestamps', () => {
    const a = typesForConfig(FIXTURE_CONFIG);
    const b = typesForConfig(FIXTURE_CONFIG);
    expect(a).toBe(b);
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(a.indexOf('MobileAppAppOpenEvent')).toBeLessThan(a.indexOf('WebShopCheckoutCompletedEvent'));
  });

  it('does not depend on the order of the config', () => {
    const { specs } = loadWithContracts();
    const types = specs('dev').map((t) => ({ key: t.key, application: t.application, eventType: t.name, ...(t.contract ? { contract: t.contract } : {}) }));
    expect(generateEventTypes([...types].reverse(), 'x.yaml')).toBe(generateEventTypes(types, 'x.yaml'));
  });

  it('names types after application and event type', () => {
    expect(typeName('web-shop', 'checkout_completed')).toBe('WebShopCheckoutCompletedEvent');
    expect(typeName('3d-app', 'open')).toBe('_3dAppOpenEvent');
  });

  it('types track() per application and event type: good calls compile, each mistake is a compile error', () => {
    // Prepare
    const generated = typesForConfig(FIXTURE_CONFIG);
    const usage = `
import type { TrackingEvents } from './tracking-events';
import type { Tracker } from './tracker';
declare const tracker: Tracker<TrackingEvents>;

export async function good(): Promise<void> {
  await tracker.track('web-shop', 'checkout_completed', {
    order_id: 'o-1', amount: 12.5, currency: 'EUR', items: [{ sku: 'SHOE-42', quantity: 1 }], coupon: null,
  });
  await tracker.track('web-shop', 'checkout_completed', {
    app: 'web-shop', event_id: 'e-1', order_id: 'o-2', amount: 1, currency: 'GBP', items: [{ sku: 'A', quantity: 2, price: 3 }],
    customer: { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', new: true }, paid_at: '2026-11-21T09:15:10Z',
  });
  await tracker.track('web-shop', 'search', { query: 'shoes', filters: ['price', 'size'] });
  await tracker.track('mobile-app', 'app_open', { os: 'ios', launch_ms: 340 });
  await tracker.track('web-shop', 'page_view', { anything: { goes: [1, 'two'] } });
}

export async function bad(): Promise<void> {
  // @ts-expect-error amount must be a number
  await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: '12', currency: 'EUR', items: [] });
  // @ts-expect-error currency is required
  await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: 12, items: [] });
  // @ts-expect-error CHF is not an allowed currency
  await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: 12, currency: 'CHF', items: [] });
  // @ts-expect-error discount is not declared (the object is closed)
  await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: 12, currency: 'EUR', items: [], discount: 5 });
  // @ts-expect-error sku is required in each item
  await tracker.track('web-shop', 'checkout_completed', { order_id: 'o-1', amount: 12, currency: 'EUR', items: [{ quantity: 1 }] });
  // @ts-expect-error the envelope's app is fixed per application
  await tracker.track('web-shop', 'checkout_completed', { app: 'mobile-app', order_id: 'o-1', amount: 12, currency: 'EUR', items: [] });
  // @ts-expect-error refund_issued is not an event type of web-shop
  await tracker.track('web-shop', 'refund_issued', {});
  // @ts-expect-error app_open belongs to mobile-app
  await tracker.track('web-shop', 'app_open', { os: 'ios' });
  // @ts-expect-error os must be ios or android
  await tracker.track('mobile-app', 'app_open', { os: 'windows' });
}
`;

    // Act
    const diagnostics = compile({ 'tracking-events.ts': generated, 'tracker.ts': TRACKER_SIGNATURE, 'usage.ts': usage });

    // Assess: no diagnostics means every good call compiled and every @ts-expect-error line failed.
    expect(diagnostics).toEqual([]);
  });

  it('writes the file from the CLI and --check tells whether it is up to date', () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), 'tracking-types-cli-'));
    const out = path.join(dir, 'tracking-events.ts');
    const run = (...args: string[]): string => execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'types', 'main.js'), '--config', FIXTURE_CONFIG, '--out', out, ...args], { encoding: 'utf8', cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // Act / Assess
      expect(() => run('--check')).toThrow(/is not up to date/);
      run();
      expect(readFileSync(out, 'utf8')).toBe(typesForConfig(FIXTURE_CONFIG));
      expect(run('--check')).toMatch(/is up to date/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
