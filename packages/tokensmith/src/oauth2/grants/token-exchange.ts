import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { OAuth2Provider } from '../base-provider.js';
import { commonTokenParams, type OAuth2CommonOptions } from '../options.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** Options of {@link tokenExchange}. */
export interface TokenExchangeOptions extends OAuth2CommonOptions {
  /** The token to exchange, or a function returning a current one (another manager's token). */
  subjectToken: string | (() => Promise<string>);
  /** Default: access token. */
  subjectTokenType?: string;
  actorToken?: string;
  actorTokenType?: string;
  requestedTokenType?: string;
}

/** Token exchange (RFC 8693): trade one token for another, e.g. for a different audience. */
export class TokenExchangeProvider extends OAuth2Provider {
  readonly grant = 'token_exchange';
  readonly #options: TokenExchangeOptions;

  constructor(options: TokenExchangeOptions) {
    super(options);
    this.#options = options;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    const o = this.#options;
    const subject = typeof o.subjectToken === 'function' ? await o.subjectToken() : o.subjectToken;
    registerSecret(subject);
    registerSecret(o.actorToken);
    const params = commonTokenParams(o);
    params.set('subject_token', subject);
    params.set('subject_token_type', o.subjectTokenType ?? ACCESS_TOKEN);
    if (o.actorToken) {
      params.set('actor_token', o.actorToken);
      params.set('actor_token_type', o.actorTokenType ?? ACCESS_TOKEN);
    }
    if (o.requestedTokenType) params.set('requested_token_type', o.requestedTokenType);
    const { tokens, timing } = await this.client.exchange(
      (as, auth, opts) =>
        oauth.genericTokenEndpointRequest(as, this.client.client, auth, GRANT, params, opts),
      (as, response) => oauth.processGenericTokenEndpointResponse(as, this.client.client, response),
      ctx.signal,
    );
    return this.client.toCredential(tokens, timing, { grant: this.grant });
  }
}

/** A provider for token exchange. */
export function tokenExchange(options: TokenExchangeOptions): TokenExchangeProvider {
  return new TokenExchangeProvider(options);
}
