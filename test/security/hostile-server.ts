import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';

/**
 * The malicious-server fixture of the security suite: one loopback server (http or https, on any
 * 127.x.y.z address, random port) whose answers a test scripts per path, and which records every
 * request it receives, so a test can check which secret reached which origin.
 */

/** One request as the hostile server received it. */
export interface SeenRequest {
  /** `http://127.0.0.1:PORT` of the server that received it. */
  origin: string;
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What the server answers. `body` objects are sent as JSON. */
export interface Reply {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer | object;
  /** Stream this many bytes of `x` (JSON-looking when `json`) instead of `body`, without Content-Length. */
  hugeBytes?: number;
  /** With `hugeBytes`: declare the length in Content-Length (default: chunked, undeclared). */
  declareLength?: boolean;
  /**
   * With `hugeBytes`: called once the body ends, with the bytes handed to the socket and whether all
   * of them were sent (false when the client cancelled the stream or dropped the connection).
   */
  onStreamEnd?: (written: number, finished: boolean) => void;
}

/** An answer: a fixed reply, or a function of the request. */
export type Answer = Reply | ((request: SeenRequest) => Reply | Promise<Reply>);

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:PORT` (or https, or another loopback address). */
  origin: string;
  /** `origin + path`. */
  url(path: string): string;
  /** Every request received, in order. */
  readonly seen: SeenRequest[];
  /** Answer requests whose pathname is `path` (without query) with `answer`; `'*'` matches any path. */
  on(path: string, answer: Answer): this;
  /** Forget recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** Options for {@link startHostileServer}. */
export interface HostileServerOptions {
  /** Loopback address to bind (default 127.0.0.1); use 127.0.0.2 for "another host". */
  host?: string;
  /** Serve https with the fixture's self-signed certificate (see {@link testTls}). */
  tls?: boolean;
}

/** A redirect to `location` (307 by default, which keeps method and body). */
export function redirect(location: string, status = 307): Reply {
  return { status, headers: { location } };
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * Serve an OpenID discovery document naming `server` as the issuer, with its token endpoint at
 * `/token`, and the other fields given as paths on the server (`{ jwks_uri: '/jwks' }`) or values.
 */
export function serveDiscovery(server: HostileServer, fields: Record<string, unknown> = {}): void {
  const resolved = Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [
      k,
      typeof v === 'string' && v.startsWith('/') ? server.url(v) : v,
    ]),
  );
  server.on(
    '/.well-known/openid-configuration',
    json({ issuer: server.origin, token_endpoint: server.url('/token'), ...resolved }),
  );
}

/** A body of `bytes` bytes, streamed in 64 KiB chunks. */
export function huge(bytes: number, declareLength = false): Reply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    hugeBytes: bytes,
    declareLength,
  };
}

/** Start a hostile server on loopback with a random port. */
export async function startHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  const host = options.host ?? '127.0.0.1';
  const answers = new Map<string, Answer>();
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let origin = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: SeenRequest = {
      origin,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(request);
    const path = new URL(request.url, origin).pathname;
    const answer = answers.get(path) ?? answers.get('*') ?? { status: 404, body: 'not found' };
    const reply = typeof answer === 'function' ? await answer(request) : answer;
    await send(res, reply);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  };
  const server = options.tls
    ? createHttpsServer({ key: testTls().key, cert: testTls().cert }, listener)
    : createHttpServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  origin = `${options.tls ? 'https' : 'http'}://${host}:${port}`;

  const hostile: HostileServer = {
    origin,
    url: (path) => origin + path,
    seen,
    on(path, answer) {
      answers.set(path, answer);
      return hostile;
    },
    reset: () => {
      seen.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return hostile;
}

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  const headers = { ...(reply.headers ?? {}) };
  if (reply.hugeBytes !== undefined) {
    if (reply.declareLength) headers['content-length'] = String(reply.hugeBytes);
    res.writeHead(reply.status ?? 200, headers);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = reply.hugeBytes;
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          // Both listeners go when either fires: one 'close' listener per pause would pile up.
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    }
    const finished = left === 0 && !res.destroyed;
    res.end();
    reply.onStreamEnd?.(reply.hugeBytes - left, finished);
    return;
  }
  const body =
    reply.body === undefined
      ? ''
      : typeof reply.body === 'string' || Buffer.isBuffer(reply.body)
        ? reply.body
        : JSON.stringify(reply.body);
  if (typeof reply.body === 'object' && !Buffer.isBuffer(reply.body) && !headers['content-type']) {
    headers['content-type'] = 'application/json';
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(body);
}

let tlsMaterial: { key: string; cert: string } | undefined;

/**
 * A self-signed certificate for 127.0.0.1, 127.0.0.2 and localhost, made once per test process with
 * `openssl` (Debian's `openssl` package), so https tests never trust anything but this certificate.
 */
export function testTls(): { key: string; cert: string } {
  if (tlsMaterial) return tlsMaterial;
  const dir = mkdtempSync(join(tmpdir(), 'tokensmith-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    tlsMaterial = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
    return tlsMaterial;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An undici dispatcher that trusts only {@link testTls}'s certificate, for `fetch(..., { dispatcher })`. */
export function trustingDispatcher(): Dispatcher {
  return new Agent({ connect: { ca: testTls().cert } });
}

/**
 * A fetch that trusts the fixture's certificate (and nothing else) and passes every other option
 * through, so the code under test decides redirects and headers itself.
 */
export function trustingFetch(): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  const dispatcher = trustingDispatcher();
  return (input, init) =>
    undiciFetch(input as never, { ...init, dispatcher } as never) as unknown as Promise<Response>;
}
