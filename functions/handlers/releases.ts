/**
 * The release workflow's function (statemachines/release.asl.json): every task state invokes it with an
 * `action`, and its callback states with `action: awaitMembers` and their task token. It is also the
 * release state machine's watchdog: an "Execution Status Change" event of a release that ended without
 * success (someone stopped it in the console, its timeout) ends what it left (infra/releases.ts).
 */
import middy from '@middy/core';
import * as z from 'zod/mini';
import {
  type AwaitMembersInput,
  awaitMembers,
  commitRelease,
  endRelease,
  prepareRelease,
  type ReleaseContext,
  releaseExecutionEnded,
  rollBackRelease,
  startWave,
} from '../api/release-workflow.ts';
import { StepShiftError } from '../core/errors.ts';
import { DETAIL_TYPES, ENDED_STATUSES } from '../core/event-rules.ts';
import type { CaughtError } from '../tasks/rollback.ts';
import { releaseContext } from './context.ts';

/** What the release's states send: the action and its fields (see the ASL's Parameters). */
export type ReleaseTaskEvent =
  | { action: 'prepare' | 'commit' | 'end'; releaseId: string }
  | { action: 'startWave'; releaseId: string; wave: number }
  | ({ action: 'awaitMembers' } & AwaitMembersInput)
  | { action: 'rollback'; releaseId: string; error?: CaughtError };

const executionEvent = z.object({
  'detail-type': z.literal(DETAIL_TYPES.executionStatusChange),
  detail: z.object({
    status: z.string(),
    name: z.string(),
    input: z.nullish(z.string()),
    cause: z.nullish(z.string()),
  }),
});

export function makeReleaseHandler(get: () => ReleaseContext) {
  return async (event: unknown): Promise<unknown> => {
    const watchdog = executionEvent.safeParse(event);
    if (watchdog.success) {
      const { status, name, input, cause } = watchdog.data.detail;
      if (!(ENDED_STATUSES as readonly string[]).includes(status)) return { ignored: status };
      let releaseId = name;
      try {
        const parsed = JSON.parse(input ?? '{}') as { releaseId?: unknown };
        if (typeof parsed.releaseId === 'string') releaseId = parsed.releaseId;
      } catch {
        // the execution's name is the release id too
      }
      return releaseExecutionEnded(get(), releaseId, `${status}${cause ? `: ${cause}` : ''}`);
    }
    const task = event as ReleaseTaskEvent;
    const ctx = get();
    switch (task.action) {
      case 'prepare':
        return prepareRelease(ctx, task);
      case 'startWave':
        return startWave(ctx, task);
      case 'awaitMembers':
        return awaitMembers(ctx, task);
      case 'commit':
        return commitRelease(ctx, task);
      case 'rollback':
        return rollBackRelease(ctx, task);
      case 'end':
        return endRelease(ctx, task);
      default:
        throw new StepShiftError(`not a release task: ${JSON.stringify(event).slice(0, 200)}`);
    }
  };
}

export const releaseHandler = middy(makeReleaseHandler(releaseContext));
