/**
 * PHP's `urlencode`, `http_build_query` and `parse_str`, as a KS v2 needs them byte for byte: the
 * server hashes and parses the query string it encrypted, so any difference breaks the signature.
 */

// PHP keeps only these bytes; everything else, `*` and `~` included, becomes %XX (space becomes `+`).
const KEEP = /^[A-Za-z0-9._-]$/;

/** PHP `urlencode`: UTF-8 bytes, `[A-Za-z0-9._-]` kept, space as `+`, the rest as uppercase `%XX`. */
export function phpUrlencode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && KEEP.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** PHP `urldecode`: `+` is a space, valid `%XX` sequences are bytes, anything else stays as it is. */
export function phpUrldecode(value: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(value, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x2b) bytes.push(0x20);
    else if (b === 0x25 && i + 2 < src.length && isHex(src[i + 1]!) && isHex(src[i + 2]!)) {
      bytes.push(Number.parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16));
      i += 2;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/**
 * PHP `http_build_query` for a flat map: `key=value` pairs joined by `&`, both urlencoded;
 * `null`/`undefined` values are left out, as PHP does.
 */
export function httpBuildQuery(fields: Iterable<[string, string | number | null | undefined]>): string {
  const parts: string[] = [];
  for (const [k, v] of fields) {
    if (v === null || v === undefined) continue;
    parts.push(`${phpUrlencode(k)}=${phpUrlencode(String(v))}`);
  }
  return parts.join('&');
}

/**
 * PHP `parse_str` for flat keys: pairs split on `&` and the first `=`, urldecoded; leading spaces of a
 * key dropped and `.`/space in it turned into `_` (PHP's variable-name rule); a repeated key keeps
 * the last value but its first position. Array syntax (`a[b]`) is not expanded: the key is kept.
 */
export function parseStr(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = phpUrldecode(rawKey).replace(/^ +/, '').replace(/[. ]/g, '_');
    if (!key) continue;
    out.set(key, phpUrldecode(rawValue));
  }
  return out;
}
