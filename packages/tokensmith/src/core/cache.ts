import type { CredentialRecord } from './credential.js';

/**
 * Storage for credentials by key, with a lock per key. Implementations: `MemoryCache` (one process),
 * `FileCache` (processes of one user on one host), `RedisCache` (a fleet).
 *
 * A cache never throws for a bad entry: a corrupt entry is reported (log warning with
 * `ERR_CACHE_CORRUPT`), treated as a miss and replaced on the next write.
 */
export interface CredentialCache {
  /** Cache family, for `status` output: `memory`, `file`, `redis`. */
  readonly kind: string;
  /** The record under `key`, or undefined on a miss. */
  get(key: string): Promise<CredentialRecord | undefined>;
  /** Store `record` under `key` (atomically: readers see the old or the new record, never a mix). */
  set(key: string, record: CredentialRecord): Promise<void>;
  /** Remove the record under `key`; no error when absent. */
  delete(key: string): Promise<void>;
  /** All keys currently stored. */
  keys(): Promise<string[]>;
  /**
   * Run `fn` while holding the lock for `key`, so only one holder (in this process, on this host or in
   * the fleet, depending on the cache) renews a credential at a time.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Release connections and timers. */
  close?(): Promise<void>;
}
