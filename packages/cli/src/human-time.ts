/** Durations of 10,000 years or more are shown as `more than 10000y`. */
const MAX_SHOWN_YEARS = 10_000;

/**
 * `4m 10s`, `2h 5m`, `3d 4h`, `12y 3d`: two units at most, for people (a year is 365 days). Never
 * throws: a duration that is not a finite number is `unknown`, one of 10,000 years or more
 * `more than 10000y`.
 */
export function formatDuration(ms: number): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return 'unknown';
  let s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s >= MAX_SHOWN_YEARS * 31_536_000) return `more than ${MAX_SHOWN_YEARS}y`;
  const units: Array<[string, number]> = [
    ['y', 31_536_000],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    if (s >= size || (name === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${name}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/**
 * `in 4m 10s` or `expired 3m ago` relative to `now`; `no expiry` when unknown, `unknown expiry` when
 * not a finite number. Never throws.
 */
export function describeExpiry(expiresAt: number | undefined, now = Date.now()): string {
  if (expiresAt === undefined) return 'no expiry';
  const delta = expiresAt - now;
  if (!Number.isFinite(delta)) return 'unknown expiry';
  return delta > 0 ? `in ${formatDuration(delta)}` : `expired ${formatDuration(delta)} ago`;
}
