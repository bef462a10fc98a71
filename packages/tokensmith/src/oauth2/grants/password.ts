import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import { TokensmithError } from '../../core/errors.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { OAuth2Provider } from '../base-provider.js';
import { commonTokenParams, type OAuth2CommonOptions } from '../options.js';

/** Options of {@link password}. */
export interface PasswordOptions extends OAuth2CommonOptions {
  username: string;
  /** The password, or a function returning it (read from a vault or prompt when needed). */
  password: string | (() => string | Promise<string>);
}

/**
 * Resource owner password grant (RFC 6749 §4.3), as Keycloak's direct access grants. Deprecated by
 * OAuth 2.1, still what many operator APIs document (seed 003).
 */
export class PasswordProvider extends OAuth2Provider {
  readonly grant = 'password';
  readonly #username: string;
  readonly #password: PasswordOptions['password'];

  constructor(options: PasswordOptions) {
    const { username, password, ...common } = options;
    super(common);
    if (!username)
      throw new TokensmithError('ERR_CONFIG_INVALID', 'username is required for the password grant');
    if (typeof password === 'string') registerSecret(password);
    this.#username = username;
    this.#password = password;
  }

  protected override get user(): string {
    return this.#username;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    const password = typeof this.#password === 'function' ? await this.#password() : this.#password;
    registerSecret(password);
    const params = commonTokenParams(this.client.options);
    params.set('username', this.#username);
    params.set('password', password);
    const { tokens, timing } = await this.client.exchange(
      (as, auth, opts) =>
        oauth.genericTokenEndpointRequest(as, this.client.client, auth, 'password', params, opts),
      (as, response) => oauth.processGenericTokenEndpointResponse(as, this.client.client, response),
      ctx.signal,
    );
    return this.client.toCredential(tokens, timing, { grant: this.grant, user: this.#username });
  }
}

/** A provider for the password grant. */
export function password(options: PasswordOptions): PasswordProvider {
  return new PasswordProvider(options);
}
