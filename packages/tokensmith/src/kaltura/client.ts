/**
 * The Kaltura api_v3 wire client: `POST {serviceUrl}/api_v3/service/{service}/action/{action}` with a
 * JSON body. API errors come back as HTTP 200 with `objectType: KalturaAPIException`; they become
 * `TokensmithError('ERR_KALTURA_API')` with the Kaltura `code` in `vendorCode`. Every call (the admin
 * secret or a KS in its body) follows redirects only within the service's origin, never from https
 * to http (`core/redirect-policy.ts`); anything else is `ERR_REDIRECT_REFUSED`.
 */
import { TokensmithError } from '../core/errors.js';
import {
  assertSecureUrl,
  createHttpClient,
  type FetchLike,
  readBodyLimited,
  serverDate,
} from '../core/http.js';
import { getLogger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import type { TlsOptions } from '../core/tls.js';
import { lazyTlsFetch } from '../core/tls-lazy.js';
import { isKalturaException, kalturaError } from './api-exception.js';
import {
  type KalturaCall,
  type MultiRequestResults,
  multiRequestParams,
  multiRequestResults,
} from './multirequest.js';
import { dropNulls } from './params.js';

export { isKalturaException } from './api-exception.js';

const log = getLogger('kaltura');

/** API version announced to the server (the one the protocol notes were checked against). */
export const KALTURA_API_VERSION = '21.20.0';

/** Options for {@link KalturaClient}. */
export interface KalturaClientOptions {
  /** Base URL, e.g. `https://www.kaltura.com` (a trailing `/` or `/api_v3` is tolerated). */
  serviceUrl: string;
  /** Fetch to use (default: the global one). */
  fetch?: FetchLike;
  /**
   * Trusted CAs (a private CA) and a client certificate for the connections to the server, as in
   * `oauth2` providers (core/tls.ts); loaded on the first request. Ignored when `fetch` is given.
   */
  tls?: TlsOptions;
  /** Time limit per call, ms. */
  timeoutMs?: number;
  /** Allow plain `http:` to a non-loopback host. Credentials would travel in the clear. */
  allowInsecureHttp?: boolean;
  /** `clientTag` sent with each call (default `tokensmith`). */
  clientTag?: string;
  /** Retry reads and session starts after a transport failure, 429 or 5xx (default true). */
  retry?: boolean;
}

/** Per-call options. */
export interface KalturaCallOptions {
  /** The KS to send as the `ks` parameter. */
  ks?: string;
  signal?: AbortSignal;
}

/** A call result with the server's clock, for expiry correction. */
export interface KalturaResponse<T> {
  result: T;
  /** Server time from the `Date` header, epoch ms. */
  serverTime?: number;
  /** Local time when the response arrived, epoch ms. */
  receivedAt: number;
}

/** Normalize a service URL to its origin + path without `/api_v3` or a trailing `/`. */
export function normalizeServiceUrl(serviceUrl: string, allowInsecureHttp?: boolean): string {
  const url = assertSecureUrl(serviceUrl, allowInsecureHttp, 'Kaltura service URL');
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api_v3$/, '');
}

/**
 * Actions sent again after a transport failure, 429 or 5xx: reads and session starts, where a
 * duplicate costs nothing. Writes (`appToken.add`, `user.add`, ...) are sent once, since a lost answer
 * may hide a success and a second send would create a second object.
 */
const RETRIED_ACTIONS = new Set([
  'session.start',
  'session.startwidgetsession',
  'session.get',
  'apptoken.startsession',
  'apptoken.get',
  'apptoken.list',
  'userrole.list',
]);

/** A small client for the api_v3 JSON protocol. */
export class KalturaClient {
  /** Base service URL, normalized. */
  readonly serviceUrl: string;
  readonly #fetch: FetchLike;
  readonly #retryingFetch: FetchLike;
  readonly #clientTag: string;

  constructor(options: KalturaClientOptions) {
    this.serviceUrl = normalizeServiceUrl(options.serviceUrl, options.allowInsecureHttp);
    const fetch = options.fetch ?? (options.tls ? lazyTlsFetch(options.tls) : undefined);
    const http = { fetch, timeoutMs: options.timeoutMs, source: 'Kaltura API' };
    this.#fetch = createHttpClient(http);
    this.#retryingFetch = createHttpClient({ ...http, retry: options.retry ?? true });
    this.#clientTag = options.clientTag ?? 'tokensmith';
  }

  /** Call `service.action` with `params`; returns the decoded result or throws. */
  async call<T = unknown>(
    service: string,
    action: string,
    params: Record<string, unknown> = {},
    options: KalturaCallOptions = {},
  ): Promise<T> {
    return (await this.request<T>(service, action, params, options)).result;
  }

  /** Like {@link call}, also returning the server's clock. */
  async request<T = unknown>(
    service: string,
    action: string,
    params: Record<string, unknown> = {},
    options: KalturaCallOptions = {},
  ): Promise<KalturaResponse<T>> {
    const what = `Kaltura ${service}.${action}`;
    if (options.ks) registerSecret(options.ks);
    const url = `${this.serviceUrl}/api_v3/service/${encodeURIComponent(service.toLowerCase())}/action/${encodeURIComponent(action)}`;
    const res = await this.#post(
      url,
      dropNulls(params) as Record<string, unknown>,
      options,
      what,
      RETRIED_ACTIONS.has(`${service}.${action}`.toLowerCase()),
    );
    if (isKalturaException(res.result)) {
      log.debug('Kaltura API error', { service, action, code: res.result.code });
      throw kalturaError(res.result, what);
    }
    return res as KalturaResponse<T>;
  }

  /**
   * Several calls in one round trip (`POST /api_v3/service/multirequest`): the results come back in
   * the order of `calls`, each the value (through the call's `parse`) or a `KalturaApiException` in
   * its place. `options.ks` goes to every call that names no KS of its own. A later call may use an
   * earlier result through `resultRef(n, ...path)`. The whole multirequest is sent again after a
   * transport failure only when every call is one a single call would retry (reads, session starts).
   */
  async multirequest<const Cs extends readonly KalturaCall<unknown>[]>(
    calls: Cs,
    options: KalturaCallOptions = {},
  ): Promise<KalturaResponse<MultiRequestResults<Cs>>> {
    if (calls.length === 0) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'a multirequest needs at least one call');
    }
    const what = `Kaltura multirequest (${calls.map((c) => `${c.service}.${c.action}`).join(', ')})`;
    if (options.ks) registerSecret(options.ks);
    const res = await this.#post(
      `${this.serviceUrl}/api_v3/service/multirequest`,
      multiRequestParams(calls),
      options,
      what,
      calls.every((c) => RETRIED_ACTIONS.has(`${c.service}.${c.action}`.toLowerCase())),
    );
    // A malformed multirequest as a whole is one exception, not an array.
    if (isKalturaException(res.result)) throw kalturaError(res.result, what);
    const results = multiRequestResults(calls, res.result, what) as MultiRequestResults<Cs>;
    return { ...res, result: results };
  }

  /** POST `params` with the common ones as JSON; the decoded answer (an exception object included). */
  async #post(
    url: string,
    params: Record<string, unknown>,
    options: KalturaCallOptions,
    what: string,
    retry: boolean,
  ): Promise<KalturaResponse<unknown>> {
    const body = {
      ...params,
      format: 1,
      apiVersion: KALTURA_API_VERSION,
      clientTag: this.#clientTag,
      ...(options.ks ? { ks: options.ks } : {}),
    };
    const send = retry ? this.#retryingFetch : this.#fetch;
    const response = await send(url, {
      method: 'POST',
      // Exactly this value: the server parses JSON only when Content-Type is `application/json` as is.
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
    });
    const receivedAt = Date.now();
    const text = (await readBodyLimited(response, undefined, what)).toString('utf8');
    if (response.status !== 200) {
      throw new TokensmithError('ERR_HTTP_STATUS', `${what} answered HTTP ${response.status}`, {
        status: response.status,
        source: what,
      });
    }
    let result: unknown = null;
    const trimmed = text.trim();
    // Void actions (delete) answer with an empty body or `null`.
    if (trimmed) {
      try {
        result = JSON.parse(trimmed);
      } catch (cause) {
        throw new TokensmithError('ERR_RESPONSE_NOT_JSON', `${what} did not answer JSON`, {
          status: response.status,
          source: what,
          cause,
        });
      }
    }
    const serverTime = serverDate(response);
    return serverTime === undefined ? { result, receivedAt } : { result, serverTime, receivedAt };
  }
}

/** Read a required string field of a response object, or throw `ERR_RESPONSE_MISSING_FIELD`/`INVALID_FIELD`. */
export function requireString(obj: unknown, field: string, what: string): string {
  const v = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[field] : undefined;
  if (v === undefined || v === null || v === '') {
    throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', `${what}: response has no "${field}"`, {
      field,
      source: what,
    });
  }
  if (typeof v !== 'string') {
    throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `${what}: "${field}" is not a string`, {
      field,
      source: what,
    });
  }
  return v;
}

/** Read a required numeric field (numbers or numeric strings). */
export function requireNumber(obj: unknown, field: string, what: string): number {
  const v = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[field] : undefined;
  if (v === undefined || v === null || v === '') {
    throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', `${what}: response has no "${field}"`, {
      field,
      source: what,
    });
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) {
    throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `${what}: "${field}" is not a number`, {
      field,
      source: what,
    });
  }
  return n;
}
