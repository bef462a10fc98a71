import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { runCli } from '../../../test/helpers/cli.js';

type KalturaEmulator = Awaited<ReturnType<typeof startKalturaEmulator>>;

describe('tokensmith with a kaltura-app-token profile', () => {
  let emu: KalturaEmulator;
  let env: Record<string, string>;
  let appToken: string;
  before(async () => {
    emu = await startKalturaEmulator({ adminSecret: 'profile-admin-secret-91ab', partnerId: 7654321 });
    const admin = kaltura.admin({
      serviceUrl: emu.url,
      partnerId: emu.partnerId,
      adminSecret: emu.adminSecret,
    });
    const created = await admin.createAppToken({
      sessionUserId: 'reports@example.test',
      sessionType: 0,
      sessionDuration: 3600,
      hashType: 'SHA256',
    });
    appToken = created.token!;
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-kaltura-profile-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      file,
      `[profiles.reports]\ntype = "kaltura-app-token"\nservice_url = "${emu.url}"\npartner_id = ${emu.partnerId}\napp_token_id = "${created.id}"\napp_token = "env:KALTURA_APP_TOKEN"\nhash_type = "SHA256"\n`,
    );
    chmodSync(file, 0o600);
    env = {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      KALTURA_APP_TOKEN: appToken,
      KALTURA_ADMIN_SECRET: emu.adminSecret,
    };
  });
  after(() => emu.close());

  it('token prints a KS carrying the app token user; decode reads it with the admin secret', async () => {
    const token = await runCli(['token', '-p', 'reports'], { env });
    assert.equal(token.code, 0, token.stderr);
    const ks = token.stdout.trim();
    const decoded = await runCli(['decode', '-', '--json', '--kaltura-secret-env', 'KALTURA_ADMIN_SECRET'], {
      env,
      input: ks,
    });
    assert.equal(decoded.code, 0, decoded.stderr);
    const view = JSON.parse(decoded.stdout);
    assert.equal(view.partnerId, 7654321);
    assert.equal(view.userId, 'reports@example.test');
    assert.equal(view.typeName, 'USER');
    assert.equal(view.signatureValid, true);
    assert.equal(view.expired, false);
    assert.ok(!decoded.stdout.includes(emu.adminSecret));
  });

  it('request puts the KS where api_v3 reads it (session.get answers for the same session)', async () => {
    const run = await runCli(
      [
        'request',
        `${emu.url}/api_v3/service/session/action/get`,
        '-p',
        'reports',
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"format":1}',
      ],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    const info = JSON.parse(run.stdout);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assert.equal(info.userId, 'reports@example.test');
    // session.get answers the KS's fields as the server parses them: strings.
    assert.equal(info.partnerId, '7654321');
    assert.ok(!run.stdout.includes(appToken) && !run.stderr.includes(appToken));
  });
});
