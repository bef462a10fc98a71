import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import type { AcquireContext } from '../../core/provider.js';
import { OAuth2Provider } from '../base-provider.js';
import { commonTokenParams, type OAuth2CommonOptions } from '../options.js';

/** Options of {@link clientCredentials}. */
export type ClientCredentialsOptions = OAuth2CommonOptions;

/** Client credentials grant (RFC 6749 §4.4): the client acts on its own behalf. */
export class ClientCredentialsProvider extends OAuth2Provider {
  readonly grant = 'client_credentials';

  async acquire(ctx: AcquireContext): Promise<Credential> {
    const params = commonTokenParams(this.client.options);
    const { tokens, timing } = await this.client.exchange(
      (as, auth, opts) => oauth.clientCredentialsGrantRequest(as, this.client.client, auth, params, opts),
      (as, response) => oauth.processClientCredentialsResponse(as, this.client.client, response),
      ctx.signal,
    );
    return this.client.toCredential(tokens, timing, { grant: this.grant });
  }
}

/** A provider for the client credentials grant. */
export function clientCredentials(options: ClientCredentialsOptions): ClientCredentialsProvider {
  return new ClientCredentialsProvider(options);
}
