import { TokensmithError } from '../core/errors.js';
import type { Provider } from '../core/provider.js';
import {
  type AuthorizationCodeOptions,
  authorizationCode,
  type ClientCredentialsOptions,
  clientCredentials,
  type DeviceCodeOptions,
  deviceCode,
  type PasswordOptions,
  password,
  type RefreshTokenOptions,
  refreshToken,
  type TokenExchangeOptions,
  tokenExchange,
} from '../oauth2/index.js';

/** Grant options by name, without `issuer` (the preset builds it). */
type WithoutIssuer<T> = Omit<T, 'issuer'>;

/** Options of {@link provider}: where Keycloak is, which realm, which grant, and the grant's options. */
export type KeycloakOptions = {
  /** Keycloak's base URL, e.g. `https://sso.example.com` or, before Keycloak 17, `https://host/auth`. */
  baseUrl: string;
  realm: string;
  /** Put Keycloak's legacy `/auth` prefix in front of `/realms` (Keycloak ≤ 16, RH-SSO). */
  legacyAuthPrefix?: boolean;
} & (
  | ({ grant: 'password' } & WithoutIssuer<PasswordOptions>)
  | ({ grant: 'client_credentials' } & WithoutIssuer<ClientCredentialsOptions>)
  | ({ grant: 'device_code' } & WithoutIssuer<DeviceCodeOptions>)
  | ({ grant: 'authorization_code' } & WithoutIssuer<AuthorizationCodeOptions>)
  | ({ grant: 'refresh_token' } & WithoutIssuer<RefreshTokenOptions>)
  | ({ grant: 'token_exchange' } & WithoutIssuer<TokenExchangeOptions>)
);

/**
 * The issuer of a Keycloak realm: `{baseUrl}/realms/{realm}`, or `{baseUrl}/auth/realms/{realm}`
 * with the legacy prefix (a base URL already ending in `/auth` is kept as it is).
 */
export function issuerUrl(baseUrl: string, realm: string, legacyAuthPrefix = false): string {
  if (!realm) throw new TokensmithError('ERR_CONFIG_INVALID', 'realm is required');
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch (cause) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'baseUrl is not a valid URL', { cause });
  }
  let path = base.pathname.replace(/\/+$/, '');
  if (/\/realms(\/|$)/.test(path)) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'baseUrl must not contain /realms/…; pass the realm separately',
    );
  }
  if (legacyAuthPrefix && !path.endsWith('/auth')) path += '/auth';
  return `${base.origin}${path}/realms/${encodeURIComponent(realm)}`;
}

/**
 * A provider for a Keycloak realm. Keycloak's `refresh_expires_in` is read, so the manager knows
 * when the refresh token itself is gone and re-acquires instead of failing.
 */
export function provider(options: KeycloakOptions): Provider {
  const { baseUrl, realm, legacyAuthPrefix, grant, ...rest } = options;
  const issuer = issuerUrl(baseUrl, realm, legacyAuthPrefix);
  const o = { ...rest, issuer } as never;
  switch (grant) {
    case 'password':
      return password(o);
    case 'client_credentials':
      return clientCredentials(o);
    case 'device_code':
      return deviceCode(o);
    case 'authorization_code':
      return authorizationCode(o);
    case 'refresh_token':
      return refreshToken(o);
    case 'token_exchange':
      return tokenExchange(o);
    default:
      throw new TokensmithError('ERR_CONFIG_INVALID', `unknown grant "${String(grant)}"`);
  }
}
