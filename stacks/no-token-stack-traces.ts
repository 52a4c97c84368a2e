/**
 * Turns off cdktf's per-token stack traces. Import this module before anything imports cdktf.
 *
 * cdktf captures a full stack trace (Error.stackTraceLimit = Infinity) for every token it
 * creates, only to print it if that token later fails to resolve. Profiling a 1,000-type synth
 * showed ~60% of the time there, and `new App({ stackTraces: false })` does not turn it off.
 * This pre-loads that one internal module (`lib/tokens/private/stack-trace.js`) with a no-op.
 * The synthesized JSON is unchanged (tested). CDK Terrain keeps the same file layout; if a
 * future version moves the file, this does nothing and synth is only slower.
 *
 * Set TRACKING_TOKEN_STACK_TRACES=1 to keep cdktf's traces when debugging a token that fails
 * to resolve.
 */
import Module from 'node:module';

const NO_TRACE = { captureStackTrace: (): string[] => [] };

for (const pkg of process.env.TRACKING_TOKEN_STACK_TRACES === '1' ? [] : ['cdktf', 'cdk-terrain']) {
  let file: string;
  try {
    file = require.resolve(`${pkg}/lib/tokens/private/stack-trace.js`);
  } catch {
    continue;
  }
  if (require.cache[file] === undefined) {
    const mod = new Module(file);
    mod.filename = file;
    mod.loaded = true;
    mod.exports = NO_TRACE;
    require.cache[file] = mod;
  }
}

export {};
