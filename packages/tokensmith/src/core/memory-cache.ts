import type { CredentialCache } from './cache.js';
import type { CredentialRecord } from './credential.js';
import { KeyedMutex } from './keyed-mutex.js';

/**
 * In-process cache: a Map plus a per-key mutex, lost when the process exits. The `TokenManager`'s
 * default, so it lives in the core; `FileCache` and `RedisCache` (in `cache/`) share beyond one process.
 */
export class MemoryCache implements CredentialCache {
  readonly kind = 'memory';
  readonly #entries = new Map<string, CredentialRecord>();
  readonly #mutex = new KeyedMutex();

  async get(key: string): Promise<CredentialRecord | undefined> {
    return this.#entries.get(key);
  }

  async set(key: string, record: CredentialRecord): Promise<void> {
    this.#entries.set(key, record);
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.#entries.keys()];
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#mutex.run(key, fn);
  }
}
