/**
 * `npm run review -- --base HEAD` on an unchanged tree plans nothing, as a user runs it: in a git
 * checkout of the whole project at another path than this one, with the built command
 * (dist/scripts/review.js). The review exports the base ref into a temporary folder and builds and
 * synthesizes it there, beside the working tree's synth: anything in the synthesized JSON that
 * depends on where a tree lives (the local state path did) shows up as a change of every stack.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const TIMEOUT_MS = 300_000;

function run(cmd: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(cwd: string, ...args: string[]): string {
  const r = run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], cwd);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A git repository holding this project's files (tracked and new, as in the working tree), built. */
function checkoutOfProject(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'review-unchanged-')), 'project');
  const files = git(ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter((f) => f !== '');
  for (const f of new Set(files)) {
    // Deleted in the working tree; or the node_modules links of a worktree (a real checkout has
    // folders there, which .gitignore's `node_modules/` ignores).
    if (!existsSync(path.join(ROOT, f)) || path.basename(f) === 'node_modules') continue;
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  if (existsSync(path.join(ROOT, 'terrain', 'node_modules'))) {
    symlinkSync(realpathSync(path.join(ROOT, 'terrain', 'node_modules')), path.join(dir, 'terrain', 'node_modules'), 'dir');
  }
  git(dir, 'init', '-q', '-b', 'main');
  // The links stand for installed folders, which a checkout never commits (a link is no folder to `node_modules/`).
  writeFileSync(path.join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'the project');
  const build = run(process.execPath, ['scripts/build.mjs'], dir);
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  return dir;
}

interface Reviewed {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `stacks` of --stacks-out. */
  readonly stacks: readonly { id: string }[];
  /** The backend block of each side's synthesized stack. */
  readonly backend: (side: 'base-out' | 'head-out', stack: string) => unknown;
}

/** `node dist/scripts/review.js --base HEAD`, as `npm run review -- --base HEAD` runs it after building. */
function review(project: string): Reviewed {
  const stacksOut = path.join(project, '..', 'stacks.json');
  const r = run(process.execPath, ['dist/scripts/review.js', '--base', 'HEAD', '--stacks-out', stacksOut, '--keep'], project);
  const kept = /review: kept (\S+)/.exec(r.stderr)?.[1];
  const backends = new Map<string, unknown>();
  if (kept !== undefined) {
    for (const side of ['base-out', 'head-out']) {
      for (const stack of ['tracking-dev', 'tracking-prod']) {
        const file = path.join(kept, side, 'stacks', stack, 'cdk.tf.json');
        if (existsSync(file)) backends.set(`${side}/${stack}`, (JSON.parse(readFileSync(file, 'utf8')) as { terraform?: { backend?: unknown } }).terraform?.backend);
      }
    }
    rmSync(kept, { recursive: true, force: true });
  }
  const stacks = existsSync(stacksOut) ? (JSON.parse(readFileSync(stacksOut, 'utf8')) as { stacks: { id: string }[] }).stacks : [];
  rmSync(stacksOut, { force: true });
  return { ...r, stacks, backend: (side, stack) => backends.get(`${side}/${stack}`) };
}

describe('review of an unchanged tree, in a checkout of the project, with the built command', () => {
  let project: string;
  beforeAll(() => {
    project = checkoutOfProject();
  }, TIMEOUT_MS);
  afterAll(() => rmSync(path.dirname(project), { recursive: true, force: true }));

  it(
    'lists no stack to plan with local state, and no backend change',
    () => {
      // Prepare: the example config has no backend (local state)

      // Act
      const r = review(project);

      // Assess
      expect(r.stderr).not.toMatch(/cannot/);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('**No stack changes:** nothing to plan or apply.');
      expect(r.stdout).not.toContain('The backend block changed');
      expect(r.stacks).toEqual([]);
      // ...because both sides name the same state file, relative to the stack folder
      for (const side of ['base-out', 'head-out'] as const) {
        expect(r.backend(side, 'tracking-dev')).toEqual({ local: { path: '../../../terraform-state/tracking-dev.tfstate' } });
      }
    },
    TIMEOUT_MS,
  );

  it(
    'lists no stack to plan with an S3 backend',
    () => {
      // Prepare: every environment keeps its state in S3
      const file = path.join(project, 'config', 'tracking.yaml');
      const doc = parse(readFileSync(file, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
      for (const env of Object.values(doc.environments)) env.backend = { bucket: 'acme-terraform-state' };
      writeFileSync(file, stringify(doc));
      git(project, 'commit', '-qam', 'state in S3');

      // Act
      const r = review(project);

      // Assess
      expect(r.stderr).not.toMatch(/cannot/);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('**No stack changes:** nothing to plan or apply.');
      expect(r.stacks).toEqual([]);
      expect(r.backend('head-out', 'tracking-prod')).toMatchObject({ s3: { bucket: 'acme-terraform-state', key: 'acme/prod/terraform.tfstate' } });
    },
    TIMEOUT_MS,
  );

  it(
    'adding an application lists its resources, not the moved blocks of its brand-new types',
    () => {
      // Prepare: one more application in the working tree
      const file = path.join(project, 'config', 'tracking.yaml');
      const doc = parse(readFileSync(file, 'utf8')) as { applications: unknown[] };
      doc.applications.push({ name: 'blog', eventTypes: ['article_read', 'comment_posted'] });
      writeFileSync(file, stringify(doc));

      // Act
      const r = review(project);

      // Assess
      expect(r.stderr).not.toMatch(/cannot/);
      expect(r.status).toBe(0);
      expect(r.stacks.map((s) => s.id)).toEqual(['tracking-dev', 'tracking-prod']);
      expect(r.stdout).toMatch(/\| added \| `aws_kinesis_firehose_delivery_stream` \| `acme-prod-blog-article_read` \|/);
      expect(r.stdout).not.toContain('Block changed');
      expect(r.stdout).not.toContain('The backend block changed');
    },
    TIMEOUT_MS,
  );
});
