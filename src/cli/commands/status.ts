import type { CredentialCache } from '../../core/cache.js';
import type { CredentialRecord } from '../../core/credential.js';
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
}

/**
 * `tokensmith status`: the cached credentials (file cache, plus the Redis caches of configured
 * profiles) with profile, kind, user, expiry in human form and where they are stored.
 */
export async function statusCommand(flags: StatusFlags): Promise<void> {
  const { FileCache } = await import('../../cache/file.js');
  const file = new FileCache();
  const { profileOfKey } = await import('../../config/build-source.js');
  const rows = await rowsOf(file, `file ${file.dir}`, profileOfKey);
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
}

type ProfileOfKey = (key: string) => string | undefined;

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
    const { loadConfig } = await import('../../config/profiles.js');
    const config = await loadConfig(configPath);
    const urls = new Set<string>();
    for (const p of Object.values(config.profiles)) {
      if (p.values.cache === 'redis' && typeof p.values.redis_url === 'string') urls.add(p.values.redis_url);
    }
    if (urls.size === 0) return rows;
    const { RedisCache } = await import('../../cache/redis.js');
    for (const url of urls) {
      const cache = new RedisCache({ url, commandTimeoutMs: 2_000 });
      try {
        rows.push(...(await rowsOf(cache, `redis ${cache.endpoint}`, profileOf)));
      } catch (err) {
        info(`warning: cannot list ${cache.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await cache.close();
      }
    }
  } catch (err) {
    info(`warning: config not read: ${err instanceof Error ? err.message : String(err)}`);
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
    expiresAt: r.expiresAt === undefined ? undefined : new Date(r.expiresAt).toISOString(),
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
    rows.map((r) => cols.map(([k]) => String(r[k] ?? '-'))),
  );
}
