/**
 * The cache key and refresh window of an OAuth 2 or Keycloak profile, worked out without building
 * its provider (which loads the OAuth client and HTTP stack): the same checks the full path makes on
 * a cache hit, and the same key `LazyGrantProvider` gives. Anything outside what this module knows
 * (another profile type, a key it does not list, a value the full path would refuse) gives undefined,
 * and the full CLI then opens the profile and says what is wrong.
 */
import { assertSecureUrl } from 'tokensmith/internal/core/http.js';
import { issuerUrl } from 'tokensmith/internal/keycloak/issuer.js';
import { oauth2CacheKey } from 'tokensmith/internal/oauth2/cache-key.js';
import {
  defaultGrant,
  GRANTS,
  type GrantExtras,
  type GrantName,
  grantTakes,
  isGrantName,
  missingGrantOptions,
} from 'tokensmith/internal/oauth2/grant-registry.js';
import { CLIENT_AUTH_METHODS, type OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import { GRANT_KEYS } from '../config/grant-keys.js';
import type { Profile } from '../config/profiles.js';

/** What the fast path needs to find and judge a profile's cached credential. */
export interface WarmProfile {
  /** The TokenManager key the full path uses: `profile:NAME|` and the provider's cache key. */
  key: string;
  /** `refresh_window_seconds` in ms (default 30 s), as the manager applies it. */
  windowMs: number;
}

/** Profile keys whose checks this module makes; a profile with any other key takes the full path. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'type',
  'description',
  'refresh_window_seconds',
  'cache',
  'git_hosts',
  'git_username',
  'docker_registries',
  'docker_username',
  'issuer',
  'token_endpoint',
  'revocation_endpoint',
  'grant',
  'client_id',
  'client_secret',
  'client_auth',
  'username',
  'password',
  'refresh_token',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'scope',
  'audience',
  'resource',
  'allow_insecure_http',
  'redirect_port',
  'base_url',
  'realm',
  'legacy_auth_prefix',
]);

/**
 * The cache key and window of `profile` when it is an OAuth 2 or Keycloak profile on the file cache
 * that the full path would open without complaint; undefined otherwise. May throw on a value the
 * full path refuses too (the caller then falls back, and the full path reports it).
 */
export function warmProfile(profile: Profile): WarmProfile | undefined {
  if (profile.type !== 'oauth2' && profile.type !== 'keycloak') return undefined;
  const values = profile.values;
  for (const key of Object.keys(values)) if (!KNOWN_KEYS.has(key)) return undefined;
  const has = (key: string) => Object.hasOwn(values, key);
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const bool = (key: string) => (typeof values[key] === 'boolean' ? (values[key] as boolean) : undefined);
  if ((str('cache') ?? 'file') !== 'file') return undefined;
  const window = values.refresh_window_seconds ?? 30;
  if (typeof window !== 'number' || !Number.isFinite(window) || window < 0) return undefined;

  const grant = str('grant') ?? defaultGrant(has('username'));
  if (!isGrantName(grant)) return undefined;
  for (const [option, key] of GRANT_KEYS) if (has(key) && !grantTakes(grant, option)) return undefined;
  const written: GrantExtras = {
    username: str('username'),
    password: str('password'),
    refreshToken: str('refresh_token'),
    subjectToken: str('subject_token'),
    subjectTokenType: str('subject_token_type'),
    actorToken: str('actor_token'),
    actorTokenType: str('actor_token_type'),
    requestedTokenType: str('requested_token_type'),
    redirectPort: typeof values.redirect_port === 'number' ? values.redirect_port : undefined,
  };
  if (missingGrantOptions(grant, written).length > 0) return undefined;

  const tokenEndpoint = str('token_endpoint');
  let issuer = str('issuer');
  if (profile.type === 'keycloak') {
    issuer = issuerUrl(str('base_url')!, str('realm')!, bool('legacy_auth_prefix'));
  } else if (!tokenEndpoint && !issuer) {
    return undefined;
  }
  const clientAuth = str('client_auth');
  if (clientAuth !== undefined && !CLIENT_AUTH_METHODS.some((m) => m === clientAuth)) return undefined;
  const clientId = str('client_id');
  if (!clientId) return undefined;
  // The OAuth client's constructor refuses these before any request, on a cache hit too.
  const insecure = bool('allow_insecure_http');
  if (issuer) assertSecureUrl(issuer, insecure, 'issuer');
  if (tokenEndpoint) assertSecureUrl(tokenEndpoint, insecure, 'tokenEndpoint');

  const common: OAuth2CommonOptions = {
    issuer,
    tokenEndpoint,
    clientId,
    scope: str('scope'),
    audience: str('audience'),
    resource: values.resource as string | string[] | undefined,
  };
  const user = grantUser(grant, { ...common, ...written });
  const providerKey = oauth2CacheKey({
    server: (issuer ?? tokenEndpoint)!,
    clientId,
    grant,
    user,
    scope: common.scope,
    audience: common.audience,
    resource: common.resource,
  });
  return { key: `profile:${profile.name}|${providerKey}`, windowMs: window * 1000 };
}

/** The user a grant names in its cache key (the password grant's username), as the registry says. */
function grantUser(grant: GrantName, options: OAuth2CommonOptions & GrantExtras): string | undefined {
  const entry = GRANTS[grant] as { user?: (o: OAuth2CommonOptions & GrantExtras) => string | undefined };
  return entry.user?.(options);
}
