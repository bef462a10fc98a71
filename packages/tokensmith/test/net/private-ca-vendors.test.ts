import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type KalturaEmulator, startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { isTokensmithError, type TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import { SaltCache, signer } from 'tokensmith/internal/kalliope/index.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { type TestPki, testPki } from '../../../../test/helpers/test-pki.js';

/**
 * Issue #15 item 2, for Kaltura and Kalliope: a private CA (`tls.ca`) and a client certificate
 * (`tls.cert`/`tls.key`) on kaltura.appTokenSession / adminSession / admin and kalliope.signer,
 * against the emulators served over https with a certificate a CA made in the test signed.
 */

const ADMIN_SECRET = 'private-ca-admin-secret-77c1';
const PBX_USER = { domain: 'default', username: 'admin', password: 'pbx-pw-31d' };
const HINT = '(trust its CA with ca_file / --ca-file or NODE_EXTRA_CA_CERTS)';

async function failure(promise: Promise<unknown>): Promise<TokensmithError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isTokensmithError(err), `a TokensmithError, got ${String(err)}`);
    return err;
  }
  assert.fail('the request succeeded');
}

describe('private CA and client certificates: Kaltura and Kalliope', () => {
  let pki: TestPki;
  let kal: KalturaEmulator;
  let kalMtls: KalturaEmulator;
  let pbx: KalliopeEmulator;
  let pbxMtls: KalliopeEmulator;

  before(async () => {
    configureLogging({ level: 'silent' });
    pki = testPki();
    const server = { cert: pki.server.cert, key: pki.server.key };
    kal = await startKalturaEmulator({ adminSecret: ADMIN_SECRET, partnerId: 4321, tls: server });
    kalMtls = await startKalturaEmulator({
      adminSecret: ADMIN_SECRET,
      partnerId: 4321,
      tls: { ...server, ca: pki.ca.cert },
    });
    pbx = await startKalliopeEmulator({ users: [PBX_USER], tls: server });
    pbxMtls = await startKalliopeEmulator({ users: [PBX_USER], tls: { ...server, ca: pki.ca.cert } });
  });
  after(async () => {
    await Promise.all([kal.close(), kalMtls.close(), pbx.close(), pbxMtls.close()]);
  });

  it('the emulators serve https when given a certificate', () => {
    assert.match(kal.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(pbx.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('kaltura.adminSession without the CA: ERR_NETWORK naming the cause and the fix, no request reached the server', async () => {
    const before = kal.stats.requests;
    const provider = kaltura.adminSession({
      serviceUrl: kal.url,
      partnerId: 4321,
      adminSecret: ADMIN_SECRET,
    });
    const err = await failure(new TokenManager(provider).getCredential());
    assert.equal(err.code, 'ERR_NETWORK');
    assert.ok(err.message.endsWith(`failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE ${HINT}`), err.message);
    assert.ok(!err.message.includes(ADMIN_SECRET));
    assert.equal(kal.stats.requests, before);
  });

  it('kaltura.adminSession with tls.ca: a KS from session.start', async () => {
    const provider = kaltura.adminSession({
      serviceUrl: kal.url,
      partnerId: 4321,
      adminSecret: ADMIN_SECRET,
      tls: { ca: pki.ca.cert },
    });
    const credential = await new TokenManager(provider).getCredential();
    const ks = kaltura.ks.decode(credential.token, { adminSecret: ADMIN_SECRET });
    assert.equal(ks.partnerId, 4321);
    assert.equal(ks.type, 2);
    assert.equal(kal.stats.calls['session.start'], 1);
  });

  it('kaltura.admin and kaltura.appTokenSession with tls.ca: token made, session started from it', async () => {
    const admin = kaltura.admin({
      serviceUrl: kal.url,
      partnerId: 4321,
      adminSecret: ADMIN_SECRET,
      tls: { ca: pki.ca.cert },
    });
    const token = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'ca-user' });
    assert.match(token.id, /^0_[0-9a-z]{8}$/);
    const noCa = kaltura.appTokenSession({
      serviceUrl: kal.url,
      partnerId: 4321,
      appTokenId: token.id,
      appToken: token.token!,
      hashType: 'SHA256',
    });
    const refused = await failure(new TokenManager(noCa).getCredential());
    assert.equal(refused.code, 'ERR_NETWORK');
    assert.ok(refused.message.endsWith(HINT), refused.message);

    const provider = kaltura.appTokenSession({
      serviceUrl: kal.url,
      partnerId: 4321,
      appTokenId: token.id,
      appToken: token.token!,
      hashType: 'SHA256',
      tls: { ca: pki.ca.cert },
    });
    const credential = await new TokenManager(provider).getCredential();
    assert.equal(kaltura.ks.decode(credential.token, { adminSecret: ADMIN_SECRET }).userId, 'ca-user');
    assert.equal(credential.subject, 'ca-user');
  });

  it('kaltura with mutual TLS: refused without a client certificate, works with tls.cert/key', async () => {
    const base = { serviceUrl: kalMtls.url, partnerId: 4321, adminSecret: ADMIN_SECRET };
    const without = kaltura.adminSession({ ...base, tls: { ca: pki.ca.cert } });
    const err = await failure(new TokenManager(without).getCredential());
    assert.equal(err.code, 'ERR_NETWORK');
    // Under TLS 1.3 the server's certificate_required alert comes after the client's handshake
    // ended, and undici reports only a closed socket: indistinguishable from a dropped connection,
    // so it is retried like one (a TLS 1.2 alert, with its code, is final: cert-errors.ts).
    assert.ok(err.message.endsWith('failed: UND_ERR_SOCKET (after 3 attempts)'), err.message);
    assert.equal(kalMtls.stats.requests, 0);

    const withCert = kaltura.adminSession({
      ...base,
      tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key },
    });
    const credential = await new TokenManager(withCert).getCredential();
    assert.equal(kaltura.ks.decode(credential.token, { adminSecret: ADMIN_SECRET }).partnerId, 4321);
    assert.equal(kalMtls.stats.calls['session.start'], 1);
  });

  it('kalliope.signer without the CA: the salt fetch fails once with ERR_NETWORK and the hint', async () => {
    const s = signer({ url: pbx.url, ...PBX_USER, saltCache: new SaltCache() });
    const err = await failure(authFetch(s)(`${pbx.url}/rest/account`));
    assert.equal(err.code, 'ERR_NETWORK');
    assert.ok(err.message.endsWith(`failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE ${HINT}`), err.message);
    assert.ok(!err.message.includes(PBX_USER.password));
    assert.equal(pbx.stats.requests, 0);
  });

  it('kalliope.signer with tls.ca: salt fetched and the signed request accepted, both over its fetch', async () => {
    const s = signer({ url: pbx.url, ...PBX_USER, saltCache: new SaltCache(), tls: { ca: pki.ca.cert } });
    const res = await authFetch(s, { fetch: s.fetch })(`${pbx.url}/rest/account`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(pbx.stats.saltRequests, 1);
    assert.equal(pbx.stats.accepted, 1);
    assert.equal(pbx.stats.rejected, 0);
  });

  it('kalliope.signer with mutual TLS: the client certificate goes with the salt and the signed request', async () => {
    const s = signer({
      url: pbxMtls.url,
      ...PBX_USER,
      saltCache: new SaltCache(),
      tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key },
    });
    const res = await authFetch(s, { fetch: s.fetch })(`${pbxMtls.url}/rest/account`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(pbxMtls.stats.saltRequests, 1);
    assert.equal(pbxMtls.stats.accepted, 1);
  });
});
