/**
 * Profile → credential source: the provider or signer a profile describes, with its secrets
 * resolved from their references, wrapped in a TokenManager on the profile's cache.
 */

import type { JWK } from 'jose';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import type { FetchLike } from 'tokensmith/internal/core/http.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { Provider, RequestSigner } from 'tokensmith/internal/core/provider.js';
import type { TlsOptions } from 'tokensmith/internal/core/tls.js';
import { lazyTlsFetch } from 'tokensmith/internal/core/tls-lazy.js';
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
import {
  CLIENT_AUTH_METHODS,
  checkAuthorizationParams,
  type OAuth2CommonOptions,
} from 'tokensmith/internal/oauth2/options.js';
import { personGate } from '../person.js';
import { GRANT_KEYS } from './grant-keys.js';
import { lazyProvider, UNRESOLVED_SECRET } from './lazy-provider.js';
import { profileRefName } from './profile-token.js';
import type { Profile } from './profiles.js';
import { isSecretRef, resolveSecretRef } from './secret-ref.js';
import { readPemFile } from './tls-files.js';
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
  | {
      kind: 'manager';
      name: string;
      manager: TokenManager;
      cache: CredentialCache;
      /** The fetch for the API when the profile has TLS settings (its CA, its client certificate). */
      fetch?: FetchLike;
      /** The profile's TLS settings (read on the first call), for the proxy's upstream. */
      tls?: () => Promise<TlsOptions>;
      close(): Promise<void>;
    }
  | {
      kind: 'signer';
      name: string;
      signer: RequestSigner;
      /** The fetch for the PBX when the profile has TLS settings (its CA, its client certificate). */
      fetch?: FetchLike;
      /** The profile's TLS settings (read on the first call), for the proxy's upstream. */
      tls?: () => Promise<TlsOptions>;
      close(): Promise<void>;
    };

/** Options of {@link openProfile}. */
export interface OpenProfileOptions extends InteractiveHooks {
  /** Override the profile's cache (e.g. `--no-cache` → a MemoryCache). */
  cache?: CredentialCache;
  /** Environment for `KALTURA_SESSION` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Profiles whose `profile:NAME` token reference led here, outermost first (to refuse a loop). */
  via?: readonly string[];
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
  // TLS files are read on the first request, like secrets: a cache hit reads none.
  const tls = v.tls();
  // Requests to the API use the same CA and client certificate (certificate-bound tokens, RFC 8705).
  const fetch = tls ? lazyTlsFetch(tls) : undefined;
  if (profile.type === 'kalliope') {
    const { signer } = await import('tokensmith/internal/kalliope/signer.js');
    const s = signer({
      url: v.str('url')!,
      username: v.str('username'),
      password: await v.secret('password'),
      domain: v.str('domain'),
      allowInsecureHttp: v.bool('allow_insecure_http'),
      fetch,
    });
    return { kind: 'signer', name: profile.name, signer: s, fetch, tls, close: async () => {} };
  }
  const provider = await buildProvider(profile, v, { ...options, fetch }, tls);
  const cache = options.cache ?? cacheFor(profile, v);
  const manager = new TokenManager(provider, {
    cache,
    key: `${profileKeyPrefix(profile.name)}${provider.cacheKey}`,
    refreshWindowSeconds: v.num('refresh_window_seconds'),
  });
  return { kind: 'manager', name: profile.name, manager, cache, fetch, tls, close: () => closeCache(cache) };
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
  hooks: OpenProfileOptions & { fetch?: FetchLike },
  tls: (() => Promise<TlsOptions>) | undefined,
): Promise<Provider> {
  switch (profile.type) {
    case 'oauth2':
    case 'keycloak':
      return oauthProvider(profile, v, hooks, tls);
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
  hooks: OpenProfileOptions & { fetch?: FetchLike },
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
      fetch: hooks.fetch,
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
    fetch: hooks.fetch,
  });
}

async function oauthProvider(
  profile: Profile,
  v: ProfileValues,
  hooks: OpenProfileOptions,
  tls: (() => Promise<TlsOptions>) | undefined,
): Promise<Provider> {
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
    authorizationParams: v.authParams(),
    onPrompt: hooks.onDevicePrompt,
    onPending: hooks.onDevicePending,
    onEnd: hooks.onDeviceEnd,
    openBrowser: hooks.openBrowser,
  };
  const clientAuth = v.oneOf('client_auth', CLIENT_AUTH_METHODS);
  if (clientAuth?.endsWith('tls_client_auth') && !v.has('client_cert')) {
    throw v.invalid('client_auth', `client_auth "${clientAuth}" needs client_cert and client_key`);
  }
  if (clientAuth === 'private_key_jwt' && !v.has('private_key')) {
    throw v.invalid('client_auth', 'client_auth "private_key_jwt" needs private_key');
  }
  // `profile:NAME`: another profile's token, obtained when the exchange runs; else a secret.
  const tokenOrSecret = async (key: string): Promise<string | undefined> => {
    const name = profileRefName(v.str(key));
    if (name === undefined) return v.secret(key);
    const { profileToken } = await import('./profile-token.js');
    const via = [...(hooks.via ?? []), profile.name];
    return profileToken(name, { config: profile.file, via, hooks: { ...hooks, via } });
  };
  const secrets = async (): Promise<GrantSecrets> => ({
    tls: await tls?.(),
    privateKey: await v.privateKey(),
    clientSecret: await v.secret('client_secret'),
    extras: {
      password: await v.secret('password'),
      refreshToken: await v.secret('refresh_token'),
      subjectToken: await tokenOrSecret('subject_token'),
      actorToken: await tokenOrSecret('actor_token'),
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
    clientAuth,
    scope: v.str('scope'),
    audience: v.str('audience'),
    resource: v.strs('resource'),
    allowInsecureHttp: v.bool('allow_insecure_http'),
    dpop: v.bool('dpop'),
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

  /** `auth_params`: extra authorization request parameters; a reserved name is refused here. */
  authParams(): Record<string, string> | undefined {
    const value = this.profile.values.auth_params;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    try {
      checkAuthorizationParams(value);
    } catch (err) {
      throw this.invalid('auth_params', (err as Error).message);
    }
    return value;
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

  /**
   * The profile's TLS settings, read on the first call (and again after a failure), or undefined
   * when it has none: `ca_file` and `client_cert` are PEM files, `client_key` a PEM file or a secret
   * reference (`file:` and `cmd:` keep every line), `client_key_passphrase` a secret.
   */
  tls(): (() => Promise<TlsOptions>) | undefined {
    const keys = ['ca_file', 'client_cert', 'client_key'];
    if (!keys.some((key) => this.has(key))) return undefined;
    if (this.has('client_cert') !== this.has('client_key')) {
      throw this.invalid(
        this.has('client_cert') ? 'client_cert' : 'client_key',
        'client_cert and client_key go together',
      );
    }
    let read: Promise<TlsOptions> | undefined;
    return () => {
      read ??= this.#readTls().catch((err: unknown) => {
        read = undefined;
        throw err;
      });
      return read;
    };
  }

  /** The `private_key` (PEM or JWK; a `file:` or `cmd:` reference keeps every line), parsed. */
  async privateKey(): Promise<JWK | undefined> {
    const value = this.str('private_key');
    if (value === undefined) return undefined;
    const text = isSecretRef(value)
      ? await resolveSecretRef(
          value,
          { file: this.profile.file, line: this.profile.lines.private_key, key: 'private_key' },
          { multiline: true },
        )
      : value;
    const { parsePrivateKey } = await import('tokensmith/internal/oauth2/private-key.js');
    try {
      return parsePrivateKey(text);
    } catch (err) {
      throw this.invalid('private_key', (err as Error).message);
    }
  }

  async #readTls(): Promise<TlsOptions> {
    const pem = async (key: string, what: string) => {
      const value = this.str(key);
      if (value === undefined) return undefined;
      if (key === 'client_key' && isSecretRef(value)) {
        return resolveSecretRef(
          value,
          { file: this.profile.file, line: this.profile.lines[key], key },
          { multiline: true },
        );
      }
      return readPemFile(value, what).catch((err: TokensmithError) => {
        throw this.invalid(key, err.message);
      });
    };
    const [ca, cert, key] = await Promise.all([
      pem('ca_file', 'CA bundle'),
      pem('client_cert', 'client certificate'),
      pem('client_key', 'client key'),
    ]);
    return { ca, cert, key, passphrase: await this.secret('client_key_passphrase') };
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
