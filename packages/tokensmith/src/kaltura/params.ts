/** Request parameters as the official clients send them. */

/** Drop `null`/`undefined` recursively, as the official clients do. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = dropNulls(v);
    }
    return out;
  }
  return value;
}
