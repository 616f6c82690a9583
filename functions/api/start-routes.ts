/**
 * The routes that start an execution: a new deployment (of the body's group, or of the path's), a
 * redeploy, a retry, a resume.
 */
import { NotFound, ValidationError } from '../core/errors.ts';
import type { ApiContext } from './context.ts';
import { deploymentId, type Handler, idempotencyKey, parseBody, type Routes } from './http.ts';
import { redeployGroup, resumeDeployment, retryDeployment } from './resume.ts';
import { startDeployment } from './start.ts';

/**
 * The start request of `POST /groups/{group}/deployments`: the body with the group of the path. A body
 * that names another group is refused rather than either one winning silently, since an IAM policy
 * allowed the caller this path for this group only.
 *
 * @example withPathGroup({revision: '5'}, 'payments') → {revision: '5', group: 'payments'}
 */
export function withPathGroup(body: unknown, group: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const named = (body as { group?: unknown }).group;
  if (named !== undefined && named !== group) {
    throw new ValidationError('invalid deployment request', [
      {
        path: 'group',
        message: `names ${JSON.stringify(named)} but the path deploys to "${group}": leave it out or make it "${group}"`,
      },
    ]);
  }
  return { ...body, group };
}

const start: Handler = async (ctx, req) => {
  const out = await startDeployment(ctx, parseBody(req.body), idempotencyKey(req));
  return { status: out.status, body: out.deployment };
};

function declaredGroup(ctx: ApiContext, group: string): void {
  if (!Object.hasOwn(ctx.groups.groups, group)) {
    throw new NotFound(`no group named "${group}"; declared: ${Object.keys(ctx.groups.groups).join(', ')}`);
  }
}

// The group in the path, so that an execute-api:Invoke policy can allow one group and not another.
const startInGroup: Handler = async (ctx, req, [group = '']) => {
  declaredGroup(ctx, group);
  const out = await startDeployment(ctx, withPathGroup(parseBody(req.body), group), idempotencyKey(req));
  return { status: out.status, body: out.deployment };
};

/** The routes that start a deployment: a new one, a retry, a redeploy, a resume. */
export const START_ROUTES: Routes = [
  { shape: ['deployments'], methods: { POST: start } },
  {
    shape: ['deployments', ':id', 'resume'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await resumeDeployment(ctx, deploymentId(id), req.caller),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'retry'],
    methods: {
      POST: async (ctx, req, [id = '']) => {
        const out = await retryDeployment(ctx, deploymentId(id), parseBody(req.body));
        return { status: out.status, body: out.deployment };
      },
    },
  },
  { shape: ['groups', ':group', 'deployments'], methods: { POST: startInGroup } },
  {
    shape: ['groups', ':group', 'redeploy'],
    methods: {
      POST: async (ctx, req, [group = '']) => {
        declaredGroup(ctx, group);
        const out = await redeployGroup(ctx, group, parseBody(req.body));
        return { status: out.status, body: out.deployment };
      },
    },
  },
];
