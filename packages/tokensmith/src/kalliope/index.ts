/**
 * Kalliope PBX: the `X-authenticate` digest, connection strings, the tenant salt and a per-request
 * signer for `authFetch`. Exported from the package root as the `kalliope` namespace.
 * @module
 */
export { ClockSkew, MAX_CLOCK_SKEW_MS } from './clock-skew.js';
export { DEFAULT_DOMAIN, type KalliopeConnection, parseConnectionString } from './connection-string.js';
export {
  type AuthenticateFields,
  type DigestInput,
  digest,
  digestFromHash,
  formatCreated,
  formatHeader,
  HEADER_NAME,
  HEADER_PATTERN,
  newNonce,
  parseCreated,
  parseHeader,
  passwordHash,
} from './digest.js';
export {
  type FetchSaltOptions,
  fetchSalt,
  SaltCache,
  type SaltCacheOptions,
  type SaltResponse,
  saltUrl,
} from './salt.js';
export { type KalliopeSigner, type KalliopeSignerOptions, signer } from './signer.js';
