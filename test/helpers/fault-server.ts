import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * One scripted misbehaviour. Faults marked "upstream" forward the request first, so the upstream
 * has processed it (and counted it) before the client sees the fault.
 */
export type Fault =
  /** Forward and answer as the upstream did. */
  | { kind: 'pass' }
  /** Destroy the socket as soon as the request arrives: a reset before any response byte. */
  | { kind: 'reset' }
  /** Upstream: send the status, headers and half the body, then destroy the socket. */
  | { kind: 'reset-mid-body' }
  /** Answer nothing for `ms` (longer than the client's timeout), then drop the socket; `forward` first makes it "upstream". */
  | { kind: 'stall'; ms: number; forward?: boolean }
  /** Answer `status` with a small HTML body, without forwarding. */
  | { kind: 'status'; status: 500 | 502 | 503 | 504; retryAfter?: string }
  /** Answer 429 with `Retry-After: value` (seconds or an HTTP date), without forwarding. */
  | { kind: 'rate-limit'; retryAfter?: string }
  /** Upstream: answer with the first half of the upstream body (a complete HTTP message, broken JSON). */
  | { kind: 'truncated-json' }
  /** Upstream: pass the answer with its `Date` header moved by `minutes`. */
  | { kind: 'skew-date'; minutes: number };

/** What the fault server saw. */
export interface FaultStats {
  /** Requests that arrived at the fault server on a faulted path (each one is a client attempt). */
  attempts: number;
  /** Faulted-path requests forwarded to the upstream, i.e. token requests the upstream processed. */
  upstream: number;
  /** Faults applied, by kind, in order. */
  applied: string[];
}

/** A running fault server. */
export interface FaultServer {
  /** `http://127.0.0.1:PORT`: use it in place of the upstream origin. */
  origin: string;
  stats: FaultStats;
  /** Queue faults for the next faulted requests; once the queue is empty, `then` applies (default pass). */
  script(faults: Fault[], then?: Fault): void;
  /** Reset the counters (not the script). */
  resetStats(): void;
  /** Stop listening and drop every connection: new connections are refused (ECONNREFUSED). */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server in front of `upstream` that applies scripted faults to requests whose path
 * matches `faultPath` (default: paths ending in `/token`) and passes everything else through.
 */
export async function startFaultServer(
  upstream: string,
  options: { faultPath?: (path: string) => boolean } = {},
): Promise<FaultServer> {
  const target = new URL(upstream);
  const faulted = options.faultPath ?? ((path: string) => /\/token$/.test(path.split('?')[0]!));
  const stats: FaultStats = { attempts: 0, upstream: 0, applied: [] };
  let queue: Fault[] = [];
  let fallback: Fault = { kind: 'pass' };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    if (!faulted(req.url ?? '/')) {
      const answer = await forward(target, req, body);
      return send(res, answer);
    }
    stats.attempts++;
    const fault = queue.shift() ?? fallback;
    stats.applied.push(fault.kind);
    const upstreamAnswer = async () => {
      stats.upstream++;
      return forward(target, req, body);
    };
    switch (fault.kind) {
      case 'pass':
        return send(res, await upstreamAnswer());
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-mid-body': {
        const answer = await upstreamAnswer();
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        // Let the partial body leave before the reset, so the client sees headers and then a drop.
        const t = setTimeout(() => req.socket.destroy(), 20);
        timers.add(t);
        return;
      }
      case 'stall': {
        if (fault.forward) await upstreamAnswer();
        const t = setTimeout(() => req.socket.destroy(), fault.ms);
        timers.add(t);
        return;
      }
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'text/html' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res
          .writeHead(fault.status, headers)
          .end(`<html><body>${fault.status} from the fault server</body></html>`);
        return;
      }
      case 'rate-limit': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res
          .writeHead(429, headers)
          .end(JSON.stringify({ error: 'slow_down', error_description: 'rate limited' }));
        return;
      }
      case 'truncated-json': {
        const answer = await upstreamAnswer();
        return send(res, { ...answer, body: answer.body.subarray(0, Math.floor(answer.body.length / 2)) });
      }
      case 'skew-date': {
        const answer = await upstreamAnswer();
        const date = Date.parse(String(answer.headers.date ?? '')) || Date.now();
        const skewed = new Date(date + fault.minutes * 60_000).toUTCString();
        return send(res, { ...answer, headers: { ...answer.headers, date: skewed } });
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;

  const dropAll = () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const s of sockets) s.destroy();
  };

  return {
    origin: `http://127.0.0.1:${port}`,
    stats,
    script(faults, then = { kind: 'pass' }) {
      queue = [...faults];
      fallback = then;
    },
    resetStats() {
      stats.attempts = 0;
      stats.upstream = 0;
      stats.applied = [];
    },
    async down() {
      await new Promise<void>((r) => {
        server.close(() => r());
        dropAll();
      });
    },
    up: () => listen(server, port),
    async close() {
      dropAll();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Send the request to the upstream and read the whole answer (auth responses are small). */
function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers.connection;
    // Identity encoding, so a truncated body is truncated JSON rather than a broken gzip stream.
    delete headers['accept-encoding'];
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upstream) => {
        readAll(upstream).then((buf) => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(upstream.headers)) {
            if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) {
              h[k] = Array.isArray(v) ? v.join(', ') : v;
            }
          }
          resolve({ status: upstream.statusCode ?? 502, headers: h, body: buf });
        }, reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}
