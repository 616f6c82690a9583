/**
 * SigV4 as the CLI and the console proxy sign: AWS's published test-suite vectors (the
 * aws-sig-v4-test-suite, as carried by smithy-typescript's `suite.fixture.ts` and awslabs/aws-c-auth),
 * then a request to an API Gateway URL checked against the signing process computed here by hand with
 * node:crypto, step by step as "Create a signed AWS API request" (IAM User Guide) describes it.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../bin/api-client.ts';
import { createSigner, executeApiRegion } from '../../bin/aws-sign.ts';

const SUITE = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  date: new Date('2015-08-30T12:36:00Z'),
};
const SUITE_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';
const UNRESERVED = '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const authz = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`;

describe('SigV4 signing', () => {
  it.each([
    {
      name: 'get-vanilla',
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      authorization: authz(
        'host;x-amz-date',
        '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      ),
    },
    {
      name: 'get-vanilla-query-order-key-case',
      method: 'GET',
      url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      authorization: authz(
        'host;x-amz-date',
        'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      ),
    },
    {
      name: 'get-vanilla-query-unreserved',
      method: 'GET',
      url: `https://example.amazonaws.com/?${UNRESERVED}=${UNRESERVED}`,
      authorization: authz(
        'host;x-amz-date',
        '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
      ),
    },
    {
      name: 'get-unreserved',
      method: 'GET',
      url: `https://example.amazonaws.com/${UNRESERVED}`,
      authorization: authz(
        'host;x-amz-date',
        '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
      ),
    },
    {
      name: 'get-header-value-trim',
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: { 'My-Header1': 'value1', 'My-Header2': '"a   b   c"' },
      authorization: authz(
        'host;my-header1;my-header2;x-amz-date',
        'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
      ),
    },
    {
      name: 'post-vanilla',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      authorization: authz(
        'host;x-amz-date',
        '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
      ),
    },
    {
      name: 'post-header-key-sort',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'My-Header1': 'value1' },
      authorization: authz(
        'host;my-header1;x-amz-date',
        'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
      ),
    },
    {
      name: 'post-x-www-form-urlencoded',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
      authorization: authz(
        'content-type;host;x-amz-date',
        'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
      ),
    },
    {
      name: 'post-sts-header-before',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      sessionToken: SUITE_TOKEN,
      authorization: authz(
        'host;x-amz-date;x-amz-security-token',
        '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
      ),
    },
  ])('signs the test suite’s $name as AWS publishes it', async (vector) => {
    const signer = createSigner({
      region: SUITE.region,
      service: SUITE.service,
      credentials: {
        ...SUITE.credentials,
        ...(vector.sessionToken ? { sessionToken: vector.sessionToken } : {}),
      },
    });
    const headers = await signer.sign(
      {
        method: vector.method,
        url: vector.url,
        ...(vector.headers ? { headers: vector.headers } : {}),
        ...(vector.body ? { body: vector.body } : {}),
      },
      SUITE.date,
    );
    expect(headers.authorization).toBe(vector.authorization);
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.host).toBeUndefined();
    if (vector.sessionToken) expect(headers['x-amz-security-token']).toBe(vector.sessionToken);
  });
});

describe('a request to an API Gateway URL', () => {
  const credentials = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    sessionToken: 'session-token-of-an-sso-role',
  };
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const hmac = (key: string | Buffer, text: string) =>
    createHmac('sha256', key).update(text, 'utf8').digest();

  /** The signing process of the IAM User Guide, written out here apart from the code under test. */
  function expectedSignature(c: {
    method: string;
    canonicalUri: string;
    canonicalQuery: string;
    headers: Record<string, string>;
    body: string;
    amzDate: string;
    region: string;
  }) {
    const names = Object.keys(c.headers).sort();
    const canonicalRequest = [
      c.method,
      c.canonicalUri,
      c.canonicalQuery,
      ...names.map((n) => `${n}:${c.headers[n]}`),
      '',
      names.join(';'),
      sha256(c.body),
    ].join('\n');
    const date = c.amzDate.slice(0, 8);
    const scope = `${date}/${c.region}/execute-api/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', c.amzDate, scope, sha256(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${credentials.secretAccessKey}`, date);
    for (const part of [c.region, 'execute-api', 'aws4_request']) key = hmac(key, part);
    return {
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex')}`,
    };
  }

  /** A client whose fetch keeps what it would send and answers 200 `{}`. */
  function capturing(base: string) {
    const sent: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
    const api = createApiClient(base, {
      credentials,
      fetch: async (input, init) => {
        sent.push({
          url: String(input),
          method: String(init?.method),
          headers: init?.headers as Record<string, string>,
          ...(typeof init?.body === 'string' ? { body: init.body } : {}),
        });
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    return { api, sent };
  }

  it('signs a POST for execute-api in the region of the host, under the stage path, body and headers included', async () => {
    const { api, sent } = capturing('https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/');
    expect(api.signingRegion).toBe('eu-west-1');

    await api.request('POST', '/deployments/d-20261124101500-a1b2c3/stop', {
      body: { rollback: true },
      headers: { 'Idempotency-Key': 'ci-build-1234' },
    });

    const [req] = sent;
    expect(req?.url).toBe(
      'https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/deployments/d-20261124101500-a1b2c3/stop',
    );
    const amzDate = req?.headers['x-amz-date'] ?? '';
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(req?.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(req?.headers.authorization).toBe(
      expectedSignature({
        method: 'POST',
        canonicalUri: '/v1/deployments/d-20261124101500-a1b2c3/stop',
        canonicalQuery: '',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          host: 'abc123defg.execute-api.eu-west-1.amazonaws.com',
          'idempotency-key': 'ci-build-1234',
          'x-amz-date': amzDate,
          'x-amz-security-token': credentials.sessionToken,
        },
        body: '{"rollback":true}',
        amzDate,
        region: 'eu-west-1',
      }).authorization,
    );
  });

  it('signs a GET with a query sorted by name and an escaped id encoded twice, as every service but S3 wants', async () => {
    const { api, sent } = capturing('https://abc123defg.execute-api.cn-north-1.amazonaws.com.cn/prod');
    await api.request('GET', `/deployments/${encodeURIComponent('e-1:2')}/execution?nextToken=a%2Fb&limit=5`);

    const [req] = sent;
    expect(req?.url).toBe(
      'https://abc123defg.execute-api.cn-north-1.amazonaws.com.cn/prod/deployments/e-1%3A2/execution?nextToken=a%2Fb&limit=5',
    );
    const amzDate = req?.headers['x-amz-date'] ?? '';
    expect(req?.headers.authorization).toBe(
      expectedSignature({
        method: 'GET',
        canonicalUri: '/prod/deployments/e-1%253A2/execution',
        canonicalQuery: 'limit=5&nextToken=a%2Fb',
        headers: {
          accept: 'application/json',
          host: 'abc123defg.execute-api.cn-north-1.amazonaws.com.cn',
          'x-amz-date': amzDate,
          'x-amz-security-token': credentials.sessionToken,
        },
        body: '',
        amzDate,
        region: 'cn-north-1',
      }).authorization,
    );
  });
});

describe('executeApiRegion', () => {
  it.each([
    ['abc123defg.execute-api.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['ABC123DEFG.EXECUTE-API.US-EAST-1.AMAZONAWS.COM', 'us-east-1'],
    ['abc123defg.execute-api.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1'],
    ['abc123defg.execute-api.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['abc123defg-vpce-0123456789abcdef0.execute-api.ap-southeast-2.vpce.amazonaws.com', 'ap-southeast-2'],
    ['api.example.com', undefined],
    ['execute-api.eu-west-1.amazonaws.com.evil.example', undefined],
    ['abc.execute-api.eu-west-1.amazonaws.com.evil.example', undefined],
    ['127.0.0.1', undefined],
  ])('reads %s as %s', (host, region) => {
    expect(executeApiRegion(host)).toBe(region);
  });
});
