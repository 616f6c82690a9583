/**
 * The application API as HTTP: route tables, JSON bodies, and errors as `{error, message, details}` with
 * 400/404/405/409/503 — never a stack trace. Shared by the local server and the API Gateway handlers, so
 * both answer a wrong method, a bad escape or an unknown group alike. Every route is documented in
 * docs/api.md.
 *
 * The routes are in tables of their own modules, each importing only the operations it serves
 * (./read-routes.ts, ./start-routes.ts, ./control-routes.ts, ./release-routes.ts; ./routes.ts has them all): each API
 * function on AWS serves some of the tables, and its bundle carries their code alone (issue 12).
 */
import { NotFound, StepShiftError, ValidationError } from '../core/errors.ts';
import type { ApiContext } from './context.ts';

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

/** A route's handler: the request, and the path's `:` segments in order. */
export type Handler = (ctx: ApiContext, req: HttpRequest, params: string[]) => Promise<HttpResponse>;

/** Longest deployment id or idempotency key looked up: past it, DynamoDB would refuse the key itself. */
export const MAX_KEY_LENGTH = 256;

/** The request's `Idempotency-Key`, if it has one that can be looked up. */
export function idempotencyKey(req: HttpRequest): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw new ValidationError('invalid request', [
      { path: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} characters` },
    ]);
  }
  return key;
}

/** A deployment id no deployment can have is not looked up: it is simply not there. */
export function deploymentId(id: string): string {
  if (id.length > MAX_KEY_LENGTH) throw new NotFound(`no deployment ${id.slice(0, 40)}…`);
  return id;
}

/** The routes of some paths: each path shape (`:id` is one path segment, decoded) with a handler per method. */
export type Routes = readonly { shape: readonly string[]; methods: Partial<Record<string, Handler>> }[];

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

/** The routes of `tables` whose shape the path's segments have. */
function routesOf(tables: readonly Routes[], parts: string[]): Routes {
  return tables
    .flat()
    .filter(
      ({ shape }) =>
        shape.length === parts.length && shape.every((s, i) => s.startsWith(':') || s === parts[i]),
    );
}

/**
 * Whether `tables` serve `method` on `path`: which API function a request goes to on AWS (infra/api.ts
 * sends each method to the one whose tables serve it; the tests hold it to that).
 */
export function serves(tables: readonly Routes[], method: string, path: string): boolean {
  return routesOf(tables, segments(path)).some(({ methods }) => Object.hasOwn(methods, method));
}

/**
 * Answers `req` from the routes of `tables`. A path that matches a shape but none of its methods is
 * answered 405 with the methods the tables have for it, so a caller learns it has the path right.
 */
export async function serve(
  tables: readonly Routes[],
  ctx: ApiContext,
  req: HttpRequest,
): Promise<HttpResponse> {
  try {
    const parts = segments(req.path);
    const matching = routesOf(tables, parts);
    if (matching.length === 0) {
      return {
        status: 404,
        body: { error: 'NotFound', message: `no route ${req.method} ${req.path.slice(0, 200)}`, details: {} },
      };
    }
    for (const { shape, methods } of matching) {
      const handler = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined;
      if (handler) {
        return await handler(
          ctx,
          req,
          parts.filter((_, i) => shape[i]?.startsWith(':')),
        );
      }
    }
    const allowed = matching.flatMap(({ methods }) => Object.keys(methods));
    const allow = allowed.join(', ');
    return {
      status: 405,
      headers: { allow },
      body: {
        error: 'MethodNotAllowed',
        message: `${req.method} is not served on ${req.path}; allowed: ${allow}`,
        details: { allow: allowed },
      },
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
