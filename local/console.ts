/**
 * The console's source in local mode: reads go to the application API in process, and every state
 * transition (of a deployment's execution or a release's), status change (of a deployment or a release)
 * or alarm change wakes the stream, so the page follows within a tick.
 */

import type { ConsoleSource } from '../console/serve.ts';
import { route } from '../functions/api/routes.ts';
import { VirtualClock } from './clock.ts';
import type { LocalStepShift } from './index.ts';

/** Changes wake the stream; this poll only catches what nothing signals (a hook's progress between polls). */
const LOCAL_POLL_MS = 1_000;

export function localConsole(local: LocalStepShift, api: string): ConsoleSource {
  return {
    mode: 'local',
    api,
    pollMs: LOCAL_POLL_MS,
    // The test clock (StepClock) moves only in steps: between two of them, no time passes.
    clock: () => ({
      now: new Date(local.clock.now()).toISOString(),
      speed: local.clock instanceof VirtualClock ? local.clock.speed : 0,
    }),
    read: async (target) => {
      const q = target.indexOf('?');
      const out = await route(local.ctx, {
        method: 'GET',
        path: q === -1 ? target : target.slice(0, q),
        query: q === -1 ? {} : Object.fromEntries(new URLSearchParams(target.slice(q + 1))),
        headers: {},
        body: undefined,
      });
      return { status: out.status, body: out.body };
    },
    onChange: (listener) => {
      const off = [
        local.workflow.onTransition(() => listener()),
        local.releaseWorkflow.onTransition(() => listener()),
        local.events.subscribe(() => listener()),
        local.events.subscribeReleases(() => listener()),
        local.account.onAlarm(() => listener()),
      ];
      return () => {
        for (const unsubscribe of off) unsubscribe();
      };
    },
  };
}
