import { FileCache } from 'tokensmith/internal/cache/file.js';

/**
 * The CLI's file cache, in the user cache folder: entries encrypted with `TOKENSMITH_CACHE_KEY`, else
 * with a key kept in the OS keyring; where neither is available, plain entries and a warning given
 * once per cache folder (encryption option `'auto'`). Every command opens this same cache, so what
 * one command writes, the others can read.
 */
export function userFileCache(): FileCache {
  return new FileCache({ encryptionKey: 'auto' });
}
