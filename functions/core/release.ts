/**
 * Releases: several groups deployed as one, all or nothing. Pure: the request's shape, its waves, the
 * rules of a release's status, and the one judgement the release workflow waits on — given the release
 * and its members as stored, is the wait over, and how did it end.
 *
 * A release runs each member as an ordinary deployment (its own execution, hooks, alarms, analysis and
 * lock) in waves. A member that reaches 100 % and passes its AfterAllowTraffic hooks does not finalize:
 * it holds at its *commit point* (the AwaitRelease state) until every member has reached its own. Then
 * the release commits and every member finalizes; if any member fails first, every member that moved
 * traffic is rolled back and the members not yet started never start (docs/decisions/0013).
 *
 * @example waves [[api, worker], [web]]: api and worker deploy side by side; when both hold at their
 *   commit point, web deploys; when web holds at its own, all three finalize — or, should web roll
 *   back, api and worker are rolled back from 100 % to their recorded routing.
 */
import * as z from 'zod/mini';
import type { Deployment, Status, StopRequest } from './deployment.ts';
import type { Problem } from './errors.ts';
import { EXECUTION_TIMEOUT_SECONDS } from './limits.ts';
import { typeRule } from './problems.ts';

/** At most this many members: one StartWave starts a wave's executions in one task. */
export const MAX_MEMBERS = 20;
/** At most this many waves. */
export const MAX_WAVES = 10;

export const RELEASE_STATUSES = [
  'CREATED',
  'IN_PROGRESS',
  'ROLLING_BACK',
  'SUCCEEDED',
  'ROLLED_BACK',
  'FAILED',
  'STOPPED',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

const RELEASE_TRANSITIONS: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  CREATED: ['IN_PROGRESS', 'ROLLING_BACK', 'FAILED', 'STOPPED'],
  IN_PROGRESS: ['SUCCEEDED', 'ROLLING_BACK', 'FAILED', 'STOPPED'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  SUCCEEDED: [],
  ROLLED_BACK: [],
  FAILED: [],
  STOPPED: [],
};

export function canReleaseTransition(from: ReleaseStatus, to: ReleaseStatus): boolean {
  return from === to || RELEASE_TRANSITIONS[from].includes(to);
}

export function isReleaseEnded(status: ReleaseStatus): boolean {
  return RELEASE_TRANSITIONS[status].length === 0;
}

function buildReleaseRequestSchema() {
  const member = z.strictObject({
    group: z
      .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a group name') })
      .check(z.minLength(1)),
    revision: z
      .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
      .check(z.minLength(1), z.maxLength(256)),
    /**
     * Checked member by member against its group (functions/api/releases.ts), so that a bad config is
     * reported with every other problem of the request, not instead of them.
     */
    config: z.optional(z.unknown()),
  });

  const waves = z.strictObject({
    waves: z
      .array(
        z
          .array(z.string(typeRule('must be a group name')), typeRule('must be a list of group names'))
          .check(z.minLength(1, { error: 'must name at least one group' })),
        typeRule('must be a list of waves, each a list of group names'),
      )
      .check(
        z.minLength(1, { error: 'must have at least one wave' }),
        z.maxLength(MAX_WAVES, { error: `must have at most ${MAX_WAVES} waves` }),
      ),
  });

  return z.strictObject({
    name: z
      .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(128, { error: 'must be at most 128 characters' }),
      ),
    description: z.optional(z.string(typeRule('must be a string')).check(z.maxLength(512))),
    members: z
      .array(member, typeRule('must be a list of {group, revision, config?}'))
      .check(
        z.minLength(1, { error: 'must have at least one member' }),
        z.maxLength(MAX_MEMBERS, { error: `must have at most ${MAX_MEMBERS} members` }),
      ),
    order: z.optional(
      z.union([z.literal('parallel'), waves], {
        error: 'must be "parallel" or {"waves": [["group", …], …]}',
      }),
    ),
  });
}

let requestSchema: ReturnType<typeof buildReleaseRequestSchema> | undefined;

/**
 * The schema of a release request, built on first use and kept: only the function that serves the release
 * routes parses one, and a schema built at load would be in every bundle that imports this module.
 */
export function releaseRequestSchema(): ReturnType<typeof buildReleaseRequestSchema> {
  requestSchema ??= buildReleaseRequestSchema();
  return requestSchema;
}

export type ReleaseRequest = z.infer<ReturnType<typeof releaseRequestSchema>>;

/**
 * The waves of a request, as indexes into `members`, each problem with its path: a group twice among
 * the members, a wave naming a group that is not a member or naming one twice, a member in no wave.
 *
 * @example members [api, worker, web], order {waves: [["api", "worker"], ["web"]]} → [[0, 1], [2]]
 * @example order "parallel" (or absent) → [[0, 1, 2]]
 */
export function wavesOf(request: ReleaseRequest): { waves: number[][]; problems: Problem[] } {
  const problems: Problem[] = [];
  const index = new Map<string, number>();
  request.members.forEach((m, i) => {
    const first = index.get(m.group);
    if (first === undefined) index.set(m.group, i);
    else
      problems.push({
        path: `members[${i}].group`,
        message: `${m.group} is already members[${first}]: a release deploys each group once`,
      });
  });
  const order = request.order ?? 'parallel';
  if (order === 'parallel') return { waves: [request.members.map((_, i) => i)], problems };
  const placed = new Map<string, string>();
  const waves = order.waves.map((wave, w) =>
    wave.flatMap((group, j) => {
      const path = `order.waves[${w}][${j}]`;
      const i = index.get(group);
      if (i === undefined) {
        problems.push({
          path,
          message: `${group} is not a member; members: ${request.members.map((m) => m.group).join(', ')}`,
        });
        return [];
      }
      const where = placed.get(group);
      if (where) {
        problems.push({ path, message: `${group} is already in ${where}: each member is in one wave` });
        return [];
      }
      placed.set(group, path);
      return [i];
    }),
  );
  request.members.forEach((m, i) => {
    if (index.get(m.group) === i && !placed.has(m.group))
      problems.push({ path: `members[${i}].group`, message: `${m.group} is in no wave of order.waves` });
  });
  return { waves, problems };
}

/**
 * Whether the release fits the members' executions: a member of wave w holds at its commit point until
 * the last wave has reached its own, so its execution (7 days at most) must last its own worst case and
 * the longest worst case of every later wave. Returns the problem, or undefined.
 *
 * @example worst cases [[2 d], [3 d], [3 d]] → wave 1 holds up to 2 + 3 + 3 = 8 d > 7 d: refused
 *          worst cases [[1 h, 2 h], [1 h]] → wave 1 holds up to 3 h: fits
 */
export function releaseTimeProblem(waveSeconds: readonly number[][]): string | undefined {
  const longest = waveSeconds.map((w) => Math.max(0, ...w));
  for (let w = 0; w < waveSeconds.length; w++) {
    const own = Math.max(0, ...(waveSeconds[w] ?? []));
    const after = longest.slice(w + 1).reduce((a, b) => a + b, 0);
    if (own + after > EXECUTION_TIMEOUT_SECONDS) {
      const h = (s: number) => `${Math.round((s / 3600) * 10) / 10} h`;
      return `wave ${w + 1} would hold at its commit point for up to ${h(own + after)} (its own ${h(own)}, later waves ${h(after)}): a member's execution stops after ${h(EXECUTION_TIMEOUT_SECONDS)}; use fewer waves or shorter configs`;
    }
  }
  return undefined;
}

export interface ReleaseMember {
  group: string;
  deploymentId: string;
  revision: string;
  configName: string;
  /** Its wave, from 0. */
  wave: number;
}

/** What the release workflow waits for: a wave's members at their commit point, or every member ended. */
export type ReleaseWait = { phase: 'wave'; wave: number } | { phase: 'end' };

export interface Release {
  id: string;
  name: string;
  description?: string;
  members: ReleaseMember[];
  waveCount: number;
  status: ReleaseStatus;
  /** The last wave started; -1 before the first. */
  wave: number;
  /** The point of no return: every member held at its commit point, and was told to finalize. */
  committedAt?: string;
  /** What the workflow waits on now, with the callback's task token. */
  wait?: ReleaseWait & { token: string; since: string };
  stopRequest?: StopRequest;
  /** The member whose failure rolled the release back. */
  cause?: { deploymentId: string; group: string; status: Status; reason?: string };
  reason?: string;
  executionName: string;
  executionArn?: string;
  /** Its execution ended before it did: the last of its members to end ends it. */
  orphanedAt?: string;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
}

/** A member as the judgement needs it: its record, or undefined when it was never written. */
export type MemberRecord = Pick<
  Deployment,
  'id' | 'group' | 'status' | 'reason' | 'percent' | 'releaseReadyAt' | 'executionArn'
>;

/** A member that will not reach its commit point: it is rolling back, or ended without succeeding. */
export function memberFailed(m: MemberRecord | undefined): boolean {
  return (
    m === undefined ||
    m.status === 'ROLLING_BACK' ||
    m.status === 'ROLLED_BACK' ||
    m.status === 'FAILED' ||
    m.status === 'STOPPED' ||
    m.status === 'CANCELLED'
  );
}

const FAILURE_WORDS: Partial<Record<Status, string>> = {
  ROLLING_BACK: 'rolled back',
  ROLLED_BACK: 'rolled back',
  FAILED: 'failed',
  STOPPED: 'was stopped',
  CANCELLED: 'was cancelled',
};

/**
 * Why a member will not reach its commit point, in words.
 *
 * @example {group: 'worker', status: 'ROLLING_BACK', reason: 'hook smoke failed'} → 'worker rolled back: hook smoke failed'
 */
export function failureOf(group: string, m: Pick<MemberRecord, 'status' | 'reason'> | undefined): string {
  if (!m) return `${group} has no deployment record`;
  return `${group} ${FAILURE_WORDS[m.status] ?? m.status}${m.reason ? `: ${m.reason}` : ''}`;
}

/** A member held at its commit point. */
export const memberReady = (m: MemberRecord | undefined): boolean =>
  m?.status === 'IN_PROGRESS' && m.releaseReadyAt !== undefined;

export const memberEnded = (m: MemberRecord | undefined): boolean =>
  m === undefined ||
  m.status === 'SUCCEEDED' ||
  m.status === 'ROLLED_BACK' ||
  m.status === 'FAILED' ||
  m.status === 'STOPPED' ||
  m.status === 'CANCELLED';

/** How a wait ends: on (its condition holds), or failed with the error the release's Catch sees. */
export type Judgement =
  | { verdict: 'wait' }
  | { verdict: 'on' }
  | { verdict: 'fail'; error: 'MemberFailed' | 'StopRequested'; cause: string };

/**
 * Whether the release's wait is over. Waiting on a wave: a stop request or any member failing (of any
 * wave: a member of an earlier wave can roll back from its commit point, on an alarm) ends it failed;
 * every member of the wave at its commit point ends it on. Waiting for the end: every member ended.
 *
 * @example wave 1 of [[api], [web]], api ready, web IN_PROGRESS → wait; web ready → on;
 *          api ROLLED_BACK by its alarm → fail MemberFailed "api (d-…) ROLLED_BACK: alarm …"
 */
export function judge(
  release: Pick<Release, 'members' | 'stopRequest'>,
  wait: ReleaseWait,
  members: readonly (MemberRecord | undefined)[],
): Judgement {
  if (wait.phase === 'end') {
    return members.every(memberEnded) ? { verdict: 'on' } : { verdict: 'wait' };
  }
  if (release.stopRequest) {
    return {
      verdict: 'fail',
      error: 'StopRequested',
      cause: `release stop requested (${release.stopRequest.rollback ? 'with' : 'without'} rollback)${
        release.stopRequest.reason ? `: ${release.stopRequest.reason}` : ''
      }`,
    };
  }
  const failed = release.members.findIndex((_, i) => memberFailed(members[i]));
  if (failed >= 0) {
    return {
      verdict: 'fail',
      error: 'MemberFailed',
      cause: failureOf(release.members[failed]?.group ?? '', members[failed]),
    };
  }
  const ready = release.members.every((spec, i) => spec.wave !== wait.wave || memberReady(members[i]));
  return ready ? { verdict: 'on' } : { verdict: 'wait' };
}

/**
 * How an ended release ended, from its members once every one has ended:
 * - committed: SUCCEEDED when every member SUCCEEDED, else FAILED naming those that did not;
 * - stopped without rollback: STOPPED (each member's split stays, recorded on the member);
 * - otherwise ROLLED_BACK, unless a member that moved traffic did not get back to its recorded routing
 *   (a rollback that failed, drift): FAILED, naming it.
 */
export function outcomeOf(
  release: Pick<Release, 'members' | 'committedAt' | 'stopRequest' | 'cause' | 'reason'>,
  members: readonly (MemberRecord | undefined)[],
): { status: Extract<ReleaseStatus, 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED' | 'STOPPED'>; reason?: string } {
  const named = (i: number) => `${release.members[i]?.group} ${members[i]?.status ?? 'unrecorded'}`;
  const where = (pred: (m: MemberRecord | undefined) => boolean) =>
    release.members.flatMap((_, i) => (pred(members[i]) ? [named(i)] : []));
  if (release.committedAt) {
    const not = where((m) => m?.status !== 'SUCCEEDED');
    return not.length === 0
      ? { status: 'SUCCEEDED' }
      : { status: 'FAILED', reason: `after the commit, not every member succeeded: ${not.join(', ')}` };
  }
  if (release.stopRequest && !release.stopRequest.rollback) {
    return { status: 'STOPPED', reason: 'stopped without rollback: each member keeps its routing' };
  }
  const left = where(
    (m) => m !== undefined && (m.status === 'FAILED' || m.status === 'STOPPED') && m.percent > 0,
  );
  const why = release.cause
    ? failureOf(release.cause.group, release.cause)
    : release.stopRequest
      ? `stop requested${release.stopRequest.reason ? `: ${release.stopRequest.reason}` : ''}`
      : (release.reason ?? 'the release failed');
  if (left.length > 0) {
    return { status: 'FAILED', reason: `${why}; not rolled back: ${left.join(', ')}` };
  }
  return { status: 'ROLLED_BACK', reason: why };
}
