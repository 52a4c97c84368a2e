/**
 * Runs `tracking dev` as a command: starts the runtime, prints the ready line (stdout) and the
 * summary (stderr), and stops cleanly on SIGINT or SIGTERM (buffered records delivered first).
 * Exit codes (the command line's one table): 0 stopped, 1 the environment cannot be run
 * faithfully, 2 bad usage, 3 something it needs is missing, 130 interrupted (after a clean stop).
 * A second signal during the stop exits at once (130).
 */
import { TrackingPipelineError } from '../../config/errors';
import { exitCodeOf } from './errors';
import { resolveDevOptions, type RawDevArgs } from './options';
import { readyLine, summary } from './ready';
import { startDev, type DevFaults } from './runtime';

/** $TRACKING_DEV_FAULTS (tests only): see DevFaults. */
function faultsFromEnv(): DevFaults | undefined {
  const raw = process.env.TRACKING_DEV_FAULTS;
  if (raw === undefined || raw === '') return undefined;
  return JSON.parse(raw) as DevFaults;
}

export async function runDevCommand(args: () => RawDevArgs): Promise<number> {
  let signalled: NodeJS.Signals | undefined;
  let wake: () => void = () => undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled !== undefined) {
      console.error(`tracking dev: ${sig} again; exiting without finishing the stop`);
      process.exit(130);
    }
    signalled = sig;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const options = resolveDevOptions(args());
    const faults = faultsFromEnv();
    const dev = await startDev(options, { progress: (line) => console.error(line), ...(faults !== undefined ? { faults } : {}) });
    if (signalled === undefined) {
      process.stdout.write(`${readyLine(dev)}\n`);
      console.error(summary(dev));
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (signalled !== undefined) resolve();
      });
    }
    console.error(`tracking dev: ${signalled ?? 'stop'}: delivering buffered records, then stopping ...`);
    const final = await dev.stop();
    const streams = Object.values(final.deliveryStreams as Record<string, { accepted: number; delivered: number; failed: number; dropped: number }>);
    const sum = (k: 'accepted' | 'delivered' | 'failed' | 'dropped'): number => streams.reduce((n, s) => n + s[k], 0);
    console.error(`tracking dev: stopped; ${sum('accepted')} record(s) accepted, ${sum('delivered')} delivered, ${sum('failed')} to the error output, ${sum('dropped')} dropped`);
    return 130;
  } catch (err) {
    if (err instanceof TrackingPipelineError) {
      console.error(`tracking dev: ${err.message}`);
      return exitCodeOf(err);
    }
    console.error(err);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
