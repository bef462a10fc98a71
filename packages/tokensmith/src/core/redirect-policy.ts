/**
 * The one redirect and origin policy for every request that carries a secret (a token, a signed
 * header, a KS, a client or admin secret): such requests go out with `redirect: 'manual'` and
 * tokensmith follows redirects itself, so a secret only ever reaches the origin it belongs to.
 *
 * - At most {@link MAX_REDIRECTS} redirects in a row.
 * - Only within the origin (scheme, host and port) the secret is bound to. A redirect to another
 *   origin is refused with `ERR_REDIRECT_REFUSED`, never followed without the secret: the caller
 *   learns that the server sent it elsewhere instead of getting an answer from a host it never named.
 * - Never from https to http, even on the same host.
 * - As fetch does: a 301/302 of a POST and a 303 of anything but GET/HEAD become a GET without body
 *   (and without `Content-*` headers); a 307/308 keeps method and body, and is handed back unfollowed
 *   when the body was a stream that cannot be sent twice.
 *
 * Which origins get a credential at all is the other half, decided per client: {@link parseOrigin}
 * and {@link originAllowList} read an allow-list.
 * @module
 */
import { TokensmithError } from './errors.js';
import { getLogger } from './log.js';

const log = getLogger('http');

/** Most redirects followed in a row; one more is refused. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a body, dropped with it (the Fetch standard's request-body-header names). */
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

/** One request of an exchange: the first one, or one after a followed redirect. */
export interface RedirectHop {
  url: URL;
  /** Upper case. */
  method: string;
  /** False once a redirect turned the request into a GET: send no body and no `Content-*` headers. */
  withBody: boolean;
  /** 0 for the request itself, then 1, 2, … for each redirect followed. */
  index: number;
}

/** Options for {@link followRedirects}. */
export interface FollowOptions {
  /** The origin the request's secret belongs to (default: the first URL's origin). */
  origin?: string;
  /** True when the body can be sent again (none, or held in memory); see `isReplayableBody`. */
  replayableBody: boolean;
  /** Default {@link MAX_REDIRECTS}. */
  maxRedirects?: number;
  /** Who sends, for error details (`Kaltura API`, `authFetch`, ...). */
  source?: string;
}

/**
 * Send a request and follow its redirects under this module's policy. `send` makes and sends one
 * hop with `redirect: 'manual'`, so fetch never follows a redirect by itself; it is called again for
 * each redirect followed (a signer signs each hop afresh). Returns the first answer that is not a
 * redirect to follow; throws `ERR_REDIRECT_REFUSED` for a redirect to another origin, from https to
 * http, or past {@link MAX_REDIRECTS}.
 */
export async function followRedirects(
  url: string | URL,
  method: string,
  send: (hop: RedirectHop) => Promise<Response>,
  options: FollowOptions,
): Promise<Response> {
  let hop: RedirectHop = { url: new URL(url), method: method.toUpperCase(), withBody: true, index: 0 };
  const origin = options.origin ?? hop.url.origin;
  const max = options.maxRedirects ?? MAX_REDIRECTS;
  for (;;) {
    const response = await send(hop);
    const next = redirectTarget(response, hop.url);
    if (!next) return response;
    const refusal =
      refusedTarget(hop.url, next, origin) ??
      (hop.index >= max ? `stopped after ${max} redirects within ${origin}` : undefined);
    if (refusal) {
      await response.body?.cancel().catch(() => {});
      const who = options.source ? `${options.source}: ` : '';
      throw new TokensmithError('ERR_REDIRECT_REFUSED', `${who}${refusal}`, {
        status: response.status,
        source: options.source,
      });
    }
    const toGet = becomesGet(response.status, hop.method);
    // A 307/308 re-sends the body: impossible for a stream already sent, so the caller gets the redirect.
    if (!toGet && hop.withBody && !options.replayableBody) return response;
    await response.body?.cancel().catch(() => {});
    log.debug(`following a ${response.status} redirect within ${origin}`);
    hop = {
      url: next,
      method: toGet ? 'GET' : hop.method,
      withBody: hop.withBody && !toGet,
      index: hop.index + 1,
    };
  }
}

/** Where a redirect answer points, or undefined when `response` is no redirect to follow. */
function redirectTarget(response: Response, base: URL): URL | undefined {
  if (!REDIRECT_STATUSES.has(response.status)) return undefined;
  const location = response.headers.get('location');
  if (location === null) return undefined;
  try {
    return new URL(location, base);
  } catch {
    return undefined; // an unusable Location: the answer is handed back as is
  }
}

/** Why following `from` → `to` would let the secret of `origin` out; undefined when it would not. */
function refusedTarget(from: URL, to: URL, origin: string): string | undefined {
  // Origins only: a path or query may carry the secret (a KS) or something else the log must not keep.
  const target = to.origin === 'null' ? `a ${to.protocol} URL` : to.origin;
  if (from.protocol === 'https:' && to.protocol !== 'https:') {
    return `refused a redirect from ${from.origin} to ${target}: https is never downgraded`;
  }
  if (to.origin !== origin) {
    return `refused a redirect from ${from.origin} to ${target}: the request carries credentials for ${origin} only`;
  }
  return undefined;
}

/** Fetch's rule: 301/302 of a POST and 303 of anything but GET/HEAD are followed as a GET without body. */
function becomesGet(status: number, method: string): boolean {
  if (status === 303) return method !== 'GET' && method !== 'HEAD';
  return (status === 301 || status === 302) && method === 'POST';
}

/** `headers` without the ones that describe a body, for a hop that no longer has one. */
export function withoutBodyHeaders(headers: HeadersInit | undefined): Headers {
  const copy = new Headers(headers);
  for (const name of BODY_HEADERS) copy.delete(name);
  return copy;
}

/**
 * The origin named by an allow-list entry such as `https://api.example.com` (a trailing `/` is fine;
 * scheme and host are case-insensitive; a default port may be written or not). An entry with a path,
 * query, fragment or user info is `ERR_CONFIG_INVALID`, so nobody believes a path restricts where
 * credentials go.
 */
export function parseOrigin(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${what}: an entry is not an origin URL`, { cause });
  }
  const bare =
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password &&
    !/[?#]/.test(value);
  if (!bare) {
    // The entry itself is not quoted: its user info may hold a password.
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `${what}: an entry for ${url.protocol}//${url.host} is not an origin; give scheme, host and port only, like https://api.example.com`,
    );
  }
  return url.origin;
}

/**
 * A check for "may a request to this origin carry the credential", from a non-empty list of origins
 * (see {@link parseOrigin}); throws `ERR_CONFIG_INVALID` for an empty list or a bad entry.
 */
export function originAllowList(origins: readonly string[], what: string): (origin: string) => boolean {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${what} must list at least one origin`);
  }
  const allowed = new Set(origins.map((o) => parseOrigin(o, what)));
  return (origin) => allowed.has(origin);
}
