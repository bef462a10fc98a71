import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import { proxySupply } from './credentials.js';
import { forwardingError, sendError, statusFor } from './errors.js';
import { type ForwardContext, type Forwarded, forward, upstreamDispatcher } from './forward.js';
import { type Refusal, requestGuard } from './guard.js';
import { answerHealth, isHealthPath } from './health.js';
import { normalizeOptions, type ProxyOptions } from './options.js';
import { upstreamPath } from './path.js';

const log = getLogger('proxy');

/** Counters of what the proxy did. */
export interface ProxyStats {
  /** Requests received for forwarding (health checks and refused requests not included). */
  requests: number;
  /** Requests sent a second time after a 401 and a renewal. */
  retries: number;
  /** Requests answered with a proxy error (502, 504) or cut off mid-response. */
  errors: number;
  /** Requests being handled right now. */
  inFlight: number;
}

/** A running proxy. */
export interface ProxyHandle {
  /** Base URL to send requests to, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Address the proxy listens on. */
  readonly address: { host: string; port: number };
  /** Upstream base URL. */
  readonly upstream: string;
  /** Live counters. */
  readonly stats: Readonly<ProxyStats>;
  /**
   * Stop accepting connections, let in-flight requests finish (up to `closeGraceMs`, then cut them
   * off), and close the upstream connections. Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Start a credential-injecting proxy: every request it receives is forwarded to `upstream` with
 * fresh credentials from `source`. Listens on loopback unless told otherwise, answers only for its
 * own `Host` names, refuses cross-site browser requests and keeps every path below the upstream's.
 *
 * @example
 * ```ts
 * const handle = await proxy.start({ source: manager, upstream: 'https://api.example.com/v1' });
 * // curl http://127.0.0.1:PORT/users → https://api.example.com/v1/users with Authorization set
 * ```
 */
export async function start(options: ProxyOptions): Promise<ProxyHandle> {
  const opts = normalizeOptions(options);
  const supply = proxySupply(opts.source, opts.tokenType);
  const origin = opts.upstream.origin;
  const upstream = opts.upstream.href;
  const pool = upstreamDispatcher(origin, {
    connections: opts.connections,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connectTimeout: Math.min(opts.timeoutMs, 10_000),
    ...(opts.tls ? { connect: opts.tls } : {}),
  });
  const stats: ProxyStats = { requests: 0, retries: 0, errors: 0, inFlight: 0 };
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  /** A forwarded request is over: answer its error if it had one, count it, log it. */
  const settle = ({ req, res, started, status: sent, replayed, error: err }: Forwarded) => {
    let status = sent;
    if (err === undefined) {
      if (replayed) stats.retries++;
    } else {
      stats.errors++;
      const error = forwardingError(err, origin);
      status = res.headersSent ? res.statusCode : statusFor(error);
      if (error.code !== 'ERR_ABORTED') log.warn(error.message, { code: error.code });
      try {
        sendError(res, status, error);
      } catch (sendErr) {
        // Never leave the socket hanging.
        log.error('proxy request handler failed', { code: (sendErr as { code?: string }).code });
        res.destroy();
      }
    }
    stats.inFlight--;
    if (started > 0 && log.enabled('info')) {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const path = (req.url ?? '/').split('?')[0];
      log.info(`${req.method} ${path} ${status} ${ms} ms${replayed ? ' (replayed after 401)' : ''}`, {
        method: req.method,
        path,
        status,
        ms,
        replayed,
      });
    }
    if (closing && stats.inFlight === 0) drained?.();
  };

  const ctx: ForwardContext = {
    pool,
    supply,
    origin,
    maxReplayBodyBytes: opts.maxReplayBodyBytes,
    settle,
  };

  const guard = requestGuard(opts.hosts, opts.origins);
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    // While closing, answer what is already on an open connection but let the client reconnect elsewhere.
    if (closing) res.shouldKeepAlive = false;
    const refusal = guard(req);
    if (refusal) {
      refuse(req, res, refusal);
      return;
    }
    if (isHealthPath(req.url)) {
      answerHealth(req, res, supply, upstream).catch((err) => {
        log.error('proxy health handler failed', { code: (err as { code?: string }).code });
        res.destroy();
      });
      return;
    }
    const path = upstreamPath(opts.basePath, req.url ?? '/');
    if (path === undefined) {
      const error = new TokensmithError(
        'ERR_PATH_INVALID',
        'the request path hides a ".." segment behind an encoded separator; refused',
      );
      refuse(req, res, { status: 400, error });
      return;
    }
    stats.requests++;
    stats.inFlight++;
    // The clock is read only when the request line will be logged.
    forward(ctx, req, res, log.enabled('info') ? performance.now() : 0, path);
  });
  await listen(server, opts.host, opts.port);
  const bound = server.address() as AddressInfo;
  const host = bound.address;
  const address = { host, port: bound.port };
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  log.info(`proxy listening on ${url}, forwarding to ${upstream}`, { kind: supply.kind });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      const allDone = new Promise<void>((resolve) => {
        drained = resolve;
        if (stats.inFlight === 0) resolve();
      });
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        allDone.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), opts.closeGraceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) log.warn(`closing with ${stats.inFlight} request(s) still in flight`);
      server.closeAllConnections();
      await serverClosed;
      await (timedOut ? pool.destroy() : pool.close());
    })();
    return closing;
  };

  return { url, address, upstream, stats, close };
}

/** Answer a request that is not forwarded, and say why in the log (path without its query). */
function refuse(req: IncomingMessage, res: ServerResponse, { status, error }: Refusal): void {
  const path = (req.url ?? '/').split('?')[0];
  log.warn(`refused ${req.method} ${path}: ${error.message}`, { code: error.code, status });
  // The body is not read: close the connection after the answer rather than drain it.
  res.shouldKeepAlive = false;
  sendError(res, status, error);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) =>
      reject(
        new TokensmithError('ERR_CONFIG_INVALID', `proxy: cannot listen on ${host}:${port}`, {
          cause,
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
