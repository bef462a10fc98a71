/**
 * A `fetch` for api_v3 calls that puts the KS where Kaltura reads it: the `ks` member of a JSON
 * body, or the `ks` query parameter otherwise (api_v3 ignores headers). An `INVALID_KS` answer
 * (HTTP 200) renews the session once and replays the request once (core/renewal.ts's rule). The KS goes to the service's origin
 * only: requests elsewhere are sent without it, and redirects are followed only within that origin.
 */
import type { Credential } from '../core/credential.js';
import { TokensmithError } from '../core/errors.js';
import {
  defaultFetch,
  type FetchLike,
  fetchFollowingRedirects,
  isReplayableBody,
  readBodyLimited,
} from '../core/http.js';
import { getLogger } from '../core/log.js';
import { TokenManager } from '../core/manager.js';
import type { Provider } from '../core/provider.js';
import { parseOrigin } from '../core/redirect-policy.js';
import { credentialSupply, sendWithRenewal } from '../core/renewal.js';
import { isKalturaException } from './client.js';

const log = getLogger('kaltura');

/** Options for {@link kalturaFetch}. */
export interface KalturaFetchOptions {
  /** The fetch that sends requests (default: the global one). */
  fetch?: FetchLike;
  /**
   * The service the KS is for, e.g. `https://www.kaltura.com` (a path such as `/api_v3` is ignored).
   * Default: the service URL the session was started at, which the credential records; a KS made
   * locally without a `serviceUrl` records none, and then this option is required.
   */
  serviceUrl?: string;
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
 * A fetch for Kaltura api_v3 that adds the current KS from `source` to each request to the service's
 * origin ({@link KalturaFetchOptions.serviceUrl}); a request to any other origin is sent as the
 * caller made it, without the KS, and an `INVALID_KS` from it renews nothing. A body is held as a
 * string (a `Request`'s is read), so the request can be rewritten and replayed.
 *
 * A redirect of a request with the KS is followed only within the service's origin (at most 5):
 * one to another origin, or from https to http, is `ERR_REDIRECT_REFUSED`. `redirect: 'manual'` or
 * `'error'` in `init` is honoured as fetch would.
 */
export function kalturaFetch(source: TokenManager | Provider, options: KalturaFetchOptions = {}): FetchLike {
  const send = options.fetch ?? defaultFetch;
  const manager = source instanceof TokenManager ? source : new TokenManager(source);
  const supply = credentialSupply(manager);
  const configured =
    options.serviceUrl === undefined
      ? undefined
      : serviceOrigin(options.serviceUrl, 'kalturaFetch serviceUrl');
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    const target = new URL(url);
    if (configured !== undefined && target.origin !== configured) return withoutKs(input, init, send);
    const origin = configured ?? originOfSession(await manager.getCredential());
    if (target.origin !== origin) return withoutKs(input, init, send);
    const base = await requestInit(input, init);
    const sendWithKs = (request: { url: string; init: RequestInit }) => {
      const mode = request.init.redirect ?? 'follow';
      if (mode !== 'follow') return send(request.url, request.init);
      return fetchFollowingRedirects(send, request.url, request.init, { origin, source: 'kalturaFetch' });
    };
    return sendWithRenewal(supply, {
      label: `${base.method ?? 'GET'} ${target.origin}${target.pathname}`,
      // A Request's body is held as a string (see requestInit); a stream given in `init` is sent once.
      replayable: isReplayableBody(url, base),
      refused: saysInvalidKs,
      async send(issue) {
        const issued = await issue(base.method ?? 'GET', url);
        return { response: await sendWithKs(withKs(url, base, issued.token ?? '')), issued };
      },
    });
  };
}

/**
 * The request as a RequestInit whose body is a string (or absent): the KS may have to go into it,
 * and the request may be sent twice. A `Request`'s own body is read here rather than dropped.
 */
async function requestInit(input: string | URL | Request, init: RequestInit): Promise<RequestInit> {
  if (!(input instanceof Request)) return init;
  const body = init.body === undefined && input.body !== null ? await input.text() : init.body;
  return {
    method: input.method,
    headers: input.headers,
    signal: input.signal,
    ...init,
    ...(body === undefined ? {} : { body }),
  };
}

function withoutKs(input: string | URL | Request, init: RequestInit, send: FetchLike): Promise<Response> {
  log.debug('origin other than the Kaltura service: sent without the KS', {
    origin: new URL(input instanceof Request ? input.url : String(input)).origin,
  });
  return send(input, init);
}

/** The origin of a service URL (its path, such as `/api_v3`, does not matter). */
function serviceOrigin(serviceUrl: string, what: string): string {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch (cause) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${what} is not a valid URL`, { cause });
  }
  return parseOrigin(url.origin, what);
}

/** The service a session was started at: Kaltura credentials record it as their issuer. */
function originOfSession(credential: Credential): string {
  const issuer = credential.issuer;
  if (issuer && /^https?:\/\//i.test(issuer)) return serviceOrigin(issuer, 'Kaltura session issuer');
  throw new TokensmithError(
    'ERR_CONFIG_INVALID',
    'kalturaFetch: this KS does not say which service it is for (made locally without serviceUrl); pass the serviceUrl option',
  );
}

/**
 * True when api_v3 answered `INVALID_KS`: a `KalturaAPIException` in JSON (`format=1`), or an
 * `<error>` in its default XML (`<code>INVALID_KS</code>`). Only small answers are read, from a clone.
 */
async function saysInvalidKs(response: Response): Promise<boolean> {
  const type = response.headers.get('content-type') ?? '';
  const json = type.includes('json');
  if (!json && !type.includes('xml')) return false;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > PEEK_LIMIT) return false;
  try {
    // A clone read with a limit: a large (chunked) result is given back untouched.
    const text = (await readBodyLimited(response.clone(), PEEK_LIMIT, 'Kaltura API')).toString('utf8');
    if (!json) return /<error>(?:(?!<\/error>)[\s\S])*<code>INVALID_KS<\/code>/.test(text);
    const body = JSON.parse(text) as unknown;
    return isKalturaException(body) && body.code === 'INVALID_KS';
  } catch {
    return false;
  }
}
