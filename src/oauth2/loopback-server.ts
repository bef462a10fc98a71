import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import type { LandingOutcome, LandingPage } from './landing-page.js';

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

/** Start the loopback redirect server. It serves one callback, then closes, or closes on timeout. */
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
  const close = () =>
    new Promise<void>((resolve) => {
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
        onCallback = (url, res) => {
          clearTimeout(timer);
          handle(url).then(
            async (result) => {
              await respond(res, options.landingPage, { ok: true, subject: result.subject });
              await close();
              resolve(result);
            },
            async (err: unknown) => {
              const e = err instanceof TokensmithError ? err : undefined;
              await respond(res, options.landingPage, {
                ok: false,
                code: e?.code ?? 'ERR_UNKNOWN',
                message: e?.message ?? 'unexpected error',
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
