import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleSource } from '../../console/serve.ts';
import { isConsolePath, serveConsole } from '../../console/serve.ts';
import { type LocalApi, serveLoopback } from '../../local/server.ts';

/** A source whose API bodies the test sets, and whose change signal it fires. */
function scriptedSource(bodies: Record<string, unknown>, pollMs = 60_000) {
  const listeners = new Set<() => void>();
  const reads: string[] = [];
  const source: ConsoleSource & { change(): void } = {
    mode: 'aws',
    api: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
    pollMs,
    read: async (path) => {
      reads.push(path);
      if (!(path in bodies)) return { status: 404, body: { error: 'NotFound', message: `no ${path}` } };
      const body = bodies[path];
      if (body instanceof Error) throw body;
      return { status: 200, body };
    },
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    change: () => {
      for (const l of listeners) l();
    },
  };
  return { source, reads, listeners };
}

/** Reads server-sent events off a response until `until` says enough. */
async function events(
  url: string,
  until: (seen: { event: string; data: unknown }[]) => boolean,
  onEvent: (e: { event: string; data: unknown }, seen: { event: string; data: unknown }[]) => void = () => {},
) {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const seen: { event: string; data: unknown }[] = [];
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  while (!until(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) {
        const e = { event, data: JSON.parse(data) as unknown };
        seen.push(e);
        onEvent(e, seen);
      }
    }
  }
  abort.abort();
  return seen;
}

describe('the console stream', () => {
  let served: LocalApi | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function serve(source: ConsoleSource) {
    served = await serveLoopback(0, async (request, res, req) => {
      if (!isConsolePath(request.path)) return { status: 404, body: {} };
      await serveConsole(req, res, request.path, request.query, source);
      return 'answered';
    });
    return served.url;
  }

  it('sends meta, then each API body, then only what changed when woken', async () => {
    const bodies: Record<string, unknown> = {
      '/groups': { groups: [{ name: 'orders-api' }] },
      '/deployments': { deployments: [] },
    };
    const { source } = scriptedSource(bodies);
    const url = await serve(source);
    let woke = false;
    const seen = await events(
      `${url}/console/stream`,
      (s) => s.filter((e) => e.event === 'deployments').length === 2,
      (e, s) => {
        // Once both bodies are in, one of them changes and the source signals it.
        if (!woke && s.length === 3) {
          woke = true;
          bodies['/deployments'] = { deployments: [{ id: 'd-1' }] };
          source.change();
        }
        expect(e.event).not.toBe('failure');
      },
    );
    expect(seen.map((e) => e.event)).toEqual(['meta', 'groups', 'deployments', 'deployments']);
    expect(seen[0]?.data).toEqual({ mode: 'aws', api: source.api });
    expect(seen[3]?.data).toEqual({ deployments: [{ id: 'd-1' }] });
  });

  it('follows one deployment, merging every page of its execution into one body', async () => {
    const { source, reads } = scriptedSource({
      '/groups': { groups: [] },
      '/deployments': { deployments: [] },
      '/deployments/d%201': { deployment: { id: 'd 1' }, timeline: [] },
      '/deployments/d%201/execution': {
        executionName: 'd 1',
        status: 'RUNNING',
        events: [{ id: 1, type: 'ExecutionStarted' }],
        nextToken: 'p/2',
      },
      '/deployments/d%201/execution?nextToken=p%2F2': {
        executionName: 'd 1',
        status: 'RUNNING',
        events: [{ id: 2, type: 'StateEntered', state: 'Prepare' }],
      },
    });
    const url = await serve(source);
    const seen = await events(`${url}/console/stream?deployment=d%201`, (s) =>
      s.some((e) => e.event === 'execution'),
    );
    expect(seen[0]).toEqual({ event: 'meta', data: { mode: 'aws', api: source.api, deployment: 'd 1' } });
    expect(seen.find((e) => e.event === 'deployment')?.data).toEqual({
      deployment: { id: 'd 1' },
      timeline: [],
    });
    expect(seen.find((e) => e.event === 'execution')?.data).toEqual({
      executionName: 'd 1',
      status: 'RUNNING',
      events: [
        { id: 1, type: 'ExecutionStarted' },
        { id: 2, type: 'StateEntered', state: 'Prepare' },
      ],
    });
    expect(reads).toContain('/deployments/d%201/execution?nextToken=p%2F2');
  });

  it('follows one release on ?release=, and the list of releases on ?releases', async () => {
    // Prepare
    const release = { release: { id: 'r 1', status: 'IN_PROGRESS' }, timeline: [] };
    const { source, reads } = scriptedSource({
      '/groups': { groups: [] },
      '/deployments': { deployments: [] },
      '/releases/r%201': release,
      '/releases': { releases: [release.release] },
    });
    const url = await serve(source);

    // Act
    const one = await events(`${url}/console/stream?release=r%201`, (s) =>
      s.some((e) => e.event === 'release'),
    );
    const list = await events(`${url}/console/stream?releases`, (s) => s.some((e) => e.event === 'releases'));

    // Assess
    expect(one.map((e) => e.event)).toEqual(['meta', 'groups', 'deployments', 'release']);
    expect(one[0]?.data).toEqual({ mode: 'aws', api: source.api, release: 'r 1' });
    expect(one[3]?.data).toEqual(release);
    expect(list.map((e) => e.event)).toEqual(['meta', 'groups', 'deployments', 'releases']);
    expect(list[3]?.data).toEqual({ releases: [release.release] });
    expect(reads).toContain('/releases/r%201');
  });

  it('reads no release on the other pages: an API without release routes troubles none of them', async () => {
    const { source, reads } = scriptedSource({
      '/groups': { groups: [] },
      '/deployments': { deployments: [] },
      '/deployments/d-1': { deployment: { id: 'd-1' }, timeline: [] },
      '/deployments/d-1/execution': { executionName: 'd-1', status: 'RUNNING', events: [] },
    });
    const url = await serve(source);
    const seen = await events(`${url}/console/stream?deployment=d-1`, (s) =>
      s.some((e) => e.event === 'execution'),
    );
    expect(seen.some((e) => e.event === 'failure')).toBe(false);
    expect(reads.some((path) => path.startsWith('/releases'))).toBe(false);
  });

  it('reports a failed read as a failure event and keeps streaming the rest', async () => {
    const { source } = scriptedSource({
      '/groups': new Error('The security token included in the request is expired'),
      '/deployments': { deployments: [] },
    });
    const url = await serve(source);
    const seen = await events(`${url}/console/stream`, (s) => s.some((e) => e.event === 'failure'));
    expect(seen.map((e) => e.event)).toEqual(['meta', 'deployments', 'failure']);
    expect(seen[2]?.data).toEqual({ message: 'The security token included in the request is expired' });
  });

  it('names the status and message of an API error in the failure', async () => {
    const { source } = scriptedSource({ '/groups': { groups: [] }, '/deployments': { deployments: [] } });
    const url = await serve(source);
    const seen = await events(`${url}/console/stream?deployment=nope`, (s) =>
      s.some((e) => e.event === 'failure'),
    );
    expect(seen.find((e) => e.event === 'failure')?.data).toEqual({
      message: 'GET /deployments/nope answered 404: no /deployments/nope',
    });
  });

  it('polls a source that signals nothing', async () => {
    const bodies: Record<string, unknown> = {
      '/groups': { groups: [] },
      '/deployments': { deployments: [] },
    };
    const { onChange: _, ...source } = scriptedSource(bodies, 20).source;
    const url = await serve(source);
    let changed = false;
    const seen = await events(
      `${url}/console/stream`,
      (s) => s.filter((e) => e.event === 'groups').length === 2,
      (e) => {
        if (e.event === 'deployments' && !changed) {
          changed = true;
          bodies['/groups'] = { groups: [{ name: 'web' }] };
        }
      },
    );
    expect(seen.filter((e) => e.event === 'groups').map((e) => e.data)).toEqual([
      { groups: [] },
      { groups: [{ name: 'web' }] },
    ]);
  });

  it('ends the stream and stops reading when the client goes away', async () => {
    const { source, reads, listeners } = scriptedSource(
      { '/groups': { groups: [] }, '/deployments': { deployments: [] } },
      20,
    );
    const url = await serve(source);
    await events(`${url}/console/stream`, (s) => s.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    const after = reads.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(reads.length).toBe(after);
    expect(listeners.size).toBe(0);
  });

  it("tells the page the server's clock when it is not the wall clock", async () => {
    const { source } = scriptedSource({ '/groups': { groups: [] }, '/deployments': { deployments: [] } });
    const url = await serve({
      ...source,
      mode: 'local',
      clock: () => ({ now: '2026-11-25T10:00:00.000Z', speed: 30 }),
    });
    const seen = await events(`${url}/console/stream`, (s) => s.length >= 1);
    expect(seen[0]?.data).toEqual({
      mode: 'local',
      api: source.api,
      clock: { now: '2026-11-25T10:00:00.000Z', speed: 30 },
    });
  });

  it('answers only GET on console paths, with the methods it has', async () => {
    const { source } = scriptedSource({});
    const url = await serve(source);
    const res = await fetch(`${url}/console/stream`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
