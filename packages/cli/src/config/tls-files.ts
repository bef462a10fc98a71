/**
 * The PEM files of a profile's or the flags' TLS settings (`ca_file`, `client_cert`, `client_key`):
 * a private CA to trust, and a client certificate for mutual TLS (RFC 8705).
 */
import { readFile } from 'node:fs/promises';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';

/**
 * The text of a PEM file (`~/` is the home folder). Throws `ERR_CONFIG_INVALID` naming `what` and
 * the path with the system's reason (ENOENT, EACCES), never the content.
 */
export async function readPemFile(path: string, what: string): Promise<string> {
  const resolved = path.replace(/^~(?=\/)/, process.env.HOME ?? '~');
  try {
    return await readFile(resolved, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TokensmithError('ERR_CONFIG_INVALID', `cannot read the ${what} ${path} (${code})`, {
      field: what,
    });
  }
}
