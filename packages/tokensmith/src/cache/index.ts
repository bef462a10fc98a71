/**
 * Credential caches: in-process ({@link MemoryCache}), per user on one host ({@link FileCache}, the
 * CLI's default) and shared by a fleet ({@link RedisCache}), plus {@link forgetClient}.
 * @module
 */
export { type CacheDirEnvironment, defaultCacheDir } from './default-dir.js';
export {
  CACHE_KEY_ENV,
  type EncryptionKeyOption,
  parseEncryptionKey,
} from './encryption.js';
export { FileCache, type FileCacheOptions, type FileCacheStats } from './file.js';
export { forgetClient } from './forget.js';
export { MemoryCache } from './memory.js';
export {
  entryTtlMs,
  RedisCache,
  type RedisCacheOptions,
  type RedisCacheStats,
  type RedisNodeAddress,
  type RedisSentinelOptions,
} from './redis.js';
