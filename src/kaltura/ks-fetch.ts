/**
 * A `fetch` for api_v3 calls that puts the KS where Kaltura reads it: the `ks` member of a JSON
 * body, or the `ks` query parameter otherwise (api_v3 ignores headers). An `INVALID_KS` answer
 * (HTTP 200) renews the session once and replays the request.
 */
import { type FetchLike, readBodyLimited } from '../core/http.js';
import { getLogger } from '../core/log.js';
import { TokenManager } from '../core/manager.js';
import type { Provider } from '../core/provider.js';
import { isKalturaException } from './client.js';

const log = getLogger('kaltura');

/** Options for {@link kalturaFetch}. */
export interface KalturaFetchOptions {
  /** The fetch that sends requests (default: the global one). */
  fetch?: FetchLike;
}

/** Responses at most this large are checked for `INVALID_KS` (an exception object is small). */
const PEEK_LIMIT = 16 * 1024;

/** Add `ks` to a request: into a JSON object body when there is one, else as a query parameter. */
export function withKs(url: string, init: RequestInit, ks: string): { url: string; init: RequestInit } {
  const headers = new Headers(init.headers);
  const type = headers.get('content-type')?.toLowerCase();
  if (typeof init.body === 'string' && type === 'application/json') {
    const trimmed = init.body.trim();
    if (trimmed.startsWith('{')) {
      try {
        const parsed = JSON.parse(trimmed) as Record<string, unknown>;
        return { url, init: { ...init, body: JSON.stringify({ ...parsed, ks }) } };
      } catch {
        /* not JSON after all: fall back to the query parameter */
      }
    }
  }
  const u = new URL(url);
  u.searchParams.set('ks', ks);
  return { url: u.toString(), init };
}

/**
 * A fetch for Kaltura api_v3 that adds the current KS from `source` to each request. Bodies must be
 * strings (or absent) so the request can be rewritten and replayed.
 */
export function kalturaFetch(source: TokenManager | Provider, options: KalturaFetchOptions = {}): FetchLike {
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const manager = source instanceof TokenManager ? source : new TokenManager(source);
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const base: RequestInit =
      input instanceof Request ? { method: input.method, headers: input.headers, ...init } : init;
    const ks = (await manager.getCredential()).token;
    const first = withKs(url, base, ks);
    const response = await send(first.url, first.init);
    if (!(await saysInvalidKs(response))) return response;
    log.debug('Kaltura answered INVALID_KS; renewing the session and replaying once');
    await response.body?.cancel().catch(() => {});
    // Renew unless another request already did since this KS was issued.
    const renewed = await manager.getCredential({ forceRefresh: true, rejectedToken: ks });
    const again = withKs(url, base, renewed.token);
    return send(again.url, again.init);
  };
}

async function saysInvalidKs(response: Response): Promise<boolean> {
  if (!response.headers.get('content-type')?.includes('json')) return false;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > PEEK_LIMIT) return false;
  try {
    // A clone read with a limit: a large (chunked) result is given back untouched.
    const body = JSON.parse(
      (await readBodyLimited(response.clone(), PEEK_LIMIT, 'Kaltura API')).toString('utf8'),
    ) as unknown;
    return isKalturaException(body) && body.code === 'INVALID_KS';
  } catch {
    return false;
  }
}
