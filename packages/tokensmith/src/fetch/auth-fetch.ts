import { defaultFetch, type FetchLike, isReplayableBody } from '../core/http.js';
import { getLogger } from '../core/log.js';
import type { TokenManager } from '../core/manager.js';
import { isRequestSigner, type Provider, type RequestSigner } from '../core/provider.js';
import {
  followRedirects,
  originAllowList,
  parseOrigin,
  type RedirectHop,
  withoutBodyHeaders,
} from '../core/redirect-policy.js';
import { credentialSupply, type IssuedHeaders, sendWithRenewal } from '../core/renewal.js';

const log = getLogger('authFetch');

/** Options for {@link authFetch}. */
export interface AuthFetchOptions {
  /** The fetch that sends requests to the API (default: the global one). */
  fetch?: FetchLike;
  /**
   * Origins that receive the credential, e.g. `['https://api.example.com']`. A request to any other
   * origin is sent as the caller made it, without credentials, and its 401 renews nothing.
   *
   * Default: the signer's own origin for a per-request signer that names one (a Kalliope signer
   * signs for its PBX only). For a TokenManager or Provider, every origin: a token source knows where
   * tokens come from, not the API they are for, and taking the first request's origin would let
   * whoever chose that URL decide. Give `origins` whenever a URL may come from outside your code
   * (user input, links in API answers). Whatever the list, a request's credentials never follow a
   * redirect off its own origin (see `core/redirect-policy.ts`).
   */
  origins?: readonly string[];
}

/**
 * A `fetch` that puts credentials on every request to the origins it covers (see
 * {@link AuthFetchOptions.origins}). On a 401 it renews the credential once (also when the body
 * cannot be sent again, so later requests carry a good one) and replays the request once when its
 * body can be replayed: the rule of `core/renewal.ts`, shared with `kalturaFetch` and the proxy.
 *
 * Redirects of a request with credentials are followed here (at most 5), each hop with freshly
 * issued headers, and only within the request's origin: a redirect to another origin, or from https
 * to http, is `ERR_REDIRECT_REFUSED` (never followed without the credentials, so the caller sees
 * where the API pointed). `redirect: 'manual'` or `'error'` in `init` is honoured as fetch would.
 */
export function authFetch(
  source: TokenManager | Provider | RequestSigner,
  options: AuthFetchOptions = {},
): FetchLike {
  const send = options.fetch ?? defaultFetch;
  const supply = credentialSupply(source);
  const covers = credentialOrigins(source, options.origins);

  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (!covers(url.origin)) {
      log.debug('origin outside the credential origins: sent without credentials', { origin: url.origin });
      return send(input, init);
    }
    const replayable = isReplayableBody(input, init);
    // An in-memory body is read once so every hop and the replay can send it; a stream is sent once.
    const body = request.body === null ? null : replayable ? await request.arrayBuffer() : request.body;
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);

    const sendHop = async (hop: RedirectHop, issued: IssuedHeaders, redirect: RequestRedirect) => {
      const headers = hop.withBody ? new Headers(request.headers) : withoutBodyHeaders(request.headers);
      for (const [name, value] of Object.entries(issued.headers)) headers.set(name, value);
      // `duplex` is required by Node's fetch whenever the body is a stream.
      const hopInit = { method: hop.method, headers, body: hop.withBody ? body : null, redirect, signal };
      return send(hop.url.href, { ...hopInit, duplex: 'half' } as RequestInit);
    };
    return sendWithRenewal(supply, {
      label: `${request.method} ${url.origin}${url.pathname}`,
      replayable,
      refused: (response) => response.status === 401,
      async send(issue) {
        let issued: IssuedHeaders = { headers: {} };
        const hop = async (h: RedirectHop, redirect: RequestRedirect) => {
          // Fresh headers for every hop: a signer's nonce is never sent twice.
          issued = await issue(h.method, h.url.href);
          return sendHop(h, issued, redirect);
        };
        const response =
          request.redirect === 'follow'
            ? await followRedirects(url, request.method, (h) => hop(h, 'manual'), {
                replayableBody: replayable,
                source: 'authFetch',
              })
            : await hop({ url, method: request.method, withBody: true, index: 0 }, request.redirect);
        return { response, issued };
      },
    });
  };
}

/** Which origins get credentials: the explicit list, else a signer's own origin, else all. */
function credentialOrigins(
  source: TokenManager | Provider | RequestSigner,
  origins: readonly string[] | undefined,
): (origin: string) => boolean {
  if (origins !== undefined) return originAllowList(origins, 'authFetch origins');
  if (isRequestSigner(source) && source.origin !== undefined) {
    const own = parseOrigin(source.origin, `${source.kind} signer origin`);
    return (origin) => origin === own;
  }
  return () => true;
}
