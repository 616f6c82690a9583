/**
 * The API client the CLI and the console proxy share: where a path goes under the base URL, when a
 * request is signed, and what an answer or a failure looks like — against a stub API on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  ApiUnreachable,
  apiUrl,
  call,
  createApiClient,
  describeAnswer,
  isLoopback,
} from '../../bin/api-client.ts';
import { closedPort, type StubApi, stubApi } from './stub-api.ts';

describe('apiUrl', () => {
  it.each([
    ['https://abc.execute-api.eu-west-1.amazonaws.com/prod', '/deployments', '/prod/deployments'],
    ['https://abc.execute-api.eu-west-1.amazonaws.com/prod/', '/deployments', '/prod/deployments'],
    ['https://abc.execute-api.eu-west-1.amazonaws.com/v1/', 'deployments/d-1', '/v1/deployments/d-1'],
    ['https://api.example.com/stepshift/v1', '/groups', '/stepshift/v1/groups'],
    ['http://127.0.0.1:4477', '/deployments?group=payments', '/deployments?group=payments'],
    [
      'http://127.0.0.1:4477/',
      '/deployments/d-1/execution?nextToken=a%2Fb',
      '/deployments/d-1/execution?nextToken=a%2Fb',
    ],
    // What is sent is what SigV4 signs: a space %20 (not +), + as %2B, whatever form it came in.
    [
      'http://127.0.0.1:4477/',
      "/deployments?nextToken=a+b%2Bc&x=(it's)",
      '/deployments?nextToken=a%20b%2Bc&x=%28it%27s%29',
    ],
  ])('puts %s + %s at %s', (base, path, expected) => {
    const url = apiUrl(base, path);
    expect(`${url.pathname}${url.search}`).toBe(expected);
  });
});

describe('when a request is signed', () => {
  const env = {};
  it.each([
    [
      'an API Gateway invoke URL, in its region',
      'https://abc.execute-api.eu-west-1.amazonaws.com/v1',
      {},
      'eu-west-1',
    ],
    ['one in the China regions', 'https://abc.execute-api.cn-north-1.amazonaws.com.cn/v1', {}, 'cn-north-1'],
    ['a custom domain: not unless forced', 'https://deploy.example.com/', {}, undefined],
    [
      'a custom domain with --sign and --region',
      'https://deploy.example.com/',
      { sign: true, region: 'us-west-2' },
      'us-west-2',
    ],
    [
      'a custom domain with --sign and AWS_REGION',
      'https://deploy.example.com/',
      { sign: true, env: { AWS_REGION: 'eu-central-1' } },
      'eu-central-1',
    ],
    [
      'a custom domain with --sign and AWS_DEFAULT_REGION',
      'https://deploy.example.com/',
      { sign: true, env: { AWS_DEFAULT_REGION: 'ap-south-1' } },
      'ap-south-1',
    ],
    [
      'an invoke URL with signing turned off',
      'https://abc.execute-api.eu-west-1.amazonaws.com/v1',
      { sign: false },
      undefined,
    ],
    ['loopback, even when forced', 'http://127.0.0.1:4477', { sign: true, region: 'us-east-1' }, undefined],
    ['localhost, even when forced', 'http://localhost:4477', { sign: true, region: 'us-east-1' }, undefined],
    ['IPv6 loopback, even when forced', 'http://[::1]:4477', { sign: true, region: 'us-east-1' }, undefined],
  ] as const)('%s', (_, url, options, region) => {
    expect(createApiClient(url, { env, ...options }).signingRegion).toBe(region);
  });

  it('refuses to guess the region of a custom domain it is told to sign for', () => {
    expect(() => createApiClient('https://deploy.example.com/', { sign: true, env: {} })).toThrow(
      'cannot tell which region to sign requests to deploy.example.com for: give --region or set AWS_REGION',
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => createApiClient('127.0.0.1:4477')).toThrow(/not an http\(s\) URL|not a URL/);
    expect(() => createApiClient('nope')).toThrow('not a URL: "nope"');
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['127.0.0.1.example.com', false],
    ['abc.execute-api.eu-west-1.amazonaws.com', false],
  ])('isLoopback(%s) is %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('requests to a stub API', () => {
  let stub: StubApi;
  beforeAll(async () => {
    stub = await stubApi({
      'POST /stage/deployments': [{ status: 201, body: { id: 'd-1', status: 'CREATED' } }],
      'GET /stage/deployments/d-1': [{ status: 503, body: { error: 'ServiceUnavailable', message: 'busy' } }],
      'GET /stage/text': [{ status: 502, text: 'Bad Gateway' }],
      'GET /stage/empty': [{ status: 204 }],
    });
  });
  afterAll(() => stub.close());

  it('sends JSON under the stage path with its headers, never signed on loopback, and reads the answer', async () => {
    const api = createApiClient(`${stub.url}/stage`, { sign: true, region: 'eu-west-1' });
    const out = await api.request('POST', '/deployments', {
      body: { group: 'payments', revision: '7' },
      headers: { 'Idempotency-Key': 'ci-7' },
    });
    expect(out).toMatchObject({ status: 201, body: { id: 'd-1', status: 'CREATED' } });
    expect(out.headers['content-type']).toBe('application/json');
    const sent = stub.received.at(-1);
    expect(sent).toMatchObject({
      method: 'POST',
      url: '/stage/deployments',
      body: '{"group":"payments","revision":"7"}',
    });
    expect(sent?.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'ci-7' });
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers['x-amz-date']).toBeUndefined();
  });

  it('answers any status rather than throwing; call() throws it as ApiError with the API’s words', async () => {
    const api = createApiClient(`${stub.url}/stage/`);
    expect(await api.request('GET', '/deployments/d-1')).toMatchObject({
      status: 503,
      body: { error: 'ServiceUnavailable', message: 'busy' },
    });
    const e = await call(api, 'GET', '/deployments/d-1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 503, message: '503 ServiceUnavailable: busy' });
    expect(await api.request('GET', '/text')).toMatchObject({ status: 502, body: 'Bad Gateway' });
    expect(await api.request('GET', '/empty')).toMatchObject({ status: 204, body: undefined });
  });

  it('says local mode is not running when nothing listens on loopback', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const e = await createApiClient(url)
      .request('GET', '/deployments')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiUnreachable);
    expect((e as Error).message).toBe(
      `cannot reach stepshift at ${url}: is \`npm start\` running? (ECONNREFUSED)`,
    );
  });

  it('gives up on an answer that does not come in time', async () => {
    const api = createApiClient(stub.url, {
      timeoutMs: 50,
      fetch: (_, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    });
    await expect(api.request('GET', '/deployments')).rejects.toThrow(
      `no answer from ${stub.url} within 0.05 s`,
    );
  });
});

describe('describeAnswer', () => {
  it.each([
    [409, { error: 'GroupBusy', message: 'group payments is busy' }, '409 GroupBusy: group payments is busy'],
    [403, { message: 'Missing Authentication Token' }, '403 Forbidden: Missing Authentication Token'],
    [
      403,
      { Message: 'User: arn:aws:iam::1:user/x is not authorized' },
      '403 Forbidden: User: arn:aws:iam::1:user/x is not authorized',
    ],
    [502, 'Bad Gateway', '502 Bad Gateway: Bad Gateway'],
    [500, undefined, '500 Internal Server Error: Internal Server Error'],
  ])('%i %j → %s', (status, body, text) => {
    expect(describeAnswer(status, body)).toBe(text);
  });
});
