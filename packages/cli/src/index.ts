#!/usr/bin/env node
/**
 * The `tokensmith` command. Only this file exits; command modules are imported when their command
 * runs, so start-up stays close to `node -e 0`.
 */
import { CommanderError } from 'commander';
import { EXIT, reportError } from './io.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
  process.exitCode ??= EXIT.ok;
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with exitCode 0; everything else from the parser is a usage error.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.exitCode = reportError(err);
  }
}
