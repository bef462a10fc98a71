import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback API that accepts any bearer token except revoked ones, and counts what it saw. */
export async function startTokenApi(options: { alwaysUnauthorized?: boolean } = {}) {
  const revoked = new Set<string>();
  const seen: Array<{ auth: string | undefined; body: string }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const auth = req.headers.authorization;
    seen.push({ auth, body: Buffer.concat(chunks).toString() });
    const token = auth?.replace(/^Bearer /, '');
    if (options.alwaysUnauthorized || !token || revoked.has(token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    revoked,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
