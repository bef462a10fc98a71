import { type Command, Option } from 'commander';
import { adhocOAuth } from './adhoc-flags.js';
import { registerKalliopeCommands } from './register-kalliope.js';
import { registerKalturaCommands } from './register-kaltura.js';
import { TOKEN_FORMATS } from './token-format.js';

/** `--token-type`: which token of the credential (the choices are core/token-type.ts's TOKEN_TYPES). */
function tokenType(): Option {
  return new Option('--token-type <type>', 'which token: the access token or the OpenID ID token')
    .choices(['access', 'id'])
    .default('access');
}

/** Options every credential-using command takes: a profile, or ad-hoc OAuth flags. */
function source(cmd: Command): Command {
  return adhocOAuth(
    cmd
      .option(
        '-p, --profile <name>',
        'profile from the config file (default: TOKENSMITH_PROFILE or default_profile)',
      )
      .option('--config <path>', 'config file (default $XDG_CONFIG_HOME/tokensmith/config.toml)')
      .option('--no-cache', 'keep credentials in memory only (no file or Redis cache)'),
  );
}

/** `--browser-command`: for the `token` and `login` that may start a browser login. */
function browserCommand(cmd: Command): Command {
  return cmd.option(
    '--browser-command <command>',
    'browser for a browser login, run without a shell; %s is the URL, else it is appended (default: $BROWSER)',
  );
}

/** `--min-validity`: for the commands that hand out or use a token. */
function minValidity(cmd: Command): Command {
  return cmd.option(
    '--min-validity <seconds>',
    'a token valid at least this long: renew first when it would expire sooner',
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Declares every command; each action imports its module only when it runs. */
export function registerCoreCommands(program: Command): void {
  const token = source(
    program
      .command('token')
      .description('print a valid token (and nothing else) on stdout, or keep it fresh in a file')
      .addOption(new Option('--format <format>', 'output format').choices([...TOKEN_FORMATS]).default('raw'))
      .addOption(tokenType())
      .option('--env <name>', 'variable name for --format env (default TOKEN, KS for Kaltura)')
      .option('--output <file>', 'write the token to this file (atomically, mode 0600) instead of stdout')
      .option('--watch', 'with --output: rewrite the file before the token expires, until SIGTERM')
      .option('--force-refresh', 'renew even if the cached token is still valid'),
  );
  minValidity(token);
  browserCommand(token).action(async (opts) => (await import('./commands/token.js')).tokenCommand(opts));

  const exec = source(
    program
      .command('exec')
      .description("run a command with the profile's token in its environment; exits with its status")
      .usage('[options] -- <command> [args...]')
      .argument('<command>', 'the command to run (put -- before it)')
      .argument('[args...]', 'its arguments')
      .option(
        '--env <name>',
        'variable for the token (default TOKEN; KS for Kaltura; KALLIOPE_URL for Kalliope)',
      )
      .addOption(tokenType()),
  );
  minValidity(exec).action(async (command, args, opts) =>
    (await import('./commands/exec.js')).execCommand(command, args, opts),
  );

  const login = source(
    program
      .command('login')
      .description('obtain a credential (device or browser login when needed) and keep it in the cache')
      .option('--force', 'log in again even when a valid credential is cached')
      .option('--json', 'print what was obtained as JSON (never the token)'),
  );
  browserCommand(login).action(async (opts) => (await import('./commands/login.js')).loginCommand(opts));

  source(
    program
      .command('logout')
      .description("revoke the profile's token at the server (when offered) and delete it from the cache")
      .option('--client <id>', 'instead, delete every cached credential of this client id (no revocation)')
      .option('--json', 'print the outcome as JSON'),
  ).action(async (opts) => (await import('./commands/logout.js')).logoutCommand(opts));

  program
    .command('status')
    .description('list cached credentials: profile, kind, user, expiry, where stored (never a token)')
    .option('--config <path>', 'config file (default $XDG_CONFIG_HOME/tokensmith/config.toml)')
    .option('--json', 'print the list as JSON')
    .action(async (opts) => (await import('./commands/status.js')).statusCommand(opts));

  source(
    program
      .command('proxy')
      .description(
        'forward requests to an upstream with fresh credentials (for tools that cannot authenticate)',
      )
      .requiredOption('--upstream <url>', 'where requests go, e.g. https://api.example.com')
      .option(
        '--listen <host:port>',
        'address to listen on (loopback only unless --allow-non-loopback)',
        '127.0.0.1:0',
      )
      .option(
        '--allow-non-loopback',
        'listen on a non-loopback address (anyone who can reach it uses your credentials)',
      )
      .option(
        '--accept-hosts <names>',
        'also answer for these Host names (comma-separated, repeatable); others get 421',
        collect,
        [],
      )
      .option(
        '--allow-origin <origin>',
        'let browser pages of this origin (e.g. http://localhost:3000) use the proxy (repeatable)',
        collect,
        [],
      )
      .addOption(tokenType())
      .option('--json', 'print the listening URL as JSON'),
  ).action(async (opts) => (await import('./commands/proxy.js')).proxyCommand(opts));

  program
    .command('decode')
    .description("show a JWT's header and claims (expiry marked; signature not verified), or a Kaltura KS")
    .argument('[token]', 'the token, or - (default) to read it from stdin and keep it out of `ps`')
    .option('--kaltura-secret-env <VAR>', 'environment variable with the admin secret, to read a KS v2')
    .option('--json', 'print the decoded parts as JSON')
    .action(async (token, opts) => (await import('./commands/decode.js')).decodeCommand(token, opts));

  const request = source(
    program
      .command('request')
      .description("send one HTTP request with the profile's credentials; the body goes to stdout")
      .argument('<url>', 'request URL (https, or http to loopback)')
      .option('-X, --request <method>', 'HTTP method (default GET, or POST with -d)')
      .option('-H, --header <header>', 'extra header "Name: value" (repeatable)', collect, [])
      .option('-d, --data <data>', 'request body: text, @FILE or @- for stdin')
      .option('-i, --include', 'print the status line and response headers first'),
  );
  minValidity(request).action(async (url, opts) =>
    (await import('./commands/request.js')).requestCommand(url, opts),
  );

  const emulate = program.command('emulate').description('run a local emulator of an auth server');
  emulate
    .command('oidc')
    .description('OpenID provider (oidc-provider) with password, client credentials, device and PKCE flows')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--realm <realm>', 'serve under /realms/<realm> like Keycloak')
    .option('--access-token-ttl <seconds>', 'access token lifetime', '300')
    .option('--json', 'print the issuer, clients and users as JSON')
    .action(async (opts) => (await import('./commands/emulate.js')).emulateOidc(opts));

  program
    .command('demo')
    .description('run every flow against the built-in emulators and print a summary table')
    .option('--json', 'print the results as JSON')
    .action(async (opts) => (await import('./commands/demo.js')).demoCommand(opts));

  registerKalturaCommands(program, emulate);
  registerKalliopeCommands(program, emulate);
}
