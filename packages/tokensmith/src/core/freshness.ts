/**
 * When a cached credential stops being fresh: one rule for the TokenManager and for the CLI's fast
 * path, which judges a cached entry without building a manager.
 * @module
 */

/** The two instants the rule needs (a Credential has both). */
export interface Lifetime {
  /** Epoch ms; undefined means the credential does not expire. */
  expiresAt?: number;
  /** Epoch ms when it was obtained. */
  obtainedAt: number;
}

/**
 * Fresh before this instant: `expiresAt` less the refresh window, the window capped at half the
 * lifetime (a token that lives less than twice the window would otherwise be renewed on every call).
 */
export function freshDeadline({ expiresAt, obtainedAt }: Lifetime, windowMs: number): number {
  if (expiresAt === undefined) return Number.POSITIVE_INFINITY;
  return expiresAt - Math.min(windowMs, Math.max(0, (expiresAt - obtainedAt) / 2));
}
