/**
 * Serves the operator console: the page, its bundle, and a server-sent-event stream of what the page
 * shows. One module for both places the console runs — local mode's server and the `stepshift console`
 * proxy in front of the AWS API — which differ only in their `ConsoleSource`: locally the reads go to the
 * application API in process and every change wakes the stream at once; against AWS they go through the
 * signed API client and the stream polls.
 *
 * The stream sends the very bodies the API answers (GET /groups, /deployments, /deployments/{id},
 * /deployments/{id}/execution, /releases, /releases/{id}), each only when it changed, so the page has
 * one model for both places and its actions are plain API calls on the same origin.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where the console's data comes from. */
export interface ConsoleSource {
  mode: 'local' | 'aws';
  /** The API the data comes from, shown in the page. */
  api: string;
  /** A GET on the application API: `path` may carry a query. */
  read(path: string): Promise<{ status: number; body: unknown }>;
  /** Calls `listener` whenever something may have changed; returns the unsubscribe. Absent: poll only. */
  onChange?(listener: () => void): () => void;
  /** The longest a change waits to be seen when nothing wakes the stream. */
  pollMs: number;
  /**
   * The server's clock, when it is not the wall clock (local mode's is virtual): what it reads now and
   * how many of its seconds pass in a real one (0: it moves only in steps), so the page counts a bake
   * down in the server's time.
   */
  clock?(): { now: string; speed: number };
}

export interface ConsoleAssets {
  html: string;
  js: string;
  css: string;
}

let built: Promise<ConsoleAssets> | undefined;

/**
 * The page as the package ships it, bundled by `npm run build` (build/build.ts) into `page/` beside this
 * module compiled: no sources and no esbuild needed where the package is installed.
 */
const PREBUILT = join(HERE, 'page');

/**
 * The page, bundled once per process with esbuild (about 0.2 s): no CDN, no files written. A failed
 * build is not cached, so fixing the source and reloading works without a restart. From the package,
 * the page it ships prebuilt.
 */
export function consoleAssets(): Promise<ConsoleAssets> {
  built ??= (existsSync(join(PREBUILT, 'app.js')) ? readPrebuilt() : bundleConsole()).catch((e: unknown) => {
    built = undefined;
    throw e;
  });
  return built;
}

async function readPrebuilt(): Promise<ConsoleAssets> {
  const [html, js, css] = await Promise.all(
    ['index.html', 'app.js', 'app.css'].map((file) => readFile(join(PREBUILT, file), 'utf8')),
  );
  return { html: html ?? '', js: js ?? '', css: css ?? '' };
}

/** The page bundled from its sources (`src/`, `index.html`); build/build.ts ships it in the package. */
export async function bundleConsole(): Promise<ConsoleAssets> {
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: [join(HERE, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const js = result.outputFiles[0]?.text ?? '';
  const [html, css] = await Promise.all([
    readFile(join(HERE, 'index.html'), 'utf8'),
    readFile(join(HERE, 'src', 'app.css'), 'utf8'),
  ]);
  return { html, js, css };
}

/** The paths the console answers; everything else is the API's. */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/console/');
}

/**
 * The page may run scripts and styles from this origin only (preact sets inline `style` attributes,
 * hence `'unsafe-inline'` for styles alone), talk to this origin only, and never be framed: its buttons
 * stop and roll back deployments, so no other page may overlay them.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Answers a console path (`isConsolePath`): the page, its assets, or the stream. */
export async function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: Record<string, string>,
  source: ConsoleSource,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return plain(
      res,
      405,
      'application/json',
      problem('MethodNotAllowed', `${req.method} is not served on ${path}; allowed: GET`),
      { allow: 'GET' },
    );
  }
  if (path === '/console/stream') return stream(req, res, source, focusOf(query));
  let assets: ConsoleAssets;
  try {
    assets = await consoleAssets();
  } catch (e) {
    console.error(`console build failed: ${e instanceof Error ? e.message : String(e)}`);
    return plain(
      res,
      500,
      'application/json',
      problem('InternalError', 'the console could not be built; see the server log'),
    );
  }
  if (path === '/' || path === '/index.html') return plain(res, 200, 'text/html; charset=utf-8', assets.html);
  if (path === '/console/app.js') return plain(res, 200, 'text/javascript; charset=utf-8', assets.js);
  if (path === '/console/app.css') return plain(res, 200, 'text/css; charset=utf-8', assets.css);
  return plain(res, 404, 'application/json', problem('NotFound', `no console file ${path.slice(0, 200)}`));
}

function problem(error: string, message: string): string {
  return JSON.stringify({ error, message, details: {} }, null, 2);
}

function plain(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

/** A comment line every so often keeps proxies and the browser from timing an idle stream out. */
const HEARTBEAT_MS = 15_000;
/** Changes that come in a burst (a transition writes the record, then the timeline) make one read. */
const SETTLE_MS = 50;

/**
 * What a stream follows beyond the groups and the deployments, from its query: one deployment
 * (`?deployment=<id>`), one release (`?release=<id>`) or the list of releases (`?releases`). The releases
 * are read only by the pages that show them, so an API without release routes troubles no other page.
 */
export type StreamFocus =
  | { deployment: string }
  | { release: string }
  | { releases: true }
  | Record<string, never>;

export function focusOf(query: Record<string, string>): StreamFocus {
  if (query.deployment !== undefined) return { deployment: query.deployment };
  if (query.release !== undefined) return { release: query.release };
  if (query.releases !== undefined) return { releases: true };
  return {};
}

/** What one stream reads, by event name: the API paths whose bodies it sends. */
function topics(focus: StreamFocus): { event: string; read: (s: ConsoleSource) => Promise<unknown> }[] {
  const get = (path: string) => async (s: ConsoleSource) => {
    const { status, body } = await s.read(path);
    if (status >= 400) throw new ReadFailed(path, status, body);
    return body;
  };
  const list = [
    { event: 'groups', read: get('/groups') },
    { event: 'deployments', read: get('/deployments') },
  ];
  if ('release' in focus) {
    return [...list, { event: 'release', read: get(`/releases/${encodeURIComponent(focus.release)}`) }];
  }
  if ('releases' in focus) return [...list, { event: 'releases', read: get('/releases') }];
  if (!('deployment' in focus)) return list;
  const id = encodeURIComponent(focus.deployment);
  return [
    ...list,
    { event: 'deployment', read: get(`/deployments/${id}`) },
    { event: 'execution', read: (s) => wholeExecution(s, id) },
  ];
}

class ReadFailed extends Error {
  constructor(path: string, status: number, body: unknown) {
    const message = (body as { message?: unknown } | undefined)?.message;
    super(`GET ${path} answered ${status}${typeof message === 'string' ? `: ${message}` : ''}`);
  }
}

/** Every page of the execution's events, as one body without `nextToken`. */
async function wholeExecution(source: ConsoleSource, id: string): Promise<unknown> {
  let token: string | undefined;
  let first: Record<string, unknown> | undefined;
  const events: unknown[] = [];
  // A 7-day execution has at most 25,000 events: 25 pages of 1,000. The bound stops a token loop.
  for (let page = 0; page < 30; page++) {
    const path = `/deployments/${id}/execution${token ? `?nextToken=${encodeURIComponent(token)}` : ''}`;
    const { status, body } = await source.read(path);
    if (status >= 400) throw new ReadFailed(path, status, body);
    const b = body as { events?: unknown[]; nextToken?: string } & Record<string, unknown>;
    first ??= b;
    events.push(...(b.events ?? []));
    token = b.nextToken;
    if (!token) break;
  }
  const { nextToken: _, ...rest } = first ?? {};
  return { ...rest, events };
}

/**
 * The server-sent-event stream: `meta` once, then each topic whenever its body changed, read again on
 * every change the source signals and at least every `pollMs`. A failed read sends `failure` with its
 * message and keeps the last data on the page; the stream ends when the client goes away.
 */
async function stream(
  req: IncomingMessage,
  res: ServerResponse,
  source: ConsoleSource,
  focus: StreamFocus,
): Promise<void> {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('meta', {
    mode: source.mode,
    api: source.api,
    ...focus,
    ...(source.clock ? { clock: source.clock() } : {}),
  });

  let closed = false;
  let wake = () => {};
  let pending = false;
  const signalled = () => {
    pending = true;
    wake();
  };
  const unsubscribe = source.onChange?.(signalled) ?? (() => {});
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const end = () => {
    closed = true;
    wake();
  };
  req.on('close', end);
  res.on('close', end);

  const last = new Map<string, string>();
  let lastFailure: string | undefined;
  try {
    while (!closed) {
      pending = false;
      let failure: string | undefined;
      for (const topic of topics(focus)) {
        if (closed) break;
        try {
          const text = JSON.stringify(await topic.read(source));
          if (last.get(topic.event) !== text) {
            last.set(topic.event, text);
            res.write(`event: ${topic.event}\ndata: ${text}\n\n`);
          }
        } catch (e) {
          failure ??= e instanceof Error ? e.message : String(e);
        }
      }
      if (failure !== lastFailure && !closed) {
        if (failure) send('failure', { message: failure });
        else send('recovered', {});
      }
      lastFailure = failure;
      if (closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pending ? SETTLE_MS : source.pollMs);
        function done() {
          clearTimeout(timer);
          wake = () => {};
          resolve();
        }
        wake = () => {
          clearTimeout(timer);
          wake = () => {};
          // Settle: what woke us is usually the first of several writes.
          setTimeout(resolve, closed ? 0 : SETTLE_MS);
        };
      });
    }
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    if (!res.writableEnded) res.end();
  }
}
