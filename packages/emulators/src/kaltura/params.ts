/**
 * Request parameters the way api_v3 gathers them (`infraRequestUtils::getRequestParams`): a JSON body
 * only when Content-Type is exactly `application/json` and the body looks like an object, otherwise
 * form fields nested with `:` (or PHP brackets); the query string over the body, `/k/v` path pairs over both.
 */

/** Parameters as a nested object of strings, numbers, booleans and objects. */
export type Params = Record<string, unknown>;

function setNested(target: Params, path: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (!next || typeof next !== 'object') node[key] = {};
    node = node[key] as Params;
  }
  node[path[path.length - 1]!] = value;
}

/** `a:b:c` or `a[b][c]` → `['a','b','c']`. */
function keyPath(key: string): string[] {
  if (key.includes('[')) return key.replace(/\]/g, '').split('[').filter(Boolean);
  return key.split(':');
}

/** Merge flat `key=value` pairs into `target`, nesting by `:`/brackets. */
export function mergeFlat(target: Params, pairs: Iterable<[string, string]>): Params {
  for (const [k, v] of pairs) if (k) setNested(target, keyPath(k), v);
  return target;
}

/** Parse the body as the server would. */
export function bodyParams(contentType: string | undefined, body: string): Params {
  const trimmed = body.trim();
  if (
    (contentType ?? '').toLowerCase() === 'application/json' &&
    trimmed.startsWith('{') &&
    trimmed.endsWith('}')
  ) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Params;
    } catch {
      return {};
    }
  }
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return mergeFlat({}, new URLSearchParams(body));
  }
  return {};
}

/**
 * The path after `/api_v3` as `/k/v` pairs (infraRequestUtils::getUrlRequestParams): the first pair
 * of a name wins, and a `0` or empty name ends the list (PHP's `while (current($pathParts))`).
 */
export function pathPairs(segments: string[]): Array<[string, string]> {
  const out = new Map<string, string>();
  for (let i = 0; i < segments.length; i += 2) {
    const key = segments[i]!;
    if (!key || key === '0') break;
    if (!out.has(key)) out.set(key, segments[i + 1] ?? '');
  }
  return [...out];
}
