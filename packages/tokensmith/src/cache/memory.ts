import type { CredentialCache } from '../core/cache.js';
import type { CredentialRecord } from '../core/credential.js';
import { KeyedMutex } from '../core/keyed-mutex.js';

/** In-process cache: a Map plus a per-key mutex. Lost when the process exits. */
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
