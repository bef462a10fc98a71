/**
 * `service=multirequest` as KalturaFrontController::handleMultiRequest runs it. Numbered parameters
 * (`1: {...}` in JSON, `1:service=...` in forms) are the sub-requests, from the lowest number (0 or 1)
 * up to the first gap or one without service and action; `ks`, `partnerId` and `clientTag` are copied
 * into those that lack them; `format` is the multirequest's. After each call, `{N:result:path}` in the
 * later calls' parameters is replaced by that value of the N-th result, N counting calls run from 1.
 */
import { ApiError } from './api-error.js';
import { phpString } from './arguments.js';
import { KalturaObject } from './objects.js';
import type { Params } from './params.js';

/** The numbered sub-requests, from the lowest number (at most 1) up to the first gap or incomplete one. */
function subRequests(params: Params): Params[] {
  const numbered = new Map<number, Params>();
  for (const [key, value] of Object.entries(params)) {
    const flat = key.match(/^(\d+):(.+)$/);
    if (flat) {
      // `1:service` as a flat key (a JSON body may carry it so): parameter `service` of request 1.
      const n = Number(flat[1]);
      numbered.set(n, { ...(numbered.get(n) ?? {}), [flat[2]!]: structuredClone(value) });
    } else if (/^\d+$/.test(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      numbered.set(Number(key), {
        ...(numbered.get(Number(key)) ?? {}),
        ...(structuredClone(value) as Params),
      });
    }
  }
  const out: Params[] = [];
  for (let i = Math.min(1, ...numbered.keys()); ; i++) {
    const request = numbered.get(i);
    if (!request || request.service === undefined || request.action === undefined) return out;
    out.push(request);
  }
}

/** Where a request names earlier results: key → the `{N:result...}` token, nested like the parameters. */
type References = Map<string, string | References>;

/** getMultiRequestResultsPaths, run once on the requests as sent. */
function findReferences(params: Params): References {
  const found: References = new Map();
  for (const [key, value] of Object.entries(params)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = findReferences(value as Params);
      if (inner.size) found.set(key, inner);
    } else if (typeof value === 'string') {
      const m = value.match(FIND);
      if (m) found.set(key, m[0]);
    }
  }
  return found;
}

/** replaceMultiRequestResults: put result number `index` into the references that name it. */
function replaceReferences(request: Params, references: References, index: number, result: unknown): void {
  for (const [key, ref] of references) {
    const value = request[key];
    if (value === undefined || value === null) continue;
    if (typeof ref !== 'string') {
      if (typeof value === 'object') replaceReferences(value as Params, ref, index, result);
      continue;
    }
    const token = ref.match(TOKEN);
    if (!token || Number(token[1]) !== index) continue;
    const replacement = phpString(valueAt(result, (token[2] ?? '').split(':')));
    request[key] = String(value).split(ref).join(replacement);
  }
}

/**
 * Run a multirequest: each sub-request through `dispatch` with the common parameters it lacks, its
 * result (or the API exception `toApiError` makes of a failure) in place, references resolved after
 * each call for the calls that follow.
 */
export async function runMultiRequest(
  params: Params,
  dispatch: (request: Params) => Promise<unknown>,
  toApiError: (err: unknown) => ApiError,
): Promise<unknown[]> {
  const requests = subRequests(params);
  const references = requests.map(findReferences);
  const results: unknown[] = [];
  for (const [i, request] of requests.entries()) {
    const current: Params = { ...request };
    // isset() in PHP: a given empty string counts as given.
    for (const common of ['clientTag', 'ks', 'partnerId']) {
      if ((current[common] === undefined || current[common] === null) && params[common] != null) {
        current[common] = params[common];
      }
    }
    delete current.format;
    let result: unknown;
    try {
      result = await dispatch(current);
    } catch (err) {
      result = toApiError(err);
    }
    results.push(result);
    for (let j = i + 1; j < requests.length; j++)
      replaceReferences(requests[j]!, references[j]!, i + 1, result);
  }
  return results;
}

/** getMultiRequestResultsPaths: `{N:result...}` anywhere in a value (greedy up to the last `}`). */
const FIND = /\{[0-9]+:result:?(.*)?\}/;
/** replaceMultiRequestResults: the same token split into N and the path. */
const TOKEN = /^\{([0-9]+):result:?(.*)?\}$/;

/** KalturaFrontController::getValueFromObject: only a primitive at the end of the path is a value. */
function valueAt(result: unknown, path: string[]): unknown {
  const [step, ...rest] = path;
  if (step === undefined || step === '') {
    return result !== null && typeof result === 'object' ? null : result;
  }
  if (result instanceof ApiError || result === null || result === undefined) return null;
  if (result instanceof KalturaObject) {
    return Object.hasOwn(result.props, step) ? valueAt(result.props[step], rest) : null;
  }
  if (Array.isArray(result)) {
    // A typed array (a list's `objects`): `_all` joins one property of every item, each followed by a comma.
    if (step === '_all') {
      const attr = rest[0];
      const values = result
        .map((item) => (item instanceof KalturaObject && attr !== undefined ? item.props[attr] : undefined))
        .filter((v) => v !== null && v !== undefined);
      return values.length ? values.map((v) => `${phpString(v)},`).join('') : null;
    }
    return /^\d+$/.test(step) && Number(step) < result.length ? valueAt(result[Number(step)], rest) : null;
  }
  return null;
}
