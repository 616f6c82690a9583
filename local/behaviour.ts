/**
 * How rehearsal revisions and hooks behave in the simulated account: the schemas that the local routes,
 * the CLI and the local account file share, and the hook functions a behaviour stands for.
 */
import * as z from 'zod/mini';
import type { HookPayload, HookResult } from '../functions/ports.ts';
import type { HookFunction, ImageProfile, VersionProfile } from './account.ts';

/** A revision nobody described: what a healthy service answers (0.2 % errors, 40 ms). */
export const HEALTHY: VersionProfile = { errorRate: 0.002, latencyMs: 40 };
/** A bad revision: one request in three fails. */
export const BROKEN: VersionProfile = { errorRate: 0.35, latencyMs: 60 };

export const errorRateSchema = z
  .number({ error: 'must be a fraction from 0 to 1 (0.3 is 30 % of requests failing)' })
  .check(
    z.gte(0, { error: 'must be a fraction from 0 to 1' }),
    z.lte(1, { error: 'must be a fraction from 0 to 1 (0.3 is 30 % of requests failing)' }),
  );
export const latencyMsSchema = z
  .number({ error: 'must be a number of milliseconds' })
  .check(
    z.positive({ error: 'must be a number of milliseconds above 0' }),
    z.lte(900_000, { error: 'must be at most 900000 (a Lambda invocation lasts at most 15 minutes)' }),
  );
export const rpsSchema = z
  .number({ error: 'must be a number of requests per virtual second' })
  .check(
    z.gte(0, { error: 'must be 0 or more requests per virtual second' }),
    z.lte(1000, { error: 'must be at most 1000 requests per virtual second' }),
  );

/** A version's or an image's behaviour under traffic; what is left out is healthy. */
export const behaviourSchema = z.strictObject({
  errorRate: z.optional(errorRateSchema),
  latencyMs: z.optional(latencyMsSchema),
});
export const imageBehaviourSchema = z.extend(behaviourSchema, {
  /** Tasks of this image never start (a bad image, a missing secret): the service never becomes steady. */
  failToStart: z.optional(z.boolean({ error: 'must be true or false' })),
});

export function versionProfile(b: z.output<typeof behaviourSchema>): VersionProfile {
  return { errorRate: b.errorRate ?? HEALTHY.errorRate, latencyMs: b.latencyMs ?? HEALTHY.latencyMs };
}

export function imageProfile(b: z.output<typeof imageBehaviourSchema>): ImageProfile {
  return { ...versionProfile(b), ...(b.failToStart ? { failsToStart: true } : {}) };
}

const HOOK_BEHAVIOUR = /^(succeed|fail|in-progress:([1-9]\d{0,2})|slow:([1-9]\d{0,4}))$/;

/**
 * What a hook function answers: `succeed`, `fail`, `in-progress:<n>` (InProgress n times, called back
 * after 20 s each, then Succeeded) or `slow:<seconds>` (answers after that many seconds: InProgress with
 * a call-back then, then Succeeded).
 */
export const hookBehaviourSchema = z
  .string({ error: 'must be succeed, fail, in-progress:<n> or slow:<seconds>' })
  .check(
    z.regex(HOOK_BEHAVIOUR, {
      error: 'must be succeed, fail, in-progress:<n> (1–999) or slow:<seconds> (1–99999)',
    }),
  );
export type HookBehaviour = z.output<typeof hookBehaviourSchema>;

/** The seconds an `in-progress:<n>` hook asks to be called back after. */
export const IN_PROGRESS_CALLBACK_SECONDS = 20;

/**
 * The hook function a behaviour stands for. Calls are counted per hook execution
 * (`lifecycleEventHookExecutionId`), so every deployment sees the behaviour from its start.
 *
 * @example hookFunction('orders-api-smoke-test', 'in-progress:1') → InProgress (call back in 20 s), then Succeeded
 */
export function hookFunction(name: string, behaviour: HookBehaviour): HookFunction {
  const calls = new Map<string, number>();
  const [, kind = 'succeed', progress, slow] = HOOK_BEHAVIOUR.exec(behaviour) ?? [];
  return (payload: HookPayload): HookResult => {
    const n = (calls.get(payload.lifecycleEventHookExecutionId) ?? 0) + 1;
    calls.set(payload.lifecycleEventHookExecutionId, n);
    const passed: HookResult = {
      status: 'Succeeded',
      reason: `${name} passed on ${payload.revision} (local behaviour ${behaviour})`,
    };
    if (kind === 'fail') {
      return { status: 'Failed', reason: `${name} failed on ${payload.revision} (local behaviour fail)` };
    }
    if (progress && n <= Number(progress)) {
      return {
        status: 'InProgress',
        callBackDelaySeconds: IN_PROGRESS_CALLBACK_SECONDS,
        reason: `${name} is still checking ${payload.revision} (${n} of ${progress})`,
      };
    }
    if (slow && n === 1) {
      return {
        status: 'InProgress',
        callBackDelaySeconds: Number(slow),
        reason: `${name} answers in ${slow} s`,
      };
    }
    return passed;
  };
}
