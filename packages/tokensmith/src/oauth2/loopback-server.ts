import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import type { LandingOutcome, LandingPage } from './landing-page.js';
import { toTokensmithError } from './oauth-error.js';

const log = getLogger('loopback');

/** Options of {@link startLoopbackServer}. */
export interface LoopbackServerOptions {
  /** Interface to bind: 127.0.0.1 (default) or ::1. Never a public interface. */
  host?: '127.0.0.1' | '::1' | 'localhost';
  /** Port (default 0: a free one). */
  port?: number;
  /** Path the authorization server redirects to (default `/callback`). */
  path?: string;
  /** Give up waiting after this many ms (default 5 minutes). */
  timeoutMs?: number;
  /**
   * The login's `state`. A request to the redirect path that does not carry it is answered with the
   * error page (`ERR_STATE_MISMATCH`, status 400) and otherwise ignored: anyone on this machine, or
   * any web page, can send one, and it must not end the login the person is going through.
   */
  state?: string;
  landingPage: LandingPage;
}

/** A one-shot redirect receiver (RFC 8252 §7.3). */
export interface LoopbackServer {
  redirectUri: string;
  /**
   * Wait for the redirect, then let `handle` finish the login while the browser waits, and show the
   * landing page for its outcome. Resolves with `handle`'s result; the server is closed afterwards.
   */
  handleCallback<T>(handle: (url: URL) => Promise<T & { subject?: string }>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Start the loopback redirect server. It serves one callback (the first with the right `state`),
 * then closes, or closes on timeout.
 */
export async function startLoopbackServer(options: LoopbackServerOptions): Promise<LoopbackServer> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'the redirect server binds loopback only');
  }
  const path = options.path ?? '/callback';
  let onCallback: ((url: URL, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (req.method !== 'GET' || url.pathname !== path || !onCallback) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (options.state !== undefined && !sameState(url.searchParams.get('state'), options.state)) {
      log.warn('ignored a request to the redirect URI without the login state; still waiting');
      respond(res, options.landingPage, {
        ok: false,
        code: 'ERR_STATE_MISMATCH',
        message: 'this redirect does not belong to the sign-in in progress; it was ignored',
      }).catch(() => res.destroy());
      return;
    }
    const handler = onCallback;
    onCallback = undefined; // one use only
    handler(url, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new TokensmithError('ERR_CONFIG_INVALID', `cannot listen on ${host}:${options.port ?? 0}`, { cause }),
      ),
    );
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUri = host === '::1' ? '[::1]' : host;
  // A login abandoned before its redirect (the browser could not start, the caller aborted) ends
  // here too: its timer must not keep the process alive for the whole login timeout.
  let abandon: (() => void) | undefined;
  const close = () =>
    new Promise<void>((resolve) => {
      abandon?.();
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    redirectUri: `http://${hostInUri}:${port}${path}`,
    close,
    handleCallback<T>(handle: (url: URL) => Promise<T & { subject?: string }>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          onCallback = undefined;
          void close();
          reject(new TokensmithError('ERR_TIMEOUT', 'no browser login arrived before the timeout'));
        }, options.timeoutMs ?? 300_000);
        abandon = () => {
          clearTimeout(timer);
          onCallback = undefined;
          reject(new TokensmithError('ERR_ABORTED', 'the browser login was abandoned'));
        };
        onCallback = (url, res) => {
          clearTimeout(timer);
          abandon = undefined;
          handle(url).then(
            async (result) => {
              await respond(res, options.landingPage, { ok: true, subject: result.subject });
              await close();
              resolve(result);
            },
            async (err: unknown) => {
              // A foreign error gets the code the OAuth layer gives any unexpected failure.
              const e = toTokensmithError(err, 'browser login');
              await respond(res, options.landingPage, {
                ok: false,
                code: e.code,
                message: e.message,
              }).catch(() => {});
              await close();
              reject(err);
            },
          );
        };
      });
    },
  };
}

/** Compare in constant time, so answers to forged redirects tell nothing about the state. */
function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(received), digest(expected));
}

async function respond(res: ServerResponse, page: LandingPage, outcome: LandingOutcome): Promise<void> {
  let answer: Awaited<ReturnType<LandingPage>>;
  try {
    answer = await page(outcome);
  } catch (err) {
    log.warn('the custom landing page failed; showing a plain one', { error: String(err) });
    answer = { html: outcome.ok ? 'Signed in.' : 'Sign-in failed.', status: outcome.ok ? 200 : 400 };
  }
  const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', connection: 'close' };
  if ('redirect' in answer) {
    res.writeHead(302, { ...headers, location: answer.redirect }).end();
  } else {
    res
      .writeHead(answer.status ?? (outcome.ok ? 200 : 400), {
        ...headers,
        'content-type': 'text/html; charset=utf-8',
      })
      .end(answer.html);
  }
  await new Promise<void>((resolve) =>
    res.writableFinished ? resolve() : res.once('finish', () => resolve()),
  );
}
