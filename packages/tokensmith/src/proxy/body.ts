import type { IncomingMessage } from 'node:http';
import { TokensmithError } from '../core/errors.js';

/**
 * The request body as the proxy will send it: `null` when there is none, a buffer when it was small
 * enough to hold (so a 401 can be replayed), or the incoming stream itself (sent once, never held).
 */
export type ForwardBody = null | Buffer | IncomingMessage;

/**
 * Decide how to send the body of `req`: only a body whose size is declared by Content-Length and is at
 * most `maxReplayBytes` is read into memory (the only case that returns a promise); a chunked or
 * larger one is streamed through. Synchronous otherwise, so a request without a body costs no await.
 */
export function prepareBody(req: IncomingMessage, maxReplayBytes: number): ForwardBody | Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared === undefined) return req.headers['transfer-encoding'] === undefined ? null : req;
  const length = Number(declared);
  if (length === 0) return null;
  if (!(length <= maxReplayBytes)) return req;
  return readAll(req, length);
}

/** True when a request with this body can be sent a second time. */
export function isReplayable(body: ForwardBody): body is null | Buffer {
  return body === null || Buffer.isBuffer(body);
}

function readAll(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', done).off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const onEnd = () => done();
    // 'close' before 'end' means the client went away mid-body.
    const onClose = () =>
      done(new TokensmithError('ERR_ABORTED', 'the client closed the request before its body ended'));
    req.on('data', onData).on('end', onEnd).on('error', done).on('close', onClose);
  });
}
