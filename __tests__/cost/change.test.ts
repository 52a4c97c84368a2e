/**
 * The cost change of a pull request (`costChange`, for `npm run review`), and the `npm run cost`
 * command line (the compiled dist/scripts/cost.js, built by jest's global setup).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../config/loader';
import { costChange, loadPriceTable, reviewCostSection } from '../../scripts/cost-lib';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, '__tests__', 'fixtures', 'cost', 'rates.yaml');
const TABLE = loadPriceTable();
const BASE_TEXT = readFileSync(FIXTURE, 'utf8');
const base = parseConfig(BASE_TEXT, 'base.yaml');

describe('costChange (the review section)', () => {
  it('says there is no change when nothing priced changed', () => {
    const r = costChange(base, parseConfig(BASE_TEXT, 'head.yaml'), TABLE);
    expect(r.delta).toBe(0);
    expect(r.markdown).toMatch(/No change to the estimated monthly cost \(\$[\d,.]+\)\./);
  });

  it('shows the change per environment and per event type, and flags a type that costs more than the rest', () => {
    // Prepare: a new event type at 4,000 events/s of 5 KB in prod (root stream: one event per record).
    const head = parseConfig(
      BASE_TEXT.replace('      - app_open', '      - app_open\n      - { name: telemetry, avgRecordsPerSecond: 4000, avgRecordBytes: 5120, transform: native }'),
      'head.yaml',
    );
    // Act
    const r = costChange(base, head, TABLE);
    // Assess
    const prod = r.perEnvironment.find((p) => p.environment === 'prod')!;
    const telemetry = r.eventTypes.find((t) => t.environment === 'prod' && t.key === 'mobile-app/telemetry')!;
    expect(telemetry.base).toBeUndefined();
    // Its Firehose ingestion alone: 4,000 x 5 KB / 1,048,576 KB per GB x 2,592,000 s x $0.029 (us-east-1).
    expect(telemetry.head!).toBeGreaterThan(((4_000 * 5) / 1_048_576) * 2_592_000 * 0.029);
    expect(prod.delta).toBeGreaterThan(telemetry.head!); // the router and the stream grow too
    expect(r.delta).toBeCloseTo(r.perEnvironment.reduce((n, p) => n + p.delta, 0), 6);
    expect(r.markdown).toContain('### Monthly cost change (estimate)');
    expect(r.markdown).toMatch(/\| prod \| \$[\d,.]+ \| \$[\d,.]+ \| \+\$[\d,.]+ \(\+[\d.]+ %\) \|/);
    expect(r.markdown).toMatch(/\| prod \| mobile-app\/telemetry \| \(new\) \| \$[\d,.]+ \| \+\$[\d,.]+ \|/);
    expect(r.markdown).toMatch(/⚠ prod: `mobile-app\/telemetry` would cost \$[\d,.]+\/month, more than everything else in prod together/);
  });

  it('lists new event types it cannot price, and removed ones as a saving', () => {
    const head = parseConfig(
      BASE_TEXT.replace('      - { name: product_view, avgRecordsPerSecond: 120, avgRecordBytes: 1200 }\n', '').replace('      - app_open', '      - app_open\n      - app_close'),
      'head.yaml',
    );
    const r = costChange(base, head, TABLE);
    expect(r.markdown).toContain('Not priced (no `avgRecordsPerSecond`): dev: `mobile-app/app_close` (new), prod: `mobile-app/app_close` (new).');
    const removed = r.eventTypes.filter((t) => t.key === 'web-shop/product_view');
    expect(removed).toHaveLength(2);
    for (const t of removed) {
      expect(t.head).toBeUndefined();
      expect(t.delta).toBeLessThan(0);
    }
    expect(r.markdown).toMatch(/\| web-shop\/product_view \| \$[\d,.]+ \| \(removed\) \| -\$[\d,.]+ \|/);
  });

  it('prices an environment that only one side has', () => {
    const head = parseConfig(BASE_TEXT.replace('environments:\n', 'environments:\n  qa:\n    region: us-east-1\n'), 'head.yaml');
    const r = costChange(base, head, TABLE);
    const qa = r.perEnvironment.find((p) => p.environment === 'qa')!;
    expect(qa.base).toBe(0);
    expect(qa.head).toBeGreaterThan(0);
  });
});

describe('reviewCostSection (what npm run review appends)', () => {
  it('reads both config files and never throws', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-review-'));
    try {
      const head = path.join(dir, 'head.yaml');
      writeFileSync(head, BASE_TEXT.replace('avgRecordsPerSecond: 500,', 'avgRecordsPerSecond: 1000,'));
      expect(reviewCostSection(FIXTURE, head)).toMatch(/\| web-shop\/page_view \| \$[\d,.]+ \| \$[\d,.]+ \| \+\$[\d,.]+ \|/);
      const broken = path.join(dir, 'broken.yaml');
      writeFileSync(broken, 'project: [');
      expect(reviewCostSection(broken, head)).toMatch(/^### Monthly cost change \(estimate\)\n\nNot computed: Invalid tracking config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run cost (dist/scripts/cost.js)', () => {
  const cli = (args: readonly string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'cost.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('prints Markdown tables per environment', () => {
    const r = cli(['--config', FIXTURE]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^## Monthly cost estimate: acme/);
    expect(r.stdout).toMatch(/### dev \(eu-central-1\): \$[\d,.]+\/month/);
    expect(r.stdout).toMatch(/\| web-shop\/page_view \| 500 \| 800 \|/);
    expect(r.stdout).toContain('| mobile-app/app_open | not declared |');
  });

  it('prints JSON with --json and honours --env', () => {
    const r = cli(['--config', FIXTURE, '--json', '--env', 'prod']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { environments: { environment: string; mode: string; total: number; eventTypes: { key: string }[] }[]; prices: { asOf: string } };
    expect(out.environments.map((e) => e.environment)).toEqual(['prod']);
    expect(out.environments[0]!.mode).toBe('root-stream');
    expect(out.environments[0]!.eventTypes.map((t) => t.key)).toContain('web-shop/page_view');
    expect(out.prices.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('applies --prices over the table', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-'));
    try {
      const file = path.join(dir, 'prices.json');
      writeFileSync(file, JSON.stringify({ regions: { 'eu-central-1': { firehose: { ingestionPerGB: { tiers: [{ upToGB: null, usd: 0.066 }] } } } } }));
      const plain = JSON.parse(cli(['--config', FIXTURE, '--json', '--env', 'dev']).stdout) as { environments: { eventTypes: { key: string; firehose: number }[] }[] };
      const doubled = JSON.parse(cli(['--config', FIXTURE, '--json', '--env', 'dev', '--prices', file]).stdout) as typeof plain;
      const fh = (o: typeof plain): number => o.environments[0]!.eventTypes.find((t) => t.key === 'web-shop/page_view')!.firehose;
      expect(fh(doubled)).toBeCloseTo(2 * fh(plain), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 on an invalid override and 2 on bad usage, with a message', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-'));
    try {
      const file = path.join(dir, 'prices.json');
      writeFileSync(file, JSON.stringify({ units: { hoursPerMonth: -1 } }));
      const bad = cli(['--config', FIXTURE, '--prices', file]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/cost: invalid price table .* units\.hoursPerMonth: /s);
      const usage = cli(['--frobnicate']);
      expect(usage.status).toBe(2);
      expect(usage.stderr).toMatch(/unknown option --frobnicate\nusage: npm run cost/);
      const env = cli(['--config', FIXTURE, '--env', 'staging']);
      expect(env.status).toBe(1);
      expect(env.stderr).toMatch(/unknown environment "staging"; the config has dev, prod/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
