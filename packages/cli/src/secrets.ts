import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { readStdin, UsageError } from './io.js';

/** Read a secret from an environment variable named by a flag; never from the flag itself. */
export function secretFromEnv(variable: string, what: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new UsageError(`${what}: environment variable ${variable} is not set`);
  }
  registerSecret(value);
  return value;
}

/** Read a secret from standard input (first line, without its newline). */
export async function secretFromStdin(what: string): Promise<string> {
  const text = await readStdin(`${what}: expected it on standard input, which is a terminal`);
  const value = text.split(/\r?\n/)[0] ?? '';
  if (!value) throw new UsageError(`${what}: standard input was empty`);
  registerSecret(value);
  return value;
}
