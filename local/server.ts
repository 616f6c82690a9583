import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { route } from '../functions/api/http.ts';
import type { ApiContext } from '../functions/api/operations.ts';

export const DEFAULT_PORT = 4477;

/** Serves the application API as JSON on loopback only. */
export async function serveLocalApi(
  ctx: ApiContext,
  port = DEFAULT_PORT,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const out = await route(ctx, {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers as Record<string, string | undefined>,
      body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined,
    });
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
