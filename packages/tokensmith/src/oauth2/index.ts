/** OAuth 2 / OpenID Connect grants, one provider per grant. */
export { OAuth2Provider } from './base-provider.js';
export { OAuth2Client } from './client.js';
export type { GrantName, GrantOptions } from './grant-registry.js';
export {
  type AuthorizationCodeOptions,
  AuthorizationCodeProvider,
  authorizationCode,
} from './grants/authorization-code.js';
export {
  type ClientCredentialsOptions,
  ClientCredentialsProvider,
  clientCredentials,
} from './grants/client-credentials.js';
export {
  type DeviceCodeOptions,
  DeviceCodeProvider,
  type DevicePrompt,
  deviceCode,
} from './grants/device-code.js';
export { type PasswordOptions, PasswordProvider, password } from './grants/password.js';
export { type RefreshTokenOptions, RefreshTokenProvider, refreshToken } from './grants/refresh-token.js';
export { type TokenExchangeOptions, TokenExchangeProvider, tokenExchange } from './grants/token-exchange.js';
export {
  defaultLandingPage,
  type LandingOutcome,
  type LandingPage,
  type LandingResponse,
} from './landing-page.js';
export type { ClientAuthMethod, OAuth2CommonOptions } from './options.js';
export type { ExchangeTiming } from './token-request.js';
