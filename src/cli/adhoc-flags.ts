import { type Command, Option } from 'commander';

/** OAuth 2 flags for using the engine without a profile. Secrets only by environment or stdin. */
export function adhocOAuth(cmd: Command): Command {
  return cmd
    .option('--issuer <url>', 'issuer URL (endpoints are discovered)')
    .option('--token-endpoint <url>', 'token endpoint, when there is no discovery')
    .addOption(
      new Option('--grant <grant>', 'grant type').choices([
        'client_credentials',
        'password',
        'device_code',
        'authorization_code',
      ]),
    )
    .option('--client-id <id>', 'client id')
    .option('--client-secret-env <VAR>', 'environment variable holding the client secret')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .addOption(
      new Option('--client-auth <method>', 'client authentication').choices([
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]),
    )
    .option('--username <name>', 'user for the password grant')
    .option('--password-env <VAR>', 'environment variable holding the password (default TOKENSMITH_PASSWORD)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--scope <scopes>', 'space- or comma-separated scopes')
    .option('--audience <aud>', 'audience parameter')
    .option(
      '--allow-insecure-http',
      'allow plain http to a non-loopback host (credentials travel in the clear)',
    );
}
