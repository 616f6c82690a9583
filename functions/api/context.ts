/**
 * What every API operation runs with, and the helpers they share: the view of a deployment an API
 * caller sees, request parsing that names every problem, and the group a request names.
 */
import type * as z from 'zod/mini';
import type { Deployment } from '../core/deployment.ts';
import { ValidationError } from '../core/errors.ts';
import type { DeploymentGroup } from '../core/group-config.ts';
import { problemsFrom } from '../core/problems.ts';
import type { BakeSignals, ExecutionHistory, ReleaseInput, WorkflowStarter } from '../ports.ts';
import type { TaskContext } from '../tasks/context.ts';

export interface ApiContext extends TaskContext {
  workflow: WorkflowStarter;
  bakes: BakeSignals;
  /** The state events of the deployments' executions. */
  executions: ExecutionHistory;
  /** Link to the execution in a console (the Step Functions console on AWS). */
  executionUrl?: (executionName: string) => string;
  /** Starts release executions (statemachines/release.asl.json): where releases are served. */
  releaseWorkflow?: WorkflowStarter<ReleaseInput>;
  /** Link to a release's execution in a console. */
  releaseExecutionUrl?: (executionName: string) => string;
}

export interface DeploymentView extends Deployment {
  executionUrl?: string;
}

export function view(ctx: ApiContext, d: Deployment): DeploymentView {
  // A wait that a stop or an alarm ended was never decided: pending only while the deployment runs.
  const ended = d.approval?.pending && d.status !== 'IN_PROGRESS';
  const shown = ended && d.approval ? { ...d, approval: { ...d.approval, pending: false } } : d;
  return ctx.executionUrl ? { ...shown, executionUrl: ctx.executionUrl(d.executionName) } : shown;
}

export function parse<T>(schema: z.ZodMiniType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError(what, problemsFrom(parsed.error));
  return parsed.data;
}

/**
 * The declared group of that name. `Object.hasOwn`, not a plain lookup: `constructor`, `__proto__` or
 * `toString` would otherwise find Object.prototype's members and fail later as a 500.
 */
export function groupFor(ctx: ApiContext, name: string): DeploymentGroup {
  const group = Object.hasOwn(ctx.groups.groups, name) ? ctx.groups.groups[name] : undefined;
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
