import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import type { ApiContext } from '../../functions/api/operations.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { seedExampleAccount } from '../../local/seed.ts';
import { serveLocalApi } from '../../local/server.ts';

const MB = 1024 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** One request as sent, byte for byte: node:http with a raw path, or a raw socket for what http refuses to send. */
interface Row {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send without Content-Length, in chunks. */
  chunked?: boolean;
  /** Bytes written to a socket as they are (`{host}` is the server's), for requests node:http will not produce. */
  raw?: string;
  status: number;
}

function send(base: string, row: Row): Promise<Answer> {
  const { hostname, port } = new URL(base);
  if (row.raw !== undefined) return sendRaw(hostname, Number(port), row.raw);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method: row.method ?? 'GET',
        path: row.path ?? '/',
        headers: row.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    // The server may answer (413) and close before reading everything we send.
    req.on('error', (e) =>
      e.message.includes('EPIPE') || e.message.includes('ECONNRESET') ? undefined : reject(e),
    );
    if (row.chunked && row.body !== undefined) {
      const body = Buffer.from(row.body);
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(row.body);
    }
  });
}

function sendRaw(host: string, port: number, bytes: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(bytes.replaceAll('{host}', `${host}:${port}`)));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const headers = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status, headers, body: body ? JSON.parse(body) : undefined });
    });
  });
}

/** A JSON POST to /deployments whose headers are sent and whose body is up to the caller; `answer` is the first bytes back, or "no answer in 5 s". */
async function openUpload(
  base: string,
  framing: string,
): Promise<{ socket: Socket; answer: Promise<string> }> {
  const { hostname, port } = new URL(base);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  const answer = Promise.race([
    new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString()))),
    new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 5 s'), 5000)),
  ]);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /deployments HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`,
  );
  return { socket, answer };
}

const group = (name: string): Row => ({
  name: `POST /groups/${name}/deployments`,
  method: 'POST',
  path: `/groups/${name}/deployments`,
  headers: JSON_TYPE,
  body: '{"revision":"2"}',
  status: 404,
});
const named = (name: string): Row => ({
  name: `POST /deployments for group "${name}"`,
  method: 'POST',
  path: '/deployments',
  headers: JSON_TYPE,
  body: JSON.stringify({ group: name, revision: '2' }),
  status: 400,
});
const listed = (name: string): Row => ({
  name: `GET /deployments?group=${name}`,
  path: `/deployments?group=${name}`,
  status: 400,
});
const start = (name: string, headers: Record<string, string>, status: number, body = '{}'): Row => ({
  name,
  method: 'POST',
  path: '/deployments',
  headers,
  body,
  status,
});
const method = (m: string, path: string, allow: string): Row & { allow: string } => ({
  name: `${m} ${path}`,
  method: m,
  path,
  status: 405,
  allow,
});

/** Every row is malformed: none may answer 500, take the server down, or write anything. */
const BAD_INPUT: (Row & { allow?: string })[] = [
  // A known path with a method it does not serve: 405 and the methods it does.
  method('DELETE', '/deployments', 'GET, POST'),
  method('PUT', '/deployments', 'GET, POST'),
  method('PATCH', '/deployments', 'GET, POST'),
  method('OPTIONS', '/deployments', 'GET, POST'),
  method('HEAD', '/deployments', 'GET, POST'),
  method('POST', '/deployments/d-1', 'GET'),
  method('DELETE', '/deployments/d-1', 'GET'),
  method('GET', '/deployments/d-1/stop', 'POST'),
  method('GET', '/deployments/d-1/promote', 'POST'),
  method('PUT', '/deployments/d-1/rollback', 'POST'),
  method('POST', '/groups', 'GET'),
  method('DELETE', '/groups', 'GET'),
  method('GET', '/groups/orders-api/deployments', 'POST'),
  method('TRACE', '/groups', 'GET'),
  // Paths that are no route at all.
  { name: 'GET /', path: '/', status: 404 },
  { name: 'GET /nope', path: '/nope', status: 404 },
  { name: 'GET ////', path: '////', status: 404 },
  { name: 'an unknown action', method: 'POST', path: '/deployments/d-1/explode', status: 404 },
  { name: 'a path one segment too long', path: '/deployments/d-1/stop/now', status: 404 },
  { name: 'GET /groups/orders-api', path: '/groups/orders-api', status: 404 },
  { name: 'a deployment id of 3000 characters', path: `/deployments/${'a'.repeat(3000)}`, status: 404 },
  { name: 'a deployment id that is a NUL', path: '/deployments/%00', status: 404 },
  // Percent-encoding that decodes to nothing.
  { name: 'a truncated escape', path: '/deployments/%E0%A4%A', status: 400 },
  { name: 'a lone percent sign', path: '/deployments/%', status: 400 },
  { name: 'an overlong UTF-8 escape', path: '/deployments/%C0%AF', status: 400 },
  { name: 'a non-hex escape in a group', method: 'POST', path: '/groups/%ZZ/deployments', status: 400 },
  { name: 'a bad escape before an action', method: 'POST', path: '/deployments/%FF/stop', status: 400 },
  { name: 'a bad escape in an unknown root', path: '/%E0%A4%A', status: 400 },
  // Group names that are members of Object.prototype, in the path, the body and the query.
  group('constructor'),
  group('__proto__'),
  group('toString'),
  group('hasOwnProperty'),
  group('valueOf'),
  group('__defineGetter__'),
  group('%5F%5Fproto%5F%5F'),
  named('constructor'),
  named('__proto__'),
  named('toString'),
  named('isPrototypeOf'),
  listed('constructor'),
  listed('__proto__'),
  listed('toString'),
  // Queries.
  { name: 'limit 0', path: '/deployments?limit=0', status: 400 },
  { name: 'limit not a number', path: '/deployments?limit=abc', status: 400 },
  { name: 'limit past a double', path: '/deployments?limit=1e400', status: 400 },
  { name: 'an unknown query key', path: '/deployments?unknown=1', status: 400 },
  { name: 'an empty group', path: '/deployments?group=', status: 400 },
  { name: 'a __proto__ query key', path: '/deployments?__proto__=1', status: 400 },
  // JSON bodies that are not a request.
  start('JSON cut short', JSON_TYPE, 400, '{"group":'),
  start('an array', JSON_TYPE, 400, '[]'),
  start('null', JSON_TYPE, 400, 'null'),
  start('a string', JSON_TYPE, 400, '"orders-api"'),
  start('a byte-order mark', JSON_TYPE, 400, '\uFEFF{"group":"orders-api","revision":"2"}'),
  start('a __proto__ member', JSON_TYPE, 400, '{"__proto__":{"group":"orders-api","revision":"2"}}'),
  start(
    'a config named constructor',
    JSON_TYPE,
    400,
    '{"group":"orders-api","revision":"2","config":"constructor"}',
  ),
  start('nesting 100 000 deep', JSON_TYPE, 400, `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  start(
    'a revision of 5000 characters',
    JSON_TYPE,
    400,
    JSON.stringify({ group: 'orders-api', revision: 'x'.repeat(5000) }),
  ),
  start(
    'an idempotency key of 3000 characters',
    { ...JSON_TYPE, 'idempotency-key': 'k'.repeat(3000) },
    400,
    '{"group":"orders-api","revision":"2"}',
  ),
  {
    name: 'a stop with a rollback that is not a boolean',
    method: 'POST',
    path: '/deployments/d-nope/stop',
    headers: JSON_TYPE,
    body: '{"rollback":"yes"}',
    status: 400,
  },
  // Bodies that are not JSON: 415, whatever they contain.
  start('text/plain', { 'content-type': 'text/plain' }, 415, '{"group":"orders-api","revision":"2"}'),
  start('no content type', {}, 415, '{"group":"orders-api","revision":"2"}'),
  start(
    'a form',
    { 'content-type': 'application/x-www-form-urlencoded' },
    415,
    'group=orders-api&revision=2',
  ),
  start('multipart', { 'content-type': 'multipart/form-data; boundary=x' }, 415, '--x--'),
  start('text/json', { 'content-type': 'text/json' }, 415),
  start('application/jsonx', { 'content-type': 'application/jsonx' }, 415),
  {
    name: 'a text/plain stop',
    method: 'POST',
    path: '/deployments/d-1/stop',
    headers: { 'content-type': 'text/plain' },
    body: '{}',
    status: 415,
  },
  // A web page driving the local API (CSRF, DNS rebinding): 403.
  start('a foreign Origin', { ...JSON_TYPE, origin: 'https://evil.example' }, 403),
  start('Origin null', { ...JSON_TYPE, origin: 'null' }, 403),
  start('another port on loopback', { ...JSON_TYPE, origin: 'http://127.0.0.1:1' }, 403),
  start('a look-alike host', { ...JSON_TYPE, origin: 'http://127.0.0.1.evil.example' }, 403),
  start(
    'text/plain from a foreign Origin',
    { 'content-type': 'text/plain', origin: 'https://evil.example' },
    403,
  ),
  {
    name: 'a GET from a foreign Origin',
    path: '/deployments',
    headers: { origin: 'https://evil.example' },
    status: 403,
  },
  start('Sec-Fetch-Site cross-site', { ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }, 403),
  start('Sec-Fetch-Site same-site', { ...JSON_TYPE, 'sec-fetch-site': 'same-site' }, 403),
  {
    name: 'a foreign Host (DNS rebinding)',
    path: '/deployments',
    headers: { host: 'evil.example' },
    status: 403,
  },
  // Bodies over 1 MB: 413, declared or not.
  start('a declared 2 MB body', JSON_TYPE, 413, `"${'x'.repeat(2 * MB)}"`),
  { ...start('a chunked 1.5 MB body', JSON_TYPE, 413, `"${'x'.repeat(1.5 * MB)}"`), chunked: true },
  // What node:http will not send: the parser's refusals, answered as JSON too.
  { name: 'an unknown method', raw: 'FOO /deployments HTTP/1.1\r\nHost: {host}\r\n\r\n', status: 400 },
  {
    name: 'a non-numeric Content-Length',
    raw: 'POST /deployments HTTP/1.1\r\nHost: {host}\r\nContent-Length: abc\r\n\r\n',
    status: 400,
  },
  { name: 'a request line of garbage', raw: 'garbage\r\n\r\n', status: 400 },
  {
    name: 'both Content-Length and Transfer-Encoding',
    raw: 'POST /deployments HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    status: 400,
  },
  {
    name: 'headers of 20 kB',
    raw: `GET /groups HTTP/1.1\r\nHost: {host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
  },
  {
    name: 'an absolute URL that does not parse',
    raw: 'GET http://[ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  {
    name: 'an absolute-form target',
    raw: 'GET http://127.0.0.1/groups HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n',
    status: 400,
  },
];

interface Written {
  deployments: unknown;
  locks: unknown;
  account: string;
}

async function written(local: LocalStepShift): Promise<Written> {
  return {
    deployments: await local.ctx.store.list({ limit: 100 }),
    locks: await local.ctx.store.locks(),
    account: JSON.stringify(local.account.snapshot()),
  };
}

/** Local mode on the example config, in memory, on a test clock, with no synthetic traffic. */
const exampleLocal = () =>
  startLocal({
    groups: loadGroupConfigFile('stepshift.config.json'),
    clock: new StepClock(),
    traffic: false,
    seed: (a) => seedExampleAccount(a),
  });

describe('the local server under bad input', () => {
  let local: LocalStepShift;
  let api: Awaited<ReturnType<typeof serveLocalApi>>;
  let before: Written;

  beforeAll(async () => {
    local = await exampleLocal();
    api = await serveLocalApi(local.ctx, 0);
    before = await written(local);
  });

  afterAll(async () => {
    api.server.close();
    await local.close();
  });

  it('holds at least 60 malformed requests', () => {
    expect(BAD_INPUT.length).toBeGreaterThanOrEqual(60);
  });

  it.each(BAD_INPUT)('answers $status to $name, stays up and writes nothing', async (row) => {
    // Prepare: a host header the server accepts, unless the row brings its own.
    const headers = { host: new URL(api.url).host, ...row.headers };

    // Act
    const answer = await send(api.url, { ...row, headers });

    // Assess
    expect(answer.status).not.toBe(500);
    expect(answer.status).toBe(row.status);
    if (row.method !== 'HEAD') {
      expect(answer.body).toEqual({
        error: expect.any(String),
        message: expect.any(String),
        details: expect.any(Object),
      });
    }
    if (row.allow) expect(answer.headers.allow).toBe(row.allow);
    expect((await fetch(`${api.url}/groups`)).status).toBe(200);
    expect(await written(local)).toEqual(before);
  });
});

describe('the local server', () => {
  let local: LocalStepShift;
  beforeAll(async () => {
    local = await exampleLocal();
  });
  afterAll(() => local.close());

  it('serves a request from its own loopback origin', async () => {
    // Prepare
    const { url, server } = await serveLocalApi(local.ctx, 0);
    try {
      // Act
      const own = await fetch(`${url}/deployments`, {
        headers: { origin: url, 'sec-fetch-site': 'same-origin' },
      });
      const localhost = await fetch(`${url}/groups`, {
        headers: { origin: url.replace('127.0.0.1', 'localhost') },
      });

      // Assess
      expect(own.status).toBe(200);
      expect(localhost.status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('survives an upload aborted mid-body and keeps serving', async () => {
    // Prepare
    const { url, server } = await serveLocalApi(local.ctx, 0);
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      // Act: as `curl -m 1 -T /dev/zero -X POST …/deployments` does when its time is up.
      const { hostname, port } = new URL(url);
      const socket = connect({ host: hostname, port: Number(port) });
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /deployments HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      socket.write(`400\r\n${'0'.repeat(0x400)}\r\n`);
      await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 100));

      // Assess
      expect((await fetch(`${url}/groups`)).status).toBe(200);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      server.close();
    }
  });

  it('refuses an endless upload with 413 without reading it to the end', async () => {
    // Prepare
    const { url, server } = await serveLocalApi(local.ctx, 0);
    const upload = await openUpload(url, 'Transfer-Encoding: chunked');
    try {
      // Act: /dev/zero, chunk after chunk, until the server answers (or 5 s pass).
      const chunk = `10000\r\n${'0'.repeat(0x10000)}\r\n`;
      let sent = 0;
      const pump = setInterval(() => {
        if (!upload.socket.writable || sent >= 64 * MB || upload.socket.writableLength > 4 * MB) return;
        upload.socket.write(chunk);
        sent += 0x10000;
      }, 1);
      const first = await upload.answer;
      clearInterval(pump);

      // Assess
      expect(first).toMatch(/^HTTP\/1\.1 413 /);
      expect(sent).toBeLessThan(64 * MB);
    } finally {
      upload.socket.destroy();
      server.close();
    }
  });

  it('refuses a declared 500 MB body with 413 before it is sent', async () => {
    // Prepare
    const { url, server } = await serveLocalApi(local.ctx, 0);

    // Act: the headers only; the 500 MB never come.
    const upload = await openUpload(url, `Content-Length: ${500 * MB}`);
    const first = await upload.answer;
    upload.socket.destroy();
    server.close();

    // Assess
    expect(first).toMatch(/^HTTP\/1\.1 413 /);
    expect(first).toContain('"error": "PayloadTooLarge"');
  });

  it('answers 503, not 500, when the store fails for a moment, and keeps serving', async () => {
    // Prepare: a store whose list fails as a reset socket does once the SDK has used its retries.
    const reset = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      $metadata: { attempts: 3 },
    });
    const ctx: ApiContext = {
      ...local.ctx,
      store: Object.assign(Object.create(local.ctx.store) as ApiContext['store'], {
        list: () => Promise.reject(reset),
      }),
    };
    const { url, server } = await serveLocalApi(ctx, 0);
    try {
      // Act
      const res = await fetch(`${url}/deployments`);

      // Assess
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({
        error: 'ServiceUnavailable',
        message: expect.stringContaining('try again'),
        details: {},
      });
      // A route that does not list still answers: the server itself is fine.
      expect((await fetch(`${url}/deployments/d-none`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('answers 500 as JSON when a local route throws, and keeps serving', async () => {
    // Prepare
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    const { url, server } = await serveLocalApi(local.ctx, 0, async (req) => {
      if (req.path === '/boom') throw new Error('a bug in a local route');
      return undefined;
    });
    try {
      // Act
      const res = await fetch(`${url}/boom`);
      await new Promise((r) => setTimeout(r, 50));

      // Assess
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: 'InternalError',
        message: 'the request failed; see the server log',
        details: {},
      });
      expect(rejections).toEqual([]);
      expect((await fetch(`${url}/groups`)).status).toBe(200);
    } finally {
      process.off('unhandledRejection', onRejection);
      server.close();
    }
  });

  it('refuses a taken port with an error naming the port and --port', async () => {
    // Prepare: something else on a loopback port.
    const other: TcpServer = createTcpServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const taken = (other.address() as { port: number }).port;
    try {
      // Act
      const serving = serveLocalApi(local.ctx, taken);

      // Assess
      await expect(serving).rejects.toMatchObject({
        name: 'PortInUse',
        message: expect.stringMatching(new RegExp(`port ${taken}.*--port`)),
      });
    } finally {
      other.close();
    }
  });
});
