import type { CredentialCache } from '../core/cache.js';

/**
 * Remove every entry of `cache` whose credential was obtained by `clientId` (the Keystone client's
 * `destroy_tokens_for_client`), and return how many were removed. Each entry is checked again under
 * its lock, so a renewal running at the same time finishes first and is removed too. Nothing is
 * revoked at the server: use `TokenManager.logout()` for that.
 */
export async function forgetClient(cache: CredentialCache, clientId: string): Promise<number> {
  let removed = 0;
  for (const key of await cache.keys()) {
    const record = await cache.get(key);
    if (record?.clientId !== clientId) continue;
    await cache.withLock(key, async () => {
      const again = await cache.get(key);
      if (again?.clientId !== clientId) return;
      await cache.delete(key);
      removed++;
    });
  }
  return removed;
}
