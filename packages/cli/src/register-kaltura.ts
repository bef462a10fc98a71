import type { Command } from 'commander';
import { tlsFlags } from './tls-flags.js';

// Only option declarations live here; every action imports its module when it runs.

/** Options every `kaltura` command that talks to a server accepts. */
function connection(cmd: Command): Command {
  return tlsFlags(
    cmd
      .option(
        '--service-url <url>',
        'Kaltura service URL (env KALTURA_SERVICE_URL, default https://www.kaltura.com)',
      )
      .option('--partner-id <id>', 'partner id (env KALTURA_PARTNER_ID)')
      .option(
        '--admin-secret-env <VAR>',
        'environment variable holding the admin secret',
        'KALTURA_ADMIN_SECRET',
      )
      .option(
        '--ks-env <VAR>',
        'environment variable holding a KS to use instead of starting a session',
        'KALTURA_SESSION',
      ),
  ).option(
    '--allow-insecure-http',
    'allow plain http to a non-loopback host (credentials travel in the clear)',
  );
}

/** App-token settings shared by `create` and `update`. */
function tokenSettings(cmd: Command): Command {
  return cmd
    .option('--expiry <when>', 'token expiry: Unix seconds, ISO date, or a duration from now (90d, 12h)')
    .option('--session-user-id <id>', 'user every session gets (the user is created when missing)')
    .option('--session-type <type>', 'USER or ADMIN')
    .option('--session-duration <duration>', 'maximum session lifetime: seconds or a duration (1d, 8h)')
    .option('--hash-type <type>', 'MD5, SHA1, SHA256 or SHA512')
    .option('--description <text>', 'description');
}

/** Declares the `kaltura` commands and `emulate kaltura`; their code is imported only when one runs. */
export function registerKalturaCommands(program: Command, emulate: Command): void {
  const kaltura = program
    .command('kaltura')
    .description('Kaltura sessions (KS), app tokens, their audit, and KS tools');

  connection(
    kaltura
      .command('session')
      .description('print a KS: from an app token (default), or an admin session with --admin')
      .option('--app-token-id <id>', 'app token id (env KALTURA_APP_TOKEN_ID)')
      .option('--app-token-env <VAR>', 'environment variable holding the app token', 'KALTURA_APP_TOKEN')
      .option('--hash-type <type>', "the app token's hash type: MD5, SHA1 (server default), SHA256, SHA512")
      .option('--user-id <id>', 'requested session user (the app token may fix another)')
      .option('--type <type>', 'requested session type: USER or ADMIN')
      .option('--expiry <seconds>', 'requested lifetime in seconds or as a duration (1h)')
      .option(
        '--privileges <list>',
        'requested privileges (app token) or the privileges of the admin session',
      )
      .option('--admin', 'start a session with the admin secret (session.start) instead of an app token')
      .option('--local', 'with --admin: make the KS locally from the admin secret, without the server')
      .option('--ks-version <n>', 'with --local: 1 or 2', '2')
      .option('--json', 'print the session and what the server changed as JSON'),
  ).action(async (opts) => (await import('./commands/kaltura-session.js')).sessionCommand(opts));

  const appToken = kaltura
    .command('app-token')
    .description('create, list, get, update and delete app tokens');
  connection(
    tokenSettings(
      appToken
        .command('create')
        .description('create an app token (prints its secret token once)')
        .option('--role-id <id>', 'role for setrole')
        .option('--role-name <name>', 'role looked up by exact name (userRole.list nameEqual)')
        .option('--widget-session', 'add widget:1 (player-only sessions)')
        .option('--enable-entitlement', 'add enableentitlement')
        .option('--uri-restrict <pattern>', 'add urirestrict, e.g. /api_v3/service/media/*')
        .option('--privacy-context <list>', 'add privacycontext (comma-separated contexts)')
        .option('--privileges <list>', 'more session privileges, as given')
        .option('--token-file <path>', 'write the token to this file (mode 0600) instead of printing it')
        .option('--json', 'print the created token as JSON'),
    ),
  ).action(async (opts) => (await import('./commands/kaltura-app-token.js')).createCommand(opts));
  connection(
    appToken
      .command('list')
      .description('list app tokens (all pages); the secret token is never printed')
      .option('--status <status>', 'ACTIVE, DISABLED or DELETED')
      .option('--user <id>', 'only tokens whose session user is this one')
      .option('--json', 'print JSON'),
  ).action(async (opts) => (await import('./commands/kaltura-app-token.js')).listCommand(opts));
  connection(
    appToken
      .command('get')
      .description('show one app token (without its secret)')
      .argument('<id>')
      .option('--json', 'print JSON'),
  ).action(async (id, opts) => (await import('./commands/kaltura-app-token.js')).getCommand(id, opts));
  connection(
    tokenSettings(
      appToken
        .command('update')
        .description('change settings of an app token')
        .argument('<id>')
        .option('--privileges <list>', 'replace the session privileges')
        .option('--json', 'print JSON'),
    ),
  ).action(async (id, opts) => (await import('./commands/kaltura-app-token.js')).updateCommand(id, opts));
  connection(
    appToken.command('delete').description('delete an app token; its sessions stop working').argument('<id>'),
  ).action(async (id, opts) => (await import('./commands/kaltura-app-token.js')).deleteCommand(id, opts));

  connection(
    kaltura
      .command('role-id')
      .description('print the id of the user role with this exact name')
      .argument('<name>')
      .option('--json', 'print JSON'),
  ).action(async (name, opts) => (await import('./commands/kaltura-admin.js')).roleIdCommand(name, opts));
  connection(
    kaltura
      .command('role-add')
      .description('create a user role (userRole.add, status ACTIVE)')
      .argument('<name>')
      .option('--permissions <names>', 'comma-separated permission names')
      .option('--system-name <name>', 'system name')
      .option('--description <text>', 'description')
      .option('--json', 'print JSON'),
  ).action(async (name, opts) => (await import('./commands/kaltura-admin.js')).roleAddCommand(name, opts));
  connection(
    kaltura
      .command('user-add')
      .description('create a user (user.add)')
      .argument('<id>')
      .option('--email <email>', 'email')
      .option('--first-name <name>', 'first name')
      .option('--last-name <name>', 'last name')
      .option('--json', 'print JSON'),
  ).action(async (id, opts) => (await import('./commands/kaltura-admin.js')).userAddCommand(id, opts));
  connection(
    kaltura
      .command('category-user-add')
      .description('give a user access to a category (categoryUser.add)')
      .requiredOption('--category-id <id>', 'category id')
      .requiredOption('--user-id <id>', 'user id')
      .option('--permission-level <level>', 'MANAGER, MODERATOR, CONTRIBUTOR, MEMBER (default) or NONE')
      .option('--json', 'print JSON'),
  ).action(async (opts) => (await import('./commands/kaltura-admin.js')).categoryUserAddCommand(opts));

  connection(
    kaltura
      .command('audit')
      .description(
        'flag risky app tokens (ADMIN type, no or far expiry, no role, no URI restriction, weak hash, "*", entitlement off)',
      )
      .option('--min-severity <level>', 'report findings at or above: high, medium, low', 'low')
      .option('--max-expiry-days <days>', 'flag expiries further away than this', '365')
      .option('--include-disabled', 'also audit DISABLED tokens')
      .option('--fail-on <level>', 'exit with 1 when a finding at or above this severity exists')
      .option('--json', 'print JSON'),
  ).action(async (opts) => (await import('./commands/kaltura-audit.js')).auditCommand(opts));

  kaltura
    .command('inspect')
    .description(
      'decode a KS read from an environment variable or stdin: partner, type, user, expiry, privileges, signature',
    )
    .option('--ks-env <VAR>', 'environment variable holding the KS (default: read stdin)')
    .option(
      '--admin-secret-env <VAR>',
      'environment variable holding the admin secret (needed for v2)',
      'KALTURA_ADMIN_SECRET',
    )
    .option('--json', 'print JSON')
    .action(async (opts) => (await import('./commands/kaltura-inspect.js')).inspectCommand(opts));

  kaltura
    .command('privileges')
    .description('check a privileges string: parsed entries and warnings (unknown names, duplicates)')
    .argument('<privileges>')
    .option('--json', 'print JSON')
    .action(async (text, opts) =>
      (await import('./commands/kaltura-inspect.js')).privilegesCommand(text, opts),
    );

  emulate
    .command('kaltura')
    .description('run the Kaltura auth emulator (sessions, app tokens, roles, users) on 127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--partner-id <id>', 'partner id of a new state', '100')
    .option('--admin-secret-env <VAR>', 'take the admin secret of a new state from this variable')
    .option('--state-file <path>', 'persist to this JSON file (default: memory only)')
    .option('--json', 'print the connection details as JSON')
    .action(async (opts) => (await import('./commands/kaltura-emulate.js')).emulateCommand(opts));
}
