import type { Credential } from '../../core/credential.js';
import { isTokensmithError, TokensmithError } from '../../core/errors.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { OAuth2Provider } from '../base-provider.js';
import type { OAuth2CommonOptions } from '../options.js';

/** Options of {@link refreshToken}. */
export interface RefreshTokenOptions extends OAuth2CommonOptions {
  /** A refresh token obtained elsewhere (an offline token, a token from another tool). */
  refreshToken: string;
}

/**
 * Starts from a refresh token obtained elsewhere. When the server no longer accepts it, only a
 * person can get a new one, so it behaves as an interactive grant: `ERR_LOGIN_REQUIRED`.
 */
export class RefreshTokenProvider extends OAuth2Provider {
  readonly grant = 'refresh_token';
  readonly interactive = true;
  readonly #refreshToken: string;

  constructor(options: RefreshTokenOptions) {
    const { refreshToken, ...common } = options;
    super(common);
    if (!refreshToken) throw new TokensmithError('ERR_CONFIG_INVALID', 'refreshToken is required');
    registerSecret(refreshToken);
    this.#refreshToken = refreshToken;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    try {
      return await this.refresh({ refreshToken: this.#refreshToken, subject: undefined }, ctx);
    } catch (err) {
      if (isTokensmithError(err, 'ERR_OAUTH_INVALID_GRANT')) {
        throw new TokensmithError(
          'ERR_LOGIN_REQUIRED',
          'the configured refresh token is no longer accepted',
          {
            cause: err,
            status: err.status,
          },
        );
      }
      throw err;
    }
  }
}

/** A provider that starts from a refresh token. */
export function refreshToken(options: RefreshTokenOptions): RefreshTokenProvider {
  return new RefreshTokenProvider(options);
}
