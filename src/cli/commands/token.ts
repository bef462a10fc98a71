import { MemoryCache } from '../../cache/memory.js';
import { TokenManager } from '../../core/manager.js';
import { type AdhocOAuthFlags, providerFromFlags } from '../adhoc-provider.js';
import { out } from '../io.js';
import { formatToken, parseTokenFormat } from '../token-format.js';

/** Flags of `tokensmith token`. */
export interface TokenFlags extends AdhocOAuthFlags {
  format: string;
  forceRefresh?: boolean;
}

/** `tokensmith token`: print a valid token, and nothing else, on stdout. */
export async function tokenCommand(flags: TokenFlags): Promise<void> {
  const format = parseTokenFormat(flags.format);
  const provider = await providerFromFlags(flags);
  const manager = new TokenManager(provider, { cache: new MemoryCache() });
  const credential = await manager.getCredential({ forceRefresh: flags.forceRefresh });
  out(formatToken(credential, format));
}
