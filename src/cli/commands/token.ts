import { FileCache } from '../../cache/file.js';
import { MemoryCache } from '../../cache/memory.js';
import { TokenManager } from '../../core/manager.js';
import { type AdhocOAuthFlags, providerFromFlags } from '../adhoc-provider.js';
import { out } from '../io.js';
import { formatToken, parseTokenFormat } from '../token-format.js';

/** Flags of `tokensmith token`. */
export interface TokenFlags extends AdhocOAuthFlags {
  format: string;
  forceRefresh?: boolean;
  /** `--no-cache` sets this to false: keep the token in memory only. */
  cache?: boolean;
}

/** `tokensmith token`: print a valid token, and nothing else, on stdout. */
export async function tokenCommand(flags: TokenFlags): Promise<void> {
  const format = parseTokenFormat(flags.format);
  const provider = await providerFromFlags(flags);
  // The file cache lets the next run (and parallel runs) reuse the token instead of logging in again.
  const cache = flags.cache === false ? new MemoryCache() : new FileCache();
  const manager = new TokenManager(provider, { cache });
  const credential = await manager.getCredential({ forceRefresh: flags.forceRefresh });
  out(formatToken(credential, format));
}
