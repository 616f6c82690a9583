/**
 * The local HTTP server: the application API as JSON on 127.0.0.1, hardened for a machine where a web
 * browser runs too. What only a loopback server needs is checked here, before routing: the Host and
 * Origin (a web page must not drive the API), the content type and the body size. Routing, 404, 405 and
 * bad escapes are `functions/api/http.ts`'s, shared with API Gateway.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type ConsoleSource, isConsolePath, serveConsole } from '../console/serve.ts';
import { errorResponse, type HttpRequest, type HttpResponse } from '../functions/api/http.ts';
import type { ApiContext } from '../functions/api/operations.ts';
import { route } from '../functions/api/routes.ts';
import { StepShiftError } from '../functions/core/errors.ts';

export const DEFAULT_PORT = 4477;

/** The largest request body read: a start request is a few hundred bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The port is taken (or not ours to take): `npm start` says so in one line and exits. */
export class PortInUse extends StepShiftError {
  override name = 'PortInUse';
}

/**
 * Routes only local mode serves (rehearsal commands, the local event bus): asked first; `undefined`
 * passes the request on to the application API.
 */
export type LocalRoutes = (req: HttpRequest) => Promise<HttpResponse | undefined>;

export interface LocalApi {
  url: string;
  server: Server;
  /** Stops listening and ends every open connection, idle or not. */
  close(): Promise<void>;
}

/**
 * What a loopback server does with a request that passed the checks: answer it as JSON, or answer it
 * itself on `res` (the console's page and stream) and say `'answered'`.
 */
export type LoopbackHandler = (
  request: HttpRequest,
  res: ServerResponse,
  req: IncomingMessage,
) => Promise<HttpResponse | 'answered'>;

/**
 * Serves the application API as JSON on loopback only, with the local-only routes, and the operator
 * console at `/` when `consoleOf` is given (called once the URL is known: port 0 picks one).
 */
export async function serveLocalApi(
  ctx: ApiContext,
  port = DEFAULT_PORT,
  localRoutes: LocalRoutes = async () => undefined,
  consoleOf?: (url: string) => ConsoleSource,
): Promise<LocalApi> {
  let source: ConsoleSource | undefined;
  const served = await serveLoopback(port, async (request, res, req) => {
    if (source && isConsolePath(request.path)) {
      await serveConsole(req, res, request.path, request.query, source);
      return 'answered';
    }
    return (await localRoutes(request)) ?? (await route(ctx, request));
  });
  source = consoleOf?.(served.url);
  return served;
}

/**
 * A server on 127.0.0.1 hardened for a machine where a web browser runs too (see `refusal`), for local
 * mode and for the `stepshift console` proxy alike.
 */
export async function serveLoopback(port: number, handler: LoopbackHandler): Promise<LocalApi> {
  // Known once listening (port 0 picks one): the hosts and origins that are this server itself.
  const own = { hosts: new Set<string>(), origins: new Set<string>() };
  const server = createServer((req, res) => {
    // The handler never rejects: an unhandled rejection would end the whole process.
    serve(req, res, own, handler).catch((e: unknown) => {
      console.error(e);
      if (!res.headersSent) answer(res, errorResponse(e));
      else res.destroy();
    });
  });
  server.on('clientError', refuseUnparsable);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, port)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (e) => console.error(`local API: ${String(e)}`));
  const address = server.address() as AddressInfo;
  for (const host of ['127.0.0.1', 'localhost']) {
    own.hosts.add(`${host}:${address.port}`);
    own.origins.add(`http://${host}:${address.port}`);
  }
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenError(e: NodeJS.ErrnoException, port: number): Error {
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
    return new PortInUse(
      `port ${port} on 127.0.0.1 is ${e.code === 'EACCES' ? 'not allowed' : 'taken'}: stop what uses it, or start with --port <another port> (--port 0 picks a free one)`,
    );
  }
  return e;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  own: { hosts: Set<string>; origins: Set<string> },
  handler: LoopbackHandler,
): Promise<void> {
  const refused = refusal(req, own);
  if (refused) return answer(res, refused, refused.status === 413);
  const body = await readBody(req);
  if (body === 'aborted') return; // the client is gone: nothing to answer
  if (body === 'too large') return answer(res, tooLarge(), true);
  const target = req.url ?? '/';
  if (!target.startsWith('/')) {
    return answer(res, problem(400, 'BadRequest', 'the request target must be a path, such as /deployments'));
  }
  const q = target.indexOf('?');
  const request: HttpRequest = {
    method: req.method ?? 'GET',
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? {} : Object.fromEntries(new URLSearchParams(target.slice(q + 1))),
    headers: req.headers as Record<string, string | undefined>,
    body,
  };
  let out: HttpResponse | 'answered';
  try {
    out = await handler(request, res, req);
    if (out === 'answered') return;
  } catch (e) {
    out = errorResponse(e);
    // A caller's mistake (4xx) is answered, not logged; anything else is the server's to explain.
    if (out.status >= 500) console.error(e);
  }
  if (out.status === 500) console.error(`500 on ${request.method} ${request.path}`);
  answer(res, out);
}

/**
 * Why a request is refused before its body is read, or undefined.
 * - 403 for a Host that is not this server (DNS rebinding), an Origin that is not its own loopback
 *   origin, or `Sec-Fetch-Site` cross-site/same-site: a web page open in a browser must not drive the
 *   API (CSRF). The CLI, curl and tests send no Origin; a browser sends one with every POST.
 * - 413 for a declared Content-Length over the limit, before any of it is read.
 * - 415 for a body that is not `application/json`: the types a page may send without a preflight
 *   (text/plain, forms) are exactly the ones refused.
 */
function refusal(
  req: IncomingMessage,
  own: { hosts: Set<string>; origins: Set<string> },
): HttpResponse | undefined {
  const { host, origin } = req.headers;
  if (host !== undefined && !own.hosts.has(host.toLowerCase())) {
    return problem(
      403,
      'Forbidden',
      `Host ${host.slice(0, 100)} is not this server: use ${[...own.hosts][0]}`,
    );
  }
  if (origin !== undefined && !own.origins.has(origin.toLowerCase())) {
    return problem(
      403,
      'Forbidden',
      `requests from ${origin.slice(0, 100)} are refused: the local API serves this machine's tools, not web pages`,
    );
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    return problem(403, 'Forbidden', `a ${site} request from a web page is refused`);
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return tooLarge();
  const hasBody =
    (declared !== undefined && Number(declared) > 0) || req.headers['transfer-encoding'] !== undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (hasBody && type !== 'application/json') {
    return problem(
      415,
      'UnsupportedMediaType',
      `the body must be application/json${type ? `, not ${type.slice(0, 100)}` : ': send Content-Type: application/json'}`,
    );
  }
  return undefined;
}

/**
 * The body as text, or 'too large' as soon as it passes the limit — the rest is never read, so an
 * endless upload costs a megabyte, not all memory — or 'aborted' when the client went away mid-body.
 */
function readBody(req: IncomingMessage): Promise<string | undefined | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: string | undefined | 'too large' | 'aborted') => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        return done('too large');
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(size ? Buffer.concat(chunks).toString('utf8') : undefined);
    const onError = () => done('aborted');
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onError);
  });
}

function tooLarge(): HttpResponse {
  return problem(
    413,
    'PayloadTooLarge',
    `the body is over ${MAX_BODY_BYTES} bytes: a request is a few hundred`,
  );
}

function problem(status: number, error: string, message: string): HttpResponse {
  return { status, body: { error, message, details: {} } };
}

/**
 * Writes the JSON answer. `close` ends the connection once the answer is out: after a 413 the rest of
 * the body is still on its way, and reading it just to keep the connection would defeat the limit.
 */
function answer(res: ServerResponse, out: HttpResponse, close = false): void {
  if (res.destroyed) return;
  const text = JSON.stringify(out.body, null, 2);
  res.writeHead(out.status, {
    ...out.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text, () => {
    if (close) res.socket?.destroySoon();
  });
}

/**
 * What node's HTTP parser refuses (an unknown method, a bad Content-Length, headers over 16 kB) is
 * answered as JSON like every other error, and the connection closed — never left to hang.
 */
function refuseUnparsable(e: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || e.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = e.code === 'HPE_HEADER_OVERFLOW' ? 431 : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const text = JSON.stringify(
    { error: 'BadRequest', message: `malformed HTTP request (${e.code ?? 'unparsable'})`, details: {} },
    null,
    2,
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}
