/**
 * api_v3 multirequest: several calls in one `POST /api_v3/service/multirequest`, numbered `1`, `2`, …;
 * the server runs them in order and answers an array with each result, or the API exception, in
 * place (KalturaFrontController::handleMultiRequest). A parameter may name an earlier result with
 * `{N:result:path}` ({@link resultRef}); the server puts that value in before it runs the call.
 *
 * Only values the server already has can be chained: the app-token `tokenHash` is
 * `hash(widgetKs + token)`, computed where the token is, so `session.startWidgetSession` and
 * `appToken.startSession` cannot share a round trip (docs/kaltura-emulator-rules.md, "Multirequest").
 */
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { isKalturaException, KalturaApiException } from './api-exception.js';
import { dropNulls } from './params.js';

/** One call of a multirequest; build it with {@link kalturaCall}. */
export interface KalturaCall<T = unknown> {
  readonly service: string;
  readonly action: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** The KS of this call, or a {@link resultRef} to one; else the multirequest's `ks`. */
  readonly ks?: string;
  /** Checks and converts the raw result (it is not called for an exception); a throw fails the whole multirequest. */
  readonly parse?: (raw: unknown) => T;
}

/** One result of a multirequest: the value, or the API exception in its place. */
export type KalturaCallResult<C> = C extends KalturaCall<infer T> ? T | KalturaApiException : never;

/** The results of a multirequest, in the order of its calls. */
export type MultiRequestResults<Cs extends readonly KalturaCall<unknown>[]> = {
  -readonly [K in keyof Cs]: KalturaCallResult<Cs[K]>;
};

/** A call for {@link KalturaClient.multirequest}; `T` is what `parse` returns (unknown without it). */
export function kalturaCall<T = unknown>(
  service: string,
  action: string,
  params: Record<string, unknown> = {},
  options: { ks?: string; parse?: (raw: unknown) => T } = {},
): KalturaCall<T> {
  return { service, action, params, ...options };
}

const REF = /^\{[0-9]+:result(:.*)?\}$/;

/**
 * `{N:result:a:b}`: the value at path `a.b` of the N-th result of the same multirequest, counted from 1
 * in the order the calls run; without a path, the result itself (for a string such as a KS). A path
 * step may be an array index (`objects`, `0`, `id`). A missing value or an exception becomes `''`.
 */
export function resultRef(index: number, ...path: Array<string | number>): string {
  if (!Number.isInteger(index) || index < 1) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'resultRef: calls are counted from 1');
  }
  if (path.some((p) => String(p) === '' || String(p).includes(':') || String(p).includes('}'))) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'resultRef: a path step may not be empty or hold ":" or "}"',
    );
  }
  return `{${[index, 'result', ...path].join(':')}}`;
}

/** The numbered parameters of the calls: `{ '1': { service, action, …params, ks? }, … }`. */
export function multiRequestParams(calls: readonly KalturaCall<unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  calls.forEach((call, i) => {
    if (call.ks && !REF.test(call.ks)) registerSecret(call.ks);
    out[String(i + 1)] = {
      service: call.service,
      action: call.action,
      ...(dropNulls(call.params ?? {}) as Record<string, unknown>),
      ...(call.ks ? { ks: call.ks } : {}),
    };
  });
  return out;
}

/** A KS that came back in a result is a secret from then on (a string from session.start, or a `ks` field). */
function registerKs(call: KalturaCall<unknown>, raw: unknown): void {
  const action = `${call.service}.${call.action}`.toLowerCase();
  if (typeof raw === 'string' && (action === 'session.start' || action === 'session.impersonate')) {
    registerSecret(raw, 'transient');
  } else if (raw && typeof raw === 'object' && typeof (raw as { ks?: unknown }).ks === 'string') {
    registerSecret((raw as { ks: string }).ks, 'transient');
  }
}

/** Match the answer to the calls: one result each, exceptions in place, `parse` applied to the others. */
export function multiRequestResults(
  calls: readonly KalturaCall<unknown>[],
  answer: unknown,
  what: string,
): unknown[] {
  if (!Array.isArray(answer)) {
    throw new TokensmithError('ERR_RESPONSE_INVALID', `${what}: expected an array of results`, {
      source: what,
    });
  }
  if (answer.length !== calls.length) {
    throw new TokensmithError(
      'ERR_RESPONSE_INVALID',
      `${what}: ${answer.length} results for ${calls.length} calls`,
      { source: what },
    );
  }
  return calls.map((call, i) => {
    const raw = answer[i] as unknown;
    if (isKalturaException(raw))
      return new KalturaApiException(raw, `Kaltura ${call.service}.${call.action}`);
    registerKs(call, raw);
    return call.parse ? call.parse(raw) : raw;
  });
}
