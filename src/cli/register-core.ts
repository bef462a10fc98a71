import type { Command } from 'commander';
import { registerKalliopeCommands } from './register-kalliope.js';
import { registerKalturaCommands } from './register-kaltura.js';

/** Declares every command; each action imports its module only when it runs. */
export function registerCoreCommands(program: Command): void {
  registerKalturaCommands(program);
  registerKalliopeCommands(program);
}
