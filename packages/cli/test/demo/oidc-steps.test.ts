import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { oidcSteps } from '@tokensmith/cli/internal/demo/oidc-steps.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import {
  type HostileServer,
  json,
  serveDiscovery,
  startHostileServer,
} from '../../../../test/security/hostile-server.js';

const STEP = 'OAuth2 password (Keycloak style)';
const CLIENT = 'demo-client';

/** The demo's password step, run against `emu` (a real emulator or a stand-in with the same fields). */
function passwordStep(emu: OidcEmulator) {
  const step = oidcSteps(emu, { url: 'http://127.0.0.1:9/' }).find((s) => s.name === STEP);
  assert.ok(step, STEP);
  return step.run();
}

/**
 * An OpenID provider stand-in that answers the password grant with an ID token whose claims are
 * right but whose signature nobody can check: its discovery document names `jwks_uri` only when
 * `jwks` is given, and the token is signed with `signingKey`.
 */
async function forgingIssuer(options: { publishJwks?: boolean } = {}) {
  const signer = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const server = await startHostileServer();
  const issuer = server.origin;
  serveDiscovery(server, options.publishJwks ? { jwks_uri: '/jwks' } : {});
  // The published key is not the signing key: a verifier that checks anything must refuse.
  server.on('/jwks', json({ keys: [{ ...(await exportJWK(other.publicKey)), kid: 'k1', alg: 'RS256' }] }));
  server.on('/token', async () =>
    json({
      access_token: 'forged-access-token-123456',
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: 'forged-refresh-token-123456',
      id_token: await new SignJWT({ preferred_username: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(CLIENT)
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signer.privateKey),
    }),
  );
  const standIn = {
    issuer,
    clients: {
      confidential: { clientId: CLIENT, clientSecret: 'demo-secret' },
      public: { clientId: CLIENT },
    },
    users: [{ username: 'alice', password: 'alice-pw' }],
  } as unknown as OidcEmulator;
  return { server, standIn };
}

describe('demo: "ID token verified" only for a verified ID token', () => {
  let emu: OidcEmulator;
  const servers: HostileServer[] = [];
  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator();
  });
  after(async () => {
    await emu.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('against the emulator it verifies the signature and says with which key', async () => {
    assert.equal(
      await passwordStep(emu),
      'user alice, ID token verified (RS256, key emulator-rs256), refresh token received',
    );
  });

  it('refuses to claim it when the server publishes no key to verify the ID token with', async () => {
    const { server, standIn } = await forgingIssuer();
    servers.push(server);
    await assert.rejects(passwordStep(standIn), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_ID_TOKEN_INVALID');
      assert.equal(e.message, 'the ID token cannot be verified: the server publishes no jwks_uri');
      return true;
    });
    assert.deepEqual(
      server.seen.map((r) => r.url),
      ['/.well-known/openid-configuration', '/token', '/.well-known/openid-configuration'],
    );
  });

  it('fails when the ID token signature does not match the published key', async () => {
    const { server, standIn } = await forgingIssuer({ publishJwks: true });
    servers.push(server);
    await assert.rejects(passwordStep(standIn), { code: 'ERR_ID_TOKEN_INVALID' });
  });
});
