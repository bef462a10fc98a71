import { createRequire } from 'node:module';
import { Command } from 'commander';
import { addHelpExamples } from './help-examples.js';
import { registerCoreCommands } from './register-core.js';
import { registerIntegrationCommands } from './register-integrations.js';

/** This package's version, read from its package.json (one small file, no JSON module import). */
function cliVersion(): string {
  // ../package.json from both src/ and dist/.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/**
 * The `tokensmith` command tree, without running it: the entry point parses `process.argv` with it,
 * and tests check argv → options tables against it.
 */
export function buildProgram(): Command {
  const program = new Command('tokensmith')
    .description('Get API credentials, keep them valid and put them on every request.')
    .version(cliVersion(), '-V, --version', 'print the version of tokensmith')
    .option('-v, --verbose', 'log debug details (secrets redacted) to stderr')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.hook('preAction', async (cmd) => {
    if (cmd.optsWithGlobals().verbose) {
      const { configureLogging } = await import('tokensmith/internal/core/log.js');
      configureLogging({ level: 'debug' });
    }
  });

  registerCoreCommands(program);
  registerIntegrationCommands(program);
  addHelpExamples(program);
  return program;
}
