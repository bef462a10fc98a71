/**
 * Profile keys of the grant options a profile can set, by option name (the grant registry's
 * vocabulary): one list for opening a profile (build-source.ts) and for the fast path's checks.
 * @module
 */
import type { GrantExtras } from 'tokensmith/internal/oauth2/grant-registry.js';

/** Option name → profile key. */
export const GRANT_KEYS: ReadonlyMap<keyof GrantExtras, string> = new Map<keyof GrantExtras, string>([
  ['username', 'username'],
  ['password', 'password'],
  ['refreshToken', 'refresh_token'],
  ['subjectToken', 'subject_token'],
  ['subjectTokenType', 'subject_token_type'],
  ['actorToken', 'actor_token'],
  ['actorTokenType', 'actor_token_type'],
  ['requestedTokenType', 'requested_token_type'],
  ['redirectPort', 'redirect_port'],
  ['authorizationParams', 'auth_params'],
]);
