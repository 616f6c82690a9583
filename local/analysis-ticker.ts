/**
 * Local mode's stand-in for the scheduled rule that runs canary analysis every minute during bakes on AWS:
 * `analyzeBakes` every 60 s of virtual time, on the local clock, as the synthetic traffic's rounds are.
 *
 * Two things keep the test clock (`StepClock`) deterministic with it:
 * - a run under way counts as busy (`busy()`), so virtual time does not move between its reads;
 * - a run starts only once whatever woke at the same virtual moment has settled (`settle`): a bake that
 *   ends on the same tick goes through its ShiftTraffic and into its next wait first, so which of the two
 *   reads the deployment first never depends on the machine's speed.
 * The clock for people needs neither: real time orders things there.
 */

import type { BakeSignals } from '../functions/ports.ts';
import { analyzeBakes } from '../functions/tasks/analyze.ts';
import type { TaskContext } from '../functions/tasks/context.ts';
import type { LocalClock } from './clock.ts';

/** Virtual time between two runs: the AWS schedule's one minute. */
export const ANALYSIS_TICK_MS = 60_000;

export interface AnalysisTicker {
  /** A run is under way (or about to start). */
  busy(): boolean;
  /** No more runs; resolves once the one under way has ended. */
  stop(): Promise<void>;
}

export function startAnalysisTicker(
  ctx: TaskContext & { bakes: BakeSignals },
  clock: LocalClock,
  options: { settle?: () => Promise<void>; log?: (line: string) => void } = {},
): AnalysisTicker {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    // A run that outlasts a tick (a slow store at a high speed) is not doubled: the next tick catches up.
    if (running || stopped) return;
    running = (async () => {
      await options.settle?.();
      if (stopped) return;
      await analyzeBakes(ctx, options.log);
    })()
      .catch((e: unknown) =>
        options.log?.(`analysis run failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => {
        running = undefined;
        clock.poke?.();
      });
  };
  const stopTicks = clock.every(ANALYSIS_TICK_MS, tick);
  return {
    busy: () => running !== undefined,
    stop: async () => {
      stopped = true;
      stopTicks();
      await running;
    },
  };
}
