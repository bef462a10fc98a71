import { type Command, Option } from 'commander';
import { GRANT_NAMES } from 'tokensmith/internal/oauth2/grant-registry.js';
import { CLIENT_AUTH_METHODS } from 'tokensmith/internal/oauth2/options.js';

/**
 * OAuth 2 flags for using the engine without a profile. Secrets only by environment or stdin. The
 * grant is checked against the grant registry when the command runs (an unknown one is
 * `ERR_CONFIG_INVALID`, as in a profile), so no list of grants is kept here.
 */
export function adhocOAuth(cmd: Command): Command {
  return cmd
    .option('--issuer <url>', 'issuer URL (endpoints are discovered)')
    .option('--token-endpoint <url>', 'token endpoint, when there is no discovery')
    .option(
      '--grant <grant>',
      `grant: ${GRANT_NAMES.join(', ')} (default: password with --username, else client_credentials)`,
    )
    .option('--client-id <id>', 'client id')
    .option('--client-secret-env <VAR>', 'environment variable holding the client secret')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .addOption(
      new Option('--client-auth <method>', 'client authentication').choices(
        // private_key_jwt needs a key, which only the library and profiles can give.
        CLIENT_AUTH_METHODS.filter((method) => method !== 'private_key_jwt'),
      ),
    )
    .option('--username <name>', 'user for the password grant')
    .option('--password-env <VAR>', 'environment variable holding the password (default TOKENSMITH_PASSWORD)')
    .option('--password-stdin', 'read the password from standard input')
    .option(
      '--refresh-token-env <VAR>',
      'environment variable holding the refresh token (grant refresh_token)',
    )
    .option('--refresh-token-stdin', 'read the refresh token from standard input')
    .option(
      '--subject-token-env <VAR>',
      'environment variable holding the token to exchange (grant token_exchange)',
    )
    .option('--subject-token-stdin', 'read the token to exchange from standard input')
    .option('--scope <scopes>', 'space- or comma-separated scopes')
    .option('--audience <aud>', 'audience parameter')
    .option(
      '--allow-insecure-http',
      'allow plain http to a non-loopback host (credentials travel in the clear)',
    );
}
