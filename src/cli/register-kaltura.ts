import type { Command } from 'commander';

/** Declares the `kaltura` commands; their code is imported only when one runs. */
export function registerKalturaCommands(_program: Command): void {}
