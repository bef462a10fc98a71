import { inspect } from 'node:util';
import * as oauth from 'oauth4webapi';
import type { Credential } from '../core/credential.js';
import { TokensmithError } from '../core/errors.js';
import type { AcquireContext, Provider } from '../core/provider.js';
import { oauth2CacheKey } from './cache-key.js';
import { OAuth2Client } from './client.js';
import type { OAuth2CommonOptions } from './options.js';

/**
 * Shared behaviour of every OAuth 2 grant provider: the refresh_token grant for renewal, revocation,
 * and the cache key. Subclasses implement `acquire()`.
 */
export abstract class OAuth2Provider implements Provider {
  readonly kind = 'oauth2';
  readonly client: OAuth2Client;
  /** Grant name used in cache keys and credential metadata. */
  abstract readonly grant: string;

  constructor(options: OAuth2CommonOptions) {
    this.client = new OAuth2Client(options);
  }

  get clientId(): string {
    return this.client.options.clientId;
  }

  /** The user this provider logs in as, when the grant names one (part of the cache key). */
  protected get user(): string | undefined {
    return undefined;
  }

  get cacheKey(): string {
    const o = this.client.options;
    if (o.cacheKey) return o.cacheKey;
    return oauth2CacheKey({
      server: this.client.serverId,
      clientId: o.clientId,
      grant: this.grant,
      user: this.user,
      scope: o.scope,
      audience: o.audience,
      resource: o.resource,
      dpop: !!o.dpop,
    });
  }

  /** Secret-free description, for printing. */
  toJSON(): unknown {
    return { kind: this.kind, grant: this.grant, cacheKey: this.cacheKey, client: this.client.toJSON() };
  }

  [inspect.custom](): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), { depth: 4 })}`;
  }

  abstract acquire(ctx: AcquireContext): Promise<Credential>;

  /** Renew with `previous`'s refresh token; only it and the subject are read (a bare seed will do). */
  async refresh(
    previous: Pick<Credential, 'refreshToken' | 'subject'> & Partial<Pick<Credential, 'dpopKey'>>,
    ctx: AcquireContext,
  ): Promise<Credential> {
    const refreshToken = previous.refreshToken;
    if (!refreshToken) throw new TokensmithError('ERR_OAUTH_INVALID_GRANT', 'no refresh token to use');
    // No scope: a refresh keeps the original grant's scope, and asking again can be refused.
    const params = new URLSearchParams();
    for (const r of [this.client.options.resource ?? []].flat()) params.append('resource', r);
    const { tokens, timing } = await this.client.exchange(
      (as, auth, opts) =>
        oauth.refreshTokenGrantRequest(as, this.client.client, auth, refreshToken, {
          ...opts,
          additionalParameters: params,
        }),
      (as, response) => oauth.processRefreshTokenResponse(as, this.client.client, response),
      ctx.signal,
      'token',
      // A refresh token bound to a DPoP key (public clients) must be proved with that key.
      previous.dpopKey,
    );
    return this.client.toCredential(tokens, timing, { grant: this.grant, user: previous.subject });
  }

  /** Revoke the refresh token (which ends the session) and the access token, where offered. */
  async revoke(credential: Credential): Promise<void> {
    if (credential.refreshToken) await this.client.revoke(credential.refreshToken, 'refresh_token');
    await this.client.revoke(credential.token, 'access_token');
  }
}
