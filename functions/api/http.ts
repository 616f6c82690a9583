/**
 * The application API as HTTP: routes, JSON bodies, and errors as `{error, message, details}` with
 * 400/404/405/409/503 — never a stack trace. Shared by the local server and the API Gateway handler, so
 * both answer a wrong method, a bad escape or an unknown group alike. Every route is documented in
 * docs/api.md.
 */
import { NotFound, StepShiftError, ValidationError } from '../core/errors.ts';
import {
  type ApiContext,
  approveDeployment,
  cancelDeployment,
  getDeployment,
  getExecution,
  listDeployments,
  listGroups,
  promoteDeployment,
  redeployGroup,
  rejectDeployment,
  resumeDeployment,
  retryDeployment,
  rollbackDeployment,
  startDeployment,
  stopDeployment,
} from './operations.ts';
import { createRelease, getRelease, listReleases, stopRelease } from './releases.ts';

export interface HttpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: string | undefined;
  /** Who made the request, when the transport knows (API Gateway's IAM identity): timeline notes name them. */
  caller?: string;
}

export interface HttpResponse {
  status: number;
  /** Headers beyond content-type: `allow` on a 405, `retry-after` on a 503. */
  headers?: Record<string, string>;
  body: unknown;
}

/** A JSON request body (empty: `{}`); anything else is a 400 naming the parse error. */
export function parseBody(body: string | undefined): unknown {
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

type Handler = (ctx: ApiContext, req: HttpRequest, params: string[]) => Promise<HttpResponse>;

/** Longest deployment id or idempotency key looked up: past it, DynamoDB would refuse the key itself. */
const MAX_KEY_LENGTH = 256;

function idempotencyKey(req: HttpRequest): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw new ValidationError('invalid request', [
      { path: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} characters` },
    ]);
  }
  return key;
}

/** A deployment id no deployment can have is not looked up: it is simply not there. */
function deploymentId(id: string): string {
  if (id.length > MAX_KEY_LENGTH) throw new NotFound(`no deployment ${id.slice(0, 40)}…`);
  return id;
}

/** A release id no release can have is not looked up. */
function releaseId(id: string): string {
  if (id.length > MAX_KEY_LENGTH) throw new NotFound(`no release ${id.slice(0, 40)}…`);
  return id;
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

/**
 * Every route, by path shape (`:id` is one path segment, decoded). A path that matches a shape but not
 * its method is answered 405 with the methods it has, so a caller learns it has the path right.
 */
const ROUTES: { shape: string[]; methods: Partial<Record<string, Handler>> }[] = [
  {
    shape: ['deployments'],
    methods: {
      GET: async (ctx, req) => ({ status: 200, body: await listDeployments(ctx, req.query) }),
      POST: start,
    },
  },
  {
    shape: ['deployments', ':id'],
    methods: {
      GET: async (ctx, _, [id = '']) => ({ status: 200, body: await getDeployment(ctx, deploymentId(id)) }),
    },
  },
  {
    shape: ['deployments', ':id', 'execution'],
    methods: {
      GET: async (ctx, req, [id = '']) => ({
        status: 200,
        body: await getExecution(ctx, deploymentId(id), req.query),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'stop'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await stopDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'cancel'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 200,
        body: await cancelDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'promote'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 202,
        body: await promoteDeployment(ctx, deploymentId(id)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'approve'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 202,
        body: await approveDeployment(ctx, deploymentId(id)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'reject'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await rejectDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'rollback'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 200,
        body: await rollbackDeployment(ctx, deploymentId(id)),
      }),
    },
  },
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
  {
    shape: ['releases'],
    methods: {
      GET: async (ctx, req) => ({ status: 200, body: await listReleases(ctx, req.query) }),
      POST: async (ctx, req) => {
        const out = await createRelease(ctx, parseBody(req.body), idempotencyKey(req));
        return { status: out.status, body: out.release };
      },
    },
  },
  {
    shape: ['releases', ':id'],
    methods: {
      GET: async (ctx, _, [id = '']) => ({ status: 200, body: await getRelease(ctx, releaseId(id)) }),
    },
  },
  {
    shape: ['releases', ':id', 'stop'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await stopRelease(ctx, releaseId(id), parseBody(req.body)),
      }),
    },
  },
  { shape: ['groups'], methods: { GET: async (ctx) => ({ status: 200, body: await listGroups(ctx) }) } },
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

/**
 * The path's segments, each percent-decoded. A segment that does not decode (`%E0%A4%A`, `%ZZ`) is the
 * caller's mistake: 400, not a URIError turned 500.
 *
 * @example segments('/groups/orders%2Dapi/deployments/') → ['groups', 'orders-api', 'deployments']
 */
function segments(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((raw) => {
      try {
        return decodeURIComponent(raw);
      } catch {
        throw new ValidationError('invalid path', [
          { path: 'path', message: `"${raw.slice(0, 80)}" is not valid percent-encoded UTF-8` },
        ]);
      }
    });
}

export async function route(ctx: ApiContext, req: HttpRequest): Promise<HttpResponse> {
  try {
    const parts = segments(req.path);
    for (const { shape, methods } of ROUTES) {
      if (shape.length !== parts.length || !shape.every((s, i) => s.startsWith(':') || s === parts[i]))
        continue;
      const handler = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined;
      if (!handler) {
        const allow = Object.keys(methods).join(', ');
        return {
          status: 405,
          headers: { allow },
          body: {
            error: 'MethodNotAllowed',
            message: `${req.method} is not served on ${req.path}; allowed: ${allow}`,
            details: { allow: Object.keys(methods) },
          },
        };
      }
      return await handler(
        ctx,
        req,
        parts.filter((_, i) => shape[i]?.startsWith(':')),
      );
    }
    return {
      status: 404,
      body: { error: 'NotFound', message: `no route ${req.method} ${req.path.slice(0, 200)}`, details: {} },
    };
  } catch (e) {
    const response = errorResponse(e);
    if (response.status === 500) console.error(e);
    return response;
  }
}

/** SDK errors after the SDK's own retries that say "try again later" rather than "this request is wrong". */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

function isTransient(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, name, $metadata } = e as {
    code?: unknown;
    name?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  return (
    (typeof code === 'string' && TRANSIENT_CODES.has(code)) ||
    (typeof name === 'string' && TRANSIENT_NAMES.has(name)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  );
}

/**
 * The answer for an error that ended a request: its own status for stepshift's errors, 503 (with
 * Retry-After) when the store or an AWS service failed for a moment, 500 for anything else — whose
 * details go to the log, never to the caller.
 */
export function errorResponse(e: unknown): HttpResponse {
  if (e instanceof StepShiftError && e.status < 500) {
    return { status: e.status, body: { error: e.name, message: e.message, details: e.details ?? {} } };
  }
  if (isTransient(e)) {
    console.error(`transient failure: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return {
      status: 503,
      headers: { 'retry-after': '1' },
      body: {
        error: 'ServiceUnavailable',
        message: 'a service stepshift depends on did not answer; try again',
        details: {},
      },
    };
  }
  return {
    status: 500,
    body: { error: 'InternalError', message: 'the request failed; see the server log', details: {} },
  };
}
