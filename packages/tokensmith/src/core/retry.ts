/**
 * Bounded retries for requests to auth endpoints (token, discovery, JWKS): a few attempts with
 * exponential backoff and jitter, `Retry-After` honoured up to a cap, all inside a time budget.
 *
 * What is retried, and why:
 * - transport failures before any response (`ERR_NETWORK`: refused, reset, DNS): the request most
 *   likely never reached the server, or reached it and was not answered;
 * - HTTP 500, 502, 503, 504 and 429: the server (or a gateway in front of it) said "not now".
 *
 * Never retried: certificate failures (an untrusted CA, an expired certificate, a name the
 * certificate does not hold, a client certificate the server refused; cert-errors.ts). They are
 * `ERR_NETWORK` too, but every attempt would fail the same way.
 *
 * What is not retried by default: `ERR_TIMEOUT`. A token request that timed out may have been
 * processed: with refresh-token rotation the server has then already replaced the refresh token we
 * hold, and sending the old one again is refused as `invalid_grant` or, under reuse detection (OAuth
 * 2.0 Security BCP §4.14), revokes the whole session; an authorization code is single-use as well. A
 * timeout has also used up a whole `timeoutMs`, so retrying it multiplies the wait. Opt in with
 * `retryOnTimeout` for endpoints where a repeat is harmless. Failures after the response started
 * (a reset while reading the body, truncated JSON) are never retried, for the same reason.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { certificateErrorCode } from './cert-errors.js';
import { isTokensmithError, TokensmithError } from './errors.js';
import { getLogger } from './log.js';
import { isoTime } from './time-bounds.js';

const log = getLogger('retry');

/** Options for retrying auth-endpoint requests. `false` disables retries. */
export interface RetryOptions {
  /** Attempts in total, the first included (default 3; 1 means no retry). */
  attempts?: number;
  /** Backoff before the first retry, ms (default 200); it doubles for each further retry. */
  baseDelayMs?: number;
  /** Largest backoff, ms, before jitter (default 5 000). */
  maxDelayMs?: number;
  /**
   * Random extra wait as a fraction of the backoff (default 0.5, so 200 ms becomes 200–300 ms).
   * Jitter only adds: a wait is never shorter than the backoff, which keeps many clients apart.
   */
  jitter?: number;
  /** Longest `Retry-After` honoured, ms (default 30 000). A longer one fails at once, saying when to retry. */
  maxRetryAfterMs?: number;
  /** Time for all attempts and waits together, ms (default 60 000): no retry starts a wait that would pass it. */
  budgetMs?: number;
  /** Also retry `ERR_TIMEOUT` (default false: the server may have processed the request, see above). */
  retryOnTimeout?: boolean;
  /** HTTP statuses that are retried (default 429, 500, 502, 503, 504). */
  statuses?: readonly number[];
}

/** {@link RetryOptions} with every default applied and checked. */
export type RetryPolicy = Readonly<Required<RetryOptions>>;

/** The policy used when nothing is configured. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  jitter: 0.5,
  maxRetryAfterMs: 30_000,
  budgetMs: 60_000,
  retryOnTimeout: false,
  statuses: Object.freeze([429, 500, 502, 503, 504]),
});

/** Normalize options once: `true`/`undefined` give the defaults, `false` a single attempt. */
export function retryPolicy(options: RetryOptions | boolean | undefined): RetryPolicy {
  if (options === false) return { ...DEFAULT_RETRY, attempts: 1 };
  const o = options === true || options === undefined ? {} : options;
  const policy = { ...DEFAULT_RETRY, ...stripUndefined(o) };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new TokensmithError('ERR_CONFIG_INVALID', `retry.${what}`);
  };
  check(Number.isInteger(policy.attempts) && policy.attempts >= 1, 'attempts must be an integer ≥ 1');
  for (const k of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'budgetMs'] as const) {
    check(Number.isFinite(policy[k]) && policy[k] >= 0, `${k} must be a number ≥ 0`);
  }
  check(Number.isFinite(policy.jitter) && policy.jitter >= 0, 'jitter must be a number ≥ 0');
  check(Array.isArray(policy.statuses), 'statuses must be a list of HTTP statuses');
  return Object.freeze(policy);
}

function stripUndefined(o: RetryOptions): RetryOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Backoff before retry number `retry` (1 for the first retry), jitter included, ms. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(base * (1 + policy.jitter * random()));
}

/**
 * `Retry-After` as a wait in ms: delay-seconds, or an HTTP date read against `now` (pass the
 * server's `Date` when there is one, so a skewed local clock does not stretch or skip the wait).
 * Undefined when absent or unparsable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse takes almost anything ("-3" is a year): insist on an HTTP date's day name and time.
  if (!/^[A-Za-z]{3}/.test(text) || !/\d\d:\d\d:\d\d/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

// Attempts made for a response returned after retries, so the caller's error can mention them.
const attemptsByResponse = new WeakMap<Response, number>();

/** How many attempts produced `response` (1 when it came on the first try or without retries). */
export function attemptsOf(response: Response): number {
  return attemptsByResponse.get(response) ?? 1;
}

/** What {@link sendWithRetry} needs to know about the request, for decisions and log lines. */
export interface RetryRequest {
  /** `POST https://host/path` without query or credentials. */
  label: string;
  /** Where errors come from (`oauth2`, `token endpoint`...). */
  source?: string;
  /** The caller's signal: aborting it stops the waits too. */
  signal?: AbortSignal | null;
}

/**
 * Run `attempt` until it gives a response that is not a retryable status, or the policy says stop.
 * `attempt` throws TokensmithErrors for transport failures (`ERR_NETWORK`, `ERR_TIMEOUT`, ...). The
 * last retryable response is returned as is (its attempt count in {@link attemptsOf}) so the caller's
 * checks build the usual error; the last thrown error is rethrown with the attempt count added.
 */
export async function sendWithRetry(
  policy: RetryPolicy,
  request: RetryRequest,
  attempt: () => Promise<Response>,
): Promise<Response> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    let response: Response;
    try {
      response = await attempt();
    } catch (err) {
      if (!isTokensmithError(err) || !retryableError(policy, err) || n >= policy.attempts) {
        throw addAttempts(err, n);
      }
      const wait = backoffDelay(policy, n);
      if (overBudget(policy, started, wait)) {
        throw addAttempts(err, n, `retry budget of ${policy.budgetMs} ms spent`);
      }
      await pause(request, n, wait, err.code, policy);
      continue;
    }
    if (!policy.statuses.includes(response.status)) return record(response, n);
    const date = Date.parse(response.headers.get('date') ?? '');
    const retryAfter = parseRetryAfter(
      response.headers.get('retry-after'),
      Number.isFinite(date) ? date : Date.now(),
    );
    if (n >= policy.attempts) return record(response, n);
    if (retryAfter !== undefined) {
      const limit = Math.min(policy.maxRetryAfterMs, policy.budgetMs - (Date.now() - started));
      if (retryAfter > limit) {
        await response.body?.cancel().catch(() => {});
        throw tooLongToWait(request, response.status, retryAfter, limit, n);
      }
    }
    const wait = retryAfter ?? backoffDelay(policy, n);
    if (overBudget(policy, started, wait)) return record(response, n);
    // Free the connection: the body of a 5xx/429 is of no use once we decided to retry.
    await response.body?.cancel().catch(() => {});
    await pause(request, n, wait, `HTTP ${response.status}`, policy);
  }
}

function retryableError(policy: RetryPolicy, err: TokensmithError): boolean {
  if (err.code === 'ERR_NETWORK') return certificateErrorCode(err.cause) === undefined;
  return err.code === 'ERR_TIMEOUT' && policy.retryOnTimeout;
}

/** True when waiting `wait` ms more would pass the time budget. */
function overBudget(policy: RetryPolicy, started: number, wait: number): boolean {
  return Date.now() - started + wait > policy.budgetMs;
}

async function pause(
  request: RetryRequest,
  n: number,
  wait: number,
  reason: string,
  policy: RetryPolicy,
): Promise<void> {
  // One line per retry: method, URL without query, reason and wait. Never a body or header.
  log.warn(
    `retrying ${request.label} after ${reason} (attempt ${n + 1} of ${policy.attempts} in ${wait} ms)`,
  );
  try {
    await sleep(wait, undefined, request.signal ? { signal: request.signal } : undefined);
  } catch (cause) {
    throw new TokensmithError('ERR_ABORTED', `${request.label} was aborted while waiting to retry`, {
      cause,
      source: request.source,
    });
  }
}

function record(response: Response, n: number): Response {
  if (n > 1) attemptsByResponse.set(response, n);
  return response;
}

/** The same error with the attempt count in its message (the code and fields unchanged). */
function addAttempts(err: unknown, n: number, why?: string): unknown {
  if (!isTokensmithError(err) || n === 1) return err;
  return new TokensmithError(err.code, `${err.message} (after ${n} attempts${why ? `; ${why}` : ''})`, {
    cause: err.cause,
    status: err.status,
    field: err.field,
    error: err.error,
    error_description: err.error_description,
    vendorCode: err.vendorCode,
    source: err.source,
  });
}

function tooLongToWait(
  request: RetryRequest,
  status: number,
  waitMs: number,
  limitMs: number,
  n: number,
): TokensmithError {
  // A server may ask for 10^14 s: beyond what a Date holds, so say so rather than throw.
  const when = isoTime(Date.now() + waitMs) ?? 'a time no calendar holds';
  return new TokensmithError(
    'ERR_HTTP_STATUS',
    `${request.label} answered HTTP ${status} asking to retry in ${Math.ceil(waitMs / 1000)} s, ` +
      `longer than the ${Math.max(0, Math.round(limitMs / 1000))} s this client waits; retry after ${when}` +
      (n > 1 ? ` (after ${n} attempts)` : ''),
    { status, source: request.source },
  );
}
