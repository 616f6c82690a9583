/**
 * Starting a deployment: the request, the checks that refuse what would fail anyway (before anything is
 * written), the group lock, the record, and the execution.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { withAnalysis } from '../core/analysis.ts';
import { deploymentConfigInputSchema, type ResolvedConfig, resolveParsed } from '../core/configs.ts';
import type { Deployment } from '../core/deployment.ts';
import { Conflict, GroupBusy, ValidationError } from '../core/errors.ts';
import { type DeploymentGroup, ON_BUSY, worstCaseOf } from '../core/groups.ts';
import { worstCaseProblem } from '../core/limits.ts';
import { approvalOf, plan } from '../core/planner.ts';
import { platformOf } from '../platforms/index.ts';
import { isoNow, note } from '../tasks/context.ts';
import { acquireLock } from '../tasks/lock.ts';
import { preflight } from '../tasks/prepare.ts';
import { type ApiContext, type DeploymentView, groupFor, parse, view } from './context.ts';
import { dequeueNext, ensureStarted, queueDeployment, startOrFail, withQueuePositions } from './queue.ts';

/** What a deployment deploys again, recorded on it. */
export type Lineage = Pick<Deployment, 'retryOf' | 'redeployOf'>;

/** As Stripe and powertools: an idempotency key answers the same for 24 hours. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

const alarmNames = z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(10));

export const startRequestSchema = z.strictObject({
  group: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a group name') })
    .check(z.minLength(1)),
  revision: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .check(z.minLength(1), z.maxLength(256)),
  config: z.optional(deploymentConfigInputSchema),
  /**
   * Alarms watched in addition to the group's: an override can add alarms, never remove them. Only
   * alarms declared in the config: stepshift's IAM grant and alarm rule cover those alone.
   */
  alarms: z.optional(alarmNames),
  /**
   * Watched alarms this deployment does not watch while they are in ALARM — for the deployment that
   * fixes what fired them. Each is watched again as soon as it is OK.
   */
  ignoreAlarms: z.optional(alarmNames),
  description: z.optional(z.string().check(z.maxLength(512))),
  /** What to do when the group is busy: the group's `onBusy` unless the request says otherwise. */
  onBusy: z.optional(z.enum(ON_BUSY, { error: `must be one of ${ON_BUSY.join(', ')}` })),
});
export type StartRequest = z.infer<typeof startRequestSchema>;

export function chooseConfig(group: DeploymentGroup, input: StartRequest['config']): ResolvedConfig {
  if (input === undefined) return group.deploymentConfig;
  let resolved: ResolvedConfig;
  try {
    resolved = resolveParsed(input, group.kind, 'config');
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError('invalid deployment request', e.problems);
    throw e;
  }
  const problem = worstCaseProblem(worstCaseOf(group, resolved));
  if (problem) {
    throw new ValidationError('invalid deployment request', [
      { path: 'config', message: `${resolved.name} ${problem}` },
    ]);
  }
  const allowed = group.allowedConfigs;
  const same = (a: ResolvedConfig) => JSON.stringify(a.config) === JSON.stringify(resolved.config);
  if (allowed && !same(group.deploymentConfig) && !allowed.some(same)) {
    throw new ValidationError('invalid deployment request', [
      {
        path: 'config',
        // The group's default is usually among its allowed configs too: each name once.
        message: `group ${group.name} does not allow ${resolved.name}; allowed: ${[
          ...new Set([group.deploymentConfig, ...allowed].map((c) => c.name)),
        ].join(', ')}`,
      },
    ]);
  }
  return resolved;
}

function newId(ctx: ApiContext): string {
  const t = new Date(ctx.clock.now()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `d-${t}-${randomBytes(3).toString('hex')}`;
}

/**
 * Starts a deployment: validates the request against the group, refuses what would fail anyway (a busy
 * group, a split alias, the version already live) with 409 before starting anything, records the
 * deployment and starts its execution. With an idempotency key, a retry returns the same deployment.
 */
export async function startDeployment(
  ctx: ApiContext,
  body: unknown,
  idempotencyKey?: string,
  /** For event intake: the deployment id (and so the execution name) derived from the event id. */
  fixed?: { id: string; trigger: string },
  /** What it deploys again: a retry, or a redeploy of the previous good revision (./resume.ts). */
  lineage?: Lineage,
): Promise<{ status: 200 | 201; deployment: DeploymentView }> {
  const request = parse(startRequestSchema, body, 'invalid deployment request');
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  if (idempotencyKey !== undefined) {
    if (!/^[\w.:-]{1,128}$/.test(idempotencyKey)) {
      throw new ValidationError('invalid deployment request', [
        { path: 'Idempotency-Key', message: 'must be 1–128 of letters, digits, _ . : -' },
      ]);
    }
    const earlier = await ctx.store.idempotent(idempotencyKey);
    if (earlier) {
      if (earlier.requestHash !== requestHash) {
        throw new Conflict(
          `Idempotency-Key ${idempotencyKey} was used for a different request: use a new key`,
        );
      }
      const existing = await ctx.store.get(earlier.deploymentId);
      if (existing) return { status: 200, deployment: view(ctx, await ensureStarted(ctx, existing)) };
    }
  }

  const group = groupFor(ctx, request.group);
  const config = chooseConfig(group, request.config);
  const { alarms, ignored } = watchedAlarms(ctx, group, request);
  const platform = platformOf(ctx, group);
  const problem = platform.revisionProblem(request.revision);
  if (problem)
    throw new ValidationError('invalid deployment request', [{ path: 'revision', message: problem }]);

  const id = fixed?.id ?? newId(ctx);
  const onBusy = request.onBusy ?? group.onBusy;
  // The lock is taken here, before anything is written: of simultaneous starts on one group exactly
  // one gets it, and the others are answered 409 or queued (Prepare then finds the lock its own).
  let holder = await acquireLock(ctx, group.name, id);
  let waiting = 0;
  // (A redelivered event whose deployment holds the lock already is not a new start: it keeps it.)
  if (!holder && !(fixed && (await ctx.store.get(id)))) {
    // Deployments waiting in the queue go first: the lock is free only between the end of one and the
    // start of the next.
    waiting = (await ctx.store.queue(group.name)).length;
    if (waiting > 0) {
      await ctx.store.unlock(group.name, id);
      holder = (await dequeueNext(ctx, group.name))?.id ?? (await ctx.store.lockHolder(group.name));
    }
  }
  const record = (): Deployment => {
    const now = isoNow(ctx);
    return {
      id,
      group: group.name,
      kind: group.kind,
      revision: request.revision,
      configName: config.name,
      config: config.config,
      schedule: withAnalysis(plan(config.config, approvalOf(group)), group.analysis),
      alarms,
      ...(ignored.length > 0 ? { ignoredAlarms: ignored } : {}),
      autoRollback: group.autoRollback,
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: id,
      createdAt: now,
      updatedAt: now,
      ...(request.description ? { description: request.description } : {}),
      ...(fixed ? { trigger: fixed.trigger } : {}),
      ...lineage,
      ...(onBusy !== 'reject' ? { onBusy } : {}),
    };
  };
  const create = (deployment: Deployment) =>
    ctx.store.create(
      deployment,
      idempotencyKey ? { key: idempotencyKey, requestHash, ttlSeconds: IDEMPOTENCY_TTL_SECONDS } : undefined,
    );
  if (holder || waiting > 0) {
    const earlier = idempotencyKey ? await ctx.store.idempotent(idempotencyKey) : undefined;
    const same = earlier?.requestHash === requestHash ? await ctx.store.get(earlier.deploymentId) : undefined;
    if (same) return { status: 200, deployment: view(ctx, await ensureStarted(ctx, same)) };
    if (onBusy === 'reject') {
      throw new GroupBusy(
        holder
          ? `group ${group.name} is busy: deployment ${holder} is in progress`
          : `group ${group.name} is busy: ${waiting} queued deployments start first`,
        holder ? { holder } : { queued: waiting },
      );
    }
    // The checks that read the live routing and alarms are Prepare's when its turn comes.
    const out = await queueDeployment(ctx, group, record(), holder, create);
    const [queued = view(ctx, out.deployment)] = await withQueuePositions(ctx, [out.deployment]);
    return { status: out.status, deployment: queued };
  }
  let made: Deployment;
  let created: boolean;
  try {
    await refuseFiringAlarms(ctx, alarms, ignored);
    // The checks Prepare makes, before anything starts: a split routing, the revision already live or missing.
    try {
      await preflight(ctx, platform, group.name, { id, revision: request.revision });
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError('invalid deployment request', e.problems);
      throw e;
    }
    ({ deployment: made, created } = await create(record()));
  } catch (e) {
    // Nothing was recorded under this id: the lock is ours alone to give back. (A redelivered event
    // shares its id with the deployment the first delivery made: that one keeps the lock.)
    if (!(await ctx.store.get(id))) await ctx.store.unlock(group.name, id);
    throw e;
  }
  if (!created && made.id !== id) await ctx.store.unlock(group.name, id);
  if (created) {
    await note(
      ctx,
      made.id,
      'status',
      `created: ${platform.words.revision} ${made.revision} to ${made.group} with ${made.configName}${
        made.retryOf
          ? ` (retry of ${made.retryOf})`
          : made.redeployOf
            ? ` (redeploy of ${made.redeployOf})`
            : ''
      }`,
    );
    for (const alarm of ignored) {
      await note(ctx, made.id, 'alarm', `${alarm} is not watched while in ALARM: ignoreAlarms asked so`, {
        alarm,
      });
    }
    await ctx.events.stateChanged({
      deploymentId: made.id,
      group: made.group,
      revision: made.revision,
      status: 'CREATED',
      previousStatus: undefined,
      at: made.createdAt,
    });
  }
  return { status: created ? 201 : 200, deployment: view(ctx, await startOrFail(ctx, made)) };
}

/**
 * The alarms a deployment watches — the group's and the request's — less those it was asked to ignore.
 * Request alarms must be declared in the config; ignored alarms must be among the watched ones.
 */
function watchedAlarms(
  ctx: ApiContext,
  group: DeploymentGroup,
  request: StartRequest,
): { alarms: string[]; ignored: string[] } {
  const declared = new Set(Object.values(ctx.groups.groups).flatMap((g) => g.alarms));
  const all = [...new Set([...group.alarms, ...(request.alarms ?? [])])];
  const problems = [
    ...(request.alarms ?? []).flatMap((name, i) =>
      declared.has(name)
        ? []
        : [
            {
              path: `alarms[${i}]`,
              message: `${name} is not declared in the config: only declared alarms are covered by stepshift's IAM grant and alarm rule; add it to a group's alarms`,
            },
          ],
    ),
    ...(request.ignoreAlarms ?? []).flatMap((name, i) =>
      all.includes(name)
        ? []
        : [
            {
              path: `ignoreAlarms[${i}]`,
              message: `${name} is not watched by this deployment (watched: ${all.join(', ') || 'none'})`,
            },
          ],
    ),
  ];
  if (problems.length > 0) throw new ValidationError('invalid deployment request', problems);
  const ignored = [...new Set(request.ignoreAlarms ?? [])];
  return { alarms: all.filter((a) => !ignored.includes(a)), ignored };
}

/**
 * An alarm already in ALARM would roll the deployment back at its first check, leaving the revision that
 * fired it live — even when this deployment is the fix. Refused with the way out: `ignoreAlarms`.
 */
async function refuseFiringAlarms(ctx: ApiContext, alarms: string[], ignored: string[]): Promise<void> {
  if (alarms.length === 0) return;
  const states = await ctx.alarms.states(alarms);
  const firing = alarms.filter((a) => states[a] === 'ALARM');
  if (firing.length === 0) return;
  const list = firing.map((a) => JSON.stringify(a)).join(', ');
  throw new Conflict(
    `alarm ${firing.join(', ')} ${firing.length > 1 ? 'are' : 'is'} in ALARM: the deployment would be rolled back at once. If it deploys the fix, start it with "ignoreAlarms": [${list}] (CLI: ${firing.map((a) => `--ignore-alarm ${a}`).join(' ')})${ignored.length ? `; already ignored: ${ignored.join(', ')}` : ''}`,
    { alarms: firing },
  );
}
