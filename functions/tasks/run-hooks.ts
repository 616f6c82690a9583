import { HookFailed } from '../core/errors.ts';
import type { HookEvent } from '../core/group-config.ts';
import { minHookPollSeconds } from '../core/limits.ts';
import type { HookProgress, HookResult } from '../ports.ts';
import { rollbackError, runAnalysis } from './analyze.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { groupOf, isoNow, load, note, type TaskContext, throwIfInterrupted } from './context.ts';

export interface RunHooksOutput {
  /** All hooks of the event succeeded (or there are none). */
  done: boolean;
  /** When not done: how long to wait before asking the hooks still in progress again. */
  waitSeconds: number;
}

/** Bounds on a hook's "ask me again after N seconds". */
export const MIN_CALLBACK_DELAY_SECONDS = 1;
export const MAX_CALLBACK_DELAY_SECONDS = 900;

/**
 * Runs the hooks of one lifecycle event, in parallel. Each returns Succeeded, Failed, or InProgress with
 * a delay after which it is asked again; the workflow waits (a Wait state, no Lambda running) and calls
 * this task again, until every hook has decided or one has used up its timeout. Progress is kept in the
 * store, so a retry of this task asks only the hooks that are due.
 */
export async function runHooks(
  ctx: TaskContext,
  input: { deploymentId: string; lifecycleEvent: HookEvent },
): Promise<RunHooksOutput> {
  const deployment = await load(ctx, input.deploymentId);
  // After the last step's bake (FinalBake): its token no longer ends anything.
  if (deployment.bakeToken) await ctx.store.clear(deployment.id, ['bakeToken', 'bakeUntil']);
  throwIfInterrupted(deployment);
  // Once traffic has moved (AfterAllowTraffic), the alarms are watched through the hooks too: the first
  // call is the check after the last step's bake, before any hook runs.
  if (deployment.percent > 0) await assertNoAlarm(ctx, deployment);
  const event = input.lifecycleEvent;
  const group = groupOf(ctx, deployment);
  // The final analysis run, at 100 %, before AfterAllowTraffic's hooks: an extension waits here (the
  // hooks' Wait loop) and measures again.
  if (
    event === 'AfterAllowTraffic' &&
    group.analysis.length > 0 &&
    !deployment.finalAnalysisPassed &&
    !deployment.promoted
  ) {
    const decision = await runAnalysis(ctx, deployment, 'final');
    if (decision.action === 'rollback') throw rollbackError(decision);
    if (decision.action === 'extend') return { done: false, waitSeconds: decision.seconds };
    await ctx.store.update(deployment.id, { finalAnalysisPassed: true });
  }
  const specs = group.hooks[event] ?? [];
  if (specs.length === 0) return { done: true, waitSeconds: 0 };

  const now = ctx.clock.now();
  let progress = await ctx.store.hookProgress(deployment.id, event);
  if (!progress) {
    progress = specs.map((s) => ({
      functionName: s.functionName,
      status: 'Pending' as const,
      startedAt: isoNow(ctx),
      attempts: 0,
    }));
    await note(
      ctx,
      deployment.id,
      'hook',
      `${event}: running ${specs.map((s) => s.functionName).join(', ')}`,
    );
  }

  const due = progress.filter(
    (p) =>
      (p.status === 'Pending' || p.status === 'InProgress') &&
      (!p.nextPollAt || Date.parse(p.nextPollAt) <= now),
  );
  const results = await Promise.all(
    due.map(async (p): Promise<[HookProgress, HookResult]> => {
      try {
        return [
          p,
          await ctx.hooks.invoke(p.functionName, {
            deploymentId: deployment.id,
            lifecycleEventHookExecutionId: `${deployment.id}:${event}:${p.functionName}`,
            lifecycleEvent: event,
            group: deployment.group,
            revision: deployment.revision,
          }),
        ];
      } catch (e) {
        return [p, { status: 'Failed', reason: e instanceof Error ? e.message : String(e) }];
      }
    }),
  );

  for (const [p, result] of results) {
    p.attempts += 1;
    const spec = specs.find((s) => s.functionName === p.functionName);
    const timeoutMs = (spec?.timeoutSeconds ?? 3600) * 1000;
    if (result.status === 'InProgress') {
      const elapsed = now - Date.parse(p.startedAt);
      const delay = clamp(
        result.callBackDelaySeconds,
        MIN_CALLBACK_DELAY_SECONDS,
        MAX_CALLBACK_DELAY_SECONDS,
      );
      if (elapsed >= timeoutMs) {
        p.status = 'Failed';
        p.reason = `did not decide within its timeout of ${timeoutMs / 1000} s`;
      } else {
        p.status = 'InProgress';
        p.nextPollAt = new Date(
          Math.min(now + delay * 1000, Date.parse(p.startedAt) + timeoutMs),
        ).toISOString();
        if (result.reason !== undefined) p.reason = result.reason;
      }
    } else {
      p.status = result.status;
      if (result.reason !== undefined) p.reason = result.reason;
      delete p.nextPollAt;
    }
    if (p.status === 'Succeeded' || p.status === 'Failed') {
      await note(
        ctx,
        deployment.id,
        'hook',
        `${event}: ${p.functionName} ${p.status.toLowerCase()}${p.reason ? `: ${p.reason}` : ''}`,
        { functionName: p.functionName, status: p.status, attempts: p.attempts },
      );
    }
  }
  await ctx.store.saveHookProgress(deployment.id, event, progress);

  const failed = progress.filter((p) => p.status === 'Failed');
  if (failed.length > 0) {
    throw new HookFailed(
      `${event} hook ${failed.map((p) => `${p.functionName} failed${p.reason ? `: ${p.reason}` : ''}`).join('; ')}`,
    );
  }
  const waiting = progress.filter((p) => p.status !== 'Succeeded');
  if (waiting.length === 0) return { done: true, waitSeconds: 0 };
  const next = Math.min(...waiting.map((p) => (p.nextPollAt ? Date.parse(p.nextPollAt) : now)));
  // However often the hooks ask to be called back, polls of one event stay MAX_HOOK_POLLS at most, so
  // no hook can use up the execution's history.
  const spacing = minHookPollSeconds(Math.max(...specs.map((s) => s.timeoutSeconds)));
  return {
    done: false,
    waitSeconds: Math.max(MIN_CALLBACK_DELAY_SECONDS, spacing, Math.ceil((next - now) / 1000)),
  };
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number.isFinite(n) ? n : lo));
