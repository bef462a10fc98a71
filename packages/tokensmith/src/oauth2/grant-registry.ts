/**
 * The one list of OAuth 2 grants: each grant's name, its factory (imported only when used), and the
 * options it needs and takes beyond the common ones. Profiles, the CLI's ad hoc flags, the Keycloak
 * preset and the lazy loader all read it, so a grant exists everywhere or nowhere.
 *
 * Only types come from the grant modules here: importing this file loads no grant code.
 */
import { TokensmithError } from '../core/errors.js';
import type { OAuth2Provider } from './base-provider.js';
import type { AuthorizationCodeOptions } from './grants/authorization-code.js';
import type { ClientCredentialsOptions } from './grants/client-credentials.js';
import type { DeviceCodeOptions } from './grants/device-code.js';
import type { PasswordOptions } from './grants/password.js';
import type { RefreshTokenOptions } from './grants/refresh-token.js';
import type { TokenExchangeOptions } from './grants/token-exchange.js';
import type { OAuth2CommonOptions } from './options.js';

/** Each grant's options, by the grant's name. */
export interface GrantOptions {
  client_credentials: ClientCredentialsOptions;
  password: PasswordOptions;
  device_code: DeviceCodeOptions;
  authorization_code: AuthorizationCodeOptions;
  refresh_token: RefreshTokenOptions;
  token_exchange: TokenExchangeOptions;
}

/** Name of a grant, as profiles (`grant = "…"`), the CLI (`--grant`) and the Keycloak preset spell it. */
export type GrantName = keyof GrantOptions;

/** The provider factory of one grant, e.g. `oauth2.password`. */
export type GrantFactory<G extends GrantName> = (options: GrantOptions[G]) => OAuth2Provider;

/** Every grant's factory, by name: a table checked to hold exactly the registry's grants. */
export type GrantFactories = { readonly [G in keyof GrantOptions]: GrantFactory<G> };

/** An option a grant takes beyond {@link OAuth2CommonOptions}. */
export type GrantOption<G extends GrantName> = Exclude<keyof GrantOptions[G], keyof OAuth2CommonOptions> &
  string;

/** The options of every grant beyond the common ones, all optional: what a caller may hold for any grant. */
export type GrantExtras = Partial<
  Omit<PasswordOptions, keyof OAuth2CommonOptions> &
    Omit<DeviceCodeOptions, keyof OAuth2CommonOptions> &
    Omit<AuthorizationCodeOptions, keyof OAuth2CommonOptions> &
    Omit<RefreshTokenOptions, keyof OAuth2CommonOptions> &
    Omit<TokenExchangeOptions, keyof OAuth2CommonOptions>
>;

/** One grant in the registry. */
export interface GrantEntry<G extends GrantName> {
  /** The grant's factory; its module is imported on the first call. */
  load(): Promise<GrantFactory<G>>;
  /** Options the grant cannot do without (beyond the common ones). */
  needs: readonly GrantOption<G>[];
  /** Every option the grant takes beyond the common ones; anything else in {@link GrantExtras} is not its own. */
  accepts: readonly GrantOption<G>[];
  /**
   * True when only a person can give the grant a new credential: a device approval or a browser
   * login, or (refresh_token) a new token once the configured one is refused. Same as the
   * provider's `interactive`.
   */
  interactive: boolean;
  /** The user the credential belongs to, when the options name one (part of the cache key). */
  user?(options: GrantOptions[G]): string | undefined;
  /** The grant's options: the common ones plus those of `extras` it accepts. Call after the `needs` check. */
  options(common: OAuth2CommonOptions, extras: GrantExtras): GrantOptions[G];
}

/** The registry: every grant by name. Its key order is the order names are listed in. */
export const GRANTS: { readonly [G in keyof GrantOptions]: GrantEntry<G> } = {
  client_credentials: {
    load: async () => (await import('./grants/client-credentials.js')).clientCredentials,
    needs: [],
    accepts: [],
    interactive: false,
    options: (common) => common,
  },
  password: {
    load: async () => (await import('./grants/password.js')).password,
    needs: ['username', 'password'],
    accepts: ['username', 'password'],
    interactive: false,
    user: (o) => o.username,
    options: (common, x) => ({
      ...common,
      username: present('password', x, 'username'),
      password: present('password', x, 'password'),
    }),
  },
  device_code: {
    load: async () => (await import('./grants/device-code.js')).deviceCode,
    needs: [],
    accepts: ['onPrompt', 'onPending', 'onEnd', 'defaultInterval'],
    interactive: true,
    options: (common, x) => ({
      ...common,
      onPrompt: x.onPrompt,
      onPending: x.onPending,
      onEnd: x.onEnd,
      defaultInterval: x.defaultInterval,
    }),
  },
  authorization_code: {
    load: async () => (await import('./grants/authorization-code.js')).authorizationCode,
    needs: [],
    accepts: [
      'redirectHost',
      'redirectPort',
      'redirectPath',
      'openBrowser',
      'landingPage',
      'loginTimeoutMs',
      'authorizationParams',
    ],
    interactive: true,
    options: (common, x) => ({
      ...common,
      redirectHost: x.redirectHost,
      redirectPort: x.redirectPort,
      redirectPath: x.redirectPath,
      openBrowser: x.openBrowser,
      landingPage: x.landingPage,
      loginTimeoutMs: x.loginTimeoutMs,
      authorizationParams: x.authorizationParams,
    }),
  },
  refresh_token: {
    load: async () => (await import('./grants/refresh-token.js')).refreshToken,
    needs: ['refreshToken'],
    accepts: ['refreshToken'],
    interactive: true,
    options: (common, x) => ({ ...common, refreshToken: present('refresh_token', x, 'refreshToken') }),
  },
  token_exchange: {
    load: async () => (await import('./grants/token-exchange.js')).tokenExchange,
    needs: ['subjectToken'],
    accepts: ['subjectToken', 'subjectTokenType', 'actorToken', 'actorTokenType', 'requestedTokenType'],
    interactive: false,
    options: (common, x) => ({
      ...common,
      subjectToken: present('token_exchange', x, 'subjectToken'),
      subjectTokenType: x.subjectTokenType,
      actorToken: x.actorToken,
      actorTokenType: x.actorTokenType,
      requestedTokenType: x.requestedTokenType,
    }),
  },
};

/** True when `name` is a grant of the registry. */
export function isGrantName(name: string): name is GrantName {
  return Object.hasOwn(GRANTS, name);
}

/** Every grant name, in the registry's order. */
export const GRANT_NAMES: readonly GrantName[] = Object.keys(GRANTS).filter(isGrantName);

/** The grant when none is named: the password grant for a configured user, else client credentials. */
export function defaultGrant(hasUsername: boolean): GrantName {
  return hasUsername ? 'password' : 'client_credentials';
}

/** `ERR_CONFIG_INVALID` for a grant the registry does not know, naming it and listing the known ones. */
export function unknownGrant(name: unknown): TokensmithError {
  return new TokensmithError(
    'ERR_CONFIG_INVALID',
    `unknown grant ${JSON.stringify(String(name))}; known grants: ${GRANT_NAMES.join(', ')}`,
    { field: 'grant' },
  );
}

/** `name` as a grant name, or {@link unknownGrant} (for callers that hold a string from a user). */
export function grantName(name: unknown): GrantName {
  if (typeof name === 'string' && isGrantName(name)) return name;
  throw unknownGrant(name);
}

/** The options `grant` cannot do without, beyond the common ones. */
export function grantNeeds(grant: GrantName): readonly (keyof GrantExtras)[] {
  return GRANTS[grant].needs;
}

/** The options `grant` needs that `extras` lacks (absent or empty), in the registry's order. */
export function missingGrantOptions(grant: GrantName, extras: GrantExtras): (keyof GrantExtras)[] {
  return grantNeeds(grant).filter((option) => isAbsent(extras[option]));
}

/** True when `grant` takes `option` (a user who set it for another grant has made a mistake). */
export function grantTakes(grant: GrantName, option: keyof GrantExtras): boolean {
  const accepts: readonly string[] = GRANTS[grant].accepts;
  return accepts.includes(option);
}

/**
 * The typed options of `grant`: the common options plus the grant's own from `extras`. A missing
 * needed option is `ERR_CONFIG_INVALID` naming it.
 */
export function grantOptions<G extends GrantName>(
  grant: G,
  common: OAuth2CommonOptions,
  extras: GrantExtras,
): GrantOptions[G] {
  const missing = missingGrantOptions(grant, extras);
  if (missing.length > 0) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `grant "${grant}" needs ${missing.join(' and ')}`, {
      field: missing[0],
    });
  }
  return GRANTS[grant].options(common, extras);
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** `extras[key]`, which the `needs` check has found present; checked again so the type says so. */
function present<K extends keyof GrantExtras>(
  grant: GrantName,
  extras: GrantExtras,
  key: K,
): NonNullable<GrantExtras[K]> {
  const value = extras[key];
  if (value === undefined || value === null || value === '') {
    throw new TokensmithError('ERR_CONFIG_INVALID', `grant "${grant}" needs ${key}`, { field: key });
  }
  return value;
}
