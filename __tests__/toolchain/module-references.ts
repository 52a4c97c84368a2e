/**
 * Finds every module reference of a TypeScript or JavaScript file with the TypeScript parser (not a
 * regular expression): import and export declarations (type-only too), `import x = require()`,
 * `import('x')` (as a call and as a type), `require()`, `require.resolve()` and jest's module
 * functions (`jest.mock`, `doMock`, `requireActual`, ...). Also every string that names a CDK
 * internal path anywhere in the code (a constant later passed to one of those), and module
 * arguments that are not plain strings. Comments are not code and are not read.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

export type ReferenceForm =
  | 'import'
  | 'import type'
  | 'export from'
  | 'import = require'
  | 'import()'
  | 'import() type'
  | 'require()'
  | 'require.resolve()'
  | 'jest module function'
  | 'string';

export interface ModuleReference {
  /** File relative to the project root, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly form: ReferenceForm;
  /** The module specifier or string; undefined when the argument is not a plain string. */
  readonly specifier?: string;
  /** The argument's source text when it is not a plain string. */
  readonly expression?: string;
}

const JEST_MODULE_FUNCTIONS = new Set(['mock', 'doMock', 'unmock', 'dontMock', 'setMock', 'requireActual', 'requireMock', 'createMockFromModule']);

/** Text of a string literal or a template literal without substitutions. */
function plainString(node: ts.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  return undefined;
}

/** The module references of one file's source text. */
export function moduleReferences(file: string, text: string, internalPattern: RegExp): ModuleReference[] {
  const kind = /\.(c|m)?js$/.test(file) ? ts.ScriptKind.JS : file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const out: ModuleReference[] = [];
  const moduleArgs = new Set<ts.Node>();
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (form: ReferenceForm, node: ts.Node, arg: ts.Node | undefined): void => {
    if (arg !== undefined) moduleArgs.add(arg);
    const specifier = plainString(arg);
    out.push({
      file,
      line: lineOf(node),
      form,
      ...(specifier !== undefined ? { specifier } : { expression: arg?.getText(sf) ?? '(none)' }),
    });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.importClause?.isTypeOnly ? 'import type' : 'import', node, node.moduleSpecifier);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      add('export from', node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add('import = require', node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add('import() type', node, node.argument.literal);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const arg = node.arguments[0];
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add('import()', node, arg);
      else if (ts.isIdentifier(callee) && callee.text === 'require') add('require()', node, arg);
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        const target = callee.expression.text;
        const name = callee.name.text;
        if (target === 'require' && name === 'resolve') add('require.resolve()', node, arg);
        else if (target === 'jest' && JEST_MODULE_FUNCTIONS.has(name)) add('jest module function', node, arg);
      }
    }
    // Any other string naming a CDK internal path: a constant that reaches one of the calls above.
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !moduleArgs.has(node) && internalPattern.test(node.text)) {
      out.push({ file, line: lineOf(node), form: 'string', specifier: node.text });
    }
    if (ts.isTemplateExpression(node)) {
      const parts = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
      if (parts.some((p) => internalPattern.test(p))) out.push({ file, line: lineOf(node), form: 'string', expression: node.getText(sf) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Folders never scanned: dependencies, build outputs, generated and local state. */
export const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'cdktf.out', 'coverage', '.git', '.gen', '.out', 'generated', '.terraform', 'terraform-state', '.scratch', '.redrive']);

/** Every .ts/.tsx/.mts/.cts/.js/.mjs/.cjs file (declarations too) under `root`, relative, with `/`, skipping SKIPPED_DIRS. */
export function sourceFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...sourceFiles(root, rel));
    } else if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(e.name)) {
      out.push(rel);
    }
  }
  return out.sort();
}
