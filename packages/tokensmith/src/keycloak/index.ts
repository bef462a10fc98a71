import type { Provider } from '../core/provider.js';
import {
  type GrantExtras,
  type GrantFactories,
  type GrantName,
  type GrantOptions,
  grantName,
  grantOptions,
} from '../oauth2/grant-registry.js';
import { authorizationCode } from '../oauth2/grants/authorization-code.js';
import { clientCredentials } from '../oauth2/grants/client-credentials.js';
import { deviceCode } from '../oauth2/grants/device-code.js';
import { password } from '../oauth2/grants/password.js';
import { refreshToken } from '../oauth2/grants/refresh-token.js';
import { tokenExchange } from '../oauth2/grants/token-exchange.js';
import type { OAuth2CommonOptions } from '../oauth2/options.js';
import { issuerUrl } from './issuer.js';

export { issuerUrl } from './issuer.js';

/** Where a Keycloak realm is. */
export interface KeycloakRealm {
  /** Keycloak's base URL, e.g. `https://sso.example.com` or, before Keycloak 17, `https://host/auth`. */
  baseUrl: string;
  realm: string;
  /** Put Keycloak's legacy `/auth` prefix in front of `/realms` (Keycloak ≤ 16, RH-SSO). */
  legacyAuthPrefix?: boolean;
}

/**
 * Options of {@link provider}: where Keycloak is, which realm, which grant (any of the grant
 * registry's), and that grant's options without `issuer` (the preset builds it).
 */
export type KeycloakOptions = KeycloakRealm &
  { [G in GrantName]: { grant: G } & Omit<GrantOptions[G], 'issuer'> }[GrantName];

/**
 * Every grant's factory, checked by its type to be exactly the registry's grants. The preset is
 * synchronous, so they are imported here rather than loaded on demand.
 */
const FACTORIES: GrantFactories = {
  client_credentials: clientCredentials,
  password,
  device_code: deviceCode,
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  token_exchange: tokenExchange,
};

/**
 * A provider for a Keycloak realm. Keycloak's `refresh_expires_in` is read, so the manager knows
 * when the refresh token itself is gone and re-acquires instead of failing. A grant the registry
 * does not know, or a missing option the grant needs, is `ERR_CONFIG_INVALID`.
 */
export function provider(options: KeycloakOptions): Provider {
  const { baseUrl, realm, legacyAuthPrefix, grant, ...rest } = options;
  const name = grantName(grant);
  // Every grant's options are common options plus some of GrantExtras: a checked widening.
  const input: OAuth2CommonOptions & GrantExtras = rest;
  return make(name, { ...input, issuer: issuerUrl(baseUrl, realm, legacyAuthPrefix) }, input);
}

function make<G extends GrantName>(grant: G, common: OAuth2CommonOptions, extras: GrantExtras): Provider {
  return FACTORIES[grant](grantOptions(grant, common, extras));
}
