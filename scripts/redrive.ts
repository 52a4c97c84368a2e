/**
 * `npm run redrive -- --env <env> --source errors|dlq|unroutable [options]`
 * (node scripts/build.mjs && node dist/scripts/redrive.js): sends what failed back, once the
 * cause is fixed: Firehose's error-output objects (`errors`), the router's dead-letter queue
 * (`dlq`) or its `unroutable/` objects (`unroutable`). Run with `--dry-run` first. See
 * docs/redrive.md; `--help` lists the options.
 *
 * Ctrl-C stops after the batch in flight (a second Ctrl-C exits at once); the checkpoint keeps
 * what was confirmed, so the same command continues where it stopped.
 *
 * Exit codes: 0 nothing failed; 1 a record, an object or a message failed (or the run could not
 * start: config, checkpoint, AWS); 2 bad usage; 130 interrupted.
 */
import { TrackingPipelineError } from '../config/errors';
import { parseRedriveArgs, USAGE, type RedriveOptions } from './redrive-lib/options';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, runRedrive } from './redrive-lib/run';
import { RedriveUsageError } from './redrive-lib/types';

async function main(): Promise<number> {
  let o: RedriveOptions | 'help';
  try {
    o = parseRedriveArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`redrive: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (o === 'help') {
    console.log(USAGE);
    return EXIT_OK;
  }
  const controller = new AbortController();
  const onSignal = (name: string): void => {
    if (controller.signal.aborted) {
      console.error(`\nredrive: ${name} again: exiting now; the checkpoint holds every confirmed batch.`);
      process.exit(EXIT_INTERRUPTED);
    }
    console.error(`\nredrive: ${name}: stopping after the batch in flight (again to exit at once)`);
    controller.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  console.error(
    `redrive: ${o.dryRun ? 'dry run of ' : ''}${o.source} in ${o.environment}` +
      `${o.types !== undefined ? ` (${o.types.join(', ')})` : ''}${o.since !== undefined ? ` since ${new Date(o.since).toISOString()}` : ''}` +
      `${o.until !== undefined ? ` until ${new Date(o.until).toISOString()}` : ''}`,
  );
  try {
    const r = await runRedrive(o, { signal: controller.signal });
    process.stdout.write(`${r.text}\n`);
    return r.exitCode;
  } catch (err) {
    if (err instanceof RedriveUsageError) {
      console.error(`redrive: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof TrackingPipelineError) {
      console.error(`redrive: ${err.message}`);
      return EXIT_FAILED;
    }
    throw err;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
