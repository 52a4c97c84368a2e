/**
 * No code reaches past the CDK's portable surface (issue 16): the app must build against cdktf and
 * CDK Terrain alike (scripts/build.mjs --cdk=cdktn) with no source change.
 *
 * The rules, for every TypeScript and JavaScript file of the project (sources, tools, benchmarks,
 * tests; not dependencies or build outputs):
 *   1. No module reference (import, export from, import type, import(), require(), require.resolve(),
 *      jest.mock and friends) to a `cdktf/lib/...` or `cdktn/lib/...` internal path, and no string
 *      naming one (a constant that would reach such a call), and no computed module argument that
 *      mentions the CDK or a `/lib/` path.
 *   2. The AWS provider bindings only by deep import of one resource class:
 *      `@cdktf/provider-aws/lib/<resource>`: not the package root (it loads ~1,500 classes) and
 *      nothing below a resource folder.
 *
 * The exceptions are named one by one, each with its reason, and each must still be in use.
 * Source and tests get the same rules; the only test exception is the type-only import of cdktf's
 * jest matcher types in __tests__/setup.ts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { moduleReferences, sourceFiles, type ModuleReference, type ReferenceForm } from './module-references';

const ROOT = path.join(__dirname, '..', '..');

/** A `cdktf/lib/...` or `cdktn/lib/...` path, as a module specifier. */
const INTERNAL_SPECIFIER = /^(cdktf|cdktn)\/lib(\/|$)/;
/** The same, anywhere in a string. */
const INTERNAL_IN_STRING = /\b(cdktf|cdktn)\/lib\//;
/** A computed module argument that builds a CDK path. */
const CDK_ISH_EXPRESSION = /cdkt[fn]|\/lib\//i;
const PROVIDER = /^@(cdktf|cdktn)\/provider-aws(\/|$)/;
const PROVIDER_DEEP = /^@(cdktf|cdktn)\/provider-aws\/lib\/[a-z0-9]+(-[a-z0-9]+)*$/;

interface Exception {
  readonly file: string;
  readonly form: ReferenceForm;
  /** The exact specifier or string, or the exact argument text when it is computed; `*`: any string (form `string` only). */
  readonly text: string;
  readonly why: string;
}

/** Every allowed reference past the portable surface. docs/cdk-terrain.md lists them too. */
export const EXCEPTIONS: readonly Exception[] = [
  {
    file: 'stacks/no-token-stack-traces.ts',
    form: 'require.resolve()',
    text: 'cdktf/lib/tokens/private/stack-trace.js',
    why: 'cdktf has no setting for its per-token stack traces (over half of synth time at scale); the file is looked up, not imported, and pre-loaded with a no-op; missing, it does nothing. CDK Terrain has a public switch, which the cdktn build uses instead.',
  },
  {
    file: 'stacks/no-token-stack-traces.ts',
    form: 'string',
    text: 'cdktf/lib/tokens/private/stack-trace',
    why: 'the same module, named once for the test setup\'s jest mock (jest has its own module registry)',
  },
  {
    file: '__tests__/setup.ts',
    form: 'jest module function',
    text: 'CDKTF_STACK_TRACE_MODULE',
    why: 'the jest twin of the pre-load above, through the constant',
  },
  {
    file: '__tests__/setup.ts',
    form: 'import type',
    text: 'cdktf/lib/testing/adapters/jest',
    why: 'the types of cdktf\'s jest matchers, from the entry point cdktf\'s project template imports; type-only, so nothing is loaded at run time (the matchers are registered through the public Testing.setupJest())',
  },
  {
    file: '__tests__/toolchain/imports.test.ts',
    form: 'string',
    text: '*',
    why: 'this test: its cases name internal paths as data, to check that the scanner flags them',
  },
  {
    file: 'bench/baseline/main.ts',
    form: 'import',
    text: '@cdktf/provider-aws',
    why: 'the synth benchmark\'s baseline is, on purpose, an app written the way `cdktf init` leads to (root import of the provider)',
  },
];

function matches(e: Exception, r: ModuleReference): boolean {
  return e.file === r.file && e.form === r.form && (e.text === (r.specifier ?? r.expression) || (e.text === '*' && e.form === 'string'));
}

function isException(r: ModuleReference): boolean {
  return EXCEPTIONS.some((e) => matches(e, r));
}

/** The problems of a list of references (exceptions left out). */
export function violations(refs: readonly ModuleReference[], exceptions = true): string[] {
  const out: string[] = [];
  for (const r of refs) {
    if (exceptions && isException(r)) continue;
    const at = `${r.file}:${r.line} ${r.form}`;
    if (r.specifier === undefined) {
      if (r.form !== 'string' && CDK_ISH_EXPRESSION.test(r.expression ?? '')) out.push(`${at} (${r.expression}): a computed module path that looks like a CDK path`);
      else if (r.form === 'string') out.push(`${at} ${r.expression}: a template that builds a CDK internal path`);
      continue;
    }
    if (r.form === 'string') {
      if (INTERNAL_IN_STRING.test(r.specifier)) out.push(`${at} "${r.specifier}": names a CDK internal path`);
      continue;
    }
    if (INTERNAL_SPECIFIER.test(r.specifier)) out.push(`${at} "${r.specifier}": a CDK internal path; use the package root (cdktf) or a documented entry point`);
    else if (PROVIDER.test(r.specifier) && !PROVIDER_DEEP.test(r.specifier)) {
      out.push(`${at} "${r.specifier}": import provider classes as @cdktf/provider-aws/lib/<resource>, not the package root or a file inside a resource folder`);
    }
  }
  return out;
}

const refsOf = (file: string, text: string): ModuleReference[] => moduleReferences(file, text, INTERNAL_IN_STRING);

describe('the scanner (so that the rule below cannot pass by seeing nothing)', () => {
  it.each([
    ['import', `import { Lazy } from 'cdktf/lib/tokens/lazy';`],
    ['import type', `import type { X } from 'cdktf/lib/tokens/lazy';`],
    ['side-effect import', `import 'cdktn/lib/tokens/lazy';`],
    ['export from', `export * from 'cdktf/lib/terraform-stack';`],
    ['import = require', `import x = require('cdktf/lib/app');`],
    ['import()', `void import('cdktf/lib/app');`],
    ['import() type', `let x: typeof import('cdktf/lib/app');`],
    ['require()', `const x = require('cdktf/lib/app');`],
    ['require() of a template', 'const x = require(`cdktf/lib/app`);'],
    ['require.resolve()', `require.resolve('cdktf/lib/tokens/private/stack-trace.js');`],
    ['jest.mock', `jest.mock('cdktf/lib/tokens/private/stack-trace', () => ({}));`],
    ['jest.requireActual', `jest.requireActual('cdktf/lib/app');`],
    ['a constant', `const M = 'cdktf/lib/app'; require(M);`],
    ['a built path', 'const pkg = "cdktf"; require.resolve(`${pkg}/lib/tokens/private/stack-trace.js`);'],
    ['a computed path to cdktn', 'const cdktnRoot = "x"; require(cdktnRoot + "/y");'],
    ['the provider root', `import * as aws from '@cdktf/provider-aws';`],
    ['below a resource folder', `import { X } from '@cdktf/provider-aws/lib/s3-bucket/index-structs';`],
    ['the cdktn provider root', `import * as aws from '@cdktn/provider-aws';`],
  ])('flags %s', (_name, source) => {
    // Act
    const found = violations(refsOf('src/example.ts', source));
    // Assess
    expect(found).toHaveLength(1);
  });

  it.each([
    ['the package root', `import { App, TerraformStack } from 'cdktf';`],
    ['a deep provider import', `import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';`],
    ['constructs', `import { Construct } from 'constructs';`],
    ['a comment naming an internal path', `// cdktf/lib/tokens/private/stack-trace.js is patched elsewhere\nexport {};`],
    ['a computed require of a built bundle', `const bundle = { file: 'x' }; require(bundle.file);`],
  ])('accepts %s', (_name, source) => {
    expect(violations(refsOf('src/example.ts', source))).toEqual([]);
  });

  it('reads JavaScript files too', () => {
    expect(violations(refsOf('scripts/x.mjs', `import { x } from 'cdktf/lib/app';`))).toHaveLength(1);
  });

  it('does not apply an exception to another file', () => {
    const found = violations(refsOf('stacks/other.ts', `require.resolve('cdktf/lib/tokens/private/stack-trace.js');`));
    expect(found).toHaveLength(1);
  });
});

describe('the project', () => {
  const files = sourceFiles(ROOT);
  const refs = files.flatMap((f) => refsOf(f, readFileSync(path.join(ROOT, f), 'utf8')));

  it('scans the sources, tools, benchmarks and tests', () => {
    // A floor, so that a broken walk cannot pass with nothing scanned.
    for (const f of ['main.ts', 'stacks/app.ts', 'stacks/no-token-stack-traces.ts', 'scripts/build.mjs', '__tests__/setup.ts']) expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('modules/'))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/') || f.startsWith('dist/') || f.includes('/node_modules/'))).toBe(false);
    expect(refs.filter((r) => r.specifier?.startsWith('@cdktf/provider-aws/lib/')).length).toBeGreaterThan(20);
  });

  it('imports no cdktf or cdktn internal path and the provider only by deep resource imports, apart from the named exceptions', () => {
    expect(violations(refs)).toEqual([]);
  });

  it('uses every exception it names (a stale exception would hide a new use)', () => {
    const unused = EXCEPTIONS.filter((e) => !refs.some((r) => matches(e, r)));
    expect(unused).toEqual([]);
  });

  it('keeps the exceptions out of the modules and stacks that define resources', () => {
    // The app's constructs (modules/, stacks/ apart from the pre-load) must compile against either CDK.
    const inConstructs = refs.filter((r) => (r.file.startsWith('modules/') || r.file.startsWith('stacks/')) && r.file !== 'stacks/no-token-stack-traces.ts');
    expect(violations(inConstructs, false)).toEqual([]);
  });
});
