/**
 * The cdktf app: reads the tracking config ($TRACKING_CONFIG, else config/tracking.yaml) and
 * synthesizes one stack per environment into cdktf.out, plus cdktf.out/tracking-manifest.json.
 * Run as precompiled JS (`npm run synth`, or `cdktf synth` through cdktf.json).
 */
import { compiledCdk } from './stacks/no-token-stack-traces';
import { TrackingPipelineError } from './config/errors';
import { configPathFromEnv, loadConfig } from './config/loader';
import { synthesize } from './stacks/app';

function main(): void {
  const file = configPathFromEnv();
  const config = loadConfig(file);
  const { app, stacks } = synthesize({ config });
  const types = config.environments[0]?.eventTypes.length ?? 0;
  console.log(
    `Synthesized ${stacks.length} stack(s) (${stacks.map((s) => s.node.id).join(', ')}) with ${types} event type(s) per environment from ${file} into ${app.outdir}` +
      (compiledCdk() === 'cdktn' ? ' with CDK Terrain (cdktn)' : ''),
  );
}

try {
  main();
} catch (err) {
  if (!(err instanceof TrackingPipelineError)) throw err;
  // A user error: the message says what is wrong and how to fix it; no stack trace. No
  // process.exit(): on a pipe (CI) stderr is written asynchronously, and exiting at once would cut a
  // long error list at 64 KB. Setting the exit code lets Node finish writing first.
  console.error(err.message);
  process.exitCode = 1;
}
