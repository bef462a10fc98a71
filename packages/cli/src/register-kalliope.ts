import type { Command } from 'commander';
import { tlsFlags } from './tls-flags.js';

/** Declares the `kalliope` commands and `emulate kalliope`; their code is imported only when one runs. */
export function registerKalliopeCommands(program: Command, emulate: Command): void {
  const kalliope = program.command('kalliope').description('Kalliope PBX (X-authenticate digest) helpers');
  tlsFlags(
    kalliope
      .command('header')
      .description('print a fresh X-authenticate header (new nonce, clock-corrected Created) for one request')
      .requiredOption(
        '--url <url>',
        'connection string scheme://user:password@host:port/tenant_domain, or base URL',
      )
      .option('--username <user>', 'username, when --url has no credentials')
      .option('--password-env <VAR>', 'environment variable holding the password', 'KALLIOPE_PASSWORD')
      .option('--domain <domain>', 'tenant domain, when --url has none (default: default)')
      .option('--allow-insecure-http', 'allow plain http to a non-loopback host'),
  )
    .option('--json', 'print the header and its parts as JSON')
    .action(async (opts, cmd: Command) => {
      const { kalliopeHeader } = await import('./commands/kalliope-header.js');
      await kalliopeHeader({
        ...opts,
        passwordEnvExplicit: cmd.getOptionValueSource('passwordEnv') === 'cli',
      });
    });

  emulate
    .command('kalliope')
    .description('run the Kalliope PBX emulator (salt endpoint, X-authenticate checks, /rest/account)')
    .option('--port <port>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--domain <domain>', 'tenant domain of the user', 'default')
    .option('--username <user>', 'username', 'admin')
    .option(
      '--password-env <VAR>',
      "take the user's password from this variable (default: generate and print one)",
    )
    .option('--json', 'print the connection details as JSON')
    .action(async (opts) => (await import('./commands/kalliope-emulate.js')).emulateKalliope(opts));
}
