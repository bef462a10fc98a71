/**
 * Grants by name, loaded lazily: a grant's module is imported only when a credential must be
 * obtained, so the CLI answers from a warm cache without loading any grant's code (browser-login
 * server, device poller, ...).
 */
import type { Credential } from '../core/credential.js';
import type { AcquireContext } from '../core/provider.js';
import type { TlsOptions } from '../core/tls.js';
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

/** Secrets a lazy grant provider resolves only when it must talk to the server. */
export interface GrantSecrets {
  /** The client secret, merged into the common options. */
  clientSecret?: string;
  /** Secret grant options (password, refresh token, subject or actor token), merged into `extras`. */
  extras?: GrantExtras;
  /** TLS options (CA bundle, client certificate and key), merged into the common options. */
  tls?: TlsOptions;
  /** The `private_key_jwt` key, merged into the common options. */
  privateKey?: OAuth2CommonOptions['privateKey'];
}

/**
 * A provider of the grant named `grant` (a user's string: an unknown name is `ERR_CONFIG_INVALID`,
 * as is a missing option the grant needs). Its cache key is known at once; the grant's module is
 * imported on the first `acquire`, `refresh` or `revoke`.
 *
 * With `secrets`, the secrets are resolved then too (once), so a cache hit runs no secret command
 * and reads no keyring; `common` and `extras` then hold none, and the needed-options check waits for
 * them. The cache key never depends on a secret.
 */
export function lazyGrantProvider(
  grant: string,
  common: OAuth2CommonOptions,
  extras: GrantExtras = {},
  secrets?: () => Promise<GrantSecrets>,
): OAuth2Provider {
  return new LazyGrantProvider(grantName(grant), common, extras, secrets);
}

/**
 * Stands in for a grant's provider until a credential is needed, then hands every call to it. The
 * cache key comes from the same base class, grant name and user, so it equals the real provider's.
 */
class LazyGrantProvider<G extends GrantName> extends OAuth2Provider {
  readonly grant: G;
  readonly interactive: boolean;
  readonly #options: () => Promise<GrantOptions[G]>;
  readonly #user: string | undefined;
  #provider: Promise<OAuth2Provider> | undefined;

  constructor(
    grant: G,
    common: OAuth2CommonOptions,
    extras: GrantExtras,
    secrets: (() => Promise<GrantSecrets>) | undefined,
  ) {
    super(common);
    const entry = GRANTS[grant];
    this.grant = grant;
    this.interactive = entry.interactive;
    if (secrets) {
      // The user is a plain option (a username), never a secret: the options so far name it.
      this.#user = entry.user?.({ ...common, ...extras } as unknown as GrantOptions[G]);
      this.#options = async () => {
        const s = await secrets();
        const merged = {
          ...common,
          ...(s.clientSecret === undefined ? {} : { clientSecret: s.clientSecret }),
          ...(s.tls === undefined ? {} : { tls: s.tls }),
          ...(s.privateKey === undefined ? {} : { privateKey: s.privateKey }),
        };
        return grantOptions(grant, merged, { ...extras, ...s.extras });
      };
    } else {
      // Checked at once: a missing option is the caller's mistake, reported where it was made.
      const options = grantOptions(grant, common, extras);
      this.#user = entry.user?.(options);
      this.#options = async () => options;
    }
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
    this.#provider ??= Promise.all([loadGrant(this.grant), this.#options()])
      .then(([make, options]) => make(options))
      .catch((err: unknown) => {
        // A failed import or secret may succeed later (a file being replaced): do not keep the failure.
        this.#provider = undefined;
        throw err;
      });
    return this.#provider;
  }
}
