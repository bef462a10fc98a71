import type { ServerResponse } from 'node:http';
import { isTokensmithError, TokensmithError } from '../core/errors.js';

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Turn what went wrong while forwarding into a TokensmithError with a stable code, and no secret. */
export function forwardingError(err: unknown, origin: string): TokensmithError {
  if (isTokensmithError(err)) return err;
  const code = transportCode(err);
  if (code && TIMEOUTS.has(code)) {
    return new TokensmithError('ERR_TIMEOUT', `upstream ${origin} did not answer in time (${code})`, {
      cause: err,
      source: 'upstream',
    });
  }
  // The client going away reaches here as our own ERR_ABORTED (forward.ts, body.ts). An abort of
  // undici's own is a network failure: e.g. the outbound proxy answering a CONNECT with 502, which
  // undici reports as a RequestAbortedError (UND_ERR_ABORTED).
  const tunnel =
    code === 'UND_ERR_ABORTED' ? /^Proxy response \((\d{3})\)/.exec((err as Error).message) : null;
  if (tunnel) {
    return new TokensmithError(
      'ERR_NETWORK',
      `upstream ${origin} failed: the outbound proxy answered the CONNECT with ${tunnel[1]}`,
      { cause: err, source: 'upstream' },
    );
  }
  return new TokensmithError('ERR_NETWORK', `upstream ${origin} failed (${code ?? 'unknown error'})`, {
    cause: err,
    source: 'upstream',
  });
}

/** HTTP status the proxy answers for `error`: 504 for a timeout, 502 otherwise (the upstream or the credential failed). */
export function statusFor(error: TokensmithError): number {
  return error.code === 'ERR_TIMEOUT' ? 504 : 502;
}

/** Answer with `{ "error": { "code", "message" } }` when nothing has been sent yet; otherwise cut the response. */
export function sendError(res: ServerResponse, status: number, error: TokensmithError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function transportCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return undefined;
}
