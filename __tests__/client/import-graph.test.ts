/**
 * The Node tracker is a package of its own: bundling client/node/index.ts as its build does (the
 * AWS SDK external) never reaches cdktf or @cdktf/*, bundles no package from node_modules (no
 * YAML, no zod: the package depends only on the AWS SDK clients), and reads only client/node/,
 * lib/ and the dependency-free config/errors.ts and config/manifest.ts.
 */
import { build, type Metafile } from 'esbuild';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Package name of a node_modules path, or undefined for our own sources. */
function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m?.[1];
}

describe('client import graph', () => {
  let metafile: Metafile;

  beforeAll(async () => {
    // Prepare / Act: the standalone bundle command of docs/client.md.
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['client/node/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['@aws-sdk/*', '@smithy/*'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    metafile = result.metafile;
  });

  it('never reaches cdktf or @cdktf/*', () => {
    // Assess
    const inputs = Object.keys(metafile.inputs);
    const imports = Object.values(metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(inputs.length).toBeGreaterThan(5);
    expect([...inputs, ...imports].filter((p) => /(^|\/)(cdktf|@cdktf|constructs)(\/|$)/.test(p))).toEqual([]);
  });

  it('bundles no package from node_modules', () => {
    // Assess
    const packages = new Set(Object.keys(metafile.inputs).map(packageOf).filter((p): p is string => p !== undefined));
    expect([...packages].sort()).toEqual([]);
  });

  it('reads only client/node/, the shared lib/ and the dependency-free config/errors.ts and config/manifest.ts', () => {
    // Assess
    const own = Object.keys(metafile.inputs).filter((p) => packageOf(p) === undefined);
    const outsideClient = own.filter((p) => !p.startsWith('client/node/')).sort();
    expect(outsideClient).toEqual(expect.arrayContaining(['config/errors.ts', 'config/manifest.ts', 'lib/send.ts', 'lib/confirm.ts', 'lib/contract-validator.ts', 'lib/contract-program.ts']));
    // Never the config loader, functions/ (Lambdas), stacks/, modules/ (infrastructure), cli/ or scripts/ (tools).
    for (const p of outsideClient) expect(p).toMatch(/^(lib\/[a-z-]+|config\/(errors|manifest))\.ts$/);
  });

  it('leaves only the AWS SDK and Node built-ins external', () => {
    // Assess
    const external = new Set(
      Object.values(metafile.inputs)
        .flatMap((i) => i.imports)
        .filter((x) => x.external)
        .map((x) => x.path),
    );
    for (const p of external) expect(p).toMatch(/^(@aws-sdk\/client-(firehose|kinesis)|@smithy\/node-http-handler|node:[a-z_]+|[a-z_]+)$/);
    expect(external).toContain('@aws-sdk/client-firehose');
  });
});
