import type { SourceFlags } from '../credential-source.js';
import { out, UsageError } from '../io.js';
import { formatToken, parseTokenFormat } from '../token-format.js';
import { signOnce, withSource } from '../with-source.js';

/** Flags of `tokensmith token`. */
export interface TokenFlags extends SourceFlags {
  format: string;
  forceRefresh?: boolean;
}

/**
 * `tokensmith token`: print a valid token, and nothing else, on stdout. For a Kalliope profile
 * (no reusable token) it prints a fresh `X-authenticate` header value for one request.
 */
export async function tokenCommand(flags: TokenFlags): Promise<void> {
  const format = parseTokenFormat(flags.format);
  await withSource(flags, async (source) => {
    if (source.kind === 'signer') {
      if (format === 'env' || format === 'exec-credential') {
        throw new UsageError(`--format ${format} needs a token; profile "${source.name}" signs each request`);
      }
      const headers = await signOnce(source.signer);
      const [name, value] = Object.entries(headers)[0] ?? ['', ''];
      out(format === 'raw' ? value : format === 'json' ? JSON.stringify({ headers }) : `${name}: ${value}`);
      return;
    }
    const credential = await source.manager.getCredential({ forceRefresh: flags.forceRefresh });
    out(formatToken(credential, format));
  });
}
