/**
 * Profile → credential source: the provider or signer a profile describes, with its secrets
 * resolved from their references, wrapped in a TokenManager on the profile's cache.
 */
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider, RequestSigner } from 'tokensmith/internal/core/provider.js';
import { parseSessionType } from 'tokensmith/internal/kaltura/session-type.js';
import { issuerUrl } from 'tokensmith/internal/keycloak/issuer.js';
import {
  defaultGrant,
  type GrantExtras,
  grantTakes,
  isGrantName,
  missingGrantOptions,
  unknownGrant,
} from 'tokensmith/internal/oauth2/grant-registry.js';
import type { GrantSecrets } from 'tokensmith/internal/oauth2/load-grant.js';
import { CLIENT_AUTH_METHODS, type OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import { personGate } from '../person.js';
import { lazyProvider, UNRESOLVED_SECRET } from './lazy-provider.js';
import type { Profile } from './profiles.js';
import { isSecretRef, resolveSecretRef } from './secret-ref.js';
import { userFileCache } from './user-cache.js';

/** Hooks for the interactive grants, supplied by the CLI (device prompt screen, browser opener). */
export interface InteractiveHooks {
  onDevicePrompt?: (prompt: {
    verificationUri: string;
    verificationUriComplete?: string;
    userCode: string;
    expiresIn: number;
  }) => void | Promise<void>;
  onDevicePending?: (info: { secondsLeft: number; interval: number }) => void;
  /** The device login ended (see `DeviceCodeOptions.onEnd`). */
  onDeviceEnd?: (outcome: 'approved' | 'failed') => void;
  openBrowser?: (url: string) => void | Promise<void>;
  /** Why no person can answer a login now (see person.ts): a device or browser login then fails at once. */
  noPerson?: string;
}

/** What a profile opens: a TokenManager over its provider, or a per-request signer (Kalliope). */
export type ProfileSource =
  | { kind: 'manager'; name: string; manager: TokenManager; cache: CredentialCache; close(): Promise<void> }
  | { kind: 'signer'; name: string; signer: RequestSigner; close(): Promise<void> };

/** Options of {@link openProfile}. */
export interface OpenProfileOptions extends InteractiveHooks {
  /** Override the profile's cache (e.g. `--no-cache` → a MemoryCache). */
  cache?: CredentialCache;
  /** Environment for `KALTURA_SESSION` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Cache key prefix of a profile's entries; {@link profileOfKey} reads the name back. */
export function profileKeyPrefix(name: string): string {
  return `profile:${name}|`;
}

/** The profile a cache key belongs to, or undefined for a key not made by a profile (ad hoc). */
export function profileOfKey(key: string): string | undefined {
  return /^profile:([^|]*)\|/.exec(key)?.[1];
}

/**
 * Build the credential source a profile describes. Secrets are resolved only when a credential must
 * be obtained (a cache miss, a refresh, a revocation), never for a cached credential.
 */
export async function openProfile(
  profile: Profile,
  options: OpenProfileOptions = {},
): Promise<ProfileSource> {
  const v = new ProfileValues(profile);
  if (profile.type === 'kalliope') {
    const { signer } = await import('tokensmith/internal/kalliope/signer.js');
    const s = signer({
      url: v.str('url')!,
      username: v.str('username'),
      password: await v.secret('password'),
      domain: v.str('domain'),
      allowInsecureHttp: v.bool('allow_insecure_http'),
    });
    return { kind: 'signer', name: profile.name, signer: s, close: async () => {} };
  }
  const provider = await buildProvider(profile, v, options);
  const cache = options.cache ?? cacheFor(profile, v);
  const manager = new TokenManager(provider, {
    cache,
    key: `${profileKeyPrefix(profile.name)}${provider.cacheKey}`,
    refreshWindowSeconds: v.num('refresh_window_seconds'),
  });
  return { kind: 'manager', name: profile.name, manager, cache, close: () => closeCache(cache) };
}

/** The cache a profile asks for: `file` (default), `memory` or `redis` (with `redis_url`). */
export function cacheFor(profile: Profile, v = new ProfileValues(profile)): CredentialCache {
  const kind = v.str('cache') ?? 'file';
  switch (kind) {
    case 'file':
      return userFileCache();
    case 'memory':
      return new MemoryCache();
    case 'redis': {
      const url = v.str('redis_url');
      if (!url) throw v.invalid('cache', 'cache = "redis" needs redis_url');
      return new RedisCache({ url, fallbackOnError: v.bool('redis_fallback') });
    }
    default:
      throw v.invalid('cache', `cache must be file, memory or redis (got "${kind}")`);
  }
}

/** Close a cache that holds connections (Redis); others need nothing. */
export async function closeCache(cache: CredentialCache): Promise<void> {
  const closable = cache as { close?: () => Promise<void> };
  if (typeof closable.close === 'function') await closable.close();
}

async function buildProvider(
  profile: Profile,
  v: ProfileValues,
  hooks: OpenProfileOptions,
): Promise<Provider> {
  switch (profile.type) {
    case 'oauth2':
    case 'keycloak':
      return oauthProvider(profile, v, hooks);
    case 'kaltura-app-token':
    case 'kaltura-admin': {
      // Built twice: at once with placeholder secrets, for the cache key (which never depends on a
      // secret's value), and for real only when a credential must be obtained.
      const type = profile.type;
      const placeholder = async (key: string) => (v.has(key) ? UNRESOLVED_SECRET : undefined);
      const head = await kalturaProvider(type, v, hooks, placeholder);
      return lazyProvider(head, () => kalturaProvider(type, v, hooks, (key) => v.secret(key)));
    }
    default:
      throw v.invalid('type', `profile type "${profile.type}" has no token provider`);
  }
}

/** The provider of a Kaltura profile, with its secrets read by `secret`. */
async function kalturaProvider(
  type: 'kaltura-app-token' | 'kaltura-admin',
  v: ProfileValues,
  hooks: OpenProfileOptions,
  secret: (key: string) => Promise<string | undefined>,
): Promise<Provider> {
  if (type === 'kaltura-admin') {
    const { adminSession } = await import('tokensmith/internal/kaltura/admin-session.js');
    return adminSession({
      serviceUrl: v.str('service_url'),
      partnerId: v.num('partner_id')!,
      adminSecret: (await secret('admin_secret'))!,
      userId: v.str('user_id'),
      type: v.sessionType(),
      expiry: v.num('expiry'),
      privileges: v.str('privileges'),
      local: v.bool('local'),
      allowInsecureHttp: v.bool('allow_insecure_http'),
    });
  }
  const { appTokenSession, APP_TOKEN_HASH_TYPES } = await import(
    'tokensmith/internal/kaltura/app-token-session.js'
  );
  const env = hooks.env ?? process.env;
  return appTokenSession({
    serviceUrl: v.str('service_url')!,
    partnerId: v.num('partner_id')!,
    appTokenId: v.str('app_token_id')!,
    appToken: (await secret('app_token'))!,
    hashType: v.oneOf('hash_type', APP_TOKEN_HASH_TYPES),
    userId: v.str('user_id'),
    type: v.sessionType(),
    expiry: v.num('expiry'),
    sessionPrivileges: v.str('privileges'),
    ks: (await secret('ks')) ?? (env.KALTURA_SESSION || undefined),
    allowInsecureHttp: v.bool('allow_insecure_http'),
  });
}

/** Profile keys of the grant options a profile can set, by option name (the registry's vocabulary). */
const GRANT_KEYS: ReadonlyMap<keyof GrantExtras, string> = new Map<keyof GrantExtras, string>([
  ['username', 'username'],
  ['password', 'password'],
  ['refreshToken', 'refresh_token'],
  ['subjectToken', 'subject_token'],
  ['subjectTokenType', 'subject_token_type'],
  ['actorToken', 'actor_token'],
  ['actorTokenType', 'actor_token_type'],
  ['requestedTokenType', 'requested_token_type'],
  ['redirectPort', 'redirect_port'],
]);

async function oauthProvider(profile: Profile, v: ProfileValues, hooks: InteractiveHooks): Promise<Provider> {
  const grant = v.str('grant') ?? defaultGrant(v.has('username'));
  if (!isGrantName(grant)) throw v.invalid('grant', unknownGrant(grant).message);
  // Before any secret is resolved: a key meant for another grant is a mistake, not something to ignore.
  for (const [option, key] of GRANT_KEYS) {
    if (v.has(key) && !grantTakes(grant, option)) {
      throw v.invalid(key, `key "${key}" does not apply to grant "${grant}"`);
    }
  }
  // Secrets are resolved on the first acquire, refresh or revoke, never on a cache hit.
  const extras: GrantExtras = {
    username: v.str('username'),
    subjectTokenType: v.str('subject_token_type'),
    actorTokenType: v.str('actor_token_type'),
    requestedTokenType: v.str('requested_token_type'),
    redirectPort: v.num('redirect_port'),
    onPrompt: hooks.onDevicePrompt,
    onPending: hooks.onDevicePending,
    onEnd: hooks.onDeviceEnd,
    openBrowser: hooks.openBrowser,
  };
  const secrets = async (): Promise<GrantSecrets> => ({
    clientSecret: await v.secret('client_secret'),
    extras: {
      password: await v.secret('password'),
      refreshToken: await v.secret('refresh_token'),
      subjectToken: await v.secret('subject_token'),
      actorToken: await v.secret('actor_token'),
    },
  });
  // What the grant needs is checked now, on the written values: a reference counts as given.
  const written: GrantExtras = {
    ...extras,
    password: v.str('password'),
    refreshToken: v.str('refresh_token'),
    subjectToken: v.str('subject_token'),
    actorToken: v.str('actor_token'),
  };
  const missing = missingGrantOptions(grant, written).map((option) => GRANT_KEYS.get(option) ?? option);
  if (missing[0]) throw v.invalid(missing[0], `grant "${grant}" needs ${missing.join(' and ')}`);
  const tokenEndpoint = v.str('token_endpoint');
  let issuer = v.str('issuer');
  if (profile.type === 'keycloak') {
    issuer = issuerUrl(v.str('base_url')!, v.str('realm')!, v.bool('legacy_auth_prefix'));
  } else if (!tokenEndpoint && !issuer) {
    throw v.invalid('issuer', 'give issuer or token_endpoint');
  }
  const common: OAuth2CommonOptions = {
    issuer,
    tokenEndpoint,
    revocationEndpoint: v.str('revocation_endpoint'),
    clientId: v.str('client_id')!,
    clientAuth: v.oneOf('client_auth', CLIENT_AUTH_METHODS),
    scope: v.str('scope'),
    audience: v.str('audience'),
    resource: v.strs('resource'),
    allowInsecureHttp: v.bool('allow_insecure_http'),
  };
  // The grant's module is imported only when a credential must be obtained, not on a cache hit.
  const { lazyGrantProvider } = await import('tokensmith/internal/oauth2/load-grant.js');
  return personGate(lazyGrantProvider(grant, common, extras, secrets), grant, hooks.noPerson);
}

/** Typed reads of a validated profile's values, with file:line in every error. */
class ProfileValues {
  constructor(readonly profile: Profile) {}

  has(key: string): boolean {
    return Object.hasOwn(this.profile.values, key);
  }

  str(key: string): string | undefined {
    const value = this.profile.values[key];
    return typeof value === 'string' ? value : undefined;
  }

  strs(key: string): string | string[] | undefined {
    const value = this.profile.values[key];
    return typeof value === 'string' || Array.isArray(value) ? value : undefined;
  }

  num(key: string): number | undefined {
    const value = this.profile.values[key];
    return typeof value === 'number' ? value : undefined;
  }

  bool(key: string): boolean | undefined {
    const value = this.profile.values[key];
    return typeof value === 'boolean' ? value : undefined;
  }

  /** A string that must be one of `allowed`, typed as such. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const text = this.str(key);
    if (text === undefined) return undefined;
    const found = allowed.find((a) => a === text);
    if (found === undefined) {
      throw this.invalid(key, `${key} must be one of ${allowed.join(', ')} (got "${text}")`);
    }
    return found;
  }

  sessionType(): number | undefined {
    const text = this.str('session_type');
    const type = parseSessionType(text);
    if (text !== undefined && type === undefined) {
      throw this.invalid('session_type', `session_type must be USER or ADMIN (got "${text}")`);
    }
    return type;
  }

  /** A secret: a reference is resolved; a literal was already allowed (private file) by parseConfig. */
  async secret(key: string): Promise<string | undefined> {
    const value = this.str(key);
    if (value === undefined) return undefined;
    if (!isSecretRef(value)) return value;
    return resolveSecretRef(value, { file: this.profile.file, line: this.profile.lines[key], key });
  }

  invalid(key: string, message: string): TokensmithError {
    const line = this.profile.lines[key];
    return new TokensmithError(
      'ERR_CONFIG_INVALID',
      `${this.profile.file}${line ? `:${line}` : ''}: profile "${this.profile.name}": ${message}`,
      { field: key, source: 'config file' },
    );
  }
}
