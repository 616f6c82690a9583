/**
 * A scripted stand-in for the stepshift API on 127.0.0.1 (port 0): each request to a route takes that
 * route's next answer — a status and body, or `'reset'` (the connection dropped) — and the last answer
 * repeats. It records what it was asked.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer =
  | { status?: number; body?: unknown; text?: string; headers?: Record<string, string> }
  | 'reset';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface StubApi {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** `routes` by `"METHOD /path"` (the path without its query). */
export async function stubApi(routes: Record<string, Answer[]>): Promise<StubApi> {
  const received: Received[] = [];
  const taken = new Map<string, number>();
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const script = routes[route];
    if (!script || script.length === 0) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'NotFound', message: `no route ${route}`, details: {} }));
      return;
    }
    const at = taken.get(route) ?? 0;
    taken.set(route, at + 1);
    const answer = script[Math.min(at, script.length - 1)] as Answer;
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status ?? 200, {
      'content-type': answer.text === undefined ? 'application/json' : 'text/plain',
      ...answer.headers,
    });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: one the system gave and took back. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
