import type { FileCache } from 'tokensmith/internal/cache/file.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import { describeExpiry } from '../human-time.js';
import { info, out } from '../io.js';
import { table } from '../text-table.js';

/** Flags of `tokensmith status`. */
export interface StatusFlags {
  config?: string;
  json?: boolean;
}

/** One cached credential as `status` shows it: never a token, only facts about it. */
export interface StatusRow {
  profile: string;
  kind: string;
  user?: string;
  client?: string;
  issuer?: string;
  expiresAt?: string;
  expires: string;
  refresh: string;
  stored: string;
  /** Why the entry cannot be used (corrupt, a token that is not header-safe, a time out of range). */
  invalid?: string;
}

/**
 * `tokensmith status`: the cached credentials (file cache, plus the Redis caches of configured
 * profiles) with profile, kind, user, expiry in human form and where they are stored. A file entry
 * that cannot be used is listed as `invalid` with the reason; it never stops the listing.
 */
export async function statusCommand(flags: StatusFlags): Promise<void> {
  const { userFileCache } = await import('../config/user-cache.js');
  const file = userFileCache();
  const { profileOfKey } = await import('../config/build-source.js');
  const rows = await fileRows(file, `file ${file.dir}`, profileOfKey);
  rows.push(...(await redisRows(flags.config, profileOfKey)));
  if (flags.json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    info('No cached credentials.');
    return;
  }
  out(statusTable(rows));
  for (const r of rows) {
    if (r.invalid) info(`note: ${r.stored}: ${r.invalid}; it is ignored and replaced at the next renewal`);
  }
}

type ProfileOfKey = (key: string) => string | undefined;

/** Rows of the file cache, the unusable entries included. */
async function fileRows(cache: FileCache, stored: string, profileOf: ProfileOfKey): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const entry of await cache.entries()) {
    const profile = (entry.key === undefined ? undefined : profileOf(entry.key)) ?? '(ad hoc)';
    if (entry.record) {
      rows.push(rowOf(profile, entry.record, stored));
      continue;
    }
    rows.push({
      profile: entry.key === undefined ? '(unknown)' : profile,
      kind: entry.about?.kind ?? '-',
      user: entry.about?.subject,
      client: entry.about?.clientId,
      issuer: entry.about?.issuer,
      expires: 'invalid entry',
      refresh: '-',
      stored: `${stored}/${entry.file}`,
      invalid: entry.problem ?? 'unreadable',
    });
  }
  return rows;
}

async function rowsOf(cache: CredentialCache, stored: string, profileOf: ProfileOfKey): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const key of await cache.keys()) {
    const record = await cache.get(key);
    if (record) rows.push(rowOf(profileOf(key) ?? '(ad hoc)', record, stored));
  }
  return rows;
}

/** Redis caches named by profiles of the config file; a broken config or Redis is a warning here. */
async function redisRows(configPath: string | undefined, profileOf: ProfileOfKey): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  try {
    const { loadConfig } = await import('../config/profiles.js');
    const config = await loadConfig(configPath);
    const urls = new Set<string>();
    for (const p of Object.values(config.profiles)) {
      if (p.values.cache === 'redis' && typeof p.values.redis_url === 'string') urls.add(p.values.redis_url);
    }
    if (urls.size === 0) return rows;
    const { RedisCache } = await import('tokensmith/internal/cache/redis.js');
    for (const url of urls) {
      const cache = new RedisCache({ url, commandTimeoutMs: 2_000, failoverWaitMs: 2_000 });
      try {
        rows.push(...(await rowsOf(cache, `redis ${cache.endpoint}`, profileOf)));
      } catch (err) {
        info(
          `warning: cannot list ${cache.endpoint}: ${terminalSafe(err instanceof Error ? err.message : String(err))}`,
        );
      } finally {
        await cache.close();
      }
    }
  } catch (err) {
    info(`warning: config not read: ${terminalSafe(err instanceof Error ? err.message : String(err))}`);
  }
  return rows;
}

function rowOf(profile: string, r: CredentialRecord, stored: string): StatusRow {
  const refresh = !r.refreshToken
    ? 'none'
    : r.refreshExpiresAt === undefined
      ? 'yes'
      : `expires ${describeExpiry(r.refreshExpiresAt)}`;
  return {
    profile,
    kind: r.kind,
    user: r.subject,
    client: r.clientId,
    issuer: r.issuer,
    expiresAt: r.expiresAt === undefined ? undefined : isoTime(r.expiresAt),
    expires: describeExpiry(r.expiresAt),
    refresh,
    stored,
  };
}

function statusTable(rows: StatusRow[]): string {
  const cols: Array<[keyof StatusRow, string]> = [
    ['profile', 'PROFILE'],
    ['kind', 'KIND'],
    ['user', 'USER'],
    ['client', 'CLIENT'],
    ['expires', 'EXPIRES'],
    ['refresh', 'REFRESH'],
    ['stored', 'STORED'],
  ];
  return table(
    cols.map(([, h]) => h),
    // User, client and issuer came from a server or a cache file: nothing in them may drive the terminal.
    rows.map((r) => cols.map(([k]) => terminalSafe(String(r[k] ?? '-')))),
  );
}
