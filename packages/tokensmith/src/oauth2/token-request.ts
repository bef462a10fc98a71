import type * as oauth from 'oauth4webapi';
import type { DPoPKey } from '../core/dpop.js';
import { isTokensmithError } from '../core/errors.js';
import { serverDate } from '../core/http.js';
import { toTokensmithError } from './oauth-error.js';
import type { RequestOptions } from './request-options.js';
import { checkResponse, type ResponseKind } from './response-check.js';

/** Facts about one token request, used to compute expiry. */
export interface ExchangeTiming {
  /** Local time the request was sent, epoch ms. */
  sentAt: number;
  /** Server clock minus local clock, ms, from the response `Date` header (0 when absent). */
  skewMs: number;
  /** The DPoP key the request proved possession of (the tokens are bound to it when `token_type` is DPoP). */
  dpopKey?: DPoPKey;
}

/** Sends one token request through oauth4webapi (`oauth.xxxGrantRequest`). */
export type SendTokenRequest = (
  as: oauth.AuthorizationServer,
  auth: oauth.ClientAuth,
  opts: RequestOptions,
) => Promise<Response>;

/** Processes its response (the oauth4webapi `processXxxResponse` matching the request). */
export type ProcessTokenResponse<T> = (as: oauth.AuthorizationServer, response: Response) => Promise<T>;

/** What one token request needs from the client that sends it. */
export interface TokenRequestContext {
  as: oauth.AuthorizationServer;
  auth: oauth.ClientAuth;
  request: RequestOptions;
  /** Checks an ID token's signature; claims are checked by `process`. */
  verifyIdToken: (as: oauth.AuthorizationServer, idToken: string) => Promise<void>;
  /** DPoP (RFC 9449): the key, and oauth4webapi's handle that signs a proof for each token request. */
  dpop?: { key: DPoPKey; handle: oauth.DPoPHandle };
}

/**
 * Send a token request made by `send`, check the response (`checkResponse`), process it with
 * `process`, verify the ID token it may carry, and return the tokens with the request's timing.
 * Every failure is a TokensmithError; what oauth4webapi refuses in a checked response is the ID
 * token's fault (`ERR_ID_TOKEN_INVALID`, see oauth-error.ts).
 */
export async function requestTokens<T extends oauth.TokenEndpointResponse>(
  ctx: TokenRequestContext,
  send: SendTokenRequest,
  process: ProcessTokenResponse<T>,
  kind: ResponseKind = 'token',
): Promise<{ tokens: T; timing: ExchangeTiming }> {
  try {
    return await requestTokensOnce(ctx, send, process, kind);
  } catch (err) {
    // `use_dpop_nonce`: the handle kept the nonce the server sent; one more try with it.
    if (ctx.dpop && isTokensmithError(err) && err.error === 'use_dpop_nonce') {
      return requestTokensOnce(ctx, send, process, kind);
    }
    throw err;
  }
}

async function requestTokensOnce<T extends oauth.TokenEndpointResponse>(
  ctx: TokenRequestContext,
  send: SendTokenRequest,
  process: ProcessTokenResponse<T>,
  kind: ResponseKind,
): Promise<{ tokens: T; timing: ExchangeTiming }> {
  const { as } = ctx;
  const sentAt = Date.now();
  const request = ctx.dpop ? { ...ctx.request, DPoP: ctx.dpop.handle } : ctx.request;
  try {
    const response = await send(as, ctx.auth, request);
    const receivedAt = Date.now();
    const date = serverDate(response);
    // Date has one-second resolution: ignore differences below that.
    const raw = date === undefined ? 0 : date - Math.round((sentAt + receivedAt) / 2);
    const skewMs = Math.abs(raw) < 1500 ? 0 : raw;
    const checked = await checkResponse(response, kind);
    let tokens: T;
    try {
      tokens = await process(as, checked);
    } catch (err) {
      throw toTokensmithError(err, 'token endpoint', { idToken: true });
    }
    if (tokens.id_token) await ctx.verifyIdToken(as, tokens.id_token);
    return { tokens, timing: { sentAt, skewMs, ...(ctx.dpop ? { dpopKey: ctx.dpop.key } : {}) } };
  } catch (err) {
    throw toTokensmithError(err, 'token endpoint');
  }
}
