import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { TokensmithError } from '../core/errors.js';
import { getLogger } from '../core/log.js';
import { type ForwardBody, isReplayable, prepareBody } from './body.js';
import type { CredentialSupply, IssuedHeaders } from './credentials.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

const log = getLogger('proxy');

/** What forwarding needs, built once per proxy. */
export interface ForwardContext {
  pool: Pool;
  supply: CredentialSupply;
  /** Upstream origin, e.g. `https://api.example.com`. */
  origin: string;
  /** Upstream path prefix without trailing slash. */
  basePath: string;
  maxReplayBodyBytes: number;
}

/** How one forwarded request went. */
export interface ForwardOutcome {
  /** Status sent to the client. */
  status: number;
  /** True when the request was sent a second time after a 401 and a renewal. */
  replayed: boolean;
}

/**
 * Forward `req` to the upstream with fresh credentials and stream the answer back. On a 401 the
 * credential is renewed; the request is replayed once when its body was held, otherwise the 401 is
 * passed on (the client's own retry then gets the renewed credential). Throws on transport or
 * credential failures before the response started; the caller answers with an error.
 */
export async function forward(
  ctx: ForwardContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<ForwardOutcome> {
  const method = req.method ?? 'GET';
  const path = ctx.basePath + requestPath(req.url ?? '/');
  const url = ctx.origin + path;
  // Cancel the upstream exchange when the client goes away before its answer is complete. undici
  // accepts an emitter of 'abort' as a signal; a plain one costs far less than an AbortController.
  const abort = new ClientGone();
  res.once('close', () => {
    if (!res.writableFinished) abort.fire();
  });
  const body = await prepareBody(req, ctx.maxReplayBodyBytes);
  let issued = await ctx.supply.issue(method, url);
  let answer = await send(ctx, req, method, path, body, issued, abort);
  let replayed = false;
  if (answer.statusCode === 401) {
    if (isReplayable(body)) {
      await answer.body.dump();
      log.debug('upstream answered 401; renewing the credential and replaying once', {
        method,
        path: withoutQuery(path),
      });
      await ctx.supply.renewAfter(issued, 401, answer.headers);
      issued = await ctx.supply.issue(method, url);
      answer = await send(ctx, req, method, path, body, issued, abort);
      replayed = true;
    } else {
      // The body is gone; renew anyway so that the client's own retry succeeds.
      await ctx.supply.renewAfter(issued, 401, answer.headers).catch((err) => {
        log.warn('renewal after a 401 failed', {
          code: (err as { code?: string }).code,
          path: withoutQuery(path),
        });
      });
    }
  }
  res.writeHead(answer.statusCode, clientResponseHeaders(answer.headers));
  await relay(answer.body, res);
  return { status: answer.statusCode, replayed };
}

/** An 'abort' emitter for undici, fired when the client went away. */
class ClientGone extends EventEmitter {
  aborted = false;
  fire(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/**
 * Stream the upstream body to the client with backpressure. Lighter than `stream.pipeline`, which
 * builds an AbortController and an error object per call: a third of the proxy's overhead.
 */
function relay(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      res.off('finish', done).off('close', closed);
      body.destroy();
      reject(err);
    };
    const done = () => {
      res.off('close', closed);
      body.off('error', fail);
      resolve();
    };
    const closed = () => fail(new TokensmithError('ERR_ABORTED', 'the client went away during the response'));
    body.once('error', fail);
    res.once('finish', done).once('close', closed);
    body.pipe(res);
  });
}

function send(
  ctx: ForwardContext,
  req: IncomingMessage,
  method: string,
  path: string,
  body: ForwardBody,
  issued: IssuedHeaders,
  signal: ClientGone,
): Promise<Dispatcher.ResponseData> {
  return ctx.pool.request({
    path,
    method: method as Dispatcher.HttpMethod,
    headers: upstreamRequestHeaders(req.rawHeaders, req.headers.connection, issued.headers),
    body,
    signal,
  });
}

/** Query strings may carry API keys the redactor does not know: logs get the path alone. */
function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/** Path and query of the request; an absolute-form target (`GET http://host/p`) keeps only its path. */
export function requestPath(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return u.pathname + u.search;
  } catch {
    return `/${target}`;
  }
}
