import { type FetchLike, isReplayableBody } from '../core/http.js';
import { getLogger } from '../core/log.js';
import { TokenManager } from '../core/manager.js';
import { isRequestSigner, type Provider, type RequestSigner } from '../core/provider.js';

const log = getLogger('authFetch');

/** Options for {@link authFetch}. */
export interface AuthFetchOptions {
  /** The fetch that sends requests to the API (default: the global one). */
  fetch?: FetchLike;
}

/** Headers for a request; `rejected` is the token of the attempt the API answered 401 to. */
type HeaderSource = (
  request: Request,
  rejected?: string,
) => Promise<{ headers: Record<string, string>; token?: string }>;

/**
 * A `fetch` that puts credentials on every request. On a 401 it renews the credential once and
 * replays the request once, when its body can be replayed; it never retries more than that.
 */
export function authFetch(
  source: TokenManager | Provider | RequestSigner,
  options: AuthFetchOptions = {},
): FetchLike {
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headersFor = headerSource(source);
  const onUnauthorized = isRequestSigner(source) ? source.onUnauthorized?.bind(source) : undefined;

  return async (input, init) => {
    const request = new Request(input, init);
    const spare = isReplayableBody(input, init) ? request.clone() : undefined;
    const issued = await headersFor(request);
    const first = await send(withHeaders(request, issued.headers));
    if (first.status !== 401 || !spare) return first;
    log.debug('API answered 401; renewing the credential and replaying once', {
      url: spare.url.split('?')[0],
    });
    await first.body?.cancel().catch(() => {});
    if (onUnauthorized) await onUnauthorized(first);
    // Renew unless another request already did since this one's token was issued.
    return send(withHeaders(spare, (await headersFor(spare, issued.token ?? '')).headers));
  };
}

function headerSource(source: TokenManager | Provider | RequestSigner): HeaderSource {
  if (isRequestSigner(source)) {
    return async (request) => ({ headers: await source.sign({ method: request.method, url: request.url }) });
  }
  const manager = source instanceof TokenManager ? source : new TokenManager(source);
  return async (_request, rejected) => {
    const credential = await manager.getCredential(
      rejected === undefined ? {} : { forceRefresh: true, rejectedToken: rejected },
    );
    return { headers: credential.headers, token: credential.token };
  };
}

function withHeaders(request: Request, headers: Record<string, string>): Request {
  const merged = new Headers(request.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  // `duplex` is required by Node's fetch whenever the body is a stream.
  return new Request(request, { headers: merged, duplex: 'half' } as RequestInit);
}
