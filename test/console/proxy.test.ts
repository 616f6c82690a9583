import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../bin/api-client.ts';
import { serveConsoleProxy, type Upstream } from '../../bin/console-proxy.ts';
import type { LocalApi } from '../../local/server.ts';

/** An upstream that records what it was asked and answers from a script. */
function recordingUpstream(
  answer: (method: string, path: string) => { status: number; body: unknown } | Error,
) {
  const calls: { method: string; path: string; body?: unknown; headers?: Record<string, string> }[] = [];
  const upstream: Upstream = {
    url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    request: async (method, path, init = {}) => {
      calls.push({ method, path, ...init });
      const out = answer(method, path);
      if (out instanceof Error) throw out;
      return { ...out, headers: out.status === 503 ? { 'retry-after': '1', 'x-amzn-requestid': 'r' } : {} };
    },
  };
  return { upstream, calls };
}

describe('stepshift console, in front of the AWS API', () => {
  let proxy: LocalApi | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('forwards an action with its body, query and idempotency key, and passes the answer back', async () => {
    const { upstream, calls } = recordingUpstream(() => ({
      status: 202,
      body: { deployment: { id: 'd-1' } },
    }));
    proxy = await serveConsoleProxy(upstream, 0);
    const res = await fetch(`${proxy.url}/deployments/d-1/stop?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body: JSON.stringify({ rollback: false }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ deployment: { id: 'd-1' } });
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/deployments/d-1/stop?x=1',
        body: { rollback: false },
        headers: { 'idempotency-key': 'k-1' },
      },
    ]);
  });

  it('passes the API errors and their Retry-After through unchanged', async () => {
    const { upstream } = recordingUpstream(() => ({
      status: 503,
      body: { error: 'ServiceUnavailable', message: 'try again', details: {} },
    }));
    proxy = await serveConsoleProxy(upstream, 0);
    const res = await fetch(`${proxy.url}/groups`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-amzn-requestid')).toBeNull();
  });

  it('answers 502 naming the API and the reason when it cannot call it', async () => {
    const { upstream } = recordingUpstream(() => new Error('Could not load credentials from any providers'));
    proxy = await serveConsoleProxy(upstream, 0);
    const res = await fetch(`${proxy.url}/deployments`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      error: 'BadGateway',
      message: `could not call ${upstream.url}: Could not load credentials from any providers`,
      details: {},
    });
  });

  it('refuses a malformed body before anything is signed or sent', async () => {
    const { upstream, calls } = recordingUpstream(() => ({ status: 200, body: {} }));
    proxy = await serveConsoleProxy(upstream, 0);
    const res = await fetch(`${proxy.url}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"group":',
    });
    expect(res.status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('never forwards a request from another web page (the calls carry the user’s credentials)', async () => {
    const { upstream, calls } = recordingUpstream(() => ({ status: 202, body: {} }));
    proxy = await serveConsoleProxy(upstream, 0);
    for (const headers of [
      { origin: 'https://evil.example', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      { 'content-type': 'text/plain' },
    ]) {
      const res = await fetch(`${proxy.url}/deployments/d-1/stop`, { method: 'POST', headers, body: '{}' });
      expect([403, 415]).toContain(res.status);
    }
    expect(calls).toEqual([]);
  });

  it('streams what the API answers, by polling it', async () => {
    const { upstream, calls } = recordingUpstream((_, path) =>
      path === '/groups'
        ? { status: 200, body: { groups: [{ name: 'web' }] } }
        : { status: 200, body: { deployments: [] } },
    );
    proxy = await serveConsoleProxy(upstream, 0, 10);
    const abort = new AbortController();
    const res = await fetch(`${proxy.url}/console/stream`, { signal: abort.signal });
    const reader = res.body?.getReader();
    let text = '';
    while (!text.includes('event: deployments')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    abort.abort();
    expect(text).toContain(`event: meta\ndata: ${JSON.stringify({ mode: 'aws', api: upstream.url })}`);
    expect(text).toContain('event: groups\ndata: {"groups":[{"name":"web"}]}');
    expect(calls.every((c) => c.method === 'GET')).toBe(true);
  });

  it('signs what it forwards with SigV4 for execute-api, keeping the stage path', async () => {
    // Prepare: the real client, with fixed credentials and a fetch that records instead of calling AWS.
    const sent: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    const upstream = createApiClient('https://abc123.execute-api.eu-west-1.amazonaws.com/prod', {
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
      fetch: async (input, init) => {
        sent.push({
          url: String(input),
          headers: Object.fromEntries(new Headers(init?.headers).entries()),
          body: init?.body,
        });
        return new Response(JSON.stringify({ deployment: { id: 'd-1' } }), {
          status: 202,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    proxy = await serveConsoleProxy(upstream, 0);

    // Act
    const res = await fetch(`${proxy.url}/deployments/d-1/stop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rollback: true }),
    });

    // Assess
    expect(res.status).toBe(202);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/deployments/d-1/stop');
    expect(sent[0]?.body).toBe('{"rollback":true}');
    expect(sent[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(sent[0]?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });
});
