import type { CredentialCache } from '../../core/cache.js';
import type { CredentialRecord } from '../../core/credential.js';
import { describeExpiry } from '../human-time.js';
import { info, out } from '../io.js';

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
  const rows = await rowsOf(file, `file ${file.dir}`);
  rows.push(...(await redisRows(flags.config)));
  if (flags.json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    info('No cached credentials.');
    return;
  }
  out(table(rows));
}

async function rowsOf(cache: CredentialCache, stored: string): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const key of await cache.keys()) {
    const record = await cache.get(key);
    if (record) rows.push(rowOf(key, record, stored));
  }
  return rows;
}

/** Redis caches named by profiles of the config file; a broken config or Redis is a warning here. */
async function redisRows(configPath: string | undefined): Promise<StatusRow[]> {
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
        rows.push(...(await rowsOf(cache, `redis ${cache.endpoint}`)));
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

function rowOf(key: string, r: CredentialRecord, stored: string): StatusRow {
  const profile = /^profile:([^|]*)\|/.exec(key)?.[1] ?? '(ad hoc)';
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

function table(rows: StatusRow[]): string {
  const cols: Array<[keyof StatusRow, string]> = [
    ['profile', 'PROFILE'],
    ['kind', 'KIND'],
    ['user', 'USER'],
    ['client', 'CLIENT'],
    ['expires', 'EXPIRES'],
    ['refresh', 'REFRESH'],
    ['stored', 'STORED'],
  ];
  const cells = rows.map((r) => cols.map(([k]) => String(r[k] ?? '-')));
  const widths = cols.map(([, h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols.map(([, h]) => h)), ...cells.map(line)].join('\n');
}
