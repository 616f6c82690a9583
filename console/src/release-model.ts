/**
 * A release as its page shows it, worked out without a browser: the waves with their members side by
 * side, where each wave and the commit point stand, and the stop actions with the rules
 * functions/api/releases.ts `stopRelease` enforces — so a button is disabled exactly when the API would
 * refuse, with the API's reason as its tooltip.
 */
import type { Action } from './actions.ts';
import { deploymentHref } from './routes.ts';
import type { ReleaseMemberView, ReleaseView } from './types.ts';

export interface MemberCard {
  group: string;
  deploymentId: string;
  /** The member's own deployment page. */
  href: string;
  revision: string;
  configName: string;
  /** Its wave, from 0. */
  wave: number;
  status: ReleaseMemberView['status'];
  percent: number;
  /** `step 2 of 3`, or `not started` before its first shift. */
  step: string;
  /** Held at its commit point: at 100 %, its hooks passed, waiting for the others. */
  atCommitPoint: boolean;
  /** When it reached its commit point (also after it went on from there). */
  readyAt?: string;
  reason?: string;
  endedAt?: string;
}

/**
 * Where one wave stands:
 * - `pending`: a later wave, not started yet; `neverStarted`: the release ended before it started;
 * - `deploying`: started, not every member at its commit point yet; `ready`: every member there;
 * - `finalizing`: the release committed, members still finalizing; `done`: every member SUCCEEDED;
 * - `rollingBack` (a member is), `ended`: every member ended, not every one SUCCEEDED.
 */
export type WaveState =
  | 'pending'
  | 'neverStarted'
  | 'deploying'
  | 'ready'
  | 'finalizing'
  | 'done'
  | 'rollingBack'
  | 'ended';

export interface WaveModel {
  /** From 0. */
  index: number;
  state: WaveState;
  /** The state in words, for the wave's header. */
  text: string;
  /** The state in a word or two, for the summary: `wave 1 held · wave 2 deploying`. */
  short: string;
  members: MemberCard[];
}

export type CommitState = 'pending' | 'committed' | 'never';

export interface ReleaseModel {
  waves: WaveModel[];
  commit: { state: CommitState; text: string; at?: string };
  /** What the release workflow waits for now, in words, and since when. */
  waiting?: { text: string; since: string };
  /** `wave 2 of 3`, `not started`. */
  progress: string;
}

const ENDED = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'STOPPED', 'CANCELLED', 'MISSING'];
const RELEASE_ENDED = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'STOPPED'];

export const releaseEnded = (r: Pick<ReleaseView, 'status'>): boolean => RELEASE_ENDED.includes(r.status);

const atCommitPoint = (m: ReleaseMemberView) => m.readyAt !== undefined && m.status === 'IN_PROGRESS';

export function memberCard(m: ReleaseMemberView): MemberCard {
  return {
    group: m.group,
    deploymentId: m.deploymentId,
    href: deploymentHref(m.deploymentId),
    revision: m.revision,
    configName: m.configName,
    wave: m.wave,
    status: m.status,
    percent: m.percent,
    step: m.stepIndex < 0 || m.stepCount === 0 ? 'not started' : `step ${m.stepIndex + 1} of ${m.stepCount}`,
    atCommitPoint: atCommitPoint(m),
    ...(m.readyAt ? { readyAt: m.readyAt } : {}),
    ...(m.reason ? { reason: m.reason } : {}),
    ...(m.endedAt ? { endedAt: m.endedAt } : {}),
  };
}

const words = (status: string) => status.replace(/_/g, ' ').toLowerCase();

function waveState(
  r: ReleaseView,
  index: number,
  members: ReleaseMemberView[],
): { state: WaveState; text: string } {
  const n = members.length;
  if (index > r.wave || members.every((m) => m.status === 'CANCELLED')) {
    if (releaseEnded(r) || r.status === 'ROLLING_BACK' || members.every((m) => m.status === 'CANCELLED'))
      return { state: 'neverStarted', text: 'never started' };
    return {
      state: 'pending',
      text: index === 0 ? 'starts first' : `starts when wave ${index} is at its commit point`,
    };
  }
  if (members.every((m) => m.status === 'SUCCEEDED')) return { state: 'done', text: 'finalized' };
  if (members.some((m) => m.status === 'ROLLING_BACK')) return { state: 'rollingBack', text: 'rolling back' };
  if (members.every((m) => ENDED.includes(m.status))) {
    const statuses = [...new Set(members.map((m) => words(m.status)))];
    return { state: 'ended', text: statuses.join(', ') };
  }
  if (r.committedAt) return { state: 'finalizing', text: 'finalizing' };
  const there = members.filter(atCommitPoint).length;
  if (there === n) return { state: 'ready', text: 'at its commit point' };
  return { state: 'deploying', text: `deploying: ${there} of ${n} at the commit point` };
}

const SHORT: Record<WaveState, string> = {
  pending: 'waiting',
  neverStarted: 'never started',
  deploying: 'deploying',
  ready: 'held',
  finalizing: 'finalizing',
  done: 'finalized',
  rollingBack: 'rolling back',
  ended: 'ended',
};

/**
 * @example waves [[api, worker], [web]], api and worker held, web baking at 10 % →
 *   wave 1 ready "at its commit point", wave 2 deploying "0 of 1 at the commit point",
 *   commit pending "Not yet: 2 of 3 members at their commit point", waiting for wave 2
 */
export function releaseModel(r: ReleaseView): ReleaseModel {
  const byWave: ReleaseMemberView[][] = Array.from({ length: Math.max(r.waveCount, 1) }, () => []);
  for (const m of r.members) {
    const wave = byWave[m.wave];
    if (wave) wave.push(m);
    else byWave[m.wave] = [m];
  }
  const waves = byWave.map((members, index) => {
    const state = waveState(r, index, members);
    return {
      index,
      ...state,
      short: state.state === 'ended' ? state.text : SHORT[state.state],
      members: members.map(memberCard),
    };
  });
  const there = r.members.filter(atCommitPoint).length;
  const commit: ReleaseModel['commit'] = r.committedAt
    ? {
        state: 'committed',
        text: 'Committed: every member reached its commit point and was told to finalize',
        at: r.committedAt,
      }
    : releaseEnded(r) || r.status === 'ROLLING_BACK'
      ? {
          state: 'never',
          text:
            r.status === 'STOPPED'
              ? 'Never reached: stopped without rollback, each member keeps its routing'
              : 'Never reached: nothing was finalized',
        }
      : {
          state: 'pending',
          text: `Not yet: ${there} of ${r.members.length} member${r.members.length === 1 ? '' : 's'} at their commit point`,
        };
  const w = r.waiting;
  const waiting = w
    ? {
        text:
          w.phase === 'wave'
            ? `wave ${(w.wave ?? 0) + 1} to reach its commit point`
            : r.committedAt
              ? 'every member to finalize'
              : 'every member to end',
        since: w.since,
      }
    : undefined;
  const progress = r.wave < 0 ? 'not started' : `wave ${Math.min(r.wave + 1, r.waveCount)} of ${r.waveCount}`;
  return { waves, commit, ...(waiting ? { waiting } : {}), progress };
}

/**
 * Stop and stop without rollback, as `POST /releases/{id}/stop` allows them: while CREATED or
 * IN_PROGRESS, no stop asked for yet, and before the commit (then its members are finalizing).
 *
 * @example IN_PROGRESS, not committed → both enabled
 * @example committed → both disabled: "it has committed: its members are finalizing"
 */
export function releaseActionsFor(r: ReleaseView): Action[] {
  const path = `/releases/${encodeURIComponent(r.id)}/stop`;
  const why =
    r.status !== 'CREATED' && r.status !== 'IN_PROGRESS'
      ? `it is ${r.status}: only a release in progress can be stopped`
      : r.stopRequest
        ? `a stop was requested at ${r.stopRequest.at}`
        : r.committedAt
          ? `it has committed at ${r.committedAt}: its members are finalizing, and it can no longer be stopped`
          : undefined;
  return [
    {
      name: 'stop',
      label: 'Stop',
      confirm: `Stop release ${r.name} (${r.id})? Every member still running stops and every member that moved traffic returns to the routing it recorded before its first shift; the waves not started never start.`,
      path,
      body: { rollback: true },
      ...(why ? { disabled: why } : {}),
    },
    {
      name: 'stopKeep',
      label: 'Stop without rollback',
      confirm: `Stop release ${r.name} (${r.id}) and leave each member's routing as it is now, recorded? The waves not started never start.`,
      path,
      body: { rollback: false },
      ...(why ? { disabled: why } : {}),
    },
  ];
}
