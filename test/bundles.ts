/**
 * The Lambda bundles of the test run (test/global-setup.ts), for the stacks synthesized in a test's own
 * process: the construct takes them instead of bundling each handler again (infra/functions.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { PREBUILT_ENV } from '../infra/functions.ts';

/** How long to wait for the run's bundles: esbuild takes a few seconds, more on a busy machine. */
const WAIT_MS = 180_000;

/**
 * Makes the stacks this process synthesizes from now on use the run's bundles, once they are built.
 * Outside vitest (as `tsx test/infra/fixtures/capture.ts`) it does nothing: the construct bundles from
 * the sources.
 */
export function useRunBundles(): void {
  if (!process.env.VITEST) return;
  const dir = inject('lambdaBundles');
  const deadline = Date.now() + WAIT_MS;
  // Synchronously, as the synthesis that follows is: the worker has nothing else to do meanwhile.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(join(dir, 'ready'))) {
    if (existsSync(join(dir, 'failed')))
      throw new Error(
        `the run's Lambda bundles failed to build:\n${readFileSync(join(dir, 'failed'), 'utf8')}`,
      );
    if (Date.now() > deadline)
      throw new Error(`the run's Lambda bundles were not built in ${WAIT_MS / 1000} s`);
    Atomics.wait(pause, 0, 0, 50);
  }
  process.env[PREBUILT_ENV] = join(dir, 'lambda');
}
