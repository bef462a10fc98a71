import { certificateErrorCode, isUntrustedCa, UNTRUSTED_CA_HINT } from './cert-errors.js';
import { envProxyDispatcher } from './env-proxy.js';
import { TokensmithError } from './errors.js';
import { getLogger } from './log.js';
import { maskAnswer, redact, redactValue } from './redact.js';
import { followRedirects, withoutBodyHeaders } from './redirect-policy.js';
import { type RetryOptions, retryPolicy, sendWithRetry } from './retry.js';

/** The `fetch` signature tokensmith injects everywhere (the global one by default). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The global fetch, through the outbound proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`,
 * `NO_PROXY`; see env-proxy.ts) when it names one: the default of every HTTP client tokensmith makes.
 */
export const defaultFetch: FetchLike = async (input, init) => {
  const proxy = envProxyDispatcher();
  if (!proxy) return globalThis.fetch(input, init);
  // `dispatcher` is undici's extension of RequestInit, which Node's fetch accepts.
  return globalThis.fetch(input, { ...init, dispatcher: await proxy } as RequestInit);
};

/** Largest response body tokensmith reads from an auth server (1 MiB); larger answers are refused. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Answers larger than this are previewed in debug lines by their size only. */
const MAX_PREVIEW_BYTES = 64 * 1024;

/** Default time limit for one HTTP exchange with an auth server. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const log = getLogger('http');

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuse plain `http:` unless the host is loopback or the caller opted out with `allowInsecureHttp`,
 * since credentials would cross the network in the clear.
 */
export function assertSecureUrl(
  url: string | URL,
  allowInsecureHttp: boolean | undefined,
  what: string,
): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${what} is not a valid URL`, { cause });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol !== 'http:') {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${what} must use https (got ${parsed.protocol})`);
  }
  if (!isLoopbackHost(parsed.hostname) && !allowInsecureHttp) {
    throw new TokensmithError(
      'ERR_INSECURE_HTTP',
      `${what} ${parsed.origin} uses plain http; use https or set allowInsecureHttp for a trusted network`,
    );
  }
  return parsed;
}

/** Server time from the `Date` header, epoch ms, or undefined when absent or unparsable. */
export function serverDate(response: Response): number | undefined {
  const value = response.headers.get('date');
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Read a response body as bytes, refusing more than `limit` bytes (checked on Content-Length and
 * while streaming, so a huge body is never held in memory).
 */
export async function readBodyLimited(
  response: Response,
  limit = MAX_RESPONSE_BYTES,
  source = 'server',
): Promise<Buffer> {
  const tooLarge = () =>
    new TokensmithError('ERR_RESPONSE_TOO_LARGE', `${source} sent a body larger than ${limit} bytes`, {
      status: response.status,
      source,
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((cause: unknown) => {
      throw bodyReadError(cause, source, response.status);
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks);
  if (log.enabled('debug')) {
    log.debug(`${source} sent ${size} bytes`, {
      status: response.status,
      body: previewBody(body, response.headers.get('content-type')),
    });
  }
  return body;
}

/** A failure while a body streams in: the connection dropped, or the exchange's time limit fired. */
function bodyReadError(cause: unknown, source: string, status: number): TokensmithError {
  const name = (cause as { name?: unknown })?.name;
  const details = { cause, status, source };
  if (name === 'TimeoutError') {
    return new TokensmithError('ERR_TIMEOUT', `${source} timed out while sending its body`, details);
  }
  if (name === 'AbortError') {
    return new TokensmithError('ERR_ABORTED', `reading the body from ${source} was aborted`, details);
  }
  return new TokensmithError(
    'ERR_NETWORK',
    `${source} dropped the connection while sending its body`,
    details,
  );
}

/** Options for {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Underlying fetch (default: {@link defaultFetch}, the global one through the environment's proxy). */
  fetch?: FetchLike;
  /** Time limit per exchange, ms (default 30 s). */
  timeoutMs?: number;
  /** Label for log lines and errors, e.g. `token endpoint`. */
  source?: string;
  /**
   * Retry transport failures and 429/5xx answers (see `retry.ts`): options, `true` for the defaults,
   * or `false` (the default here) for one attempt. Only requests whose body can be sent again are retried.
   */
  retry?: RetryOptions | boolean;
}

/**
 * A fetch that enforces a timeout, turns transport failures into `ERR_NETWORK` / `ERR_TIMEOUT`,
 * and logs each exchange at debug level with secrets redacted. Redirects are followed by
 * {@link fetchFollowingRedirects} within the request's origin, whatever `init.redirect` says
 * (oauth4webapi asks for `manual`): a redirect elsewhere is `ERR_REDIRECT_REFUSED`.
 */
export function createHttpClient(options: HttpClientOptions = {}): FetchLike {
  const base = options.fetch ?? defaultFetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = retryPolicy(options.retry ?? false);
  const once: FetchLike = async (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const started = performance.now();
    if (log.enabled('debug')) {
      log.debug(`→ ${method} ${redact(url)}`, { body: describeBody(init.body) });
    }
    let response: Response;
    try {
      response = await fetchFollowingRedirects(base, input, { ...init, signal }, { source: options.source });
    } catch (cause) {
      if (cause instanceof TokensmithError) throw cause; // a refused redirect
      if (timeout.aborted) {
        throw new TokensmithError(
          'ERR_TIMEOUT',
          `${method} ${redactUrl(url)} timed out after ${timeoutMs} ms`,
          {
            cause,
            source: options.source,
          },
        );
      }
      if (init.signal?.aborted) {
        throw new TokensmithError('ERR_ABORTED', `${method} ${redactUrl(url)} was aborted`, { cause });
      }
      throw networkError(cause, method, url, options.source);
    }
    if (log.enabled('debug')) {
      // Status, type, size and time only: the body is previewed by readBodyLimited, which reads it
      // anyway (bounded), so no log level reads more of an answer than the caller does.
      const ms = (performance.now() - started).toFixed(1);
      log.debug(`← ${response.status} ${method} ${redactUrl(url)} (${ms} ms)`, {
        type: response.headers.get('content-type') ?? undefined,
        length: response.headers.get('content-length') ?? undefined,
      });
    }
    return response;
  };
  if (policy.attempts === 1) return once;
  return (input, init = {}) => {
    if (!isReplayableBody(input, init)) return once(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    const request = { label: `${method} ${redactUrl(url)}`, source: options.source, signal: init.signal };
    return sendWithRetry(policy, request, () => once(input, init));
  };
}

/**
 * True when the request can be sent again: no body, or one held in memory. A stream (or async
 * iterable) is read as it is sent, so a second send would find it empty; so is a `Request`'s own body.
 */
export function isReplayableBody(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const body = init?.body ?? (input instanceof Request ? input.body : null);
  if (body === null || body === undefined) return true;
  if (init?.body === undefined && input instanceof Request) return false;
  return !(body instanceof ReadableStream) && !(Symbol.asyncIterator in Object(body));
}

/** Options for {@link fetchFollowingRedirects}. */
export interface FollowingOptions {
  /** The origin the request's secret belongs to (default: the request's own). */
  origin?: string;
  /** Who sends, for error details. */
  source?: string;
}

/**
 * Send `input` with `send` under the redirect policy (`redirect-policy.ts`): every hop goes out with
 * `redirect: 'manual'` and redirects are followed here, within `options.origin`, at most 5, never
 * from https to http. The first hop is `input` and `init` as given; later hops are rebuilt from them.
 */
export function fetchFollowingRedirects(
  send: FetchLike,
  input: string | URL | Request,
  init: RequestInit = {},
  options: FollowingOptions = {},
): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const headers = init.headers ?? request?.headers;
  return followRedirects(
    request ? request.url : String(input),
    init.method ?? request?.method ?? 'GET',
    (hop) =>
      hop.index === 0
        ? send(input, { ...init, redirect: 'manual' })
        : send(hop.url.href, {
            ...init,
            method: hop.method,
            headers: hop.withBody ? headers : withoutBodyHeaders(headers),
            // Only reached with a body when it is replayable: then it is in `init`, not in a Request.
            body: hop.withBody ? init.body : undefined,
            redirect: 'manual',
          }),
    { origin: options.origin, source: options.source, replayableBody: isReplayableBody(input, init) },
  );
}

/** URL without query string or credentials, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?…' : '';
    return redact(u.toString());
  } catch {
    return '[invalid URL]';
  }
}

/**
 * `ERR_NETWORK` for a request that never got an answer (fetch's "fetch failed" TypeError): names the
 * method, the URL without credentials or query values, and the transport's reason (with a hint for an
 * untrusted CA). Already a TokensmithError (a refused redirect): returned as it is.
 */
export function networkError(cause: unknown, method: string, url: string, source?: string): TokensmithError {
  if (cause instanceof TokensmithError) return cause;
  return new TokensmithError('ERR_NETWORK', `${method} ${redactUrl(url)} failed: ${networkReason(cause)}`, {
    cause,
    source,
  });
}

function networkReason(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
  const reason = inner?.code ?? inner?.message ?? (cause instanceof Error ? cause.message : 'unknown error');
  // An untrusted CA is fixed by configuration, never by retrying: say where.
  return isUntrustedCa(certificateErrorCode(cause)) ? `${reason} (${UNTRUSTED_CA_HINT})` : reason;
}

/**
 * What a debug line shows of a request body we send: form and JSON bodies with secret-named fields
 * masked (every secret we send was registered when it was read, so it is masked anywhere else);
 * other bodies as their size.
 */
function describeBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (body instanceof URLSearchParams) return redactValue(body);
  if (typeof body === 'string') {
    const trimmed = body.trim();
    if (trimmed.startsWith('{')) {
      try {
        return redactValue(JSON.parse(trimmed));
      } catch {
        /* fall through */
      }
    }
    if (/^[\w.%+-]+=/.test(trimmed)) return redactValue(new URLSearchParams(trimmed));
    return `[${body.length} chars]`;
  }
  return '[binary body]';
}

/**
 * What a debug line shows of an answer. It is logged before the code that reads the answer has
 * registered the secrets in it, so only its shape is shown (see {@link maskAnswer}): a JSON answer
 * keeps its structure and its descriptive fields; any other body is shown as its size and type.
 */
function previewBody(body: Buffer, contentType: string | null): unknown {
  if (body.length === 0) return undefined;
  if (body.length <= MAX_PREVIEW_BYTES) {
    try {
      return maskAnswer(JSON.parse(body.toString('utf8')));
    } catch {
      /* not JSON */
    }
  }
  return `[${body.length} bytes${contentType ? ` ${contentType.split(';')[0]}` : ''}]`;
}
