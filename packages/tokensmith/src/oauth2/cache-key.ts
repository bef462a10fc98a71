/**
 * The cache key of an OAuth 2 provider: one definition for `OAuth2Provider.cacheKey` and for the CLI's
 * fast path, which must find the same entry without building a provider.
 * @module
 */
import { type OAuth2CommonOptions, scopeString } from './options.js';

/** What the key is made of: the server, the client, the grant and its user, and what the token is for. */
export interface CacheKeyParts extends Pick<OAuth2CommonOptions, 'scope' | 'audience' | 'resource'> {
  /** The issuer, else the token endpoint. */
  server: string;
  clientId: string;
  grant: string;
  /** The user the grant logs in as, when it names one. */
  user?: string;
  /** DPoP-bound tokens are other credentials than Bearer ones for the same client. */
  dpop?: boolean;
}

/** `oauth2|server|client|grant|user|scope|audience|resources`, and `|dpop` for DPoP-bound tokens. */
export function oauth2CacheKey(p: CacheKeyParts): string {
  const key = [
    'oauth2',
    p.server,
    p.clientId,
    p.grant,
    p.user ?? '',
    scopeString(p.scope) ?? '',
    p.audience ?? '',
    [p.resource ?? []].flat().join(','),
  ].join('|');
  // Added only with DPoP, so that Bearer keys stay as they were before DPoP existed.
  return p.dpop ? `${key}|dpop` : key;
}
