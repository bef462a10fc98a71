import * as oauth from 'oauth4webapi';
import { type FetchLike, isLoopbackHost } from '../core/http.js';
import type { OAuth2CommonOptions } from './options.js';

/** Options oauth4webapi takes on every request: our fetch, and http allowed where we allow it. */
export type RequestOptions = {
  [oauth.customFetch]: FetchLike;
  [oauth.allowInsecureRequests]: boolean;
  signal?: AbortSignal;
  /** DPoP proof maker for token requests (set by token-request.ts when `dpop` is on). */
  DPoP?: oauth.DPoPHandle;
};

/**
 * Request options for the server of `options`: every request goes through `http`, and plain http
 * is allowed when the user opted in or when the configured issuer and token endpoint are loopback.
 */
export function requestOptions(
  options: Pick<OAuth2CommonOptions, 'issuer' | 'tokenEndpoint' | 'allowInsecureHttp'>,
  http: FetchLike,
  signal?: AbortSignal,
): RequestOptions {
  const insecureOk =
    !!options.allowInsecureHttp ||
    [options.issuer, options.tokenEndpoint].every((u) => !u || isLoopbackHost(new URL(u).hostname));
  return { [oauth.customFetch]: http, [oauth.allowInsecureRequests]: insecureOk, signal };
}
