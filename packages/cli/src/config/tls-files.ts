/**
 * The PEM files of a profile's or the flags' TLS settings (`ca_file`, `client_cert`, `client_key`):
 * a private CA to trust, and a client certificate for mutual TLS (RFC 8705).
 */
import { readFile } from 'node:fs/promises';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import type { FetchLike } from 'tokensmith/internal/core/http.js';
import { lazyTlsFetch } from 'tokensmith/internal/core/tls-lazy.js';
import { UsageError } from '../io.js';

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

/** The TLS flags of a command: `--ca-file`, `--client-cert`, `--client-key` (PEM file paths). */
export interface TlsFlags {
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
}

/**
 * A fetch with the TLS settings the flags name, or undefined without any. The pairing of
 * certificate and key is checked now (`UsageError`, exit 2); the files are read on the first
 * request, so a command that sends none reads none.
 */
export function fetchForTlsFlags(f: TlsFlags): FetchLike | undefined {
  if (!f.caFile && !f.clientCert && !f.clientKey) return undefined;
  if (!f.clientCert !== !f.clientKey) throw new UsageError('--client-cert and --client-key go together');
  return lazyTlsFetch(async () => {
    const [ca, cert, key] = await Promise.all([
      f.caFile ? readPemFile(f.caFile, 'CA bundle') : undefined,
      f.clientCert ? readPemFile(f.clientCert, 'client certificate') : undefined,
      f.clientKey ? readPemFile(f.clientKey, 'client key') : undefined,
    ]);
    return { ca, cert, key };
  });
}
