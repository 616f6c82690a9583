/**
 * The one way the CLI and the `stepshift console` proxy call a stepshift API: local mode on loopback, or
 * the stack's API Gateway URL, which keeps its stage path and is signed with SigV4 (bin/aws-sign.ts).
 *
 * @example createApiClient('https://abc.execute-api.eu-west-1.amazonaws.com/v1/').request('GET', '/deployments')
 *          → GET https://abc.execute-api.eu-west-1.amazonaws.com/v1/deployments, signed for eu-west-1
 */
import { STATUS_CODES } from 'node:http';
import { type CredentialSource, createSigner, executeApiRegion } from './aws-sign.ts';

export interface ApiClientOptions {
  /**
   * `'auto'` (the default) signs when the URL is an API Gateway invoke host
   * (`{api-id}.execute-api.{region}.amazonaws.com[.cn]`); `true` signs any other host too (a custom
   * domain in front of the API); `false` never signs. A loopback host is never signed.
   */
  sign?: boolean | 'auto';
  /** Region to sign for: default the invoke host's, else `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  region?: string;
  /** Default: the AWS default credential chain. */
  credentials?: CredentialSource;
  /** Per request, connecting included. Default 30 s. */
  timeoutMs?: number;
  /** Where the environment is read from (region); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Default: the global fetch (tests see what would be sent). */
  fetch?: typeof fetch;
}

export interface ApiRequestInit {
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The JSON answer; the text itself when it is not JSON; undefined when empty. */
  body: unknown;
}

export interface ApiClient {
  /** The base URL as given. */
  readonly url: string;
  /** The region requests are signed for; undefined when they are not signed. */
  readonly signingRegion: string | undefined;
  /** Any status is an answer; only a request that got no answer (network, credentials, timeout) throws. */
  request(method: string, path: string, init?: ApiRequestInit): Promise<ApiResponse>;
}

/** The request got no answer: refused, reset, timed out, or could not be signed. */
export class ApiUnreachable extends Error {
  override name = 'ApiUnreachable';
}

/** An answer other than 2xx, with the API's `{error, message}` read into the message. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(describeAnswer(status, body));
    this.status = status;
    this.body = body;
  }
}

/** The body of a 2xx answer; throws ApiError for any other. */
export async function call(client: ApiClient, method: string, path: string, init?: ApiRequestInit) {
  const out = await client.request(method, path, init);
  if (out.status < 200 || out.status > 299) throw new ApiError(out.status, out.body);
  return out.body;
}

/**
 * `409 Conflict: group payments is busy…` from `{error, message}`; API Gateway's own answers have only
 * `message` (`403 Forbidden: Missing Authentication Token`).
 */
export function describeAnswer(status: number, body: unknown): string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const error = typeof b.error === 'string' ? b.error : (STATUS_CODES[status] ?? 'Error');
  const message =
    typeof b.message === 'string'
      ? b.message
      : typeof b.Message === 'string'
        ? b.Message
        : typeof body === 'string' && body.trim()
          ? body.trim().slice(0, 500)
          : (STATUS_CODES[status] ?? 'no message');
  return `${status} ${error}: ${message}`;
}

/**
 * The URL of `path` under the base, keeping the base's path (API Gateway's stage): `new URL(path, base)`
 * would drop it for a path starting with `/`.
 *
 * @example apiUrl('https://abc.execute-api.eu-west-1.amazonaws.com/prod', '/deployments?group=a')
 *          → https://abc.execute-api.eu-west-1.amazonaws.com/prod/deployments?group=a
 */
export function apiUrl(base: string | URL, path: string): URL {
  const url = new URL(base);
  const [pathname = '', query] = splitOnce(path, '?');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${pathname.replace(/^\/+/, '')}`;
  url.search = query === undefined ? '' : `?${canonicalQuery(query)}`;
  url.hash = '';
  return url;
}

/**
 * The query as SigV4 encodes it (RFC 3986: a space is `%20`, `+` is `%2B`), so that what is sent is
 * exactly what was signed, whatever form the caller wrote it in (`URLSearchParams` writes a space `+`).
 *
 * @example canonicalQuery('nextToken=a+b%2Bc&limit=5') → 'nextToken=a%20b%2Bc&limit=5'
 */
function canonicalQuery(query: string): string {
  const strict = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...new URLSearchParams(query)].map(([k, v]) => `${strict(k)}=${strict(v)}`).join('&');
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/** 127.0.0.0/8, ::1 and localhost: this machine, never signed. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:127\./.test(host)
  );
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createApiClient(baseUrl: string, options: ApiClientOptions = {}): ApiClient {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new TypeError(`not a URL: "${baseUrl}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`not an http(s) URL: "${baseUrl}"`);
  const signingRegion = regionToSign(base, options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const send = options.fetch ?? fetch;
  const signer =
    signingRegion === undefined
      ? undefined
      : createSigner({
          region: signingRegion,
          ...(options.credentials ? { credentials: options.credentials } : {}),
        });

  return {
    url: baseUrl,
    signingRegion,
    async request(method, path, init = {}) {
      const url = apiUrl(base, path);
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      let headers: Record<string, string> = {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...lowerCased(init.headers ?? {}),
      };
      let res: Response;
      try {
        if (signer) {
          headers = await signer.sign({
            method,
            url,
            headers,
            ...(body === undefined ? {} : { body }),
          });
        }
        res = await send(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        throw new ApiUnreachable(unreachableMessage(baseUrl, base, e, timeoutMs));
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        throw new ApiUnreachable(unreachableMessage(baseUrl, base, e, timeoutMs));
      }
      return { status: res.status, headers: Object.fromEntries(res.headers), body: parsed(text) };
    },
  };
}

function regionToSign(base: URL, options: ApiClientOptions): string | undefined {
  const sign = options.sign ?? 'auto';
  if (sign === false || isLoopback(base.hostname)) return undefined;
  const fromHost = executeApiRegion(base.hostname);
  if (sign === 'auto' && fromHost === undefined) return undefined;
  const env = options.env ?? process.env;
  const region = options.region ?? fromHost ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region)
    throw new TypeError(
      `cannot tell which region to sign requests to ${base.host} for: give --region or set AWS_REGION`,
    );
  return region;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function parsed(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function unreachableMessage(given: string, base: URL, e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer from ${given} within ${timeoutMs / 1000} s`;
  if (e instanceof Error && e.message.startsWith('no AWS credentials')) return e.message;
  // fetch says only "fetch failed"; what happened is its cause's (ECONNREFUSED, ENOTFOUND, …).
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return isLoopback(base.hostname)
    ? `cannot reach stepshift at ${given}: is \`npm start\` running? (${reason})`
    : `cannot reach stepshift at ${given}: ${reason}`;
}
