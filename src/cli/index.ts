#!/usr/bin/env node
/**
 * The `tokensmith` command. Only this file exits; command modules are imported when their command
 * runs, so start-up stays close to `node -e 0`.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, reportError } from './io.js';
import { registerCoreCommands } from './register-core.js';

const program = new Command('tokensmith')
  .description('Get API credentials, keep them valid and put them on every request.')
  .option('-v, --verbose', 'log debug details (secrets redacted) to stderr')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program.hook('preAction', async (cmd) => {
  if (cmd.optsWithGlobals().verbose) {
    const { configureLogging } = await import('../core/log.js');
    configureLogging({ level: 'debug' });
  }
});

registerCoreCommands(program);

try {
  await program.parseAsync(process.argv);
  process.exitCode ??= EXIT.ok;
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with exitCode 0; everything else from the parser is a usage error.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.exitCode = reportError(err);
  }
}
