import { type Command, Option } from 'commander';
import { adhocOAuth } from './adhoc-flags.js';
import { registerKalliopeCommands } from './register-kalliope.js';
import { registerKalturaCommands } from './register-kaltura.js';
import { TOKEN_FORMATS } from './token-format.js';

/** Declares every command; each action imports its module only when it runs. */
export function registerCoreCommands(program: Command): void {
  adhocOAuth(
    program
      .command('token')
      .description('print a valid access token (and nothing else) on stdout')
      .addOption(new Option('--format <format>', 'output format').choices([...TOKEN_FORMATS]).default('raw'))
      .option('--force-refresh', 'renew even if the cached token is still valid')
      .option('--no-cache', 'do not read or write the file cache ($XDG_CACHE_HOME/tokensmith)'),
  ).action(async (opts) => (await import('./commands/token.js')).tokenCommand(opts));

  const emulate = program.command('emulate').description('run a local emulator of an auth server');
  emulate
    .command('oidc')
    .description('OpenID provider (oidc-provider) with password, client credentials, device and PKCE flows')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--realm <realm>', 'serve under /realms/<realm> like Keycloak')
    .option('--access-token-ttl <seconds>', 'access token lifetime', '300')
    .action(async (opts) => (await import('./commands/emulate.js')).emulateOidc(opts));

  program
    .command('demo')
    .description('run every flow against the built-in emulators and print a summary table')
    .option('--json', 'print the results as JSON')
    .action(async (opts) => (await import('./commands/demo.js')).demoCommand(opts));

  registerKalturaCommands(program);
  registerKalliopeCommands(program);
}
