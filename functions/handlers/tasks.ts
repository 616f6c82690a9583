/**
 * The state machine's tasks as their Lambda functions run them: one factory per task, over the context
 * `get` returns. Each function's own handler file (prepare.ts, run-hooks.ts, …) wraps its task's factory
 * with middy and its wiring, so that its bundle carries that task alone; `makeTaskHandlers` gathers them
 * all for the tests, which run the tasks as the functions do. An error's `name` becomes Lambda's
 * errorType, which is what the ASL's Retry and Catch match.
 */
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

/** The context a task function runs with, built on first use and kept (functions/handlers/context.ts). */
export type TaskGet = () => TaskContext & { bakes: BakeSignals };

type In = Parameters<typeof prepare>[1];

export const prepareTask = (get: TaskGet) => (event: In) => prepare(get(), event);
export const runHooksTask = (get: TaskGet) => (event: Parameters<typeof runHooks>[1]) =>
  runHooks(get(), event);
export const shiftTrafficTask = (get: TaskGet) => (event: Parameters<typeof shiftTraffic>[1]) =>
  shiftTraffic(get(), event);
/**
 * Invoked by `lambda:invoke.waitForTaskToken`: stores the token; on a promote, ends the wait itself. A
 * release member's commit point is a bake of its own (`purpose: AwaitRelease`, functions/tasks/release.ts).
 */
export const bakeTask = (get: TaskGet) => async (event: Parameters<typeof bake>[1]) => {
  const ctx = get();
  const result = event.purpose === 'AwaitRelease' ? await awaitRelease(ctx, event) : await bake(ctx, event);
  if (result.outcome === 'skip') await ctx.bakes.succeed(event.taskToken);
  return result;
};
/** Invoked by `lambda:invoke.waitForTaskToken` at a pause: stores the token, says approval is pending. */
export const awaitApprovalTask = (get: TaskGet) => (event: Parameters<typeof awaitApproval>[1]) =>
  awaitApproval(get(), event);
export const finalizeTask = (get: TaskGet) => (event: In) => finalize(get(), event);
export const installTask = (get: TaskGet) => (event: In) => install(get(), event);
export const checkSteadyTask = (get: TaskGet) => (event: In) => checkSteady(get(), event);
export const testTrafficTask = (get: TaskGet) => (event: In) => testTraffic(get(), event);
export const scaleDownOldTask = (get: TaskGet) => (event: In) => scaleDownOld(get(), event);
export const rollbackTask = (get: TaskGet) => (event: Parameters<typeof rollback>[1]) =>
  rollback(get(), event);
/** The scheduled rule's target, every minute: the analysis checks due in bakes (infra/analysis.ts). */
export const analyzeBakesTask = (get: TaskGet) => async () => ({ judged: await analyzeBakes(get()) });

/** Every task's handler over one context, keyed as the functions' handler exports are (`<key>Handler`). */
export function makeTaskHandlers(get: TaskGet) {
  return {
    prepare: prepareTask(get),
    runHooks: runHooksTask(get),
    shiftTraffic: shiftTrafficTask(get),
    bake: bakeTask(get),
    awaitApproval: awaitApprovalTask(get),
    finalize: finalizeTask(get),
    install: installTask(get),
    checkSteady: checkSteadyTask(get),
    testTraffic: testTrafficTask(get),
    scaleDownOld: scaleDownOldTask(get),
    rollback: rollbackTask(get),
    analyzeBakes: analyzeBakesTask(get),
  };
}
