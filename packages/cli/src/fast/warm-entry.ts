/**
 * A profile's cached credential read straight from the CLI's file cache, when it is fresh (outside
 * its refresh window) and can be read without the OS keyring: what `TokenManager.getCredential()`
 * would return at once, with no renewal behind it. Anything else (no entry, a corrupt one, a token in
 * its window or expired, a folder that needs tidying, an entry that needs the keyring's key) is
 * undefined, and the full path deals with it, warnings included.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir } from 'tokensmith/internal/cache/default-dir.js';
import {
  decodeEntry,
  isSealed,
  keyFromEnv,
  PLAINTEXT_NOTICE_FILE,
} from 'tokensmith/internal/cache/encryption.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { freshDeadline } from 'tokensmith/internal/core/freshness.js';
import type { WarmProfile } from './profile-key.js';
import { sha256Hex } from './sha256.js';

/** Temp files of writers (FileCache's own pattern): the full path sweeps abandoned ones, so it takes over. */
const TEMP = /^[0-9a-f]{64}\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * The fresh credential cached under `profile.key`, or undefined. Encrypted entries are read with
 * `TOKENSMITH_CACHE_KEY`; plain entries only where the folder's `UNENCRYPTED.txt` says the CLI found no
 * key (the `'auto'` rule that wrote them), so a folder whose entries must be sealed is never served a
 * plain one. Without the variable, a sealed entry needs the keyring: the full path reads it.
 */
export async function warmCredential(
  profile: WarmProfile,
  now: number = Date.now(),
): Promise<Credential | undefined> {
  const envKey = keyFromEnv(); // a malformed variable throws: the full path reports it
  const dir = defaultCacheDir();
  const folder = await stat(dir).catch(() => undefined);
  // A folder with loose permissions is tightened (with a warning) by the full path.
  if (!folder?.isDirectory() || (process.platform !== 'win32' && (folder.mode & 0o777) !== 0o700)) {
    return undefined;
  }
  const names = await readdir(dir);
  if (names.some((n) => TEMP.test(n))) return undefined;
  const announcedPlain = names.includes(PLAINTEXT_NOTICE_FILE);
  // With a key, the full path removes the notice of an earlier plain folder: let it.
  if (envKey && announcedPlain) return undefined;
  const name = `${sha256Hex(profile.key)}.json`;
  if (!names.includes(name)) return undefined;
  const text = await readFile(join(dir, name), 'utf8');
  let sealed: boolean;
  try {
    sealed = isSealed(JSON.parse(text));
  } catch {
    return undefined; // corrupt: the full path warns and replaces it
  }
  if (sealed ? !envKey : envKey || !announcedPlain) return undefined;
  const { record } = decodeEntry(text, profile.key, envKey, name);
  const credential = Credential.fromRecord(record);
  return now < freshDeadline(credential, profile.windowMs) ? credential : undefined;
}
