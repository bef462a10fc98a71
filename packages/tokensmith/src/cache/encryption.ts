import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Credential, type CredentialRecord } from '../core/credential.js';
import { isTokensmithError, TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import { loadOptional } from '../core/optional-dependency.js';
import { registerSecret } from '../core/redact.js';

const log = getLogger('cache');

/**
 * node:crypto, loaded on first use: reading a plain entry needs none of it, and the CLI's warm-cache
 * fast path would otherwise load its two dozen internal modules on every run.
 */
let cryptoModule: typeof import('node:crypto') | undefined;
function nodeCrypto(): typeof import('node:crypto') {
  cryptoModule ??= process.getBuiltinModule('node:crypto');
  return cryptoModule;
}

/** Environment variable holding the cache encryption key: 32 bytes, base64 (or base64url) or hex. */
export const CACHE_KEY_ENV = 'TOKENSMITH_CACHE_KEY';

/** Keyring entry that holds the generated cache key when `encryptionKey: 'keyring'` is used. */
export const KEYRING_SERVICE = 'tokensmith';
/** Account name of the keyring entry (see {@link KEYRING_SERVICE}). */
export const KEYRING_ACCOUNT = 'cache-encryption-key';

/**
 * File that marks a cache folder whose plain entries have been announced, so the warning is given
 * once per folder rather than on every run; it is removed when the folder's entries are encrypted.
 */
export const PLAINTEXT_NOTICE_FILE = 'UNENCRYPTED.txt';

/**
 * How a cache encrypts entries at rest:
 * - `undefined` (default): encrypt with `TOKENSMITH_CACHE_KEY` when it is set, else store plaintext;
 * - `'auto'` (the CLI's): `TOKENSMITH_CACHE_KEY` when set, else a key kept in the OS keyring
 *   (generated on first use), else plaintext, announced once per cache folder (see
 *   {@link PLAINTEXT_NOTICE_FILE});
 * - `'none'`: plaintext (files stay mode 0600);
 * - `'env'`: `TOKENSMITH_CACHE_KEY` is required (missing or malformed is `ERR_CONFIG_INVALID`);
 * - `'keyring'`: a key kept in the OS keyring, generated on first use. When no keyring is available,
 *   `TOKENSMITH_CACHE_KEY` is used if set, otherwise entries are stored in plaintext; either way a
 *   warning is logged, never silently. Without the optional `@napi-rs/keyring` package it fails
 *   with `ERR_DEPENDENCY_MISSING`;
 * - a 32-byte `Buffer`: that key.
 */
export type EncryptionKeyOption = 'auto' | 'env' | 'keyring' | 'none' | Buffer | undefined;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const ALG = 'A256GCM';

/**
 * Decode a 32-byte key written as 64 hex digits or as base64/base64url. Anything else is
 * `ERR_CONFIG_INVALID`; the message names `source`, never the value.
 */
export function parseEncryptionKey(text: string, source: string = CACHE_KEY_ENV): Buffer {
  const value = text.trim();
  registerKey(value);
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value, 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `${source} must hold a ${KEY_BYTES}-byte key as base64 or 64 hex digits (got ${key?.length ?? 0} bytes); create one with: openssl rand -base64 32`,
      { source },
    );
  }
  return key;
}

/** The key in `TOKENSMITH_CACHE_KEY`, or undefined when the variable is unset or empty. */
export function keyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const text = env[CACHE_KEY_ENV];
  return text ? parseEncryptionKey(text) : undefined;
}

/** Register key text for redaction (it never reaches a message or a log line anyway). */
function registerKey(value: string): void {
  registerSecret(value);
}

/** What a cache needs from a keyring: one text entry it can read and write. */
export interface KeyringEntry {
  /** The stored value, or null when there is none. Rejects when the keyring cannot be used. */
  get(): Promise<string | null>;
  /** Store `value`. Rejects when the keyring cannot be used. */
  set(value: string): Promise<void>;
}

/**
 * The OS keyring entry for the cache key (macOS Keychain, Windows Credential Manager, the Secret
 * Service on Linux), through `@napi-rs/keyring`, which is only loaded when used. On Linux the entry
 * is pinned to the Secret Service: the kernel keyring the binding would fall back to forgets its
 * keys at reboot or logout, which would make every cached entry unreadable; without a Secret Service
 * the keyring counts as unavailable.
 */
export function osKeyringEntry(service = KEYRING_SERVICE, account = KEYRING_ACCOUNT): KeyringEntry {
  const entry = async () => {
    const { AsyncEntry } = await loadOptional(
      '@napi-rs/keyring',
      'the OS keyring',
      () => import('@napi-rs/keyring'),
    );
    return new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
  };
  return {
    get: async () => (await entry()).getPassword(),
    set: async (value) => (await entry()).setPassword(value),
  };
}

/** What {@link resolveEncryptionKey} may use besides the option itself (tests swap these). */
export interface KeyResolution {
  env?: NodeJS.ProcessEnv;
  keyring?: KeyringEntry;
  /** Serialises first-time key generation across processes (the FileCache passes its file lock). */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The cache folder, where `'auto'` remembers that plain entries were announced (the FileCache's). */
  folder?: string;
}

/** Check the parts of an {@link EncryptionKeyOption} that need no I/O; throws `ERR_CONFIG_INVALID`. */
export function checkEncryptionOption(
  option: EncryptionKeyOption,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (Buffer.isBuffer(option)) {
    if (option.length !== KEY_BYTES) {
      throw new TokensmithError('ERR_CONFIG_INVALID', `encryptionKey must be ${KEY_BYTES} bytes`);
    }
    return;
  }
  if (option === undefined || option === 'auto' || option === 'env' || option === 'keyring') {
    if (option === 'env' && !env[CACHE_KEY_ENV]) {
      throw new TokensmithError('ERR_CONFIG_INVALID', `encryptionKey 'env' needs ${CACHE_KEY_ENV} to be set`);
    }
    keyFromEnv(env); // a malformed variable is an error in every mode that may read it
    return;
  }
  if (option !== 'none') {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      "encryptionKey must be 'auto', 'env', 'keyring', 'none' or a Buffer",
    );
  }
}

/**
 * The key to encrypt cache entries with, or undefined for plaintext. See {@link EncryptionKeyOption}
 * for the rules; the keyring fallback logs a warning.
 */
export async function resolveEncryptionKey(
  option: EncryptionKeyOption,
  deps: KeyResolution = {},
): Promise<Buffer | undefined> {
  const env = deps.env ?? process.env;
  checkEncryptionOption(option, env);
  if (Buffer.isBuffer(option)) return Buffer.from(option);
  if (option === 'none') return undefined;
  if (option === 'auto') return autoKey(env, deps);
  if (option !== 'keyring') return keyFromEnv(env);
  const keyring = deps.keyring ?? osKeyringEntry();
  try {
    return await keyFromKeyring(keyring, deps.withLock ?? ((fn) => fn()));
  } catch (err) {
    // Asked for the keyring by name without the package that reaches it: a setup mistake, not an outage.
    if (isTokensmithError(err, 'ERR_DEPENDENCY_MISSING')) throw err;
    const fallback = keyFromEnv(env);
    log.warn(
      fallback
        ? `OS keyring unavailable; encrypting the cache with ${CACHE_KEY_ENV} instead`
        : `OS keyring unavailable; cache entries are stored UNENCRYPTED (files stay mode 0600). Set ${CACHE_KEY_ENV} to encrypt them`,
      { code: 'ERR_CACHE_UNAVAILABLE', reason: err instanceof Error ? err.message : String(err) },
    );
    return fallback;
  }
}

/** `'auto'`: the variable, else the OS keyring, else plaintext announced once per folder. */
async function autoKey(env: NodeJS.ProcessEnv, deps: KeyResolution): Promise<Buffer | undefined> {
  let key = keyFromEnv(env);
  let reason = '';
  if (!key) {
    try {
      key = await keyFromKeyring(deps.keyring ?? osKeyringEntry(), deps.withLock ?? ((fn) => fn()));
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
  }
  if (key) {
    // Encrypted now: a later fall back to plain entries must be announced again.
    if (deps.folder) await unlink(join(deps.folder, PLAINTEXT_NOTICE_FILE)).catch(() => {});
    return key;
  }
  await announcePlaintext(deps.folder, reason);
  return undefined;
}

/**
 * Warn that entries are stored in plaintext, once per folder: the notice file is created exclusively,
 * so of all the processes that find the folder unannounced exactly one warns. Nothing is marked while
 * warnings are not shown (the next run that shows them warns). Without a folder, every call warns.
 */
async function announcePlaintext(folder: string | undefined, reason: string): Promise<void> {
  if (!log.enabled('warn')) return;
  const where = folder ? ` in ${folder}` : '';
  const message = `cache entries${where} are stored UNENCRYPTED (files stay mode 0600): ${CACHE_KEY_ENV} is not set and the OS keyring is unavailable. Set ${CACHE_KEY_ENV} (openssl rand -base64 32) to encrypt them`;
  if (folder) {
    try {
      const handle = await open(join(folder, PLAINTEXT_NOTICE_FILE), 'wx', 0o600);
      try {
        await handle.writeFile(
          `tokensmith stores the cache entries in this folder unencrypted (files mode 0600): ${CACHE_KEY_ENV}\nis not set and the OS keyring is unavailable. Set ${CACHE_KEY_ENV} to a 32-byte key\n(openssl rand -base64 32) to encrypt them. Delete this file to be warned again.\n`,
        );
      } finally {
        await handle.close();
      }
    } catch (err) {
      // Already announced for this folder; any other failure to mark it just means warning again.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    }
  }
  log.warn(folder ? `${message}; said once per cache folder` : message, {
    code: 'ERR_CACHE_UNAVAILABLE',
    reason,
  });
}

async function keyFromKeyring(
  keyring: KeyringEntry,
  withLock: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<Buffer> {
  const stored = await keyring.get();
  if (stored) return parseEncryptionKey(stored, 'the keyring entry');
  // Two processes generating at once would each encrypt with a key the other cannot read.
  return withLock(async () => {
    const again = await keyring.get();
    if (again) return parseEncryptionKey(again, 'the keyring entry');
    const created = nodeCrypto().randomBytes(KEY_BYTES).toString('base64');
    registerKey(created);
    await keyring.set(created);
    // Some stores accept writes they cannot keep (no unlocked collection): insist on a round trip.
    const check = await keyring.get();
    if (check !== created) throw new Error('the keyring did not keep the generated key');
    log.info('generated a cache encryption key and stored it in the OS keyring');
    return Buffer.from(created, 'base64');
  });
}

/** An encrypted cache document: AES-256-GCM with a random 96-bit IV, all fields base64. */
export interface SealedDocument {
  v: 1;
  alg: typeof ALG;
  iv: string;
  tag: string;
  data: string;
}

/** True when `doc` has the shape of a {@link SealedDocument}. */
export function isSealed(doc: unknown): doc is SealedDocument {
  const d = doc as Partial<SealedDocument> | null;
  return !!d && typeof d === 'object' && d.alg === ALG;
}

/**
 * Encrypt `plaintext`. `aad` (the entry's file or key name) is authenticated, so a document moved to
 * another entry's place fails to open.
 */
export function seal(plaintext: string, key: Buffer, aad: string): SealedDocument {
  const { createCipheriv, randomBytes } = nodeCrypto();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    v: 1,
    alg: ALG,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** Decrypt a {@link SealedDocument}; a wrong key, a wrong `aad` or any tampering is `ERR_CACHE_CORRUPT`. */
export function unseal(doc: SealedDocument, key: Buffer, aad: string): string {
  try {
    const iv = Buffer.from(doc.iv, 'base64');
    const tag = Buffer.from(doc.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== 16 || typeof doc.data !== 'string')
      throw new Error('bad shape');
    const decipher = nodeCrypto().createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(doc.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new TokensmithError('ERR_CACHE_CORRUPT', 'cache entry cannot be decrypted (wrong key or altered)');
  }
}

/** A decoded cache entry: the cache key it was stored under and the record. */
export interface CacheEntry {
  key: string;
  record: CredentialRecord;
}

/**
 * Serialise one cache entry (JSON `{ v, key, record }`), sealed with `encKey` when there is one. `aad`
 * binds a sealed document to its slot (file name or Redis key).
 */
export function encodeEntry(
  key: string,
  record: CredentialRecord,
  encKey: Buffer | undefined,
  aad: string,
): string {
  const plain = JSON.stringify({ v: 1, key, record });
  return encKey ? JSON.stringify(seal(plain, encKey, aad)) : plain;
}

/**
 * Parse what {@link encodeEntry} wrote, checking the envelope and the record's shape. Anything wrong
 * (not JSON, not decryptable, plaintext while encryption is on, another key's entry, a malformed
 * record) is `ERR_CACHE_CORRUPT` with a secret-free message.
 */
export function decodeEntry(
  text: string,
  expectedKey: string | undefined,
  encKey: Buffer | undefined,
  aad: string,
): CacheEntry {
  const corrupt = (why: string) => new TokensmithError('ERR_CACHE_CORRUPT', `cache entry ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt('is not complete JSON');
  }
  if (isSealed(doc)) {
    if (!encKey) throw corrupt('is encrypted but no encryption key is configured');
    try {
      doc = JSON.parse(unseal(doc, encKey, aad));
    } catch (err) {
      if (err instanceof TokensmithError) throw err;
      throw corrupt('decrypts to something that is not JSON');
    }
  } else if (encKey) {
    // Encryption on means only authenticated entries are trusted.
    throw corrupt('is not encrypted although encryption is on');
  }
  const entry = doc as Partial<CacheEntry & { v: number }> | null;
  if (!entry || typeof entry !== 'object' || entry.v !== 1 || typeof entry.key !== 'string') {
    throw corrupt('has no valid envelope');
  }
  if (expectedKey !== undefined && entry.key !== expectedKey) throw corrupt('belongs to another key');
  const record = Credential.fromRecord(entry.record).toRecord();
  return { key: entry.key, record };
}
