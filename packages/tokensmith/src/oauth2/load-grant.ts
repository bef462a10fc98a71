/**
 * Grants by name, loaded lazily: a grant's module is imported only when a credential must be
 * obtained, so the CLI answers from a warm cache without loading any grant's code (browser-login
 * server, device poller, ...).
 */
import type { Credential } from '../core/credential.js';
import type { AcquireContext } from '../core/provider.js';
import { OAuth2Provider } from './base-provider.js';
import {
  GRANTS,
  type GrantExtras,
  type GrantFactory,
  type GrantName,
  type GrantOptions,
  grantName,
  grantOptions,
} from './grant-registry.js';
import type { OAuth2CommonOptions } from './options.js';

/** The provider factory of one grant, importing only that grant's module. An unknown name is `ERR_CONFIG_INVALID`. */
export async function loadGrant<G extends GrantName>(grant: G): Promise<GrantFactory<G>> {
  // Checked at run time too: the name may come from JavaScript or a config file.
  grantName(grant);
  return GRANTS[grant].load();
}

/**
 * A provider of the grant named `grant` (a user's string: an unknown name is `ERR_CONFIG_INVALID`,
 * as is a missing option the grant needs). Its cache key is known at once; the grant's module is
 * imported on the first `acquire`, `refresh` or `revoke`.
 */
export function lazyGrantProvider(
  grant: string,
  common: OAuth2CommonOptions,
  extras: GrantExtras = {},
): OAuth2Provider {
  return lazy(grantName(grant), common, extras);
}

function lazy<G extends GrantName>(grant: G, common: OAuth2CommonOptions, extras: GrantExtras) {
  return new LazyGrantProvider(grant, grantOptions(grant, common, extras));
}

/**
 * Stands in for a grant's provider until a credential is needed, then hands every call to it. The
 * cache key comes from the same base class, grant name and user, so it equals the real provider's.
 */
class LazyGrantProvider<G extends GrantName> extends OAuth2Provider {
  readonly grant: G;
  readonly interactive: boolean;
  readonly #options: GrantOptions[G];
  readonly #user: string | undefined;
  #provider: Promise<OAuth2Provider> | undefined;

  constructor(grant: G, options: GrantOptions[G]) {
    super(options);
    const entry = GRANTS[grant];
    this.grant = grant;
    this.interactive = entry.interactive;
    this.#options = options;
    this.#user = entry.user?.(options);
  }

  protected override get user(): string | undefined {
    return this.#user;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    return (await this.#loaded()).acquire(ctx);
  }

  override async refresh(
    previous: Pick<Credential, 'refreshToken' | 'subject'>,
    ctx: AcquireContext,
  ): Promise<Credential> {
    return (await this.#loaded()).refresh(previous, ctx);
  }

  override async revoke(credential: Credential): Promise<void> {
    return (await this.#loaded()).revoke(credential);
  }

  #loaded(): Promise<OAuth2Provider> {
    this.#provider ??= loadGrant(this.grant).then(
      (make) => make(this.#options),
      (err: unknown) => {
        // A failed import may succeed later (a file being replaced): do not keep the failure.
        this.#provider = undefined;
        throw err;
      },
    );
    return this.#provider;
  }
}
