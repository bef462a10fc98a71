import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialCache } from '../core/cache.js';
import type { CredentialRecord } from '../core/credential.js';
import { isTokensmithError, TokensmithError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { getLogger } from '../core/log.js';
import { writeFileAtomic } from './atomic-file.js';
import { defaultCacheDir } from './default-dir.js';
import {
  checkEncryptionOption,
  decodeEntry,
  type EncryptionKeyOption,
  encodeEntry,
  isSealed,
  resolveEncryptionKey,
  unseal,
} from './encryption.js';
import { acquireFileLock, isAlive } from './file-lock.js';

const log = getLogger('cache');

/** Options for {@link FileCache}. */
export interface FileCacheOptions {
  /** Folder for the entries (default {@link defaultCacheDir}); created with mode 0700. */
  dir?: string;
  /** Encryption at rest; see {@link EncryptionKeyOption} (default: `TOKENSMITH_CACHE_KEY` when set). */
  encryptionKey?: EncryptionKeyOption;
  /** A lock file untouched for this long is stale even if its holder looks alive (default 30 s). */
  staleLockMs?: number;
  /** Longest wait for a lock before `ERR_LOCK_TIMEOUT` (default 60 s). */
  lockWaitMs?: number;
}

/** Counters of unusual events, for `status`, tests and benchmarks. */
export interface FileCacheStats {
  /** Stale lock files removed (dead holder or timeout). */
  locksBroken: number;
  /** Entries that could not be read (reported as `ERR_CACHE_CORRUPT` and treated as misses). */
  corruptEntries: number;
}

/** One entry file as {@link FileCache.entries} reports it. */
export interface FileCacheEntry {
  /** File name inside the cache folder. */
  file: string;
  /** The cache key, when the envelope could be read. */
  key?: string;
  /** The checked record; absent when the entry is corrupt. */
  record?: CredentialRecord;
  /** Why the entry cannot be used (the `ERR_CACHE_CORRUPT` message); absent when it can. */
  problem?: string;
  /** Non-secret facts read, unchecked, from a corrupt entry's record, to name it in listings. */
  about?: { kind?: string; clientId?: string; subject?: string; issuer?: string };
}

const ENTRY = /^[0-9a-f]{64}\.json$/;
const TEMP = /^[0-9a-f]{64}\.(\d+)\.[0-9a-f]+\.tmp$/;
/** Temp files of writers on other hosts (shared folder) are only swept once this old. */
const FOREIGN_TEMP_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Credentials in files, shared by the processes of one user on one host (the CLI's default).
 * One JSON document per key, named by a hash of the key, mode 0600 in a 0700 folder; written
 * atomically (temp file, fsync, rename), so readers see the old or the new entry, never a mix; a
 * lock file per key for cross-process single-flight; optional AES-256-GCM encryption at rest.
 * A corrupt or undecryptable entry is reported as `ERR_CACHE_CORRUPT`, read as a miss and replaced
 * by the next write.
 */
export class FileCache implements CredentialCache {
  readonly kind = 'file';
  /** The folder holding the entries. */
  readonly dir: string;
  /** Counters of broken locks and corrupt entries. */
  readonly stats: FileCacheStats = { locksBroken: 0, corruptEntries: 0 };
  readonly #staleLockMs: number;
  readonly #lockWaitMs: number;
  readonly #encryption: EncryptionKeyOption;
  readonly #mutex = new KeyedMutex();
  #ready: Promise<void> | undefined;
  #key: Promise<Buffer | undefined> | undefined;

  constructor(options: FileCacheOptions = {}) {
    this.dir = options.dir ?? defaultCacheDir();
    this.#staleLockMs = positive(options.staleLockMs, 30_000, 'staleLockMs');
    this.#lockWaitMs = positive(options.lockWaitMs, 60_000, 'lockWaitMs');
    checkEncryptionOption(options.encryptionKey);
    // Our own copy: the caller may wipe or reuse its buffer.
    this.#encryption = Buffer.isBuffer(options.encryptionKey)
      ? Buffer.from(options.encryptionKey)
      : options.encryptionKey;
  }

  /** True when entries are encrypted (resolves the key, which may consult the OS keyring). */
  async encrypted(): Promise<boolean> {
    return (await this.#encryptionKey()) !== undefined;
  }

  /** Path of the file that holds `key`'s entry (it may not exist). */
  fileFor(key: string): string {
    return join(this.dir, `${nameOf(key)}.json`);
  }

  async get(key: string): Promise<CredentialRecord | undefined> {
    await this.#ensureDir();
    const name = `${nameOf(key)}.json`;
    const text = await this.#readEntry(name);
    if (text === undefined) return undefined;
    return (await this.#decode(name, text, key))?.record;
  }

  async set(key: string, record: CredentialRecord): Promise<void> {
    await this.#ensureDir();
    const hash = nameOf(key);
    const text = encodeEntry(key, record, await this.#encryptionKey(), `${hash}.json`);
    await this.#writeAtomic(hash, text);
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.fileFor(key));
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw unavailable('cannot delete a cache entry', err);
    }
  }

  async keys(): Promise<string[]> {
    await this.#ensureDir();
    const names = (await readdir(this.dir)).filter((n) => ENTRY.test(n));
    const keys: string[] = [];
    for (const name of names) {
      const text = await this.#readEntry(name);
      const entry = text === undefined ? undefined : await this.#decode(name, text, undefined);
      if (entry) keys.push(entry.key);
    }
    return keys.sort();
  }

  /**
   * Every entry file, usable or not, sorted by file name: what `status` lists. A corrupt entry (see
   * {@link CredentialCache}) comes with its `problem` and, when its envelope can be read, its key.
   */
  async entries(): Promise<FileCacheEntry[]> {
    await this.#ensureDir();
    const names = (await readdir(this.dir)).filter((n) => ENTRY.test(n)).sort();
    const entries: FileCacheEntry[] = [];
    for (const name of names) {
      const text = await this.#readEntry(name);
      if (text === undefined) continue;
      const encKey = await this.#encryptionKey();
      try {
        const { key, record } = decodeEntry(text, undefined, encKey, name);
        entries.push({ file: name, key, record });
      } catch (err) {
        if (!isTokensmithError(err, 'ERR_CACHE_CORRUPT')) throw err;
        entries.push({ file: name, problem: err.message, ...peekEnvelope(text, encKey, name) });
      }
    }
    return entries;
  }

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.#ensureDir();
    // In-process callers queue on the mutex, so only one per process polls the lock file.
    return this.#mutex.run(key, () => this.#withFileLock(`${nameOf(key)}.lock`, fn));
  }

  async close(): Promise<void> {}

  async #withFileLock<T>(lockName: string, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireFileLock(join(this.dir, lockName), {
      staleLockMs: this.#staleLockMs,
      lockWaitMs: this.#lockWaitMs,
      onBreak: ({ file, reason }) => {
        this.stats.locksBroken++;
        log.warn('broke a stale cache lock', { file, reason });
      },
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  #encryptionKey(): Promise<Buffer | undefined> {
    this.#key ??= (async () => {
      await this.#ensureDir();
      return resolveEncryptionKey(this.#encryption, {
        withLock: (fn) => this.#withFileLock('keyring.lock', fn),
        folder: this.dir,
      });
    })().catch((err) => {
      this.#key = undefined;
      throw err;
    });
    return this.#key;
  }

  async #readEntry(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, name), 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw unavailable('cannot read a cache entry', err);
    }
  }

  async #decode(name: string, text: string, key: string | undefined) {
    try {
      return decodeEntry(text, key, await this.#encryptionKey(), name);
    } catch (err) {
      if (!isTokensmithError(err, 'ERR_CACHE_CORRUPT')) throw err;
      this.stats.corruptEntries++;
      log.warn('ignoring a corrupt cache file; it will be replaced', {
        code: err.code,
        file: name,
        reason: err.message,
      });
      return undefined;
    }
  }

  async #writeAtomic(hash: string, text: string): Promise<void> {
    const target = join(this.dir, `${hash}.json`);
    const temp = join(this.dir, `${hash}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFileAtomic(target, temp, text);
    } catch (err) {
      throw unavailable('cannot write a cache entry', err);
    }
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= this.#prepareDir().catch((err) => {
      this.#ready = undefined; // let a later call try again (the folder may appear)
      throw err;
    });
    return this.#ready;
  }

  async #prepareDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const st = await stat(this.dir);
      if (!st.isDirectory()) throw new Error('not a directory');
      if (process.platform !== 'win32' && (st.mode & 0o777) !== 0o700) {
        await chmod(this.dir, 0o700);
        log.warn('cache folder permissions were not 0700; tightened them', {
          mode: (st.mode & 0o777).toString(8),
        });
      }
    } catch (err) {
      throw unavailable('cannot prepare the cache folder', err);
    }
    await this.#sweepTemps();
  }

  /** Remove temp files left by writers that died before their rename. */
  async #sweepTemps(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = TEMP.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      let abandoned = pid !== process.pid && !isAlive(pid);
      if (!abandoned) {
        const st = await stat(join(this.dir, name)).catch(() => undefined);
        abandoned = !!st && Date.now() - st.mtimeMs > FOREIGN_TEMP_MAX_AGE_MS;
      }
      if (abandoned) await unlink(join(this.dir, name)).catch(() => {});
    }
  }
}

/** The key and the non-secret facts of an entry whose record failed its checks, as far as readable. */
function peekEnvelope(
  text: string,
  encKey: Buffer | undefined,
  aad: string,
): Pick<FileCacheEntry, 'key' | 'about'> {
  try {
    let doc: unknown = JSON.parse(text);
    if (isSealed(doc)) doc = encKey ? JSON.parse(unseal(doc, encKey, aad)) : undefined;
    const entry = doc as { key?: unknown; record?: Record<string, unknown> | null } | undefined;
    const about: NonNullable<FileCacheEntry['about']> = {};
    for (const field of ['kind', 'clientId', 'subject', 'issuer'] as const) {
      const value = entry?.record && typeof entry.record === 'object' ? entry.record[field] : undefined;
      if (typeof value === 'string') about[field] = value;
    }
    return { ...(typeof entry?.key === 'string' ? { key: entry.key } : {}), about };
  } catch {
    return {};
  }
}

/** File name stem for a cache key: the key may hold any characters, its hash is always a safe name. */
function nameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${name} must be a positive number of milliseconds`);
  }
  return value;
}

function unavailable(message: string, cause: unknown): TokensmithError {
  if (cause instanceof TokensmithError) return cause;
  return new TokensmithError('ERR_CACHE_UNAVAILABLE', message, { cause, source: 'file cache' });
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
