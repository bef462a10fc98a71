/** `4m 10s`, `2h 5m`, `3d 4h`: two units at most, for people. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const units: Array<[string, number]> = [
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

/** `in 4m 10s` or `expired 3m ago` relative to `now`; `no expiry` when unknown. */
export function describeExpiry(expiresAt: number | undefined, now = Date.now()): string {
  if (expiresAt === undefined) return 'no expiry';
  const delta = expiresAt - now;
  return delta > 0 ? `in ${formatDuration(delta)}` : `expired ${formatDuration(delta)} ago`;
}
