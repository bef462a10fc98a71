import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the upstream saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/** Deterministic bytes (a counter pattern), so both ends can hash what should have travelled. */
export function patternBytes(length: number, offset = 0): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (offset + i) % 251;
  return b;
}

/** SHA-256 hex of `length` pattern bytes, computed in chunks. */
export function patternSha256(length: number): string {
  const h = createHash('sha256');
  const chunk = 1 << 20;
  for (let at = 0; at < length; at += chunk) h.update(patternBytes(Math.min(chunk, length - at), at));
  return h.digest('hex');
}

/**
 * A plain node:http API for the proxy tests. It answers 401 when the bearer token is missing or
 * revoked, and otherwise by path:
 * - `/download?bytes=N`: N pattern bytes;
 * - `/echo`: streams the request body straight back;
 * - `/hold`: waits until `release()` before answering;
 * - anything else: reads the body and answers JSON with its size and SHA-256.
 */
export async function startUpstream() {
  const revoked = new Set<string>();
  const seen: SeenRequest[] = [];
  let connections = 0;
  let releaseHeld: Array<() => void> = [];
  let holding: () => void = () => {};
  const held = () => new Promise<void>((r) => (holding = r));
  let nextHeld = held();

  const server = createServer((req, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const url = new URL(req.url ?? '/', 'http://upstream');
    const record: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bytes: 0,
      sha256: '',
    };
    seen.push(record);
    if (!token || revoked.has(token)) {
      // Answer without reading the body, as real APIs do for big uploads; drain it so the socket stays usable.
      req.resume();
      res.writeHead(401, {
        'www-authenticate': 'Bearer error="invalid_token"',
        'content-type': 'text/plain',
      });
      res.end('unauthorized');
      return;
    }
    if (url.pathname.endsWith('/echo')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (url.pathname.endsWith('/download')) {
      const total = Number(url.searchParams.get('bytes'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      let at = 0;
      const pump = () => {
        while (at < total) {
          const n = Math.min(1 << 16, total - at);
          const ok = res.write(patternBytes(n, at));
          at += n;
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      record.bytes += c.length;
      hash.update(c);
    });
    req.on('end', async () => {
      record.sha256 = hash.digest('hex');
      if (url.pathname.endsWith('/hold')) {
        holding();
        await new Promise<void>((r) => releaseHeld.push(r));
      }
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        bytes: record.bytes,
        sha256: record.sha256,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end(body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    revoked,
    seen,
    get connections() {
      return connections;
    },
    /** Resolves when a `/hold` request has arrived (and read its body). */
    held: () => nextHeld,
    /** Let every held request answer. */
    release() {
      for (const r of releaseHeld) r();
      releaseHeld = [];
      nextHeld = held();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The bearer tokens the upstream received, in order. */
export function tokensSeen(seen: SeenRequest[]): Array<string | undefined> {
  return seen.map((s) => s.headers.authorization?.replace(/^Bearer /, ''));
}
