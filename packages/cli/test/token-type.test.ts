/**
 * Issue 14 item 2: the ID token, for the Kubernetes OIDC authenticator and gateways that want it.
 * `token --token-type id|access`, `proxy --token-type id` and the library proxy's `tokenType`; a
 * credential whose ID token has expired is renewed even while its access token is fresh.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { lazyGrantProvider } from 'tokensmith/internal/oauth2/load-grant.js';
import { start as startProxy } from 'tokensmith/internal/proxy/server.js';
import { runCli, spawnCli } from '../../../test/helpers/cli.js';
import { type ProfileHome, profileHome } from '../../../test/helpers/profile-home.js';

/** An ID token that expired a minute ago (unsigned: only its `exp` matters to the renewal rule). */
function expiredIdToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub: 'alice', iat: now - 120, exp: now - 60 })}.x`;
}

/** A loopback API that accepts only an ID token the emulator signed for `clientId`, and notes each one. */
async function startIdTokenApi(emu: OidcEmulator, clientId: string) {
  const discovery = (await (await fetch(`${emu.issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    seen.push(token);
    try {
      await jwtVerify(token, jwks, { issuer: emu.issuer, audience: clientId });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } catch {
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('--token-type id|access (OIDC emulator)', () => {
  let emu: OidcEmulator;
  let kalliope: KalliopeEmulator;
  let home: ProfileHome;
  let env: Record<string, string>;
  let clientId: string;

  before(async () => {
    emu = await startOidcEmulator();
    kalliope = await startKalliopeEmulator({
      users: [{ domain: 'default', username: 'admin', password: 'pbx-Secret-77' }],
    });
    clientId = emu.clients.confidential.clientId;
    home = profileHome(
      `[profiles.alice]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "password"
client_id = "${clientId}"
client_secret = "env:SVC_SECRET"
username = "alice"
password = "env:ALICE_PW"
scope = "openid profile"

[profiles.svc]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "${clientId}"
client_secret = "env:SVC_SECRET"

[profiles.pbx]
type = "kalliope"
url = "${kalliope.url}/default"
username = "admin"
password = "env:PBX_PW"
`,
      'tokensmith-token-type-',
    );
    env = {
      ...home.env,
      SVC_SECRET: emu.clients.confidential.clientSecret,
      ALICE_PW: emu.users[0]!.password,
      PBX_PW: 'pbx-Secret-77',
    };
  });
  after(async () => {
    await emu.close();
    await kalliope.close();
  });

  it('prints the ID token (signed for the client) or the access token; json gives the ID token expiry', async () => {
    const id = await runCli(['token', '-p', 'alice', '--token-type', 'id'], { env });
    assert.equal(id.code, 0, id.stderr);
    const claims = decodeJwt(id.stdout.trim());
    assert.equal(claims.iss, emu.issuer);
    assert.equal(claims.aud, clientId);
    const access = await runCli(['token', '-p', 'alice'], { env });
    assert.equal(access.code, 0, access.stderr);
    assert.notEqual(access.stdout, id.stdout);
    const explicit = await runCli(['token', '-p', 'alice', '--token-type', 'access'], { env });
    assert.equal(explicit.stdout, access.stdout);
    const json = await runCli(['token', '-p', 'alice', '--token-type', 'id', '--format', 'json'], { env });
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.token, id.stdout.trim());
    assert.equal(doc.type, 'Bearer');
    assert.equal(Date.parse(doc.expiresAt), claims.exp! * 1000);
    const header = await runCli(['token', '-p', 'alice', '--token-type', 'id', '--format', 'header'], {
      env,
    });
    assert.equal(header.stdout, `Authorization: Bearer ${id.stdout.trim()}\n`);
  });

  it('an expired ID token is renewed although the access token is fresh; access alone is not renewed', async () => {
    const first = await runCli(['token', '-p', 'alice'], { env });
    assert.equal(first.code, 0, first.stderr);
    // Plant an expired ID token next to the fresh access token in the CLI's own cache entry.
    const cache = new FileCache({
      dir: join(env.XDG_CACHE_HOME!, 'tokensmith'),
      encryptionKey: home.cacheKey,
    });
    const key = (await cache.keys()).find((k) => k.startsWith('profile:alice|'));
    assert.ok(key);
    const planted = expiredIdToken();
    const record = (await cache.get(key))!;
    assert.equal(record.token, first.stdout.trim());
    await cache.set(key, { ...record, idToken: planted });

    emu.resetStats();
    const access = await runCli(['token', '-p', 'alice'], { env });
    assert.equal(access.stdout, first.stdout, 'the access token is still fresh');
    assert.equal(emu.stats.tokenRequests, 0);

    const id = await runCli(['token', '-p', 'alice', '--token-type', 'id'], { env });
    assert.equal(id.code, 0, id.stderr);
    const token = id.stdout.trim();
    assert.notEqual(token, planted);
    assert.ok(decodeJwt(token).exp! * 1000 > Date.now());
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
    const stored = (await cache.get(key))!;
    assert.equal(stored.idToken, token, 'the renewed credential is cached');
    assert.notEqual(stored.token, first.stdout.trim(), 'and carries a new access token');
  });

  it('no ID token (client credentials, no openid scope): ERR_RESPONSE_MISSING_FIELD, exit 1', async () => {
    const run = await runCli(['token', '-p', 'svc', '--token-type', 'id'], { env });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      'tokensmith: ERR_RESPONSE_MISSING_FIELD: the server sent no ID token (ask for the "openid" scope)\n',
    );
  });

  it('a Kalliope profile has no ID token: usage error (exit 2); an unknown type is refused by the parser', async () => {
    const pbx = await runCli(['token', '-p', 'pbx', '--token-type', 'id'], { env });
    assert.equal(pbx.code, 2);
    assert.match(pbx.stderr, /--token-type id needs a token; profile "pbx" signs each request/);
    const bad = await runCli(['token', '-p', 'alice', '--token-type', 'refresh'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Allowed choices are access, id/);
  });

  it('proxy --token-type id sends the ID token upstream', async () => {
    const api = await startIdTokenApi(emu, clientId);
    const proxy = spawnCli(['proxy', '-p', 'alice', '--token-type', 'id', '--upstream', api.url], { env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        proxy.stdout.on('data', (d) => {
          text += d;
          if (text.includes('\n')) resolve(text.trim());
        });
        proxy.on('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
      });
      const answer = await fetch(`${url}/things`);
      assert.equal(answer.status, 200);
      assert.equal(api.seen.length, 1);
      assert.equal(decodeJwt(api.seen[0]!).aud, clientId);
    } finally {
      proxy.kill('SIGTERM');
      await api.close();
    }
  });

  it('library proxy, tokenType "id": an expired ID token is renewed before the request goes out', async () => {
    const provider = lazyGrantProvider(
      'password',
      { issuer: emu.issuer, clientId, clientSecret: emu.clients.confidential.clientSecret, scope: 'openid' },
      { username: 'alice', password: emu.users[0]!.password },
    );
    const cache = new MemoryCache();
    const seed = await new TokenManager(provider, { cache }).getCredential();
    const planted = expiredIdToken();
    await cache.set(provider.cacheKey, seed.with({ idToken: planted }).toRecord());
    const manager = new TokenManager(provider, { cache });
    assert.equal((await manager.getCredential()).token, seed.token, 'access token fresh');
    assert.ok(Credential.fromRecord((await cache.get(provider.cacheKey))!).idTokenExpiresAt! < Date.now());

    const api = await startIdTokenApi(emu, clientId);
    emu.resetStats();
    const handle = await startProxy({ source: manager, upstream: api.url, tokenType: 'id' });
    try {
      const answer = await fetch(`${handle.url}/x`);
      assert.equal(answer.status, 200);
      assert.notEqual(api.seen[0], planted);
      assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
      // Later requests reuse the renewed ID token.
      assert.equal((await fetch(`${handle.url}/y`)).status, 200);
      assert.equal(api.seen[1], api.seen[0]);
      assert.equal(emu.stats.tokenRequests, 1);
    } finally {
      await handle.close();
      await api.close();
    }
    await assert.rejects(startProxy({ source: manager, upstream: api.url, tokenType: 'refresh' as 'id' }), {
      code: 'ERR_CONFIG_INVALID',
      message: 'proxy: tokenType must be one of access, id',
    });
  });
});
