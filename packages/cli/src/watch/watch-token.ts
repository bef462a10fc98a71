import type { Credential } from 'tokensmith/internal/core/credential.js';
import { type ErrorCode, isTokensmithError } from 'tokensmith/internal/core/errors.js';
import type { TokenManager } from 'tokensmith/internal/core/manager.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import { credentialFor, expiryOf, renewAt, type TokenType } from 'tokensmith/internal/core/token-type.js';
import type { TokenFile } from './token-file.js';

/** What {@link watchToken} needs. */
export interface WatchTokenOptions {
  manager: TokenManager;
  tokenType: TokenType;
  file: TokenFile;
  /** The file's content for a credential (the `--format` output). */
  render: (credential: Credential) => string;
  /** Ends the watch (SIGTERM, SIGINT): it returns once a write in progress has finished. */
  signal: AbortSignal;
  /** A line for the log (stderr). */
  log: (line: string) => void;
}

/** Failures worth another try later: the server or the network may come back before the token expires. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_NETWORK',
  'ERR_TIMEOUT',
  'ERR_HTTP_STATUS',
  'ERR_RESPONSE_EMPTY',
  'ERR_RESPONSE_NOT_JSON',
  'ERR_LOCK_TIMEOUT',
  'ERR_CACHE_UNAVAILABLE',
]);

/** Longest single wait: the clock is looked at again after it, so a suspended laptop catches up on wake. */
const MAX_WAIT_MS = 60_000;
/** Shortest time between two renewals. */
const MIN_INTERVAL_MS = 1000;
/** Longest pause between tries after a transient failure. */
const MAX_BACKOFF_MS = 60_000;

/**
 * Write the token to the file, then rewrite it with a renewed one each time it enters the refresh
 * window (the manager's rule, so the file never holds a token about to expire), until `signal`.
 * Transient failures are retried (1 s, 2 s, … up to a minute apart) while the file keeps the old
 * token; others (login required, configuration) end the watch with that error.
 */
export async function watchToken(options: WatchTokenOptions): Promise<void> {
  const { manager, tokenType, file, render, signal, log } = options;
  let credential = await credentialFor(manager, tokenType, { signal });
  for (;;) {
    await file.write(render(credential));
    const due = renewAt(credential, tokenType, manager.refreshWindowMs);
    const expires = expiryOf(credential, tokenType);
    log(
      `tokensmith: wrote ${file.path}` +
        (expires === undefined
          ? '; the token has no expiry, nothing to renew'
          : `; token expires ${isoTime(expires)}, renewal at ${isoTime(due ?? expires)}`),
    );
    if (due === undefined) {
      await waitUntil(Number.POSITIVE_INFINITY, signal);
      return;
    }
    // At least a second between renewals, whatever the server says its tokens live.
    if (!(await waitUntil(Math.max(due, Date.now() + MIN_INTERVAL_MS), signal))) return;
    const renewed = await renew(credential, options);
    if (!renewed) return;
    credential = renewed;
  }
}

/** A renewed credential, trying again after transient failures; undefined once `signal` ends the watch. */
async function renew(previous: Credential, options: WatchTokenOptions): Promise<Credential | undefined> {
  const { manager, tokenType, signal, log } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      // The token in the file is the one to replace, even if a refresh-ahead timer renewed it already.
      return await credentialFor(manager, tokenType, {
        forceRefresh: true,
        rejectedToken: previous.token,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return undefined;
      if (!isTokensmithError(err) || !TRANSIENT.has(err.code)) throw err;
      const pause = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
      log(`tokensmith: renewal failed (${err.code}); trying again in ${Math.round(pause / 1000)} s`);
      if (!(await waitUntil(Date.now() + pause, signal))) return undefined;
    }
  }
}

/** Wait until `time` (epoch ms) in steps of at most a minute; false when `signal` ended the wait. */
async function waitUntil(time: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    const left = time - Date.now();
    if (left <= 0) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(left, MAX_WAIT_MS));
      signal.addEventListener('abort', done, { once: true });
    });
  }
  return false;
}
