/**
 * A provider built only when a credential must be obtained: its secrets (`cmd:`, `keyring:`, …) are
 * resolved on the first acquire, refresh or revoke, so a cache hit runs no command and reads no keyring.
 */
import type { Provider } from 'tokensmith/internal/core/provider.js';

/**
 * Stands in for the provider `build` makes. `head` is the same provider built with placeholder
 * secrets: it gives the kind, cache key, client id and interactivity (none of which depends on a
 * secret's value) and is never asked for a credential.
 */
export function lazyProvider(head: Provider, build: () => Promise<Provider>): Provider {
  let built: Promise<Provider> | undefined;
  const real = (): Promise<Provider> => {
    built ??= build().catch((err: unknown) => {
      // A secret that failed may be readable later (a keyring unlocked): do not keep the failure.
      built = undefined;
      throw err;
    });
    return built;
  };
  return {
    kind: head.kind,
    cacheKey: head.cacheKey,
    clientId: head.clientId,
    interactive: head.interactive,
    acquire: async (ctx) => (await real()).acquire(ctx),
    ...(head.refresh
      ? {
          // `build` makes the same kind of provider as `head`, so it has a refresh too.
          refresh: async (previous, ctx) => (await real()).refresh!(previous, ctx),
        }
      : {}),
    ...(head.revoke ? { revoke: async (credential) => (await real()).revoke?.(credential) } : {}),
  };
}

/** Placeholder for a secret in a provider that only names its credential (see {@link lazyProvider}). */
export const UNRESOLVED_SECRET = 'unresolved-secret';
