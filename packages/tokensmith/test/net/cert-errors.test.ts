import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isTokensmithError, type TokensmithError } from 'tokensmith/internal/core/errors.js';
import { createHttpClient } from 'tokensmith/internal/core/http.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { tlsFetch } from 'tokensmith/internal/core/tls.js';
import { type TestPki, testPki } from '../../../../test/helpers/test-pki.js';

/**
 * Issue #15 follow-up: a certificate the client cannot accept is a configuration problem, not a
 * passing network fault. Such failures are final (one connection, not one per retry), and the
 * untrusted-CA ones say how to trust the CA.
 */

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

async function failure(promise: Promise<unknown>): Promise<TokensmithError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isTokensmithError(err), `a TokensmithError, got ${String(err)}`);
    return err;
  }
  assert.fail('the request succeeded');
}

/**
 * `openssl s_server` limited to TLS 1.2 and requiring a client certificate the test CA signed,
 * behind a loopback TCP relay that counts connections. OpenSSL sends its alerts during the TLS 1.2
 * handshake, so the client sees their codes (Node's own server resets the connection instead).
 */
async function opensslServer(
  pki: TestPki,
): Promise<{ port: number; count: () => number; stop: () => Promise<void> }> {
  const child = spawn(
    'openssl',
    [
      's_server',
      '-tls1_2',
      '-Verify',
      '1',
      '-verify_return_error',
      '-CAfile',
      pki.ca.certFile,
      '-cert',
      pki.server.certFile,
      '-key',
      pki.server.keyFile,
      '-accept',
      '127.0.0.1:0',
      '-www',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const target = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', () => reject(new Error('openssl s_server exited (Debian package openssl)')));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  let connections = 0;
  const relay = createNetServer((socket) => {
    connections++;
    const upstream = connect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    count: () => connections,
    stop: async () => {
      child.removeAllListeners('exit');
      child.kill();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

describe('certificate errors: final, with a hint', () => {
  let pki: TestPki;
  const servers: Server[] = [];
  // TCP connections each server accepted: one per attempt.
  const connections = new Map<Server, number>();

  const start = async (cert: string, key: string): Promise<{ server: Server; port: number }> => {
    const server = createServer({ cert, key }, (_req, res) => res.end('{"ok":true}'));
    server.on('connection', () => connections.set(server, (connections.get(server) ?? 0) + 1));
    servers.push(server);
    return { server, port: await listen(server) };
  };

  before(() => {
    configureLogging({ level: 'silent' });
    pki = testPki();
  });
  beforeEach(() => connections.clear());
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it('a server signed by an unknown CA: one connection, ERR_NETWORK naming the cause and the fix', async () => {
    const { server, port } = await start(pki.server.cert, pki.server.key);
    const http = createHttpClient({ retry: { attempts: 4, baseDelayMs: 1 }, source: 'test' });
    const err = await failure(http(`https://127.0.0.1:${port}/token`));
    assert.equal(err.code, 'ERR_NETWORK');
    assert.equal(connections.get(server), 1);
    assert.equal(
      err.message,
      `GET https://127.0.0.1:${port}/token failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE ` +
        '(trust its CA with ca_file / --ca-file or NODE_EXTRA_CA_CERTS)',
    );
  });

  it('a self-signed server certificate: one connection, the same hint', async () => {
    const { server, port } = await start(pki.selfSigned.cert, pki.selfSigned.key);
    const http = createHttpClient({ retry: { attempts: 4, baseDelayMs: 1 } });
    const err = await failure(http(`https://127.0.0.1:${port}/`));
    assert.equal(err.code, 'ERR_NETWORK');
    assert.equal(connections.get(server), 1);
    assert.match(
      err.message,
      /failed: DEPTH_ZERO_SELF_SIGNED_CERT \(trust its CA with ca_file \/ --ca-file or NODE_EXTRA_CA_CERTS\)$/,
    );
  });

  it('a name the certificate does not hold: one connection, no CA hint (trusting a CA would not help)', async () => {
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (_q, r) => r.end());
    server.on('connection', () => connections.set(server, (connections.get(server) ?? 0) + 1));
    servers.push(server);
    // The certificate names 127.0.0.1 and localhost; 127.0.0.2 is loopback but not in it.
    const port = await listen(server, '127.0.0.2');
    const http = createHttpClient({
      retry: { attempts: 4, baseDelayMs: 1 },
      fetch: tlsFetch({ ca: pki.ca.cert }),
    });
    const err = await failure(http(`https://127.0.0.2:${port}/`));
    assert.equal(err.code, 'ERR_NETWORK');
    assert.equal(connections.get(server), 1);
    assert.equal(err.message, `GET https://127.0.0.2:${port}/ failed: ERR_TLS_CERT_ALTNAME_INVALID`);
  });

  for (const [what, clientCert, code] of [
    ['a client certificate its CA did not sign', 'self-signed', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'],
    ['a connection without a client certificate', undefined, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'],
  ] as const) {
    it(`a server that refuses ${what} with a TLS 1.2 alert: one connection, ${code}, no CA hint`, async () => {
      const { port, count, stop } = await opensslServer(pki);
      try {
        const cert = clientCert === undefined ? {} : { cert: pki.selfSigned.cert, key: pki.selfSigned.key };
        const http = createHttpClient({
          retry: { attempts: 4, baseDelayMs: 1 },
          fetch: tlsFetch({ ca: pki.ca.cert, ...cert }),
        });
        const err = await failure(http(`https://127.0.0.1:${port}/`));
        assert.equal(err.code, 'ERR_NETWORK');
        assert.equal(err.message, `GET https://127.0.0.1:${port}/ failed: ${code}`);
        assert.equal(count(), 1);
      } finally {
        await stop();
      }
    });
  }

  it('a refused connection is still retried (the policy is unchanged for other transport faults)', async () => {
    const { server, port } = await start(pki.server.cert, pki.server.key);
    await new Promise((resolve) => server.close(resolve));
    const http = createHttpClient({ retry: { attempts: 3, baseDelayMs: 1, jitter: 0 } });
    const err = await failure(http(`https://127.0.0.1:${port}/`));
    assert.equal(err.code, 'ERR_NETWORK');
    assert.equal(err.message, `GET https://127.0.0.1:${port}/ failed: ECONNREFUSED (after 3 attempts)`);
  });

  it('with the CA trusted the same server answers', async () => {
    const { server, port } = await start(pki.server.cert, pki.server.key);
    const http = createHttpClient({ retry: true, fetch: tlsFetch({ ca: pki.ca.cert }) });
    const res = await http(`https://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(connections.get(server), 1);
  });
});
