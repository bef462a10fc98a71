/**
 * The command lines the fast path answers, recognised without the argument parser: anything it does
 * not know for certain (another command, an unknown or repeated flag, a value that looks like a flag)
 * is left to the full CLI, which parses it as always.
 */

/** A warm-cache request the fast path may answer. */
export type FastRequest =
  | { command: 'token'; profile?: string; config?: string; format: string }
  | { command: 'git-credential-get'; config?: string };

/** Flags taking a value, by spelling, and the name they set. */
const TOKEN_FLAGS: ReadonlyMap<string, string> = new Map([
  ['-p', 'profile'],
  ['--profile', 'profile'],
  ['--config', 'config'],
  ['--format', 'format'],
  ['--token-type', 'tokenType'],
]);
const GIT_FLAGS: ReadonlyMap<string, string> = new Map([['--config', 'config']]);

/**
 * The request `args` (process.argv without node and the script) make, or undefined when the full
 * CLI must parse them.
 */
export function fastRequest(args: readonly string[]): FastRequest | undefined {
  const [command, ...rest] = args;
  if (command === 'token') {
    const flags = parseFlags(rest, TOKEN_FLAGS);
    if (!flags || flags.positional.length > 0) return undefined;
    const { profile, config, format = 'raw', tokenType = 'access' } = flags.values;
    if (tokenType !== 'access') return undefined;
    return { command: 'token', profile, config, format };
  }
  if (command === 'git-credential') {
    const flags = parseFlags(rest, GIT_FLAGS);
    const [action, ...more] = flags?.positional ?? [];
    if (!flags || action !== 'get' || more.length > 0) return undefined;
    return { command: 'git-credential-get', config: flags.values.config };
  }
  return undefined;
}

/** `--flag value`, `--flag=value` and `-p value`, each at most once; undefined for anything else. */
function parseFlags(
  args: readonly string[],
  known: ReadonlyMap<string, string>,
): { values: Record<string, string | undefined>; positional: string[] } | undefined {
  const values: Record<string, string | undefined> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const spelling = eq > 0 ? arg.slice(0, eq) : arg;
    const name = known.get(spelling);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    // `--`, `-pNAME`, a bare flag, a value that is itself a flag, a repeat: the parser's to judge.
    if (!name || value === undefined || value === '' || value.startsWith('-') || name in values) {
      return undefined;
    }
    values[name] = value;
  }
  return { values, positional };
}
