/**
 * API Gateway (REST, proxy integration) in front of the application API: the same routes and errors as
 * the local server. Errors are JSON `{error, message, details}`; a 500 never carries a stack trace. Each
 * API function's handler file (./api.ts) gives it the route tables it serves.
 */
import type { ApiContext } from '../api/context.ts';
import type { HttpRequest, HttpResponse } from '../api/http.ts';

export interface ApiGatewayEvent {
  httpMethod: string;
  path: string;
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  /** With IAM authorization, who signed the request. */
  requestContext?: { identity?: { userArn?: string | null } | null } | null;
}

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The API Gateway handler of `route`: an API Gateway event in, an HTTP request to `route`, its answer out. */
export function makeApiHandler(
  get: () => ApiContext,
  route: (ctx: ApiContext, req: HttpRequest) => Promise<HttpResponse>,
) {
  return async (event: ApiGatewayEvent): Promise<ApiGatewayResult> => {
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    ) as Record<string, string | undefined>;
    const body =
      event.body == null
        ? undefined
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const query = Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
    const caller = event.requestContext?.identity?.userArn ?? undefined;
    const out = await route(get(), {
      method: event.httpMethod,
      path: event.path,
      query,
      headers,
      body,
      ...(caller ? { caller } : {}),
    });
    return {
      statusCode: out.status,
      headers: { ...out.headers, 'content-type': 'application/json' },
      body: JSON.stringify(out.body),
    };
  };
}
