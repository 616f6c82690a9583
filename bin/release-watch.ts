/**
 * `stepshift release-status ID [--watch]` and `release --wait`: a release drawn from `GET /releases/{id}`
 * — its status, each wave with its members side by side (bar, step, status, at its commit point), what
 * it waits for, and whether it has committed. As for a deployment, a terminal gets the frame redrawn in
 * place and a log a line per change, and the exit code is the outcome: SUCCEEDED → 0; ROLLED_BACK,
 * FAILED, STOPPED → 1. Pure: body in, lines out; bin/watch.ts's `followView` is the loop.
 */
import type { ReleaseMemberView, ReleaseView } from '../functions/api/views.ts';
import type { TimelineEntry } from '../functions/core/deployment.ts';
import { bar } from './render.ts';
import { clock, row, type Watched } from './watch.ts';

/** The body of `GET /releases/{id}`. */
export interface ReleaseWatchBody {
  release: ReleaseView;
  timeline?: TimelineEntry[];
  now?: string;
}

/** The exit code of a release's status: undefined while it goes on. */
export function releaseExitCode(status: string): 0 | 1 | undefined {
  if (status === 'SUCCEEDED') return 0;
  if (status === 'ROLLED_BACK' || status === 'FAILED' || status === 'STOPPED') return 1;
  return undefined;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `step 2/3`; before its first shift `step 0/3`. */
function stepText(m: ReleaseMemberView): string {
  return `step ${Math.max(0, m.stepIndex + 1)}/${m.stepCount}`;
}

/** A member held at its commit point: at 100 %, its hooks passed, waiting for the others. */
const atCommitPoint = (m: ReleaseMemberView) => m.readyAt !== undefined && m.status === 'IN_PROGRESS';

/**
 * Where the release stands on its commit point, in words.
 *
 * @example not committed, 2 of 3 members at theirs → 'not yet: 2 of 3 members at their commit point'
 */
export function commitText(r: ReleaseView): string {
  if (r.committedAt) return `committed at ${clock(r.committedAt)}: every member finalizes`;
  if (releaseExitCode(r.status) !== undefined || r.status === 'ROLLING_BACK')
    return 'never reached: nothing was finalized';
  const there = r.members.filter(atCommitPoint).length;
  return `not yet: ${there} of ${plural(r.members.length, 'member')} at their commit point`;
}

/** What the release workflow waits for now. */
function waitingText(r: ReleaseView): string | undefined {
  const w = r.waiting;
  if (!w) return undefined;
  const what =
    w.phase === 'wave'
      ? `wave ${(w.wave ?? 0) + 1} to reach its commit point`
      : r.committedAt
        ? 'every member to finalize'
        : 'every member to end';
  return `${what}, since ${clock(w.since)}`;
}

function headline(r: ReleaseView): string {
  return `${r.id}  ${r.name}  ${r.status}${r.reason ? ` — ${r.reason}` : ''}`;
}

/** One member's line: group, revision, bar, percent, step, status, and its commit point or reason. */
function memberText(m: ReleaseMemberView, widths: { group: number; revision: number }): string {
  const tail = atCommitPoint(m) ? '  · at its commit point' : m.reason ? `  — ${m.reason}` : '';
  return `${m.group.padEnd(widths.group)}  ${m.revision.padEnd(widths.revision)}  ${bar(m.percent)}  ${`${m.percent} %`.padStart(5)}  ${stepText(m).padEnd(9)}  ${m.status}${tail}`;
}

/** The members of each wave, in wave order. */
export function wavesOf(r: ReleaseView): ReleaseMemberView[][] {
  const waves: ReleaseMemberView[][] = Array.from({ length: r.waveCount }, () => []);
  for (const m of r.members) {
    const wave = waves[m.wave];
    if (wave) wave.push(m);
    else waves[m.wave] = [m];
  }
  return waves;
}

/**
 * The frame of a release: its headline, a line per member under its wave, what it waits for, the
 * commit point, a stop asked for.
 *
 * @example wave 1 [api at its commit point], wave 2 [web baking at 10 %] →
 *   "  wave 1       api  7   ████████████████████  100 %  step 2/2   IN_PROGRESS  · at its commit point"
 *   "  wave 2       web  v2  ██░░░░░░░░░░░░░░░░░░   10 %  step 1/2   IN_PROGRESS"
 *   "  commit       not yet: 1 of 2 members at their commit point"
 */
export function renderRelease(body: ReleaseWatchBody): string[] {
  const r = body.release;
  const lines = [headline(r)];
  const widths = {
    group: Math.max(0, ...r.members.map((m) => m.group.length)),
    revision: Math.max(0, ...r.members.map((m) => m.revision.length)),
  };
  wavesOf(r).forEach((members, w) => {
    const started = w <= r.wave;
    members.forEach((m, i) => {
      const label = i === 0 ? `wave ${w + 1}` : '';
      lines.push(row(label, memberText(m, widths)));
    });
    if (!started && releaseExitCode(r.status) === undefined && members.length > 0)
      lines.push(row('', `(starts when wave ${w} is at its commit point)`));
  });
  const waiting = waitingText(r);
  if (waiting) lines.push(row('waiting for', waiting));
  lines.push(row('commit', commitText(r)));
  if (r.stopRequest)
    lines.push(
      row(
        'stop',
        `requested at ${clock(r.stopRequest.at)}, ${r.stopRequest.rollback ? 'with' : 'without'} rollback${r.stopRequest.reason ? `: ${r.stopRequest.reason}` : ''}`,
      ),
    );
  if (r.executionUrl) lines.push(row('execution', r.executionUrl));
  return lines;
}

/**
 * The lines a log gets when the release goes from `prev` to `next`: its status, a wave started, each
 * member that moved (status, step, percent, its commit point, its reason), the commit, a stop asked for.
 */
export function renderReleaseChanges(prev: ReleaseWatchBody | undefined, next: ReleaseWatchBody): string[] {
  const r = next.release;
  const p = prev?.release;
  const lines: string[] = [];
  if (!p)
    lines.push(`${r.id}  ${r.name}  ${plural(r.members.length, 'member')} in ${plural(r.waveCount, 'wave')}`);
  // An end is said last, after what the members did to get there.
  const status =
    p?.status !== r.status || p?.reason !== r.reason
      ? `status ${r.status}${r.reason ? ` — ${r.reason}` : ''}`
      : undefined;
  const ended = releaseExitCode(r.status) !== undefined;
  if (status && !ended) lines.push(status);
  for (let w = (p?.wave ?? -1) + 1; w <= r.wave; w++) {
    const groups = r.members.filter((m) => m.wave === w).map((m) => m.group);
    lines.push(`wave ${w + 1} of ${r.waveCount} started: ${groups.join(', ')}`);
  }
  // The stop and the commit first: what the members do next follows from them.
  if (r.stopRequest && !p?.stopRequest)
    lines.push(
      `stop requested (${r.stopRequest.rollback ? 'with' : 'without'} rollback)${r.stopRequest.reason ? `: ${r.stopRequest.reason}` : ''}`,
    );
  if (r.committedAt && !p?.committedAt) lines.push(`committed: every member finalizes`);
  const widths = {
    group: Math.max(0, ...r.members.map((m) => m.group.length)),
    revision: Math.max(0, ...r.members.map((m) => m.revision.length)),
  };
  const before = new Map((p?.members ?? []).map((m) => [m.group, memberText(m, widths)]));
  for (const m of r.members) {
    const text = memberText(m, widths);
    // Members of a wave not yet started say nothing until they move.
    if (before.get(m.group) !== text && (p !== undefined || m.wave <= r.wave)) lines.push(text);
  }
  if (status && ended) lines.push(status);
  return lines;
}

/** A release as `release-status --watch` follows it. */
export const RELEASE: Watched<ReleaseWatchBody> = {
  frame: (body) => renderRelease(body),
  changes: renderReleaseChanges,
  exitCode: (body) => releaseExitCode(body.release.status),
};
