/**
 * The layering rule: lib/ is the one layer below functions/ (Lambdas), client/ (producers) and
 * scripts/ (tools). functions/ and client/ never import each other; lib/ imports nothing of the
 * project above it and no package but the AWS SDK (and Node built-ins).
 *
 * Every import, export-from, require() and import() of every .ts file is read with TypeScript's
 * own pre-processor and resolved against its folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');

interface Edge {
  /** Importing file, relative to the root. */
  readonly from: string;
  /** The specifier as written. */
  readonly spec: string;
  /** Project path of a relative specifier (no extension), or undefined for a package. */
  readonly target?: string;
}

function sources(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return name === 'node_modules' ? [] : sources(rel);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Imports of one file's text. */
function importsOf(file: string, text: string): Edge[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: spec }) =>
    spec.startsWith('.') ? { from: file, spec, target: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) } : { from: file, spec },
  );
}

const top = (target: string | undefined): string | undefined => target?.split('/')[0];

/** Violations of the layering rule among these edges. */
function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const layer = top(e.from);
    const into = top(e.target);
    const say = (why: string): number => out.push(`${e.from} imports '${e.spec}': ${why}`);
    if (layer === 'functions' && into === 'client') say('functions/ must not import client/ (share through lib/)');
    if (layer === 'client' && into === 'functions') say('client/ must not import functions/ (share through lib/)');
    if (layer === 'lib') {
      if (e.target !== undefined && into !== 'lib') say('lib/ is the bottom layer: it imports only lib/');
      if (e.target === undefined && !/^(node:[a-z_/]+|@aws-sdk\/client-(firehose|kinesis|s3))$/.test(e.spec)) {
        say('lib/ depends on nothing but Node built-ins and the AWS SDK clients');
      }
    }
  }
  return out;
}

function edgesUnder(dir: string): Edge[] {
  return sources(dir).flatMap((f) => importsOf(f.split(path.sep).join('/'), readFileSync(path.join(ROOT, f), 'utf8')));
}

describe('layers', () => {
  it('the rule catches each kind of sideways import (so the scan below can fail)', () => {
    // Prepare
    const cases: [string, string][] = [
      ['functions/fanout-router/retry.ts', "import { backoffDelay } from '../../client/retry';"],
      ['client/tracker.ts', "export { packBy } from '../functions/fanout-router/batching';"],
      ['lib/send.ts', "const x = require('../client/errors');"],
      ['lib/send.ts', "import type { X } from '../stacks/tracking-stack';"],
      ['lib/send.ts', "void import('../modules/bundle');"],
      ['lib/send.ts', "import { z } from 'zod';"],
      ['lib/send.ts', "import { naming } from '../config/naming';"],
    ];

    // Act
    const found = cases.map(([file, text]) => violations(importsOf(file, text)).length);

    // Assess
    expect(found).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(violations(importsOf('functions/a/b.ts', "import { sendRecords } from '../../lib/send';"))).toEqual([]);
  });

  it('holds for every source file of functions/, client/ and lib/', () => {
    // Act
    const edges = [...edgesUnder('functions'), ...edgesUnder('client'), ...edgesUnder('lib')];

    // Assess: the scan saw real files and their lib/ imports, and found no violation.
    expect(edges.filter((e) => e.from.startsWith('lib/')).length).toBeGreaterThan(5);
    expect(edges.some((e) => e.from.startsWith('functions/') && top(e.target) === 'lib')).toBe(true);
    expect(edges.some((e) => e.from.startsWith('client/') && top(e.target) === 'lib')).toBe(true);
    expect(violations(edges)).toEqual([]);
  });
});
