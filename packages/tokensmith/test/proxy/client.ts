import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Readable } from 'node:stream';

/** A response read whole, with its size and SHA-256. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  sha256: string;
}

/**
 * One HTTP request with node:http, so tests control the exact headers and how the body is framed
 * (a buffer gets Content-Length, a stream goes chunked unless a Content-Length is given).
 */
export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | Readable } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        hash.update(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          sha256: hash.digest('hex'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('socket', (socket) => {
      if (!socket.listeners('error').includes(ignoreLateError)) socket.on('error', ignoreLateError);
    });
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/**
 * A server may answer (e.g. 401) and close before the request body is all sent. Node's client has
 * then let go of the socket, so the EPIPE of the late write would surface as an uncaught exception
 * after the test; errors while the exchange is on going still reach `req` and reject.
 */
function ignoreLateError(): void {}

/** The JSON body of an answer. */
export function json<T = Record<string, unknown>>(answer: Answer): T {
  return JSON.parse(answer.body.toString()) as T;
}
