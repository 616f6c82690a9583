/**
 * The state machine's task functions on AWS: one Lambda each (the construct points every function at
 * this file with its own `handler` export). Each parses nothing more than the task needs and calls it;
 * an error's `name` becomes Lambda's errorType, which is what the ASL's Retry and Catch match.
 */
import middy from '@middy/core';
import type { BakeSignals } from '../ports.ts';
import { analyzeBakes } from '../tasks/analyze.ts';
import { awaitApproval } from '../tasks/await-approval.ts';
import { bake } from '../tasks/bake.ts';
import type { TaskContext } from '../tasks/context.ts';
import { finalize, scaleDownOld } from '../tasks/finalize.ts';
import { checkSteady, install, testTraffic } from '../tasks/install.ts';
import { prepare } from '../tasks/prepare.ts';
import { awaitRelease } from '../tasks/release.ts';
import { rollback } from '../tasks/rollback.ts';
import { runHooks } from '../tasks/run-hooks.ts';
import { shiftTraffic } from '../tasks/shift-traffic.ts';
import { taskContext } from './context.ts';

type In = Parameters<typeof prepare>[1];

export function makeTaskHandlers(get: () => TaskContext & { bakes: BakeSignals }) {
  return {
    prepare: (event: In) => prepare(get(), event),
    runHooks: (event: Parameters<typeof runHooks>[1]) => runHooks(get(), event),
    shiftTraffic: (event: Parameters<typeof shiftTraffic>[1]) => shiftTraffic(get(), event),
    /** Invoked by `lambda:invoke.waitForTaskToken`: stores the token; on a promote, ends the wait itself. */
    bake: async (event: Parameters<typeof bake>[1]) => {
      const ctx = get();
      const result =
        event.purpose === 'AwaitRelease' ? await awaitRelease(ctx, event) : await bake(ctx, event);
      if (result.outcome === 'skip') await ctx.bakes.succeed(event.taskToken);
      return result;
    },
    /** Invoked by `lambda:invoke.waitForTaskToken` at a pause: stores the token, says approval is pending. */
    awaitApproval: (event: Parameters<typeof awaitApproval>[1]) => awaitApproval(get(), event),
    finalize: (event: In) => finalize(get(), event),
    install: (event: In) => install(get(), event),
    checkSteady: (event: In) => checkSteady(get(), event),
    testTraffic: (event: In) => testTraffic(get(), event),
    scaleDownOld: (event: In) => scaleDownOld(get(), event),
    rollback: (event: Parameters<typeof rollback>[1]) => rollback(get(), event),
    /** The scheduled rule's target, every minute: the analysis checks due in bakes (infra/analysis.ts). */
    analyzeBakes: async () => ({ judged: await analyzeBakes(get()) }),
  };
}

const tasks = makeTaskHandlers(taskContext);
export const prepareHandler = middy(tasks.prepare);
export const runHooksHandler = middy(tasks.runHooks);
export const shiftTrafficHandler = middy(tasks.shiftTraffic);
export const bakeHandler = middy(tasks.bake);
export const awaitApprovalHandler = middy(tasks.awaitApproval);
export const finalizeHandler = middy(tasks.finalize);
export const rollbackHandler = middy(tasks.rollback);
export const installHandler = middy(tasks.install);
export const checkSteadyHandler = middy(tasks.checkSteady);
export const testTrafficHandler = middy(tasks.testTraffic);
export const scaleDownOldHandler = middy(tasks.scaleDownOld);
export const analyzeBakesHandler = middy(tasks.analyzeBakes);
