import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpRequest, type HttpResponse, route } from '../functions/api/http.ts';
import type { ApiContext } from '../functions/api/operations.ts';

export const DEFAULT_PORT = 4477;

/**
 * Routes only local mode serves (rehearsal commands, the local event bus): asked first; `undefined`
 * passes the request on to the application API.
 */
export type LocalRoutes = (req: HttpRequest) => Promise<HttpResponse | undefined>;

/** Serves the application API as JSON on loopback only. */
export async function serveLocalApi(
  ctx: ApiContext,
  port = DEFAULT_PORT,
  localRoutes: LocalRoutes = async () => undefined,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: HttpRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers as Record<string, string | undefined>,
      body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined,
    };
    const out = (await localRoutes(request)) ?? (await route(ctx, request));
    if (out.status === 500) console.error(`500 on ${req.method} ${url.pathname}`);
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out.body, null, 2));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, server };
}
