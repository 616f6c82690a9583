/**
 * Releases in the API: `POST /releases` (several groups deployed as one, all or nothing), `GET /releases`,
 * `GET /releases/{id}` and `POST /releases/{id}/stop`. The release workflow itself is in
 * ./release-workflow.ts, the rules in functions/core/release.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { _coercedNumber } from 'zod/v4/core';
import { withAnalysis } from '../core/analysis.ts';
import { deploymentConfigInputSchema, type ResolvedConfig } from '../core/configs.ts';
import type { Deployment, TimelineEntry } from '../core/deployment.ts';
import {
  Conflict,
  GroupBusy,
  NotFound,
  type Problem,
  StepShiftError,
  ValidationError,
} from '../core/errors.ts';
import { type DeploymentGroup, worstCaseOf } from '../core/group-config.ts';
import { approvalOf, plan } from '../core/planner.ts';
import { problemsFrom } from '../core/problems.ts';
import {
  isReleaseEnded,
  type Release,
  type ReleaseMember,
  releaseRequestSchema,
  releaseTimeProblem,
  wavesOf,
} from '../core/release.ts';
import { platformOf } from '../platforms/index.ts';
import type { ReleaseInput, WorkflowStarter } from '../ports.ts';
import { isoNow, note, transition } from '../tasks/context.ts';
import { acquireLock, isStale } from '../tasks/lock.ts';
import { preflight } from '../tasks/prepare.ts';
import { type ApiContext, parse } from './context.ts';
import { loadRelease, noteRelease, type ReleaseContext, transitionRelease } from './release-workflow.ts';
import { chooseConfig, IDEMPOTENCY_TTL_SECONDS } from './start.ts';
import type { ReleaseMemberView, ReleaseView } from './views.ts';

/** Where releases are served: the API's context with the release records and workflow. */
export interface ReleaseApiContext extends ReleaseContext {
  releaseWorkflow: WorkflowStarter<ReleaseInput>;
}

/** The context as releases need it; a wiring without them answers so, naming what is missing. */
export function releaseContextOf(ctx: ApiContext): ReleaseApiContext {
  if (!ctx.releases || !ctx.releaseWorkflow) {
    throw new StepShiftError('releases are not configured here: no release store or release workflow');
  }
  return ctx as ReleaseApiContext;
}

function memberView(member: ReleaseMember, d: Deployment | undefined): ReleaseMemberView {
  if (!d) return { ...member, status: 'MISSING', percent: 0, stepIndex: -1, stepCount: 0 };
  return {
    ...member,
    status: d.status,
    percent: d.percent,
    stepIndex: d.stepIndex,
    stepCount: d.schedule.steps.length,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.releaseReadyAt ? { readyAt: d.releaseReadyAt } : {}),
    ...(d.endedAt ? { endedAt: d.endedAt } : {}),
  };
}

async function releaseView(ctx: ReleaseApiContext, release: Release): Promise<ReleaseView> {
  const members = await Promise.all(release.members.map((m) => ctx.store.get(m.deploymentId)));
  const { wait, ...rest } = release;
  return {
    ...rest,
    members: release.members.map((m, i) => memberView(m, members[i])),
    ...(wait
      ? {
          waiting: {
            phase: wait.phase,
            ...(wait.phase === 'wave' ? { wave: wait.wave } : {}),
            since: wait.since,
          },
        }
      : {}),
    ...(ctx.releaseExecutionUrl ? { executionUrl: ctx.releaseExecutionUrl(release.executionName) } : {}),
  };
}

const newId = (ctx: ApiContext, prefix: 'r' | 'd') =>
  `${prefix}-${new Date(ctx.clock.now()).toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;

/** One member, checked: its group, config and revision, or the problems found. */
interface Checked {
  index: number;
  group: DeploymentGroup;
  config: ResolvedConfig;
  revision: string;
}

function prefixed(problems: Problem[], prefix: string): Problem[] {
  return problems.map((p) => ({ path: `${prefix}.${p.path}`, message: p.message }));
}

/**
 * Starts a release: every member checked before anything is written — an unknown group, a group twice,
 * a config or revision the group would refuse, a wave naming no member (400); then a busy group, a
 * split routing, a revision missing or already live, an alarm in ALARM (409) — each problem with its
 * path, all at once. Then each member's group is locked for its deployment, the members are recorded
 * (CREATED, each with its wave) and the release's execution starts. With an idempotency key, a retry
 * returns the same release.
 */
export async function createRelease(
  apiCtx: ApiContext,
  body: unknown,
  idempotencyKey?: string,
): Promise<{ status: 200 | 201; release: ReleaseView }> {
  const ctx = releaseContextOf(apiCtx);
  const request = parse(releaseRequestSchema(), body, 'invalid release request');
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  if (idempotencyKey !== undefined) {
    if (!/^[\w.:-]{1,128}$/.test(idempotencyKey)) {
      throw new ValidationError('invalid release request', [
        { path: 'Idempotency-Key', message: 'must be 1–128 of letters, digits, _ . : -' },
      ]);
    }
    const earlier = await ctx.releases.idempotent(idempotencyKey);
    if (earlier) {
      if (earlier.requestHash !== requestHash) {
        throw new Conflict(
          `Idempotency-Key ${idempotencyKey} was used for a different release request: use a new key`,
        );
      }
      const existing = await ctx.releases.get(earlier.releaseId);
      if (existing)
        return { status: 200, release: await releaseView(ctx, await ensureStarted(ctx, existing)) };
    }
  }

  // Rules of the request itself: 400, before anything is read.
  const { waves, problems } = wavesOf(request);
  const checked: Checked[] = [];
  const seen = new Set<string>();
  request.members.forEach((m, index) => {
    if (seen.has(m.group)) return; // reported by wavesOf
    seen.add(m.group);
    const path = `members[${index}]`;
    const group = Object.hasOwn(ctx.groups.groups, m.group) ? ctx.groups.groups[m.group] : undefined;
    if (!group) {
      problems.push({
        path: `${path}.group`,
        message: `no group named "${m.group}"; declared: ${Object.keys(ctx.groups.groups).join(', ')}`,
      });
      return;
    }
    let config: ResolvedConfig | undefined;
    const input = m.config === undefined ? undefined : deploymentConfigInputSchema.safeParse(m.config);
    if (input && !input.success) {
      problems.push(...problemsFrom(input.error, ['members', index, 'config']));
    } else {
      try {
        config = chooseConfig(group, input?.data);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        problems.push(...prefixed(e.problems, path));
      }
    }
    const revisionProblem = platformOf(ctx, group).revisionProblem(m.revision);
    if (revisionProblem) problems.push({ path: `${path}.revision`, message: revisionProblem });
    if (config && !revisionProblem) checked.push({ index, group, config, revision: m.revision });
  });
  if (problems.length === 0) {
    const byIndex = new Map(checked.map((c) => [c.index, c]));
    const time = releaseTimeProblem(
      waves.map((w) =>
        w.map((i) => {
          const c = byIndex.get(i);
          return c ? worstCaseOf(c.group, c.config).seconds : 0;
        }),
      ),
    );
    if (time) problems.push({ path: 'order', message: time });
  }
  if (problems.length > 0) throw new ValidationError('invalid release request', problems);

  // The state of each group: 409, again every problem at once, still before anything is written.
  const refusals: Problem[] = [];
  for (const c of checked) {
    const path = `members[${c.index}]`;
    const holder = await ctx.store.lockHolder(c.group.name);
    if (holder && !(await isStale(ctx, c.group.name, holder))) {
      refusals.push({
        path: `${path}.group`,
        message: `group ${c.group.name} is busy: deployment ${holder} is in progress`,
      });
      continue;
    }
    const queued = (await ctx.store.queue(c.group.name)).length;
    if (queued > 0) {
      refusals.push({
        path: `${path}.group`,
        message: `group ${c.group.name} is busy: ${queued} queued deployments start first`,
      });
      continue;
    }
    if (c.group.alarms.length > 0) {
      const states = await ctx.alarms.states(c.group.alarms);
      const firing = c.group.alarms.filter((a) => states[a] === 'ALARM');
      if (firing.length > 0) {
        refusals.push({
          path: `${path}.group`,
          message: `alarm ${firing.join(', ')} of group ${c.group.name} ${firing.length > 1 ? 'are' : 'is'} in ALARM: the member would be rolled back at once, and the release with it`,
        });
        continue;
      }
    }
    try {
      await preflight(ctx, platformOf(ctx, c.group), c.group.name, { id: 'release', revision: c.revision });
    } catch (e) {
      if (!(e instanceof StepShiftError) || e.status >= 500) throw e;
      const found = e instanceof ValidationError ? e.problems.map((p) => p.message).join('; ') : e.message;
      refusals.push({ path: `${path}.revision`, message: found });
    }
  }
  if (refusals.length > 0) {
    throw new Conflict(
      `release refused: ${refusals.length} problem${refusals.length === 1 ? '' : 's'}\n${refusals
        .map((p) => `  ${p.path}: ${p.message}`)
        .join('\n')}`,
      { problems: refusals },
    );
  }

  // Written in an order that a retry at any point finishes: the release, the locks, the members.
  const now = isoNow(ctx);
  const id = newId(ctx, 'r');
  const waveOf = new Map(waves.flatMap((w, wave) => w.map((i) => [i, wave] as const)));
  const members = checked.map((c) => ({
    check: c,
    member: {
      group: c.group.name,
      deploymentId: newId(ctx, 'd'),
      revision: c.revision,
      configName: c.config.name,
      wave: waveOf.get(c.index) ?? 0,
    } satisfies ReleaseMember,
  }));
  const release: Release = {
    id,
    name: request.name,
    ...(request.description ? { description: request.description } : {}),
    members: members.map((m) => m.member),
    waveCount: waves.length,
    status: 'CREATED',
    wave: -1,
    executionName: id,
    createdAt: now,
    updatedAt: now,
  };
  const { release: made, created } = await ctx.releases.create(
    release,
    idempotencyKey ? { key: idempotencyKey, requestHash, ttlSeconds: IDEMPOTENCY_TTL_SECONDS } : undefined,
  );
  if (!created) return { status: 200, release: await releaseView(ctx, await ensureStarted(ctx, made)) };
  await noteRelease(
    ctx,
    id,
    'status',
    `created: ${release.members.map((m) => `${m.group} ${m.revision}`).join(', ')} in ${waves.length} wave${waves.length === 1 ? '' : 's'}`,
  );

  const locked: ReleaseMember[] = [];
  for (const { member } of members) {
    const holder = await acquireLock(ctx, member.group, member.deploymentId);
    if (holder) {
      // Taken between the check and now: nothing of this release may run.
      for (const m of locked) await ctx.store.unlock(m.group, m.deploymentId);
      await transitionRelease(
        ctx,
        made,
        'FAILED',
        {},
        `group ${member.group} became busy (deployment ${holder}) while the release was being created`,
      );
      throw new GroupBusy(`group ${member.group} is busy: deployment ${holder} is in progress`, { holder });
    }
    locked.push(member);
  }
  for (const { check, member } of members) {
    const deployment: Deployment = {
      id: member.deploymentId,
      group: check.group.name,
      kind: check.group.kind,
      revision: check.revision,
      configName: check.config.name,
      config: check.config.config,
      schedule: withAnalysis(plan(check.config.config, approvalOf(check.group)), check.group.analysis),
      alarms: check.group.alarms,
      autoRollback: check.group.autoRollback,
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: member.deploymentId,
      release: { id, wave: member.wave },
      createdAt: now,
      updatedAt: now,
      description: `release ${request.name} (${id}), wave ${member.wave + 1} of ${waves.length}`,
    };
    const { created: recorded } = await ctx.store.create(deployment);
    if (!recorded) continue;
    const platform = platformOf(ctx, check.group);
    await note(
      ctx,
      member.deploymentId,
      'status',
      `created: ${platform.words.revision} ${member.revision} to ${member.group} with ${member.configName}, as wave ${member.wave + 1} of ${waves.length} of release ${request.name} (${id})`,
      { releaseId: id },
    );
    await ctx.events.stateChanged({
      deploymentId: member.deploymentId,
      releaseId: id,
      group: member.group,
      revision: member.revision,
      status: 'CREATED',
      previousStatus: undefined,
      at: now,
    });
  }
  await ctx.events.releaseChanged({
    releaseId: id,
    name: made.name,
    status: 'CREATED',
    previousStatus: undefined,
    members: made.members.map((m) => ({
      group: m.group,
      deploymentId: m.deploymentId,
      revision: m.revision,
    })),
    at: now,
  });
  return { status: 201, release: await releaseView(ctx, await ensureStarted(ctx, made)) };
}

/**
 * Starts the release's execution unless it is known to be started (a used name starts nothing). A start
 * that fails ends the release FAILED and frees every member's group: nothing of it ran.
 */
async function ensureStarted(ctx: ReleaseApiContext, release: Release): Promise<Release> {
  if (release.executionArn || isReleaseEnded(release.status)) return release;
  try {
    const { executionArn } = await ctx.releaseWorkflow.start(release.executionName, {
      releaseId: release.id,
    });
    return await ctx.releases.update(release.id, { executionArn });
  } catch (e) {
    const reason = `the release workflow could not be started: ${e instanceof Error ? e.message : String(e)}`;
    for (const m of release.members) {
      const d = await ctx.store.get(m.deploymentId);
      if (d?.status === 'CREATED' && !d.executionArn) await transition(ctx, d, 'CANCELLED', {}, reason);
      await ctx.store.unlock(m.group, m.deploymentId);
    }
    await transitionRelease(ctx, release, 'FAILED', {}, reason).catch(() => undefined);
    throw e;
  }
}

export const releaseListQuerySchema = z.strictObject({
  limit: z.optional(_coercedNumber(z.ZodMiniNumber).check(z.int(), z.gte(1), z.lte(100))),
});

export async function listReleases(apiCtx: ApiContext, query: unknown): Promise<{ releases: ReleaseView[] }> {
  const ctx = releaseContextOf(apiCtx);
  const q = parse(releaseListQuerySchema, query, 'invalid query');
  const releases = await ctx.releases.list({ limit: q.limit ?? 50 });
  return { releases: await Promise.all(releases.map((r) => releaseView(ctx, r))) };
}

export async function getRelease(
  apiCtx: ApiContext,
  id: string,
): Promise<{ release: ReleaseView; timeline: TimelineEntry[] }> {
  const ctx = releaseContextOf(apiCtx);
  const release = await loadRelease(ctx, id);
  return { release: await releaseView(ctx, release), timeline: await ctx.releases.timeline(id) };
}

export const releaseStopSchema = z.strictObject({
  rollback: z._default(z.boolean({ error: 'must be true or false' }), true),
  reason: z.optional(z.string().check(z.maxLength(512))),
});

/**
 * Stops a release: every member still running is stopped — with rollback (the default: every member that
 * moved traffic returns to its recorded routing) or without (each keeps its routing, recorded) — and the
 * members not yet started never start. Refused once the release has committed (its members are
 * finalizing) or ended. A conditional write: of a stop and the commit, exactly one wins.
 */
export async function stopRelease(
  apiCtx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ release: ReleaseView }> {
  const ctx = releaseContextOf(apiCtx);
  const request = parse(releaseStopSchema, body, 'invalid stop request');
  const release = await ctx.releases.get(id);
  if (!release) throw new NotFound(`no release ${id}`);
  if (isReleaseEnded(release.status) || release.status === 'ROLLING_BACK') {
    throw new Conflict(`release ${id} is ${release.status}: there is nothing to stop`);
  }
  if (release.stopRequest) throw new Conflict(`release ${id} is already being stopped`);
  if (release.committedAt) {
    throw new Conflict(
      `release ${id} has committed: its members are finalizing, and it can no longer be stopped`,
    );
  }
  const stopRequest = {
    rollback: request.rollback,
    at: isoNow(ctx),
    ...(request.reason ? { reason: request.reason } : {}),
  };
  const updated = await ctx.releases.update(
    id,
    { stopRequest },
    { expectStatus: ['CREATED', 'IN_PROGRESS'], unless: 'committedAt' },
  );
  const message = `stop requested (${request.rollback ? 'with' : 'without'} rollback)${request.reason ? `: ${request.reason}` : ''}`;
  await noteRelease(ctx, id, 'info', message);
  // The release waits on a wave: the wait ends at once, and its rollback stops the members.
  if (updated.wait?.phase === 'wave') await ctx.bakes.fail(updated.wait.token, 'StopRequested', message);
  return { release: await releaseView(ctx, updated) };
}
