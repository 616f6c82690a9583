/**
 * SigV4 for the stack's API: API Gateway authorizes every route with IAM (`AWS_IAM`), so each request is
 * signed for service `execute-api` in the API's region with the caller's own AWS credentials, as
 * `awscurl --service execute-api` does. The signing itself is AWS's own (`@smithy/signature-v4`, what
 * the AWS SDKs sign with); this module only decides the region, the credentials and what is signed.
 *
 * @example executeApiRegion('abc123.execute-api.eu-west-1.amazonaws.com') → 'eu-west-1'
 */
import type { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials, or where to get them each time (a provider caches and refreshes them itself). */
export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

export const EXECUTE_API = 'execute-api';

/**
 * `{api-id}.execute-api.{region}.amazonaws.com` (or `.amazonaws.com.cn` in the China regions), the
 * invoke URL API Gateway gives a REST API ("Invoke REST APIs in API Gateway"); also the private-API form
 * `{api-id}-{vpce-id}.execute-api.{region}.vpce.amazonaws.com`.
 */
const EXECUTE_API_HOST =
  /^[a-z0-9-]+\.execute-api\.([a-z]{2}(?:-[a-z0-9]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

/** The region of an API Gateway invoke host, or undefined for any other host (a custom domain). */
export function executeApiRegion(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

export interface SignableRequest {
  method: string;
  /** The URL as it will be sent: its path is already percent-encoded once. */
  url: URL | string;
  headers?: Record<string, string>;
  /** The body exactly as it will be sent; its SHA-256 is signed. */
  body?: string;
}

export interface SignerOptions {
  region: string;
  /** `execute-api` unless told otherwise (the test suite's vectors use `service`). */
  service?: string;
  /** Default: the AWS default credential chain (see `defaultCredentials`). */
  credentials?: CredentialSource;
}

export interface RequestSigner {
  readonly region: string;
  readonly service: string;
  /**
   * The headers to send: those given, plus `x-amz-date`, `x-amz-security-token` (temporary
   * credentials) and `authorization`. `host` is signed but not returned — fetch sends the URL's host,
   * which is the value signed.
   */
  sign(request: SignableRequest, signingDate?: Date): Promise<Record<string, string>>;
}

/**
 * A signer for one region and service. Signs every header given (so `content-type` and
 * `idempotency-key` cannot be changed in transit), never adds `x-amz-content-sha256` (S3's header,
 * which API Gateway does not ask for), and escapes the already-encoded path once more, as AWS requires
 * of every service but S3 ("Create a signed AWS API request": each path segment URI-encoded twice).
 */
export function createSigner({ region, service = EXECUTE_API, credentials }: SignerOptions): RequestSigner {
  // Loaded on the first request signed, so that a command that signs nothing does not pay for it.
  let signer: Promise<SignatureV4> | undefined;
  const load = async () => {
    const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
      import('@smithy/signature-v4'),
      import('@aws-crypto/sha256-js'),
    ]);
    return new SignatureV4({
      region,
      service,
      sha256: Sha256,
      credentials: credentials ?? defaultCredentials(),
      applyChecksum: false,
      uriEscapePath: true,
    });
  };
  return {
    region,
    service,
    async sign(request, signingDate = new Date()) {
      const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
      const headers: Record<string, string> = { host: url.host };
      for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
      signer ??= load();
      const signed = await (await signer).sign(
        {
          method: request.method.toUpperCase(),
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: queryOf(url),
          headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        { signingDate },
      );
      const { host: _host, ...out } = signed.headers;
      return out;
    },
  };
}

/** The query as the signer takes it: decoded names and values, repeated names as lists. */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/**
 * The AWS SDK's default credential chain — environment, SSO, `~/.aws` profiles (`AWS_PROFILE`),
 * `credential_process`, web identity, the container and EC2 instance roles — loaded on first use, so a
 * command that signs nothing never loads it. The chain caches what it found until it expires.
 */
export function defaultCredentials(): () => Promise<AwsCredentials> {
  let provider: Promise<() => Promise<AwsCredentials>> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-providers').then((m) => m.fromNodeProviderChain());
    try {
      return await (await provider)();
    } catch (e) {
      throw new Error(
        `no AWS credentials to sign with (the default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, ~/.aws/credentials, …): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
}
