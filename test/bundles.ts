/**
 * The Lambda bundles of the test run (test/global-setup.ts), for the stacks synthesized in a test's own
 * process: the construct takes them instead of bundling each handler again (infra/functions.ts).
 */
import { inject } from 'vitest';
import { PREBUILT_ENV } from '../infra/functions.ts';

/**
 * Makes the stacks this process synthesizes from now on use the run's bundles. Outside vitest (as
 * `tsx test/infra/fixtures/capture.ts`) it does nothing: the construct bundles from the sources.
 */
export function useRunBundles(): void {
  if (process.env.VITEST) process.env[PREBUILT_ENV] = inject('lambdaBundles');
}
