import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { type HostileServer, json, serveDiscovery, startHostileServer } from './hostile-server.js';

/**
 * Issue #11 item 10: ID tokens are verified (signature, `iss`, `aud`, `exp`, `nonce`) and the key set
 * is fetched again when a token names a key it does not hold, so a long-running process survives the
 * server's key rotation. The hostile server serves discovery, a JWKS the test controls and a token
 * endpoint returning ID tokens the test signs; the real grants are driven against it.
 */

const CLIENT_ID = 'id-token-client';
const ALG = 'ES256';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG);
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' } };
}

/** How the next ID token is made: which key signs it, which kid it names, which claims differ. */
interface Scenario {
  signWith: SigningKey;
  kid: string;
  claims: JWTPayload;
}

describe('ID token verification against a hostile token endpoint', () => {
  let server: HostileServer;
  let keyA: SigningKey;
  let keyB: SigningKey;
  let attackerKey: SigningKey;
  /** What the JWKS endpoint publishes right now. */
  let published: SigningKey[];
  let scenario: Scenario;
  let issued = 0;

  before(async () => {
    configureLogging({ level: 'silent' });
    [keyA, keyB, attackerKey] = await Promise.all([newKey('key-a'), newKey('key-b'), newKey('key-a')]);
    server = await startHostileServer();
    serveDiscovery(server, {
      authorization_endpoint: '/authorize',
      jwks_uri: '/jwks',
      id_token_signing_alg_values_supported: [ALG],
    });
    server.on('/jwks', () => json({ keys: published.map((k) => k.publicJwk) }));
    server.on('/token', async () => {
      issued++;
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({
        iss: server.origin,
        aud: CLIENT_ID,
        sub: 'alice',
        iat: now,
        exp: now + 300,
        ...scenario.claims,
      })
        .setProtectedHeader({ alg: ALG, kid: scenario.kid, typ: 'JWT' })
        .sign(scenario.signWith.privateKey);
      return json({
        access_token: `access-${issued}`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `refresh-${issued}`,
        id_token: idToken,
      });
    });
  });
  after(() => server.close());
  beforeEach(() => {
    server.reset();
    published = [keyA];
    scenario = { signWith: keyA, kid: keyA.kid, claims: {} };
  });

  const jwksRequests = () => server.seen.filter((r) => r.url === '/jwks').length;

  const passwordGrant = () =>
    oauth2.password({
      issuer: server.origin,
      clientId: CLIENT_ID,
      username: 'alice',
      password: 'alice-password',
      scope: 'openid',
      retry: false,
    });

  const isInvalidIdToken = (e: TokensmithError) => e.code === 'ERR_ID_TOKEN_INVALID';

  it('a well-formed ID token signed with the published key is accepted', async () => {
    const credential = await passwordGrant().acquire({});
    assert.equal(credential.subject, 'alice');
    assert.ok(credential.idToken);
    assert.equal(jwksRequests(), 1);
  });

  it('a bad signature (another key under the published kid) → ERR_ID_TOKEN_INVALID', async () => {
    scenario = { signWith: attackerKey, kid: keyA.kid, claims: {} };
    await assert.rejects(passwordGrant().acquire({}), isInvalidIdToken);
    assert.equal(jwksRequests(), 1, 'a known kid with a bad signature is no reason to refetch');
  });

  it('a wrong iss → ERR_ID_TOKEN_INVALID', async () => {
    scenario.claims = { iss: 'https://evil.example' };
    await assert.rejects(passwordGrant().acquire({}), isInvalidIdToken);
  });

  it('a wrong aud → ERR_ID_TOKEN_INVALID', async () => {
    scenario.claims = { aud: 'some-other-client' };
    await assert.rejects(passwordGrant().acquire({}), isInvalidIdToken);
  });

  it('an expired ID token → ERR_ID_TOKEN_INVALID', async () => {
    const now = Math.floor(Date.now() / 1000);
    scenario.claims = { iat: now - 7200, exp: now - 3600 };
    await assert.rejects(passwordGrant().acquire({}), isInvalidIdToken);
  });

  describe('nonce (authorization code)', () => {
    /** A browser login whose redirect comes straight back with a code; the ID token gets `nonce(sent)`. */
    const login = (nonce: (sent: string) => string) =>
      oauth2
        .authorizationCode({
          issuer: server.origin,
          clientId: CLIENT_ID,
          scope: 'openid',
          retry: false,
          openBrowser: async (url) => {
            const request = new URL(url);
            scenario.claims = { nonce: nonce(request.searchParams.get('nonce')!) };
            const callback = new URL(request.searchParams.get('redirect_uri')!);
            callback.searchParams.set('code', 'the-code');
            callback.searchParams.set('state', request.searchParams.get('state')!);
            await (await fetch(callback)).text();
          },
        })
        .acquire({});

    it('the nonce sent comes back: accepted', async () => {
      assert.equal((await login((sent) => sent)).subject, 'alice');
    });

    it('a wrong nonce → ERR_ID_TOKEN_INVALID', async () => {
      await assert.rejects(
        login(() => 'a-nonce-from-another-login'),
        isInvalidIdToken,
      );
    });
  });

  it('key rotation: a token naming a new kid is verified after exactly one JWKS refetch', async () => {
    const manager = new TokenManager(passwordGrant());
    await manager.getCredential();
    assert.equal(jwksRequests(), 1);

    // The server rotates: the JWKS now holds only key B, and new ID tokens name it.
    published = [keyB];
    scenario = { signWith: keyB, kid: keyB.kid, claims: {} };
    const renewed = await manager.getCredential({ forceRefresh: true });
    assert.equal(renewed.subject, 'alice');
    assert.equal(renewed.token, `access-${issued}`);
    assert.equal(jwksRequests(), 2, 'one refetch for the unknown kid');

    // Key B is known now: no further fetch.
    await manager.getCredential({ forceRefresh: true });
    assert.equal(jwksRequests(), 2);
  });

  it('tokens checked at the same time after a rotation share one refetch', async () => {
    const provider = passwordGrant();
    await provider.acquire({});
    published = [keyB];
    scenario = { signWith: keyB, kid: keyB.kid, claims: {} };
    const both = await Promise.all([provider.acquire({}), provider.acquire({})]);
    assert.deepEqual(
      both.map((c) => c.subject),
      ['alice', 'alice'],
    );
    assert.equal(jwksRequests(), 2);
  });

  it('a kid the refetched set does not hold either → ERR_ID_TOKEN_INVALID after one refetch', async () => {
    const provider = passwordGrant();
    await provider.acquire({});
    assert.equal(jwksRequests(), 1);
    scenario = { signWith: attackerKey, kid: 'never-published', claims: {} };
    await assert.rejects(provider.acquire({}), isInvalidIdToken);
    assert.equal(jwksRequests(), 2);
  });
});
