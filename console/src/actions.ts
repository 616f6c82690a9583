/**
 * The operator's actions on a deployment, and when each applies: the rules functions/api/operations.ts
 * enforces, so a button is disabled exactly when the API would refuse (and says why), plus two the
 * page adds — a stop already asked for, a promote with no bake left to skip.
 */
import type { DeploymentView, Progress } from './types.ts';

export type ActionName =
  | 'cancel'
  | 'approve'
  | 'reject'
  | 'stop'
  | 'stopKeep'
  | 'promote'
  | 'rollback'
  | 'resume'
  | 'retry';

export interface Action {
  name: ActionName;
  label: string;
  /** What the confirmation dialog says will happen. */
  confirm: string;
  path: string;
  body?: unknown;
  /** Why it does not apply now; undefined when it does. */
  disabled?: string;
  /** The dialog asks for a reason, sent as the body's `reason` (reject). */
  needsReason?: boolean;
}

const RUNNING = ['CREATED', 'IN_PROGRESS'];

/**
 * @example status IN_PROGRESS, step 3 of 10 → stop, stop without rollback, promote enabled; rollback not
 * @example status STOPPED with a recorded routing and a last routing → rollback and resume enabled
 * @example status ROLLED_BACK → only retry enabled
 * @example waiting at a pause → approve and reject first (shown only then), stop, stop without rollback
 * @example status QUEUED → cancel first (shown only then); nothing else applies yet
 * @example a release member STOPPED without rollback → rollback enabled, resume not: never alone
 */
export function actionsFor(d: DeploymentView, progress: Progress | undefined): Action[] {
  const base = `/deployments/${encodeURIComponent(d.id)}`;
  const running = RUNNING.includes(d.status);
  const stopWhy = !running
    ? `it is ${d.status}: only a deployment in progress can be stopped`
    : d.stopRequest
      ? `a stop was requested at ${d.stopRequest.at}`
      : undefined;
  const atLast = progress !== undefined && progress.steps > 0 && progress.step >= progress.steps;
  const promoteWhy = !running
    ? `it is ${d.status}: only a deployment in progress can be promoted`
    : d.promoted
      ? 'already promoted'
      : atLast
        ? 'the last step is applied: no bake is left to skip'
        : d.stopRequest
          ? 'a stop was requested'
          : undefined;
  const rollbackWhy =
    d.status !== 'STOPPED' && d.status !== 'FAILED'
      ? `it is ${d.status}: only a stopped or failed deployment can be rolled back`
      : !d.originalRouting || !d.lastRouting
        ? 'it never moved traffic: there is nothing to roll back'
        : undefined;
  const resumeWhy =
    d.status !== 'STOPPED'
      ? `it is ${d.status}: only a deployment stopped without rollback can be resumed`
      : d.release
        ? `it is a member of release ${d.release.id}: it cannot be resumed alone (it would finalize outside its release); roll it back, or release the groups again`
        : !d.originalRouting || !d.lastRouting || d.stepIndex < 0
          ? 'it was stopped before any traffic moved: there is nothing to resume'
          : undefined;
  const retryWhy =
    d.status !== 'FAILED' && d.status !== 'ROLLED_BACK'
      ? `it is ${d.status}: only a FAILED or ROLLED_BACK deployment can be retried`
      : undefined;
  const waiting = d.status === 'IN_PROGRESS' && d.approval?.pending === true;
  const approvals: Action[] = waiting
    ? [
        {
          name: 'approve',
          label: 'Approve',
          confirm: `Approve ${d.id} at ${d.percent} %: go on to the next shift?`,
          path: `${base}/approve`,
        },
        {
          name: 'reject',
          label: 'Reject',
          confirm: `Reject ${d.id} at ${d.percent} % and roll it back? Say why: the reason is recorded.`,
          path: `${base}/reject`,
          needsReason: true,
        },
      ]
    : [];
  const cancel: Action[] =
    d.status === 'QUEUED'
      ? [
          {
            name: 'cancel',
            label: 'Cancel',
            confirm: `Cancel ${d.id}: take it out of ${d.group}'s queue? It never starts.`,
            path: `${base}/cancel`,
            body: {},
          },
        ]
      : [];
  return [
    ...cancel,
    ...approvals,
    {
      name: 'stop',
      label: 'Stop',
      confirm: `Stop ${d.id} and restore the routing recorded before its first shift?`,
      path: `${base}/stop`,
      body: { rollback: true },
      ...(stopWhy ? { disabled: stopWhy } : {}),
    },
    {
      name: 'stopKeep',
      label: 'Stop without rollback',
      confirm: `Stop ${d.id} and leave the routing as it is now (${d.percent} % on revision ${d.revision})? A rollback can be asked for later.`,
      path: `${base}/stop`,
      body: { rollback: false },
      ...(stopWhy ? { disabled: stopWhy } : {}),
    },
    {
      name: 'promote',
      label: 'Promote',
      confirm: `Promote ${d.id}: end the current bake and shift the remaining steps without waiting?`,
      path: `${base}/promote`,
      ...(promoteWhy ? { disabled: promoteWhy } : {}),
    },
    {
      name: 'rollback',
      label: 'Rollback',
      confirm: `Roll ${d.id} back: restore the routing recorded before its first shift?`,
      path: `${base}/rollback`,
      ...(rollbackWhy ? { disabled: rollbackWhy } : {}),
    },
    {
      name: 'resume',
      label: 'Resume',
      confirm: `Resume ${d.id}: set ${d.percent} % on revision ${d.revision} again, bake it, and go on with the remaining steps?`,
      path: `${base}/resume`,
      ...(resumeWhy ? { disabled: resumeWhy } : {}),
    },
    {
      name: 'retry',
      label: 'Retry',
      confirm: `Retry ${d.id}: start a new deployment of revision ${d.revision} to ${d.group} with ${d.configName}?`,
      path: `${base}/retry`,
      ...(retryWhy ? { disabled: retryWhy } : {}),
    },
  ];
}

/** What the API answered, in a sentence: the deployment's (or release's) status, or the error's own message. */
export async function perform(action: Action, reason?: string): Promise<{ ok: boolean; message: string }> {
  let res: Response;
  try {
    res = await fetch(action.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(action.needsReason ? { reason: reason ?? '' } : (action.body ?? {})),
    });
  } catch (e) {
    return { ok: false, message: `the request failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const body = (await res.json().catch(() => undefined)) as
    | {
        deployment?: DeploymentView;
        release?: { id: string; status: string };
        message?: string;
        error?: string;
      }
    | undefined;
  if (!res.ok) {
    return {
      ok: false,
      message: `${res.status} ${body?.error ?? res.statusText}: ${body?.message ?? 'no message'}`,
    };
  }
  if (action.name === 'retry') {
    // A retry answers with the new deployment itself, as a start does.
    const made = body as DeploymentView | undefined;
    return { ok: true, message: `${res.status}: retried — new deployment ${made?.id ?? '?'}` };
  }
  // A release's stop answers with the release, every other action with the deployment.
  const d = body?.deployment ?? body?.release;
  const what =
    action.name === 'cancel'
      ? 'cancelled: it leaves the queue'
      : action.name === 'approve'
        ? 'approved: it goes on'
        : action.name === 'reject'
          ? 'rejected: it rolls back'
          : action.name === 'resume'
            ? 'resumed: it carries on from the step it was stopped at'
            : action.name === 'promote'
              ? 'promoted: the remaining bakes are skipped'
              : action.name === 'rollback'
                ? 'rolled back'
                : action.name === 'stop'
                  ? 'stop requested, with rollback'
                  : 'stop requested, without rollback';
  return { ok: true, message: `${res.status}: ${what}${d ? ` — ${d.id} is ${d.status}` : ''}` };
}
