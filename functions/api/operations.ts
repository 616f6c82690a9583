/**
 * The application API: start, get, list, stop, promote, rollback, and the alarm intake. One module,
 * over ports, served by the local HTTP server and by the API Gateway handlers alike.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deploymentConfigInputSchema, type ResolvedConfig, resolveParsed } from '../core/configs.ts';
import { type Deployment, isTerminal, sameRouting, type TimelineEntry } from '../core/deployment.ts';
import {
  Conflict,
  GroupBusy,
  NotFound,
  PreflightFailed,
  StepShiftError,
  ValidationError,
} from '../core/errors.ts';
import { type DeploymentGroup, worstCaseOf } from '../core/group-config.ts';
import { worstCaseProblem } from '../core/limits.ts';
import { plan } from '../core/planner.ts';
import { problemsFrom } from '../core/problems.ts';
import { type Platform, platformOf } from '../platforms/index.ts';
import type { BakeSignals, WorkflowStarter } from '../ports.ts';
import { isoNow, note, type TaskContext, transition } from '../tasks/context.ts';
import { acquireLock } from '../tasks/lock.ts';
import { preflight } from '../tasks/prepare.ts';
import { rollback } from '../tasks/rollback.ts';

export interface ApiContext extends TaskContext {
  workflow: WorkflowStarter;
  bakes: BakeSignals;
  /** Link to the execution in a console (the Step Functions console on AWS). */
  executionUrl?: (executionName: string) => string;
}

/** As Stripe and powertools: an idempotency key answers the same for 24 hours. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export const startRequestSchema = z.strictObject({
  group: z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a group name') }).min(1),
  revision: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .min(1)
    .max(256),
  config: deploymentConfigInputSchema.optional(),
  /**
   * Alarms watched in addition to the group's: an override can add alarms, never remove them. Only
   * alarms declared in the config: stepshift's IAM grant and alarm rule cover those alone.
   */
  alarms: z.array(z.string().min(1).max(255)).max(10).optional(),
  /**
   * Watched alarms this deployment does not watch while they are in ALARM — for the deployment that
   * fixes what fired them. Each is watched again as soon as it is OK.
   */
  ignoreAlarms: z.array(z.string().min(1).max(255)).max(10).optional(),
  description: z.string().max(512).optional(),
});
export type StartRequest = z.infer<typeof startRequestSchema>;

export const stopRequestSchema = z.strictObject({
  rollback: z.boolean({ error: 'must be true or false' }).default(true),
  reason: z.string().max(512).optional(),
});

export interface DeploymentView extends Deployment {
  executionUrl?: string;
}

function view(ctx: ApiContext, d: Deployment): DeploymentView {
  return ctx.executionUrl ? { ...d, executionUrl: ctx.executionUrl(d.executionName) } : d;
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError(what, problemsFrom(parsed.error));
  return parsed.data;
}

function groupFor(ctx: ApiContext, name: string): DeploymentGroup {
  const group = ctx.groups.groups[name];
  if (!group) {
    throw new ValidationError('invalid deployment request', [
      {
        path: 'group',
        message: `no group named "${name}"; declared: ${Object.keys(ctx.groups.groups).join(', ')}`,
      },
    ]);
  }
  return group;
}

function chooseConfig(group: DeploymentGroup, input: StartRequest['config']): ResolvedConfig {
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
        message: `group ${group.name} does not allow ${resolved.name}; allowed: ${[
          group.deploymentConfig,
          ...allowed,
        ]
          .map((c) => c.name)
          .join(', ')}`,
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
  // The lock is taken here, before anything is written: of simultaneous starts on one group exactly
  // one gets it, and the others are answered 409 (Prepare then finds the lock its own).
  const holder = await acquireLock(ctx, group.name, id);
  if (holder) {
    const earlier = idempotencyKey ? await ctx.store.idempotent(idempotencyKey) : undefined;
    const same = earlier?.requestHash === requestHash ? await ctx.store.get(earlier.deploymentId) : undefined;
    if (same) return { status: 200, deployment: view(ctx, await ensureStarted(ctx, same)) };
    throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`, { holder });
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
    const now = isoNow(ctx);
    const deployment: Deployment = {
      id,
      group: group.name,
      kind: group.kind,
      revision: request.revision,
      configName: config.name,
      schedule: plan(config.config),
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
    };
    ({ deployment: made, created } = await ctx.store.create(
      deployment,
      idempotencyKey ? { key: idempotencyKey, requestHash, ttlSeconds: IDEMPOTENCY_TTL_SECONDS } : undefined,
    ));
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
      `created: ${platform.words.revision} ${made.revision} to ${made.group} with ${made.configName}`,
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

/** Starts the execution; a start that fails for good ends the deployment FAILED, so its lock is freed. */
async function startOrFail(ctx: ApiContext, deployment: Deployment): Promise<Deployment> {
  try {
    return await ensureStarted(ctx, deployment);
  } catch (e) {
    if (e instanceof StepShiftError && e.name === 'Transient') throw e;
    const reason = `the workflow could not be started: ${e instanceof Error ? e.message : String(e)}`;
    await transition(ctx, deployment, 'FAILED', {}, reason).catch(() => undefined);
    await ctx.store.unlock(deployment.group, deployment.id);
    throw e;
  }
}

/**
 * Starts the deployment's execution unless it is known to be started. Starting a used execution name
 * is a no-op anyway, so a retry after a crash between the record and the start starts it exactly once.
 */
async function ensureStarted(ctx: ApiContext, deployment: Deployment): Promise<Deployment> {
  if (deployment.executionArn) return deployment;
  const { executionArn } = await ctx.workflow.start(deployment.executionName, {
    deploymentId: deployment.id,
  });
  return ctx.store.update(deployment.id, { executionArn });
}

export async function getDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView; timeline: TimelineEntry[] }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  return { deployment: view(ctx, deployment), timeline: await ctx.store.timeline(id) };
}

export const listQuerySchema = z.strictObject({
  group: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export async function listDeployments(
  ctx: ApiContext,
  query: unknown,
): Promise<{ deployments: DeploymentView[] }> {
  const q = parse(listQuerySchema, query, 'invalid query');
  if (q.group !== undefined) groupFor(ctx, q.group);
  const deployments = await ctx.store.list({
    ...(q.group !== undefined ? { group: q.group } : {}),
    limit: q.limit ?? 50,
  });
  return { deployments: deployments.map((d) => view(ctx, d)) };
}

/**
 * Stops a deployment. With rollback (the default) the recorded routing is restored; without, the
 * routing stays as it is, recorded, and the next deployment's preflight names this one.
 */
export async function stopDeployment(
  ctx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ deployment: DeploymentView }> {
  const request = parse(stopRequestSchema, body, 'invalid stop request');
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (isTerminal(deployment.status) || deployment.status === 'ROLLING_BACK') {
    throw new Conflict(`deployment ${id} is ${deployment.status}: there is nothing to stop`);
  }
  const updated = await ctx.store.update(
    id,
    {
      stopRequest: {
        rollback: request.rollback,
        at: isoNow(ctx),
        ...(request.reason ? { reason: request.reason } : {}),
      },
    },
    ['CREATED', 'IN_PROGRESS'],
  );
  await note(ctx, id, 'info', `stop requested (${request.rollback ? 'with' : 'without'} rollback)`);
  if (updated.bakeToken) {
    await ctx.bakes.fail(
      updated.bakeToken,
      'StopRequested',
      `stop requested (${request.rollback ? 'with' : 'without'} rollback)`,
    );
  }
  return { deployment: view(ctx, updated) };
}

/** Skips the remaining bakes: the current one ends now, the next steps follow without waiting. */
export async function promoteDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (deployment.status !== 'IN_PROGRESS' && deployment.status !== 'CREATED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a deployment in progress can be promoted`,
    );
  }
  const updated = await ctx.store.update(id, { promoted: true }, ['CREATED', 'IN_PROGRESS']);
  await note(ctx, id, 'info', 'promoted: remaining bakes skipped');
  if (updated.bakeToken) await ctx.bakes.succeed(updated.bakeToken);
  return { deployment: view(ctx, updated) };
}

/**
 * Rolls back a deployment that was stopped without rollback, or that failed with auto-rollback off:
 * restores its recorded original routing, if the routing is still what it left.
 */
export async function rollbackDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (deployment.status !== 'STOPPED' && deployment.status !== 'FAILED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a stopped or failed deployment can be rolled back`,
    );
  }
  if (!deployment.originalRouting || !deployment.lastRouting) {
    throw new Conflict(`deployment ${id} never moved traffic: there is nothing to roll back`);
  }
  const group = ctx.groups.groups[deployment.group];
  if (!group) throw new NotFound(`group ${deployment.group} is not declared`);
  const holder = await acquireLock(ctx, group.name, id);
  if (holder) throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`);
  const platform = platformOf(ctx, group);
  try {
    const live = await platform.current();
    if (!sameRouting(live, deployment.lastRouting)) {
      throw new PreflightFailed(
        `the routing changed since deployment ${id} ended; restoring its original routing would overwrite that change`,
      );
    }
    await rollback(ctx, {
      deploymentId: id,
      force: true,
      error: { Error: 'RollbackRequested', Cause: 'rollback requested' },
    });
  } catch (e) {
    await endFailedRollback(ctx, id, platform, e);
    throw e;
  } finally {
    await ctx.store.unlock(group.name, id);
  }
  return { deployment: view(ctx, (await ctx.store.get(id)) ?? deployment) };
}

/**
 * A rollback the API ran failed (AccessDenied, an outage): the deployment must not stay ROLLING_BACK with
 * its group locked for good. It ends FAILED with the routing as it now is, recorded, so the rollback can
 * be asked for again once the cause is fixed.
 */
async function endFailedRollback(ctx: ApiContext, id: string, platform: Platform, error: unknown) {
  const now = await ctx.store.get(id);
  if (now?.status !== 'ROLLING_BACK') return;
  const live = await platform.current().catch(() => now.lastRouting);
  const reason = `rollback failed: ${error instanceof Error ? error.message : String(error)}`;
  await transition(ctx, now, 'FAILED', live ? { lastRouting: live } : {}, reason);
}

/**
 * An alarm changed state (the CloudWatch "Alarm State Change" event, or the simulated account). Every
 * deployment in progress that watches it is marked: a bake in progress is failed at once
 * through its task token, and any other task (a hook poll, Finalize, the end of the ECS termination wait)
 * rolls back at its next boundary — CodeDeploy watches alarms until the deployment ends, and so do we.
 * Returns how many bakes it ended.
 */
export async function alarmStateChanged(ctx: ApiContext, alarmName: string, state: string): Promise<number> {
  if (state !== 'ALARM') return 0;
  let ended = 0;
  for (const { deploymentId } of await ctx.store.locks()) {
    const d = await ctx.store.get(deploymentId);
    // A deployment not yet prepared is judged by Prepare's own look at the alarms.
    if (d?.status !== 'IN_PROGRESS' || !d.alarms.includes(alarmName)) continue;
    await note(ctx, d.id, 'alarm', `${alarmName} entered ALARM at ${d.percent} %`, { alarm: alarmName });
    let marked: Deployment | undefined;
    try {
      marked = d.alarmFired
        ? d
        : await ctx.store.update(d.id, { alarmFired: { alarm: alarmName, at: isoNow(ctx) } }, [
            'IN_PROGRESS',
          ]);
    } catch (e) {
      if (e instanceof Conflict) continue; // it ended meanwhile
      throw e;
    }
    if (marked.bakeToken) {
      await ctx.bakes.fail(marked.bakeToken, 'AlarmFired', `alarm ${alarmName} entered ALARM`);
      ended += 1;
    }
  }
  return ended;
}
