/**
 * Kaltura: KS tools, privileges, the wire client (single calls and multirequests), the app-token and
 * admin session providers, admin operations and the app-token audit. Exported from the package root
 * as the `kaltura` namespace.
 * @module
 */
import * as ksTools from './ks/index.js';
import * as privilegeTools from './privileges.js';

export {
  type AdminOptions,
  type AppTokenChanges,
  admin,
  appTokenPrivileges,
  type CreateAppTokenOptions,
  KalturaAdmin,
  type ListAppTokensOptions,
  type UserRole,
} from './admin.js';
export { type AdminSessionOptions, adminSession } from './admin-session.js';
export { KalturaApiException } from './api-exception.js';
export {
  type AppToken,
  AppTokenStatus,
  appTokenStatusName,
  parseAppTokenStatus,
  toAppToken,
  withoutToken,
  withToken,
} from './app-token.js';
export {
  APP_TOKEN_HASH_TYPES,
  type AppTokenHashType,
  type AppTokenSessionOptions,
  type AppTokenSessionProvider,
  appTokenSession,
  tokenHash,
} from './app-token-session.js';
export {
  type AuditEntry,
  type AuditFinding,
  type AuditOptions,
  auditAppToken,
  auditAppTokens,
  type Severity,
} from './audit.js';
export {
  isKalturaException,
  KALTURA_API_VERSION,
  type KalturaCallOptions,
  KalturaClient,
  type KalturaClientOptions,
  type KalturaResponse,
} from './client.js';
export type { DecodedKs, KsDecodeOptions, KsEncodeOptions, KsInspection } from './ks/index.js';
export { type KalturaFetchOptions, kalturaFetch, withKs } from './ks-fetch.js';
export {
  type AppTokenSessionRequest,
  type AppTokenSessionSettings,
  mergePrivileges,
  type PredictedSession,
  predictAppTokenSession,
} from './merge-rules.js';
export {
  type KalturaCall,
  type KalturaCallResult,
  kalturaCall,
  type MultiRequestResults,
  resultRef,
} from './multirequest.js';
export type { Privilege, PrivilegesInput } from './privileges.js';
export type { SessionInfo } from './session-info.js';
export { parseSessionType, SessionType, sessionTypeName } from './session-type.js';

/** KS tools: `encode`, `decode`, `inspect`, `verify`, `peek`. */
export const ks = Object.freeze({
  encode: ksTools.encode,
  decode: ksTools.decode,
  inspect: ksTools.inspect,
  verify: ksTools.verify,
  peek: ksTools.peek,
});

/** Privileges tools: `parse`, `format`, `check`, `get`, `isReserved`, `isKnown`, `RESERVED`. */
export const privileges = Object.freeze({
  parse: privilegeTools.parse,
  format: privilegeTools.format,
  check: privilegeTools.check,
  get: privilegeTools.get,
  isReserved: privilegeTools.isReserved,
  isKnown: privilegeTools.isKnown,
  RESERVED: privilegeTools.RESERVED_PRIVILEGES,
});

/** Alias of {@link auditAppTokens}, for `kaltura.audit(tokens)`. */
export { auditAppTokens as audit } from './audit.js';
