/**
 * A forward proxy on loopback for the proxy tests: CONNECT tunnels (what clients use for https) and
 * absolute-form requests (`GET http://host/path`, what they use for http), each counted, to loopback
 * targets only (anything else is refused with 403).
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One absolute-form request the proxy forwarded. */
export interface ProxiedRequest {
  method: string;
  /** The absolute URL, as the client sent it. */
  url: string;
  proxyAuthorization?: string;
}

/** One CONNECT tunnel the proxy opened. */
export interface ProxiedTunnel {
  /** `host:port`, as the client asked. */
  target: string;
  proxyAuthorization?: string;
}

/** A running forward proxy. */
export interface ForwardProxy {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  readonly requests: ProxiedRequest[];
  readonly tunnels: ProxiedTunnel[];
  /** Close each CONNECT's connection without an answer (counted first), as a broken proxy might. */
  hangUpOnConnect: boolean;
  /** Forget what was counted. */
  reset(): void;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

/** Start a forward proxy on 127.0.0.1 with a random port. */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const tunnels: ProxiedTunnel[] = [];
  const sockets = new Set<Socket>();
  const auth = (req: IncomingMessage) => req.headers['proxy-authorization'];

  const server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form requests only');
      return;
    }
    if (target.protocol !== 'http:' || !LOOPBACK.test(target.hostname)) {
      res.writeHead(403).end('loopback http targets only');
      return;
    }
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '', proxyAuthorization: auth(req) });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // As real proxies do: 502 when the target cannot be reached, a cut answer when it fails later.
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('bad gateway')));
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const target = req.url ?? '';
    const [, host, port] = /^(.*):(\d+)$/.exec(target) ?? [];
    if (!host || !LOOPBACK.test(host)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push({ target, proxyAuthorization: auth(req) });
    if (forwardProxy.hangUpOnConnect) {
      client.destroy();
      return;
    }
    let established = false;
    const upstream = connect(Number(port), host.replace(/^\[|\]$/g, ''), () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    // As real proxies do: 502 when the target cannot be reached, a cut tunnel when it fails later.
    upstream.on('error', () =>
      established ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
    );
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const forwardProxy: ForwardProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    tunnels,
    hangUpOnConnect: false,
    reset() {
      requests.length = 0;
      tunnels.length = 0;
      forwardProxy.hangUpOnConnect = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return forwardProxy;
}
