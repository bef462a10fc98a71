import { type Command, Option } from 'commander';
import { GRANT_NAMES } from 'tokensmith/internal/oauth2/grant-registry.js';
import { CLIENT_AUTH_METHODS } from 'tokensmith/internal/oauth2/options.js';
import { tlsFlags } from './tls-flags.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * OAuth 2 flags for using the engine without a profile. Secrets only by environment or stdin. The
 * grant is checked against the grant registry when the command runs (an unknown one is
 * `ERR_CONFIG_INVALID`, as in a profile), so no list of grants is kept here.
 */
export function adhocOAuth(cmd: Command): Command {
  return tlsFlags(
    cmd
      .option('--issuer <url>', 'issuer URL (endpoints are discovered)')
      .option('--token-endpoint <url>', 'token endpoint, when there is no discovery')
      .option(
        '--grant <grant>',
        `grant: ${GRANT_NAMES.join(', ')} (default: password with --username, else client_credentials)`,
      )
      .option('--client-id <id>', 'client id')
      .option('--client-secret-env <VAR>', 'environment variable holding the client secret')
      .option('--client-secret-stdin', 'read the client secret from standard input')
      .addOption(new Option('--client-auth <method>', 'client authentication').choices(CLIENT_AUTH_METHODS))
      .option(
        '--private-key-file <path>',
        'private key for private_key_jwt: a PEM file or a private JWK (JSON)',
      )
      .option('--username <name>', 'user for the password grant')
      .option(
        '--password-env <VAR>',
        'environment variable holding the password (default TOKENSMITH_PASSWORD)',
      )
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
      .option('--subject-token-file <path>', 'file whose first line is the token to exchange')
      .option('--subject-token-profile <name>', "exchange this profile's token (obtained or cached as usual)")
      .option('--scope <scopes>', 'space- or comma-separated scopes')
      .option('--audience <aud>', 'audience parameter')
      .option('--resource <uri>', 'resource indicator, RFC 8707 (repeatable)', collect, [])
      .option(
        '--auth-param <name=value>',
        'extra authorization request parameter for a browser login, e.g. prompt=login (repeatable)',
        collect,
        [],
      )
      .option('--dpop', 'bind the token to a DPoP key (RFC 9449); requests then carry a fresh proof each'),
  ).option(
    '--allow-insecure-http',
    'allow plain http to a non-loopback host (credentials travel in the clear)',
  );
}
