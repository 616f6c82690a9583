/**
 * `stepshift console --api URL`: the operator console on this machine, in front of the stack's API.
 * The page and its stream are served here; every API call the page makes is forwarded to API Gateway
 * signed with the user's own AWS credentials, as `kubectl argo rollouts dashboard` uses the kubeconfig —
 * so the console can do exactly what the user's IAM policy allows, and nothing is deployed for it.
 *
 * The server is the loopback one of local mode, with its checks: only this machine's browser, only a
 * page of this origin may call it. That matters more here than locally, since every call it forwards is
 * signed with the user's credentials.
 */
import { type ConsoleSource, isConsolePath, serveConsole } from '../console/serve.ts';
import { type HttpResponse, parseBody } from '../functions/api/http.ts';
import { type LocalApi, serveLoopback } from '../local/server.ts';

/** How often the console re-reads the API: about one GetExecutionHistory page and four reads per tick. */
export const AWS_POLL_MS = 2_000;

/** The stack's API as the proxy calls it: a signed client (bin/api-client.ts). */
export interface Upstream {
  /** Where it points, shown in the page. */
  readonly url: string;
  request(
    method: string,
    path: string,
    init?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown }>;
}

/** Answer headers worth passing on to the page. */
const PASSED_HEADERS = ['allow', 'retry-after'];

export async function serveConsoleProxy(
  upstream: Upstream,
  port: number,
  pollMs = AWS_POLL_MS,
): Promise<LocalApi> {
  const source: ConsoleSource = {
    mode: 'aws',
    api: upstream.url,
    pollMs,
    read: async (path) => {
      const { status, body } = await upstream.request('GET', path);
      return { status, body };
    },
  };
  return serveLoopback(port, async (request, res, req) => {
    if (isConsolePath(request.path)) {
      await serveConsole(req, res, request.path, request.query, source);
      return 'answered';
    }
    const query = new URLSearchParams(request.query).toString();
    const key = request.headers['idempotency-key'];
    try {
      const out = await upstream.request(request.method, `${request.path}${query ? `?${query}` : ''}`, {
        // Parsed here so a malformed body is a 400 from the proxy, not a request signed and sent.
        ...(request.body === undefined ? {} : { body: parseBody(request.body) }),
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });
      const headers = Object.fromEntries(
        PASSED_HEADERS.flatMap((h) => (out.headers[h] ? [[h, out.headers[h]] as const] : [])),
      );
      return { status: out.status, ...(Object.keys(headers).length ? { headers } : {}), body: out.body };
    } catch (e) {
      return unreachable(upstream.url, e);
    }
  });
}

/** The API could not be asked at all (no credentials, no network): a 502 that says which. */
function unreachable(url: string, e: unknown): HttpResponse {
  if (e instanceof Error && e.name === 'ValidationError') throw e;
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: 502,
    body: { error: 'BadGateway', message: `could not call ${url}: ${message}`, details: {} },
  };
}
