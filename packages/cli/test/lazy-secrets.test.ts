import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { runCli } from '../../../test/helpers/cli.js';
import { type ProfileHome, profileHome } from '../../../test/helpers/profile-home.js';

type KalturaEmulator = Awaited<ReturnType<typeof startKalturaEmulator>>;

/**
 * A `cmd:` reference to a script that appends one line to `counter` each time it runs and prints
 * `secret`: how many times the CLI resolved the secret is the counter file's line count.
 */
function countingSecret(home: ProfileHome, name: string, secret: string): { ref: string; runs(): number } {
  const counter = join(home.dir, `${name}.count`);
  const script = join(home.dir, `${name}.sh`);
  writeFileSync(script, `echo run >> '${counter}'\nprintf '%s\\n' '${secret}'\n`);
  return {
    ref: `cmd:sh '${script}'`,
    runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}

describe('secrets are resolved only when a credential must be obtained', () => {
  let oidc: OidcEmulator;
  let kalt: KalturaEmulator;
  let home: ProfileHome;
  let clientSecret: ReturnType<typeof countingSecret>;
  let password: ReturnType<typeof countingSecret>;
  let userSecret: ReturnType<typeof countingSecret>;
  let appToken: ReturnType<typeof countingSecret>;
  let adminSecret: ReturnType<typeof countingSecret>;

  before(async () => {
    oidc = await startOidcEmulator();
    kalt = await startKalturaEmulator({ adminSecret: 'lazy-admin-secret-5c2e', partnerId: 2468 });
    const created = await kaltura
      .admin({ serviceUrl: kalt.url, partnerId: kalt.partnerId, adminSecret: kalt.adminSecret })
      .createAppToken({ sessionUserId: 'lazy@example.test', sessionType: 0, hashType: 'SHA256' });
    home = profileHome('', 'tokensmith-lazy-secrets-');
    const confidential = oidc.clients.confidential;
    clientSecret = countingSecret(home, 'client-secret', confidential.clientSecret);
    userSecret = countingSecret(home, 'user-client-secret', confidential.clientSecret);
    password = countingSecret(home, 'password', oidc.users[0]!.password);
    appToken = countingSecret(home, 'app-token', created.token!);
    adminSecret = countingSecret(home, 'admin-secret', kalt.adminSecret);
    writeFileSync(
      home.file,
      [
        '[profiles.svc]',
        'type = "oauth2"',
        `issuer = "${oidc.issuer}"`,
        `client_id = "${confidential.clientId}"`,
        `client_secret = "${clientSecret.ref}"`,
        '',
        '[profiles.user]',
        'type = "oauth2"',
        `issuer = "${oidc.issuer}"`,
        `client_id = "${confidential.clientId}"`,
        `client_secret = "${userSecret.ref}"`,
        'grant = "password"',
        `username = "${oidc.users[0]!.username}"`,
        `password = "${password.ref}"`,
        '',
        '[profiles.reports]',
        'type = "kaltura-app-token"',
        `service_url = "${kalt.url}"`,
        `partner_id = ${kalt.partnerId}`,
        `app_token_id = "${created.id}"`,
        `app_token = "${appToken.ref}"`,
        'hash_type = "SHA256"',
        '',
        '[profiles.kadmin]',
        'type = "kaltura-admin"',
        `service_url = "${kalt.url}"`,
        `partner_id = ${kalt.partnerId}`,
        `admin_secret = "${adminSecret.ref}"`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await oidc.close();
    await kalt.close();
  });

  /** `token -p profile` (plus `extra`), which must succeed, printing a token. */
  async function token(profile: string, ...extra: string[]): Promise<string> {
    const run = await runCli(['token', '-p', profile, ...extra], { env: home.env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\S{20,}\n$/);
    return run.stdout.trim();
  }

  it('client_secret = "cmd:…": run once for a new token, not on a cache hit, again for --force-refresh', async () => {
    const first = await token('svc');
    assert.equal(clientSecret.runs(), 1);
    assert.equal(await token('svc'), first);
    assert.equal(clientSecret.runs(), 1);
    const forced = await token('svc', '--force-refresh');
    assert.notEqual(forced, first);
    assert.equal(clientSecret.runs(), 2);
    assert.equal(await token('svc'), forced);
    assert.equal(clientSecret.runs(), 2);
  });

  it('password grant: neither the client secret nor the password command runs on a cache hit', async () => {
    const first = await token('user');
    assert.deepEqual([userSecret.runs(), password.runs()], [1, 1]);
    assert.equal(await token('user'), first);
    assert.deepEqual([userSecret.runs(), password.runs()], [1, 1]);
    await token('user', '--force-refresh');
    // A renewal reads the profile's secrets once more (all of them, together).
    assert.deepEqual([userSecret.runs(), password.runs()], [2, 2]);
  });

  it('kaltura-app-token: app_token = "cmd:…" runs once, not on a cache hit, again for --force-refresh', async () => {
    const first = await token('reports');
    assert.equal(appToken.runs(), 1);
    assert.equal(await token('reports'), first);
    assert.equal(appToken.runs(), 1);
    await token('reports', '--force-refresh');
    assert.equal(appToken.runs(), 2);
  });

  it('kaltura-admin: admin_secret = "cmd:…" runs once, not on a cache hit, again for --force-refresh', async () => {
    const first = await token('kadmin');
    assert.equal(adminSecret.runs(), 1);
    assert.equal(await token('kadmin'), first);
    assert.equal(adminSecret.runs(), 1);
    await token('kadmin', '--force-refresh');
    assert.equal(adminSecret.runs(), 2);
  });

  it('a secret command that fails is still reported with file:line and key when a token is needed', async () => {
    const broken = profileHome(
      `[profiles.broken]\ntype = "oauth2"\nissuer = "${oidc.issuer}"\nclient_id = "x"\nclient_secret = "cmd:exit 3"\n`,
      'tokensmith-lazy-broken-',
    );
    const run = await runCli(['token', '-p', 'broken'], { env: broken.env });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /config\.toml:5: cannot read the cmd: secret of key "client_secret"/);
  });
});
