/**
 * The upstream path of a proxied request: the upstream's base path, then the request's own path
 * with its dot segments resolved below that base, so no request target reaches anything outside it.
 * @module
 */

/** Characters without which a path holds no dot segment, backslash or encoded separator. */
const SUSPECT = /[.%\\]/;

/**
 * `basePath` + the path and query of `target`, or `undefined` when the target must be refused.
 *
 * Dot segments are resolved as RFC 3986 §5.2.4 does, but never above the base path: `/../admin`
 * under `https://api/x/v1` goes to `/x/v1/admin`. Like browsers (WHATWG URL), `%2e` counts as a dot
 * and a backslash as a slash, since upstream servers may read them so. A `..` hidden behind an
 * encoded separator (`..%2f`, `..%5c`) or a path parameter (`..;`), which some servers decode or
 * strip before resolving, cannot be resolved without changing the path's meaning: refused. All else,
 * the query included, is forwarded byte for byte.
 */
export function upstreamPath(basePath: string, target: string): string | undefined {
  const full = requestPath(target);
  const q = full.indexOf('?');
  const path = q === -1 ? full : full.slice(0, q);
  if (!SUSPECT.test(path)) return basePath + full;
  const segments = path.split(/[\\/]/);
  const out: string[] = [];
  // segments[0] is the empty string before the leading slash.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    const dots = dotSegment(segment);
    if (dots === undefined) {
      if (hidesDotDot(segment)) return undefined;
      out.push(segment);
      continue;
    }
    if (dots === '..') out.pop();
    // A dot segment at the end leaves a trailing slash (`/a/b/..` is `/a/`).
    if (i === segments.length - 1) out.push('');
  }
  return `${basePath}/${out.join('/')}${q === -1 ? '' : full.slice(q)}`;
}

/** Path and query of a request target; an absolute-form target (`GET http://host/p`) keeps only its path. */
export function requestPath(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return u.pathname + u.search;
  } catch {
    return `/${target}`;
  }
}

/** `.` or `..` when the segment is one, `%2e` spellings included; otherwise undefined. */
function dotSegment(segment: string): '.' | '..' | undefined {
  if (segment.length > 6) return undefined;
  const plain = segment.includes('%') ? segment.replace(/%2e/gi, '.') : segment;
  return plain === '.' || plain === '..' ? plain : undefined;
}

/** True when decoding `%2f`, `%5c` or `%2e`, or cutting at `;`, would reveal a `..` segment. */
function hidesDotDot(segment: string): boolean {
  if (!segment.includes('..') && !segment.includes('%')) return false;
  const decoded = segment.replace(/%2e/gi, '.').replace(/%2f|%5c/gi, '/');
  const parts = decoded.split(/[/;]/);
  return parts.length > 1 && parts.includes('..');
}
