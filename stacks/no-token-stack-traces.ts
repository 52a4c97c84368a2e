/**
 * Turns off the per-token stack traces of the CDK, and keeps cdktf quiet on Node 22. Import this
 * module before anything imports cdktf.
 *
 * cdktf captures a full stack trace (Error.stackTraceLimit = Infinity) for every token it
 * creates, only to print it if that token later fails to resolve. Profiling a 1,000-type synth
 * showed ~60% of the time there, and `new App({ stackTraces: false })` does not turn it off.
 *
 * - **cdktf** has no setting for it. This pre-loads that one internal module
 *   (`cdktf/lib/tokens/private/stack-trace.js`) with a no-op: the project's only reference to a
 *   cdktf internal path outside tests (allowed by name in `__tests__/toolchain/imports.test.ts`;
 *   docs/cdk-terrain.md). If a future version moves the file, this does nothing and synth is only
 *   slower.
 * - **CDK Terrain** (the cdktn build, scripts/build.mjs) has a public switch,
 *   `CDKTN_DISABLE_CREATION_STACK`, which this sets; no internal module is touched.
 *
 * The synthesized JSON is unchanged either way (tested). Set TRACKING_TOKEN_STACK_TRACES=1 to keep
 * the traces when debugging a token that fails to resolve.
 *
 * Node 22: cdktf 0.21 (frozen upstream) calls `util.isArray`, which Node 22 deprecates at run time
 * (DEP0044), so every synth printed a DeprecationWarning. `util.isArray` is the same function as
 * `Array.isArray` (Node's documented replacement); this points it there. CDK Terrain calls
 * `Array.isArray` itself.
 */
import Module from 'node:module';
import util from 'node:util';

/**
 * The cdktf internal module replaced by a no-op (the test setup mocks the same one: jest has its
 * own module registry, so the pre-load below does not reach it).
 */
export const CDKTF_STACK_TRACE_MODULE = 'cdktf/lib/tokens/private/stack-trace';

/** What the no-op module exports: cdktf's one function, returning no frames. */
export const NO_STACK_TRACE = { captureStackTrace: (): string[] => [] };

/** The CDK this code was compiled against: scripts/build.mjs defines it ("cdktn" in the cdktn build); unset under ts-node and jest. */
export function compiledCdk(): 'cdktf' | 'cdktn' {
  return process.env.TRACKING_CDK_BUILD === 'cdktn' ? 'cdktn' : 'cdktf';
}

function preloadCdktfNoOp(): void {
  let file: string;
  try {
    // A literal path, so that it stays a plain lookup for esbuild (which keeps cdktf external).
    file = require.resolve('cdktf/lib/tokens/private/stack-trace.js');
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) return;
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = NO_STACK_TRACE;
  require.cache[file] = mod;
}

if (process.env.TRACKING_TOKEN_STACK_TRACES !== '1') {
  if (compiledCdk() === 'cdktn') {
    // CDK Terrain reads it at every token it creates (lib/tokens/private/stack-trace.js, captureCreationStack).
    if (process.env.CDKTN_DISABLE_CREATION_STACK === undefined) process.env.CDKTN_DISABLE_CREATION_STACK = 'true';
  } else {
    preloadCdktfNoOp();
  }
}

// cdktf's `util_1.isArray(...)` reads the property at each call (lib/terraform-output.js).
const nodeUtil = util as unknown as { isArray?: (value: unknown) => boolean };
if (typeof nodeUtil.isArray === 'function' && nodeUtil.isArray !== Array.isArray) {
  try {
    nodeUtil.isArray = Array.isArray;
  } catch {
    // a read-only util in some future Node: the warning stays, nothing else changes
  }
}
