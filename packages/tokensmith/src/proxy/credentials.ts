import type { TokenManager } from '../core/manager.js';
import type { Provider, RequestSigner } from '../core/provider.js';
import { type CredentialSupply, credentialSupply } from '../core/renewal.js';
import type { TokenType } from '../core/token-type.js';
import { fixedCredentialHeaders } from './headers.js';

export type { CredentialSupply, IssuedHeaders } from '../core/renewal.js';

/**
 * The proxy's credential supply: core's (one renewal rule for every client, see core/renewal.ts),
 * with each credential's headers frozen and their header list worked out once for the hot path.
 */
export function proxySupply(
  source: TokenManager | Provider | RequestSigner,
  tokenType: TokenType = 'access',
): CredentialSupply {
  return credentialSupply(source, { prepare: fixedCredentialHeaders, tokenType });
}
