import { type ErrorCode, isTokensmithError } from 'tokensmith/internal/core/errors.js';
import { redact } from 'tokensmith/internal/core/redact.js';
import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';

/**
 * Process exit codes of the CLI. `loginRequired`: only a person can get a credential now
 * (`ERR_LOGIN_REQUIRED`), so a script can tell "run `tokensmith login`" from other failures.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, loginRequired: 3 } as const;

/** Codes that mean the configuration (flags, profile, options) is wrong: exit 2, like a usage error. */
const CONFIGURATION_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_CONFIG_INVALID',
  'ERR_INSECURE_HTTP',
]);

/** Thrown by command code for a usage mistake the option parser could not see; exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** True when colour may be used on stderr (a TTY and no `NO_COLOR`). */
export function useColor(): boolean {
  return !process.env.NO_COLOR && !!process.stderr.isTTY;
}

/**
 * All of standard input as text. With `ttyHint`, a terminal on stdin is a usage error carrying that
 * hint (the command expected something piped in, and would otherwise wait for Ctrl-D).
 */
export async function readStdin(ttyHint?: string): Promise<string> {
  if (ttyHint && process.stdin.isTTY) throw new UsageError(ttyHint);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Write a value to stdout (the only thing commands print there). */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Write a human message to stderr. */
export function info(text: string): void {
  process.stderr.write(`${redact(text)}\n`);
}

/** Print an error on stderr in one line (with its code) and return the exit code it deserves. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    info(`tokensmith: ${err.message}`);
    return EXIT.usage;
  }
  if (isTokensmithError(err)) {
    const code = useColor() ? `\x1b[31m${err.code}\x1b[0m` : err.code;
    info(`tokensmith: ${code}: ${err.message}`);
    if (err.error_description) info(`  server said: ${err.error_description}`);
    if (err.code === 'ERR_LOGIN_REQUIRED') return EXIT.loginRequired;
    return CONFIGURATION_ERRORS.has(err.code) ? EXIT.usage : EXIT.failure;
  }
  // TokensmithError text is terminal-safe when built; anything else may quote a server as is.
  info(`tokensmith: unexpected error: ${terminalSafe(err instanceof Error ? err.message : String(err))}`);
  return EXIT.failure;
}
