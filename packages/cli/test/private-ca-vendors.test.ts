import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { type KalturaEmulator, startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { runCli, startCliProxy } from '../../../test/helpers/cli.js';
import { type ProfileHome, profileHome } from '../../../test/helpers/profile-home.js';
import { type TestPki, testPki } from '../../../test/helpers/test-pki.js';

/**
 * Issue #15 item 2 for Kaltura and Kalliope from the CLI: `ca_file`, `client_cert`, `client_key`
 * in kaltura-admin, kaltura-app-token and kalliope profiles, and `--ca-file` / `--client-cert` /
 * `--client-key` on the `kaltura` and `kalliope header` commands, against the emulators served over
 * https with a certificate a CA made in the test signed (the Kalliope one also requiring a client
 * certificate that CA signed).
 */

const ADMIN_SECRET = 'cli-ca-admin-secret-5be0';
const PBX_USER = { domain: 'default', username: 'admin', password: 'cli-pbx-pw-8a2' };
const HINT = '(trust its CA with ca_file / --ca-file or NODE_EXTRA_CA_CERTS)';

describe('private CAs and client certificates for Kaltura and Kalliope from the CLI', () => {
  let pki: TestPki;
  let kal: KalturaEmulator;
  let pbx: KalliopeEmulator;
  let home: ProfileHome;
  let env: Record<string, string>;

  before(async () => {
    pki = testPki();
    const server = { cert: pki.server.cert, key: pki.server.key };
    kal = await startKalturaEmulator({ adminSecret: ADMIN_SECRET, partnerId: 4321, tls: server });
    pbx = await startKalliopeEmulator({ users: [PBX_USER], tls: { ...server, ca: pki.ca.cert } });
    const admin = kaltura.admin({
      serviceUrl: kal.url,
      partnerId: 4321,
      adminSecret: ADMIN_SECRET,
      tls: { ca: pki.ca.cert },
    });
    const token = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'cli-ca-user' });
    home = profileHome(`
[profiles.kal-admin]
type = "kaltura-admin"
service_url = "${kal.url}"
partner_id = 4321
admin_secret = "env:KAL_ADMIN_SECRET"
ca_file = "${pki.ca.certFile}"
cache = "memory"

[profiles.kal-no-ca]
type = "kaltura-admin"
service_url = "${kal.url}"
partner_id = 4321
admin_secret = "env:KAL_ADMIN_SECRET"
cache = "memory"

[profiles.kal-app]
type = "kaltura-app-token"
service_url = "${kal.url}"
partner_id = 4321
app_token_id = "${token.id}"
app_token = "env:KAL_APP_TOKEN"
hash_type = "SHA256"
ca_file = "${pki.ca.certFile}"
cache = "memory"

[profiles.pbx]
type = "kalliope"
url = "${pbx.url}"
username = "admin"
password = "env:PBX_PASSWORD"
ca_file = "${pki.ca.certFile}"
client_cert = "${pki.client.certFile}"
client_key = "file:${pki.client.keyFile}"

[profiles.pbx-no-cert]
type = "kalliope"
url = "${pbx.url}"
username = "admin"
password = "env:PBX_PASSWORD"
ca_file = "${pki.ca.certFile}"
`);
    env = {
      ...home.env,
      KAL_ADMIN_SECRET: ADMIN_SECRET,
      KAL_APP_TOKEN: token.token!,
      PBX_PASSWORD: PBX_USER.password,
    };
  });
  after(async () => {
    await Promise.all([kal.close(), pbx.close()]);
  });

  it('kaltura-admin profile with ca_file: token prints a KS from session.start', async () => {
    const run = await runCli(['token', '-p', 'kal-admin'], { env });
    assert.equal(run.code, 0, run.stderr);
    const ks = kaltura.ks.decode(run.stdout.trim(), { adminSecret: ADMIN_SECRET });
    assert.equal(ks.partnerId, 4321);
    assert.equal(ks.type, 2);
  });

  it('kaltura-admin profile without ca_file: exit 1, ERR_NETWORK with the cause and the hint, no secret', async () => {
    const before = kal.stats.requests;
    const run = await runCli(['token', '-p', 'kal-no-ca'], { env });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /ERR_NETWORK/);
    assert.ok(run.stderr.includes(`UNABLE_TO_VERIFY_LEAF_SIGNATURE ${HINT}`), run.stderr);
    assert.ok(!run.stderr.includes(ADMIN_SECRET));
    assert.equal(kal.stats.requests, before);
  });

  it('kaltura-admin profile with ca_file: request sends the KS to the API over a trusted connection', async () => {
    const run = await runCli(
      ['request', `${kal.url}/api_v3/service/session/action/get?format=1`, '-p', 'kal-admin'],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    const session = JSON.parse(run.stdout) as { partnerId?: string; objectType?: string };
    assert.equal(session.objectType, 'KalturaSessionInfo');
    // session.get answers the partner id as a string, as the server does.
    assert.equal(session.partnerId, '4321');
  });

  it('kaltura-app-token profile with ca_file: a KS for the token user', async () => {
    const run = await runCli(['token', '-p', 'kal-app'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(kaltura.ks.decode(run.stdout.trim(), { adminSecret: ADMIN_SECRET }).userId, 'cli-ca-user');
  });

  it('kalliope profile with ca_file and a client certificate: request reaches the PBX signed', async () => {
    const accepted = pbx.stats.accepted;
    const run = await runCli(['request', `${pbx.url}/rest/account`, '-p', 'pbx'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [{ username: 'admin' }]);
    assert.equal(pbx.stats.accepted, accepted + 1);
  });

  it('kalliope profile: `proxy` forwards to the PBX with the CA and the client certificate, each request signed', async () => {
    const accepted = pbx.stats.accepted;
    const proxy = await startCliProxy(['-p', 'pbx', '--upstream', pbx.url], { env });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${proxy.url}/rest/account`);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.equal(await proxy.stop(), 0, proxy.stderr());
    assert.deepEqual(statuses, [200, 200], proxy.stderr());
    assert.equal(pbx.stats.accepted, accepted + 2);
  });

  it('kalliope profile without the client certificate the PBX requires: exit 1, ERR_NETWORK', async () => {
    const requests = pbx.stats.requests;
    const run = await runCli(['request', `${pbx.url}/rest/account`, '-p', 'pbx-no-cert'], { env });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ERR_NETWORK/);
    assert.ok(!run.stderr.includes(PBX_USER.password));
    assert.equal(pbx.stats.requests, requests);
  });

  it('kaltura session --admin with --ca-file works; without it fails with the hint', async () => {
    const flags = ['kaltura', 'session', '--admin', '--service-url', kal.url, '--partner-id', '4321'];
    const adminEnv = { ...home.env, KALTURA_ADMIN_SECRET: ADMIN_SECRET };
    const ok = await runCli([...flags, '--ca-file', pki.ca.certFile], { env: adminEnv });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(kaltura.ks.decode(ok.stdout.trim(), { adminSecret: ADMIN_SECRET }).partnerId, 4321);
    const refused = await runCli(flags, { env: adminEnv });
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(`UNABLE_TO_VERIFY_LEAF_SIGNATURE ${HINT}`), refused.stderr);
  });

  it('kaltura app-token list (an admin command) takes --ca-file', async () => {
    const run = await runCli(
      [
        'kaltura',
        'app-token',
        'list',
        '--service-url',
        kal.url,
        '--partner-id',
        '4321',
        '--ca-file',
        pki.ca.certFile,
        '--json',
      ],
      { env: { ...home.env, KALTURA_ADMIN_SECRET: ADMIN_SECRET } },
    );
    assert.equal(run.code, 0, run.stderr);
    const tokens = JSON.parse(run.stdout) as { sessionUserId?: string }[];
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]!.sessionUserId, 'cli-ca-user');
  });

  it('kalliope header takes --ca-file, --client-cert and --client-key for the salt', async () => {
    const salts = pbx.stats.saltRequests;
    const args = [
      'kalliope',
      'header',
      '--url',
      pbx.url,
      '--username',
      'admin',
      '--ca-file',
      pki.ca.certFile,
    ];
    const tlsEnv = { ...home.env, KALLIOPE_PASSWORD: PBX_USER.password };
    const run = await runCli(
      [...args, '--client-cert', pki.client.certFile, '--client-key', pki.client.keyFile],
      { env: tlsEnv },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^X-authenticate: RestApiUsernameToken Username="admin", /);
    assert.equal(pbx.stats.saltRequests, salts + 1);
    const half = await runCli([...args, '--client-cert', pki.client.certFile], { env: tlsEnv });
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--client-cert and --client-key go together/);
  });
});
