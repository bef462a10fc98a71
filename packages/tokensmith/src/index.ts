/**
 * tokensmith: get API credentials, keep them valid and put them on every request.
 * @packageDocumentation
 */
export {
  CACHE_KEY_ENV,
  defaultCacheDir,
  type EncryptionKeyOption,
  FileCache,
  type FileCacheOptions,
  type FileCacheStats,
  forgetClient,
  MemoryCache,
  RedisCache,
  type RedisCacheOptions,
  type RedisCacheStats,
  type RedisNodeAddress,
  type RedisSentinelOptions,
} from './cache/index.js';
export type { CredentialCache } from './core/cache.js';
export { Credential, type CredentialRecord, type CredentialSummary } from './core/credential.js';
export { DPoPKey, type DPoPKeyPair, type DPoPOption } from './core/dpop.js';
export { type ErrorCode, type ErrorDetails, isTokensmithError, TokensmithError } from './core/errors.js';
export { type DecodedJwt, decodeJwt } from './core/jwt.js';
export { configureLogging, getLogger, type Logger, type LogLevel } from './core/log.js';
export {
  type CredentialSource,
  type GetCredentialOptions,
  type ManagerStats,
  TokenManager,
  type TokenManagerOptions,
} from './core/manager.js';
export type { AcquireContext, Provider, RequestSigner, SignableRequest } from './core/provider.js';
export { redact, registerSecret } from './core/redact.js';
export { type TlsOptions, tlsFetch } from './core/tls.js';
export { type AuthFetchOptions, authFetch } from './fetch/auth-fetch.js';
export * as kalliope from './kalliope/index.js';
export * as kaltura from './kaltura/index.js';
export * as keycloak from './keycloak/index.js';
export * as oauth2 from './oauth2/index.js';
export * as proxy from './proxy/index.js';
