/**
 * Request parameters the way api_v3 gathers them (`infraRequestUtils::getRequestParams`): a JSON body
 * only when Content-Type is exactly `application/json` and the body looks like an object, otherwise
 * form fields nested with `:` (or PHP brackets); then `/k/v` path pairs and the query string on top.
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

/** Path after `/action/{name}` as `/k/v` pairs. */
export function pathPairs(segments: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < segments.length; i += 2) out.push([segments[i]!, segments[i + 1]!]);
  return out;
}

/** A string parameter, or undefined when absent/empty. */
export function pStr(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** An integer parameter (numbers or numeric strings), or undefined. */
export function pInt(p: Params, key: string): number | undefined {
  const v = p[key];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** An object parameter, or `{}`. */
export function pObj(p: Params, key: string): Params {
  const v = p[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : {};
}
