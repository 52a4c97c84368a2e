/**
 * `npm run review` end to end, on real git histories of a temporary repository that holds only a
 * tracking YAML; each side is synthesized with this project's built synth (dist/main.js).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { configYaml, type EventTypeInput } from './ops-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const REVIEW = path.join(ROOT, 'dist', 'scripts', 'review.js');
const REVIEW_TIMEOUT_MS = 180_000;

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function gitRepo(yamlText: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'review-test-'));
  run('git', ['init', '-q', '-b', 'main'], dir);
  writeFileSync(path.join(dir, 'tracking.yaml'), yamlText);
  run('git', ['add', 'tracking.yaml'], dir);
  run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'base'], dir);
  return dir;
}

function review(repo: string, ...extra: string[]): { status: number | null; stdout: string; stderr: string } {
  return run(process.execPath, [REVIEW, '--base', 'main', '--repo', repo, '--config', 'tracking.yaml', '--config-only', ...extra], ROOT);
}

const BASE_TYPES: EventTypeInput[] = [{ name: 'page_view' }, { name: 'checkout' }];

// dist/ is built once for the whole run by __tests__/global-setup.js.

describe('review of a config change', () => {
  const repos: string[] = [];
  afterAll(() => repos.forEach((d) => rmSync(d, { recursive: true, force: true })));

  describe.each<[string, string, number, RegExp[], RegExp[]]>([
    [
      'adding an event type',
      configYaml({ eventTypes: [...BASE_TYPES, { name: 'search' }] }),
      0,
      [/No destructive changes\./, /\| added \| `aws_kinesis_firehose_delivery_stream` \| `acme-dev-shop-search` \|/],
      [/Destructive/],
    ],
    [
      'renaming an event type',
      configYaml({ eventTypes: [{ name: 'page_views' }, { name: 'checkout' }] }),
      2,
      [/### ⚠ Destructive changes/, /delivery stream `acme-dev-shop-page_view` would be destroyed/, /`acme-dev-shop-page_views`/],
      [],
    ],
    [
      'removing an event type',
      configYaml({ eventTypes: [{ name: 'page_view' }] }),
      2,
      [/### ⚠ Destructive changes/, /delivery stream `acme-dev-shop-checkout` would be destroyed/],
      [],
    ],
    [
      'changing a buffering hint',
      configYaml({ eventTypes: BASE_TYPES }).replace('project: acme', 'project: acme\ndefaults:\n  buffering: { intervalSeconds: 60 }'),
      0,
      [/No destructive changes\./, /\| changed \| `aws_kinesis_firehose_delivery_stream` \| `acme-dev-shop-page_view` \| .*buffering_interval/],
      [/Destructive/],
    ],
  ])('%s', (_label, headYaml, exitCode, present, absent) => {
    it(
      `exits ${exitCode} and reports it`,
      () => {
        // Prepare
        const repo = gitRepo(configYaml({ eventTypes: BASE_TYPES }));
        repos.push(repo);
        writeFileSync(path.join(repo, 'tracking.yaml'), headYaml);

        // Act
        const r = review(repo);

        // Assess
        expect(r.stderr).not.toMatch(/cannot synthesize/);
        expect(r.status).toBe(exitCode);
        for (const re of present) expect(r.stdout).toMatch(re);
        for (const re of absent) expect(r.stdout).not.toMatch(re);
      },
      REVIEW_TIMEOUT_MS,
    );
  });

  it(
    'accepts a destructive change with --allow-destroy',
    () => {
      // Prepare
      const repo = gitRepo(configYaml({ eventTypes: BASE_TYPES }));
      repos.push(repo);
      writeFileSync(path.join(repo, 'tracking.yaml'), configYaml({ eventTypes: [{ name: 'page_view' }] }));

      // Act
      const r = review(repo, '--allow-destroy');

      // Assess
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('### ⚠ Destructive changes');
    },
    REVIEW_TIMEOUT_MS,
  );
});

describe('review of the cost change', () => {
  it(
    'adds the monthly cost change of the pull request',
    () => {
      // Prepare: a new event type with a declared average rate
      const repo = gitRepo(configYaml({ eventTypes: BASE_TYPES }));
      writeFileSync(path.join(repo, 'tracking.yaml'), configYaml({ eventTypes: BASE_TYPES }).replace('- checkout', '- checkout\n      - name: search\n        avgRecordsPerSecond: 500'));
      // Act
      const r = review(repo);
      rmSync(repo, { recursive: true, force: true });
      // Assess
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/### Monthly cost change \(estimate\)/);
      expect(r.stdout).toMatch(/shop\/search/);
      expect(r.stdout).not.toMatch(/Not computed/);
    },
    REVIEW_TIMEOUT_MS,
  );
});

describe('review of an event contract change', () => {
  const withSchema = (schema: unknown): string =>
    configYaml({ eventTypes: BASE_TYPES }).replace('- checkout', `- name: checkout\n        schema: ${JSON.stringify(schema)}`);
  const V1 = { type: 'object', properties: { amount: { type: 'number' }, coupon: { type: 'string' } }, required: ['amount'] };

  it.each<[string, unknown, number, RegExp]>([
    ['a new optional field (compatible)', { ...V1, properties: { ...V1.properties, note: { type: 'string' } } }, 0, /compatible/i],
    ['a removed field (breaking)', { ...V1, properties: { amount: { type: 'number' } } }, 2, /Breaking contract changes[\s\S]*checkout[\s\S]*coupon/],
    ['a narrowed type (breaking)', { ...V1, properties: { ...V1.properties, amount: { type: 'integer' } } }, 2, /Breaking contract changes[\s\S]*amount/],
  ])(
    '%s',
    (_label, head, status, message) => {
      // Prepare
      const repo = gitRepo(withSchema(V1));
      writeFileSync(path.join(repo, 'tracking.yaml'), withSchema(head));
      // Act
      const r = review(repo);
      rmSync(repo, { recursive: true, force: true });
      // Assess
      expect(r.stderr).not.toMatch(/cannot synthesize/);
      expect(r.status).toBe(status);
      expect(r.stdout).toMatch(message);
      if (status === 2) expect(r.stderr).toMatch(/breaking contract change\(s\); rerun with --allow-breaking-contracts/);
    },
    REVIEW_TIMEOUT_MS,
  );

  it(
    'warns that a new optional field may already be stored with another type when the contract was in observe mode',
    () => {
      // Prepare
      const observe = (schema: unknown): string => withSchema(schema).replace(`schema: ${JSON.stringify(schema)}`, `schema: ${JSON.stringify(schema)}\n        schemaMode: observe`);
      const repo = gitRepo(observe(V1));
      writeFileSync(path.join(repo, 'tracking.yaml'), observe({ ...V1, properties: { ...V1.properties, note: { type: 'string' } } }));
      // Act
      const r = review(repo);
      rmSync(repo, { recursive: true, force: true });
      // Assess: compatible (exit 0), with the warning
      expect(r.stderr).not.toMatch(/cannot synthesize/);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('### ⚠ Contract warnings (1)');
      expect(r.stdout).toMatch(/- \*\*shop\/checkout\*\* `note`: `shop\/checkout` was in observe mode, .*may already carry `note` with another type than string, which the new column may not read/);
    },
    REVIEW_TIMEOUT_MS,
  );

  it(
    'accepts a breaking change with --allow-breaking-contracts',
    () => {
      const repo = gitRepo(withSchema(V1));
      writeFileSync(path.join(repo, 'tracking.yaml'), withSchema({ ...V1, properties: { amount: { type: 'number' } } }));
      const r = review(repo, '--allow-breaking-contracts');
      rmSync(repo, { recursive: true, force: true });
      expect(r.status).toBe(0);
    },
    REVIEW_TIMEOUT_MS,
  );
});

describe('review --config-only of a config that references files', () => {
  const V1 = { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] };
  const V2 = { ...V1, properties: { ...V1.properties, note: { type: 'string' } } };

  /** A repository with the config at `configPath` and its schema at `schemaPath` (both from the root). */
  function repoWithSchemaFile(configPath: string, schemaPath: string, extra: Record<string, unknown> = {}): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'review-files-'));
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    const reference = path.posix.relative(path.posix.dirname(configPath), schemaPath);
    const yaml = configYaml({ eventTypes: BASE_TYPES }).replace('- checkout', `- name: checkout\n        schema: ${reference}`);
    write(configPath, Object.keys(extra).length > 0 ? `${yaml}${Object.entries(extra).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join('')}` : yaml);
    write(schemaPath, JSON.stringify(V1));
    if (extra.stacks !== undefined) write(path.posix.join(path.posix.dirname(configPath), 'tracking.moves.json'), '{"version":1,"moves":[]}');
    run('git', ['init', '-q', '-b', 'main'], dir);
    run('git', ['add', '-A'], dir);
    run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'base'], dir);
    // The working tree adds an optional field to the schema
    write(schemaPath, JSON.stringify(V2));
    return dir;
  }

  it.each<[string, string, string, Record<string, unknown>]>([
    ['the config at the repository root, its schema in a folder, and a moves file', 'tracking.yaml', 'schemas/checkout.json', { stacks: { moves: 'tracking.moves.json' } }],
    ['the config in a folder, its schema in a sibling folder', 'config/tracking.yaml', 'schemas/checkout.json', {}],
  ])(
    'synthesizes the base with %s',
    (_label, configPath, schemaPath, extra) => {
      // Prepare
      const repo = repoWithSchemaFile(configPath, schemaPath, extra);

      // Act
      const r = run(process.execPath, [REVIEW, '--base', 'main', '--repo', repo, '--config', configPath, '--config-only'], ROOT);
      rmSync(repo, { recursive: true, force: true });

      // Assess
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/\| `shop\/checkout` \| `note` \| `note` added as an optional field \| compatible \|/);
    },
    REVIEW_TIMEOUT_MS,
  );

  it('names a schema file the base config references but the base ref lacks, with its line', () => {
    // Prepare: the base commit forgot the schema file
    const repo = repoWithSchemaFile('tracking.yaml', 'schemas/checkout.json');
    run('git', ['rm', '-q', '--cached', 'schemas/checkout.json'], repo);
    run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'forgot the schema'], repo);

    // Act
    const r = run(process.execPath, [REVIEW, '--base', 'main', '--repo', repo, '--config', 'tracking.yaml', '--config-only'], ROOT);
    rmSync(repo, { recursive: true, force: true });

    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot synthesize the base ref main[\s\S]*tracking\.yaml:\d+:\d+ applications\[0\]\.eventTypes\[1\]\.schema: cannot read schema file schemas\/checkout\.json/);
  });
});

describe('review errors', () => {
  it.each([
    ['an unknown ref', ['--base', 'no-such-ref'], /unknown git ref no-such-ref/],
    ['a base ref without the project layout (full mode)', ['--base', 'main'], /cannot synthesize the base ref main: it has no scripts\/build\.mjs/],
    ['a missing --base', [], /missing --base/],
  ])('fails clearly on %s', (_label, args, message) => {
    // Prepare
    const repo = gitRepo(configYaml());

    // Act
    const r = run(process.execPath, [REVIEW, '--repo', repo, '--config', 'tracking.yaml', ...args], ROOT);
    rmSync(repo, { recursive: true, force: true });

    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('review command line', () => {
  it('prints its help with --help, and exits 0', () => {
    const r = run(process.execPath, [REVIEW, '--help'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run review -- --base <git-ref> \[--repo <dir>\]/);
    expect(r.stdout).toMatch(/ {2}--stacks-out <file> +write the stacks to plan and apply/);
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}.*\n {2}1 {2}.*\n {2}2 {2}a destructive or breaking contract change that was not allowed/);
    expect(r.stdout).not.toMatch(/migrate/);
  });

  it('refuses an unknown flag with its usage, exit 1', () => {
    const r = run(process.execPath, [REVIEW, '--base', 'main', '--bogus'], ROOT);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^review: unknown option --bogus; usage: npm run review -- --base <git-ref> .*\(--help explains each\)\n$/);
  });
});
