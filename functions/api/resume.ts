/**
 * Going on after a deployment ended badly: resume a deployment stopped without rollback from the step it
 * was stopped at; retry a FAILED or ROLLED_BACK one as a new deployment of the same revision and config;
 * redeploy a group's previous good revision. Retry and redeploy are plain starts (./start.ts) with the
 * same checks — busy group, preflight, firing alarms — and record what they deploy again.
 */
import * as z from 'zod/mini';
import { predefinedConfig } from '../core/configs.ts';
import { type Deployment, describeRouting, sameRouting } from '../core/deployment.ts';
import { Conflict, GroupBusy, NotFound } from '../core/errors.ts';
import { platformOf } from '../platforms/index.ts';
import { groupOf, isoNow, note } from '../tasks/context.ts';
import { acquireLock } from '../tasks/lock.ts';
import { type ApiContext, type DeploymentView, groupFor, parse, view } from './context.ts';
import { type StartRequest, startDeployment } from './start.ts';

const alarmNames = z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(10));

/** A retry or a redeploy may ignore firing alarms (it may be the fix) and say why; nothing else changes. */
export const againRequestSchema = z.strictObject({
  ignoreAlarms: z.optional(alarmNames),
  description: z.optional(z.string().check(z.maxLength(512))),
});

async function found(ctx: ApiContext, id: string): Promise<Deployment> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  return deployment;
}

/**
 * Resumes a deployment stopped without rollback, forward from the step it was stopped at: a new execution
 * (`<id>-resume-<n>`), whose Prepare takes it from there. Refused (409) unless it is STOPPED with its
 * split recorded, its group is free, and the live routing is still what it left. Asking twice before the
 * execution has taken it up starts one execution.
 *
 * @example stopped at 20 % of linear 10 % → resume: 20 % again (no write: it is live), bake, 30 % … 100 %
 */
export async function resumeDeployment(
  ctx: ApiContext,
  id: string,
  by?: string,
): Promise<{ deployment: DeploymentView }> {
  const deployment = await found(ctx, id);
  if (deployment.status !== 'STOPPED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a deployment stopped without rollback can be resumed${
        deployment.status === 'FAILED' || deployment.status === 'ROLLED_BACK'
          ? ` (retry it instead: \`stepshift retry ${id}\`)`
          : ''
      }`,
    );
  }
  // A member carries its release's all-or-nothing: resumed alone, it would finalize outside it.
  if (deployment.release) {
    throw new Conflict(
      `deployment ${id} is a member of release ${deployment.release.id}: it cannot be resumed alone; roll it back (\`stepshift rollback ${id}\`) or release the groups again`,
    );
  }
  const { lastRouting } = deployment;
  if (!deployment.originalRouting || !lastRouting || deployment.stepIndex < 0) {
    throw new Conflict(
      `deployment ${id} was stopped before any traffic moved: there is nothing to resume; deploy again`,
    );
  }
  const group = groupOf(ctx, deployment);
  const holder = await acquireLock(ctx, group.name, id);
  if (holder) {
    throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`, { holder });
  }
  let request = deployment.resumeRequest;
  try {
    const live = await platformOf(ctx, group).current();
    if (!sameRouting(live, lastRouting)) {
      throw new Conflict(
        `the routing changed since deployment ${id} was stopped: it left ${describeRouting(lastRouting)}, it is now ${describeRouting(live)}; resuming would overwrite that change`,
        { expected: lastRouting, live },
      );
    }
    if (!request) {
      const executions = deployment.executions ?? [
        { name: deployment.executionName, startedAt: deployment.createdAt },
      ];
      const at = isoNow(ctx);
      request = { execution: `${id}-resume-${executions.length}`, at, ...(by ? { by } : {}) };
      await ctx.store.update(
        id,
        {
          resumeRequest: request,
          executionName: request.execution,
          executions: [...executions, { name: request.execution, startedAt: at }],
        },
        ['STOPPED'],
      );
      await ctx.store.clear(id, ['executionArn']);
      await note(
        ctx,
        id,
        'info',
        `resume requested${by ? ` by ${by}` : ''}: execution ${request.execution}`,
        {
          execution: request.execution,
          ...(by ? { by } : {}),
        },
      );
    }
    // A used name starts nothing: a request repeated before Prepare took it up starts one execution.
    const { executionArn } = await ctx.workflow.start(request.execution, {
      deploymentId: id,
      resume: { execution: request.execution },
    });
    const updated = await ctx.store.update(id, { executionArn });
    return { deployment: view(ctx, updated) };
  } catch (e) {
    const now = await ctx.store.get(id);
    if (now?.status === 'STOPPED') {
      if (now.resumeRequest && request && now.resumeRequest.execution === request.execution) {
        // Not started: the request goes, so the next one starts afresh (a start that went through
        // unseen finds no request at Prepare, and ends at once leaving the deployment STOPPED).
        await ctx.store.clear(id, ['resumeRequest']);
      }
      await ctx.store.unlock(group.name, id);
    }
    throw e;
  }
}

/** The start request that deploys `d`'s revision again with the same config and alarms. */
function againRequest(
  ctx: ApiContext,
  d: Deployment,
  body: z.infer<typeof againRequestSchema>,
): StartRequest {
  const declared = new Set(Object.values(ctx.groups.groups).flatMap((g) => g.alarms));
  const alarms = [...d.alarms, ...(d.ignoredAlarms ?? [])].filter((a) => declared.has(a));
  const ignore = [...new Set([...(d.ignoredAlarms ?? []), ...(body.ignoreAlarms ?? [])])];
  return {
    group: d.group,
    revision: d.revision,
    config: configOf(d),
    ...(alarms.length > 0 ? { alarms } : {}),
    ...(ignore.length > 0 ? { ignoreAlarms: ignore } : {}),
    ...(body.description ? { description: body.description } : {}),
  };
}

/**
 * The config `d` was started with: by name when predefined; else as recorded; a deployment recorded
 * before configs were, by its schedule as explicit steps (the same shifts and bakes).
 */
function configOf(d: Deployment): StartRequest['config'] {
  if (predefinedConfig(d.configName)) return d.configName;
  if (d.config) return d.config;
  return {
    type: 'steps',
    steps: d.schedule.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bakeSeconds })),
  };
}

/**
 * Retries a FAILED or ROLLED_BACK deployment: a new deployment of the same group, revision and config,
 * recording `retryOf`. The checks of any start apply: a busy group, a split routing, a firing alarm.
 */
export async function retryDeployment(
  ctx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ status: 200 | 201; deployment: DeploymentView }> {
  const options = parse(againRequestSchema, body, 'invalid retry request');
  const deployment = await found(ctx, id);
  if (deployment.status !== 'FAILED' && deployment.status !== 'ROLLED_BACK') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a FAILED or ROLLED_BACK deployment can be retried${
        deployment.status === 'STOPPED' ? ` (resume it instead: \`stepshift resume ${id}\`)` : ''
      }`,
    );
  }
  groupOf(ctx, deployment);
  return startDeployment(ctx, againRequest(ctx, deployment, options), undefined, undefined, {
    retryOf: id,
  });
}

/**
 * Deploys the group's previous good revision again: that of the newest SUCCEEDED deployment before the
 * current one (the newest SUCCEEDED, whose revision is live), with the group's config, recording
 * `redeployOf`. 409 when there is none, or when it is what is live now.
 *
 * @example SUCCEEDED v2, SUCCEEDED v3, ROLLED_BACK v4 (live: v3) → redeploy → v2
 */
export async function redeployGroup(
  ctx: ApiContext,
  groupName: string,
  body: unknown,
): Promise<{ status: 200 | 201; deployment: DeploymentView }> {
  const options = parse(againRequestSchema, body, 'invalid redeploy request');
  const group = groupFor(ctx, groupName);
  const succeeded = (await ctx.store.list({ group: group.name, limit: 100 })).filter(
    (d) => d.status === 'SUCCEEDED',
  );
  const [current] = succeeded;
  const previous = succeeded.find((d) => d.revision !== current?.revision);
  if (!current || !previous) {
    throw new Conflict(
      `group ${group.name} has no succeeded deployment of another revision before ${
        current ? `${current.id} (${current.revision})` : 'now'
      }: there is no previous good revision to redeploy`,
    );
  }
  const request: StartRequest = {
    group: group.name,
    revision: previous.revision,
    ...(options.ignoreAlarms ? { ignoreAlarms: options.ignoreAlarms } : {}),
    ...(options.description ? { description: options.description } : {}),
  };
  // The preflight refuses it (409) when it is what is live now: after a rollback to it, or by hand.
  return startDeployment(ctx, request, undefined, undefined, { redeployOf: previous.id });
}
