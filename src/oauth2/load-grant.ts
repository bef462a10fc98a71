import type { Provider } from '../core/provider.js';

/** Grant names the profile and CLI layers accept, each mapped to its provider factory's module. */
export type GrantName =
  | 'client_credentials'
  | 'password'
  | 'device_code'
  | 'authorization_code'
  | 'refresh_token';

/**
 * The provider factory of one grant, importing only that grant's module: the CLI answers from a warm
 * cache without loading the browser-login server or the device poller it does not use.
 */
export async function loadGrant(grant: GrantName): Promise<(options: never) => Provider> {
  switch (grant) {
    case 'password':
      return (await import('./grants/password.js')).password;
    case 'device_code':
      return (await import('./grants/device-code.js')).deviceCode;
    case 'authorization_code':
      return (await import('./grants/authorization-code.js')).authorizationCode;
    case 'refresh_token':
      return (await import('./grants/refresh-token.js')).refreshToken;
    default:
      return (await import('./grants/client-credentials.js')).clientCredentials;
  }
}
