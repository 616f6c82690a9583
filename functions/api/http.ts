/**
 * The application API as HTTP: routes, JSON bodies, and errors as `{error, message, details}` with
 * 400/404/409 — never a stack trace. Shared by the local server and the API Gateway handler.
 */
import { NotFound, StepShiftError, ValidationError } from '../core/errors.ts';
import {
  type ApiContext,
  getDeployment,
  listDeployments,
  promoteDeployment,
  rollbackDeployment,
  startDeployment,
  stopDeployment,
} from './operations.ts';

export interface HttpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: string | undefined;
}

export interface HttpResponse {
  status: number;
  body: unknown;
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new ValidationError('invalid request body', [
      { path: '', message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` },
    ]);
  }
}

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

export async function route(ctx: ApiContext, req: HttpRequest): Promise<HttpResponse> {
  try {
    const parts = req.path.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
    const [root, id, action] = parts;
    if (root === 'deployments' && parts.length === 1) {
      if (req.method === 'POST') {
        const key = req.headers['idempotency-key'];
        const out = await startDeployment(ctx, parseBody(req.body), key);
        return { status: out.status, body: out.deployment };
      }
      if (req.method === 'GET') return { status: 200, body: await listDeployments(ctx, req.query) };
    }
    if (root === 'deployments' && id && parts.length === 2 && req.method === 'GET') {
      return { status: 200, body: await getDeployment(ctx, id) };
    }
    if (root === 'deployments' && id && parts.length === 3 && req.method === 'POST') {
      if (action === 'stop') return { status: 202, body: await stopDeployment(ctx, id, parseBody(req.body)) };
      if (action === 'promote') return { status: 202, body: await promoteDeployment(ctx, id) };
      if (action === 'rollback') return { status: 200, body: await rollbackDeployment(ctx, id) };
    }
    // The group in the path, so that an execute-api:Invoke policy can allow one group and not another.
    if (root === 'groups' && id && action === 'deployments' && parts.length === 3 && req.method === 'POST') {
      if (!Object.hasOwn(ctx.groups.groups, id)) {
        throw new NotFound(`no group named "${id}"; declared: ${Object.keys(ctx.groups.groups).join(', ')}`);
      }
      const key = req.headers['idempotency-key'];
      const out = await startDeployment(ctx, withPathGroup(parseBody(req.body), id), key);
      return { status: out.status, body: out.deployment };
    }
    if (root === 'groups' && parts.length === 1 && req.method === 'GET') {
      return {
        status: 200,
        body: {
          groups: Object.values(ctx.groups.groups).map((g) => ({
            name: g.name,
            kind: g.kind,
            deploymentConfig: g.deploymentConfig.name,
            alarms: g.alarms,
            ...(g.description ? { description: g.description } : {}),
          })),
        },
      };
    }
    return { status: 404, body: { error: 'NotFound', message: `no route ${req.method} ${req.path}` } };
  } catch (e) {
    const response = errorResponse(e);
    if (response.status === 500) console.error(e);
    return response;
  }
}

export function errorResponse(e: unknown): HttpResponse {
  if (e instanceof StepShiftError && e.status < 500) {
    return { status: e.status, body: { error: e.name, message: e.message, details: e.details ?? {} } };
  }
  return {
    status: 500,
    body: { error: 'InternalError', message: 'the request failed; see the server log', details: {} },
  };
}
