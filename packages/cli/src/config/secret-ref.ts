import { readFile } from 'node:fs/promises';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';

/** `execFile` as a promise; child_process is loaded only when a `cmd:` secret must be resolved. */
async function run(file: string, args: string[], options: { timeout: number; maxBuffer: number }) {
  const [{ execFile }, { promisify }] = await Promise.all([
    import('node:child_process'),
    import('node:util'),
  ]);
  return promisify(execFile)(file, args, options);
}

/** Where a secret reference was written, for error messages. */
export interface SecretOrigin {
  file: string;
  line?: number;
  key: string;
}

/** True when the value is a reference (`env:`, `file:`, `cmd:`, `keyring:`) rather than a literal. */
export function isSecretRef(value: string): boolean {
  return /^(env|file|cmd|keyring):/.test(value);
}

/** `file:line`, for messages; the key is named after it (not before a colon, which reads as a secret). */
function where(o: SecretOrigin): string {
  return `${o.file}${o.line ? `:${o.line}` : ''}`;
}

/** Options of {@link resolveSecretRef}. */
export interface SecretRefOptions {
  /** Keep every line of a `file:` or `cmd:` secret (a PEM key), not only the first. */
  multiline?: boolean;
}

/**
 * Resolve a secret reference: `env:VAR`, `file:PATH` (first line), `cmd:COMMAND` (stdout of a shell
 * command, first line, 10 s limit), `keyring:SERVICE/ACCOUNT` (OS keyring). The value is registered
 * for redaction before it is returned.
 */
export async function resolveSecretRef(
  ref: string,
  origin: SecretOrigin,
  options: SecretRefOptions = {},
): Promise<string> {
  const firstLine = options.multiline ? (text: string) => text.trim() : firstLineOf;
  const colon = ref.indexOf(':');
  const scheme = ref.slice(0, colon);
  const arg = ref.slice(colon + 1);
  let value: string;
  try {
    switch (scheme) {
      case 'env': {
        const v = process.env[arg];
        if (v === undefined || v === '') throw new Error(`environment variable ${arg} is not set`);
        value = v;
        break;
      }
      case 'file':
        value = firstLine(await readFile(arg.replace(/^~(?=\/)/, process.env.HOME ?? '~'), 'utf8'));
        break;
      case 'cmd': {
        const { stdout } = await run('/bin/sh', ['-c', arg], { timeout: 10_000, maxBuffer: 64 * 1024 });
        value = firstLine(stdout);
        break;
      }
      case 'keyring': {
        const slash = arg.indexOf('/');
        if (slash <= 0) throw new Error('use keyring:SERVICE/ACCOUNT');
        const { AsyncEntry } = await import('@napi-rs/keyring');
        const v = await new AsyncEntry(arg.slice(0, slash), arg.slice(slash + 1)).getPassword();
        if (!v) throw new Error('no such keyring entry');
        value = v;
        break;
      }
      default:
        throw new Error(`unknown secret reference "${scheme}:"`);
    }
  } catch (cause) {
    // The reason names the variable, file or command, never a value. No `cause`: a failed command's
    // error object carries its stdout, which may hold the secret.
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : 'failed';
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `${where(origin)}: cannot read the ${scheme}: secret of key "${origin.key}" (${reason})`,
      {
        field: origin.key,
      },
    );
  }
  if (!value)
    throw new TokensmithError('ERR_CONFIG_INVALID', `${where(origin)}: the secret is empty`, {
      field: origin.key,
    });
  registerSecret(value);
  return value;
}

function firstLineOf(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim();
}
