import type { IncomingMessage, ServerResponse } from 'node:http';
import { Client, type Dispatcher, EnvHttpProxyAgent, Pool } from 'undici';
import { envProxies, proxyAgentOptions } from '../core/env-proxy.js';
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import { type ForwardBody, isReplayable, prepareBody } from './body.js';
import type { CredentialSupply, IssuedHeaders } from './credentials.js';
import { clientResponseHeaders, rawHeaderValue, refusalAnswer, upstreamRequestHeaders } from './headers.js';

const log = getLogger('proxy');

/** What forwarding needs, built once per proxy. */
export interface ForwardContext {
  /** Connections to the upstream: see {@link upstreamDispatcher}. */
  pool: Dispatcher;
  supply: CredentialSupply;
  /** Upstream origin, e.g. `https://api.example.com`. */
  origin: string;
  maxReplayBodyBytes: number;
  /** Called exactly once per forwarded request, when it is over (see {@link Forwarded}). */
  settle(forwarded: Forwarded): void;
}

/** How one forwarded request went. */
export interface Forwarded {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** What `forward` was given as the start time. */
  readonly started: number;
  /** Status sent to the client (0 while none was sent). */
  readonly status: number;
  /** True when the request was sent a second time after a 401 and a renewal. */
  readonly replayed: boolean;
  /**
   * Undefined when the whole answer was handed to the client. Otherwise what went wrong: the
   * response may not have started (the settler answers with an error) or may be cut short.
   */
  readonly error: unknown;
}

/**
 * The proxy's connections to `origin`: a pool, or, when the environment names an outbound proxy
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`; see env-proxy.ts), an agent that goes through it in a
 * CONNECT tunnel, also for an http upstream: undici's absolute-form path drops the `false` that
 * {@link Exchange.onHeaders} returns to hold a 401 during a renewal (undici 7.30).
 */
export function upstreamDispatcher(origin: string, options: Pool.Options): Dispatcher {
  const proxies = envProxies();
  return proxies
    ? new EnvHttpProxyAgent({
        ...options,
        ...proxyAgentOptions(proxies, { Client }),
        proxyTunnel: true,
        // TLS options (a CA, a client certificate) hold for the upstream inside the tunnel too.
        requestTls: typeof options.connect === 'object' ? options.connect : undefined,
      })
    : new Pool(origin, options);
}

/**
 * Forward `req` to `path` at the upstream (as `upstreamPath` worked it out) with fresh credentials
 * and stream the answer back; `ctx.settle` is called once when it is over. On a 401 the credential
 * is renewed; the request is replayed once when its body was held, otherwise the 401 is passed on
 * (the client's own retry then gets the renewed credential).
 *
 * Built on undici's `dispatch()` rather than `request()`: the upstream's answer is written straight
 * into the ServerResponse from undici's callbacks, with no body stream, pipe, promise or abort signal
 * in between. Backpressure: a full client socket pauses the upstream parser until 'drain'.
 */
export function forward(
  ctx: ForwardContext,
  req: IncomingMessage,
  res: ServerResponse,
  started: number,
  path: string,
): void {
  const exchange = new Exchange(ctx, req, res, started, path);
  (res as TaggedResponse)[kExchange] = exchange;
  res.on('close', onResponseClose);
  let body: ForwardBody | Promise<Buffer>;
  try {
    body = prepareBody(req, ctx.maxReplayBodyBytes);
  } catch (err) {
    exchange.fail(err);
    return;
  }
  if (body instanceof Promise) {
    body.then(
      (held) => exchange.start(held),
      (err) => exchange.fail(err),
    );
  } else {
    exchange.start(body);
  }
}

const kExchange = Symbol('tokensmith.proxy.exchange');
type TaggedResponse = ServerResponse & { [kExchange]?: Exchange };

/** 'close' listener shared by every response (no closure per request): finished, or the client went away. */
function onResponseClose(this: ServerResponse): void {
  const exchange = (this as TaggedResponse)[kExchange];
  if (!exchange) return;
  if (this.writableFinished) exchange.finish();
  else exchange.clientGone();
}

const clientGoneError = () =>
  new TokensmithError('ERR_ABORTED', 'the client went away before the answer was complete');

/** One forwarded request: its state, and undici's handler for the upstream exchange (legacy callback API). */
class Exchange implements Forwarded, Dispatcher.DispatchHandler {
  status = 0;
  replayed = false;
  error: unknown = undefined;
  readonly method: string;
  private body: ForwardBody = null;
  private issued: IssuedHeaders | undefined;
  /** Set by undici once the request is on a connection; cleared when that exchange is over. */
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  /** Reading away the body of a 401 before the replay. */
  private discarding = false;
  private rejectedHeaders: Buffer[] | undefined;
  private upstreamDone = false;
  private gone = false;
  private settled = false;

  constructor(
    private readonly ctx: ForwardContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly started: number,
    readonly path: string,
  ) {
    this.method = req.method ?? 'GET';
  }

  /** The body is ready: get a credential and send. */
  start(body: ForwardBody): void {
    this.body = body;
    this.ctx.supply.issue(this.method, this.ctx.origin + this.path).then(
      (issued) => this.send(issued),
      (err) => this.fail(err),
    );
  }

  private send(issued: IssuedHeaders): void {
    if (this.settled) return;
    if (this.gone) {
      this.fail(clientGoneError());
      return;
    }
    this.issued = issued;
    this.discarding = false;
    try {
      // dispatch() reports its own failures through onError; the try keeps anything else out of the
      // promise chain this runs in, where it would become an unhandled rejection.
      this.ctx.pool.dispatch(
        {
          // A pool knows its origin; an agent (outbound proxy) needs it.
          origin: this.ctx.origin,
          path: this.path,
          method: this.method as Dispatcher.HttpMethod,
          headers: upstreamRequestHeaders(this.req.rawHeaders, this.req.headers.connection, issued.headers),
          body: this.body,
        },
        this,
      );
    } catch (err) {
      this.fail(err);
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.gone) {
      abort(clientGoneError());
      return;
    }
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // informational (e.g. 103): the final answer follows
    this.resumeUpstream = resume;
    // DPoP: a server may hand out its next nonce with any answer (RFC 9449 §8.2); keeping it spares
    // the next request a challenge and a replay. A 401's nonce is taken by renewAfter. Not DPoP: one
    // property read.
    const dpop = (this.issued as IssuedHeaders).dpop;
    if (dpop !== undefined && statusCode !== 401) {
      const nonce = rawHeaderValue(rawHeaders, 'dpop-nonce');
      if (nonce) dpop.key.rememberNonce(dpop.url, nonce);
    }
    if (statusCode === 401 && !this.replayed) {
      if (isReplayable(this.body)) {
        this.discarding = true;
        this.rejectedHeaders = rawHeaders;
        return true;
      }
      this.renewThenRelay(rawHeaders);
      return false; // hold the 401 until the renewal is done
    }
    this.respond(statusCode, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding || this.res.write(chunk)) return true;
    if (this.resumeUpstream) this.res.once('drain', this.resumeUpstream);
    return false;
  }

  onComplete(): void {
    this.abortUpstream = undefined;
    if (this.discarding) {
      this.replay();
      return;
    }
    this.upstreamDone = true;
    this.res.end();
  }

  onError(err: Error): void {
    this.abortUpstream = undefined;
    this.fail(err);
  }

  /** The request failed: let the settler answer or cut the response. First outcome wins. */
  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.error = err;
    this.ctx.settle(this);
  }

  /** The response was handed over whole. */
  finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.settle(this);
  }

  /** The client closed before the response was complete: stop the upstream exchange. */
  clientGone(): void {
    this.gone = true;
    if (this.settled) return;
    // With an upstream exchange under way, undici answers the abort by calling onError.
    const abort = this.abortUpstream;
    if (abort) abort(clientGoneError());
    else if (this.upstreamDone) this.fail(clientGoneError());
    // Otherwise a credential, a body or a connection is awaited: send()/onConnect() see `gone`.
  }

  private respond(statusCode: number, rawHeaders: Buffer[]): void {
    this.res.writeHead(statusCode, clientResponseHeaders(rawHeaders));
    this.status = statusCode;
  }

  /** The 401's body has been read away: renew the credential and send the held request once more. */
  private replay(): void {
    const rejected = this.issued as IssuedHeaders;
    const answer = refusalAnswer(401, this.rejectedHeaders ?? []);
    this.rejectedHeaders = undefined;
    this.replayed = true;
    if (log.enabled('debug')) {
      log.debug('upstream answered 401; renewing the credential and replaying once', {
        method: this.method,
        path: withoutQuery(this.path),
      });
    }
    const { supply } = this.ctx;
    supply
      .renewAfter(rejected, answer)
      .then(() => supply.issue(this.method, this.ctx.origin + this.path))
      .then(
        (issued) => this.send(issued),
        (err) => this.fail(err),
      );
  }

  /** A 401 to a body that cannot be sent again: renew anyway so that the client's own retry succeeds, then pass it on. */
  private renewThenRelay(rawHeaders: Buffer[]): void {
    this.ctx.supply
      .renewAfter(this.issued as IssuedHeaders, refusalAnswer(401, rawHeaders))
      .catch((err) => {
        log.warn('renewal after a 401 failed', {
          code: (err as { code?: string }).code,
          path: withoutQuery(this.path),
        });
      })
      .then(() => {
        if (this.settled || this.gone) return;
        try {
          this.respond(401, rawHeaders);
          this.resumeUpstream?.();
        } catch (err) {
          // E.g. a header Node refuses to send: stop the upstream exchange (undici then calls onError).
          if (this.abortUpstream) this.abortUpstream(err as Error);
          else this.fail(err);
        }
      });
  }
}

/** Query strings may carry API keys the redactor does not know: logs get the path alone. */
function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}
