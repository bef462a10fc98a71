import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { cli, emulator, failure } from '../../../../test/helpers/kaltura.js';

/** Everything a user could see: errors (message, stack, inspect, JSON), log lines, CLI output. */
class Seen {
  readonly text: string[] = [];
  error(err: unknown) {
    const e = err as Error;
    this.text.push(e.message, e.stack ?? '', inspect(e, { depth: 8 }), JSON.stringify(e) ?? '');
  }
  value(v: unknown) {
    this.text.push(inspect(v, { depth: 8 }), JSON.stringify(v) ?? '', String(v));
  }
  leaks(secrets: string[]): string[] {
    const all = this.text.join('\n');
    return secrets.filter((s) => all.includes(s));
  }
}

describe('secrets never reach output, logs or errors', () => {
  it('library failure cases at debug log level', async () => {
    const { emu, clock, conn } = await emulator();
    const seen = new Seen();
    configureLogging({ level: 'debug', sink: (line) => seen.text.push(line) });
    const wrongSecret = 'wrong-admin-secret-77aa';
    const wrongToken = 'e'.repeat(32);
    const sessionKss: string[] = [];
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({
        hashType: 'SHA256',
        sessionUserId: 'sec',
        expiry: Math.floor(clock.now() / 1000) + 100,
      });
      seen.value(t);
      seen.value(kaltura.withoutToken(t));
      const provider = kaltura.appTokenSession({
        ...conn,
        appTokenId: t.id,
        appToken: t.token!,
        hashType: 'SHA256',
      });
      const manager = new TokenManager(provider);
      const credential = await manager.getCredential();
      sessionKss.push(credential.token);
      seen.value(credential);
      seen.value(provider);
      await admin.listAppTokens();

      const failures = [
        failure(
          kaltura
            .appTokenSession({ ...conn, appTokenId: t.id, appToken: wrongToken, hashType: 'SHA256' })
            .acquire({}),
        ),
        failure(kaltura.adminSession({ ...conn, adminSecret: wrongSecret }).acquire({})),
        failure(kaltura.admin({ ...conn, adminSecret: wrongSecret }).listAppTokens()),
        failure(
          kaltura
            .admin({ serviceUrl: 'http://127.0.0.1:9', partnerId: 1, adminSecret: emu.adminSecret })
            .listAppTokens(),
        ),
        failure(
          Promise.resolve().then(() => kaltura.ks.decode(credential.token, { adminSecret: wrongSecret })),
        ),
        failure(
          new kaltura.KalturaClient(conn).call(
            'session',
            'get',
            {},
            { ks: kaltura.ks.encode({ adminSecret: wrongSecret, partnerId: conn.partnerId }) },
          ),
        ),
      ];
      for (const err of await Promise.all(failures)) seen.error(err);
      clock.advance(200);
      seen.error(await failure(provider.acquire({})));
      seen.error(
        await failure(new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: credential.token })),
      );
      await admin.deleteAppToken(t.id);
      seen.error(
        await failure(
          kaltura
            .appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA256' })
            .acquire({}),
        ),
      );
      assert.ok(
        seen.text.some((l) => l.includes('APP_TOKEN_EXPIRED')),
        'the failures were recorded',
      );
      assert.ok(
        seen.text.some((l) => l.includes('[kaltura]') || l.includes('[http]')),
        'debug logging was on',
      );
      assert.deepEqual(seen.leaks([emu.adminSecret, wrongSecret, t.token!, wrongToken, ...sessionKss]), []);
    } finally {
      configureLogging({ level: 'silent' });
      await emu.close();
    }
  });

  it('CLI failure cases with --verbose', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'cli-sec' });
      const wrongSecret = 'wrong-admin-secret-cli-31';
      const base = { KALTURA_SERVICE_URL: emu.url, KALTURA_PARTNER_ID: String(conn.partnerId) };
      const runs = await Promise.all([
        cli(['-v', 'kaltura', 'session', '--app-token-id', t.id, '--hash-type', 'SHA256'], {
          ...base,
          KALTURA_APP_TOKEN: 'f'.repeat(32),
        }),
        cli(['-v', 'kaltura', 'session', '--app-token-id', t.id, '--hash-type', 'SHA1'], {
          ...base,
          KALTURA_APP_TOKEN: t.token,
        }),
        cli(['-v', 'kaltura', 'app-token', 'list'], { ...base, KALTURA_ADMIN_SECRET: wrongSecret }),
        cli(['-v', 'kaltura', 'session', '--admin', '--partner-id', '1'], {
          ...base,
          KALTURA_ADMIN_SECRET: emu.adminSecret,
        }),
        cli(['-v', 'kaltura', 'app-token', 'create', '--service-url', 'http://127.0.0.1:9'], {
          ...base,
          KALTURA_ADMIN_SECRET: emu.adminSecret,
        }),
        cli(['-v', 'kaltura', 'inspect', '--ks-env', 'KS'], {
          KS: kaltura.ks.encode({ adminSecret: emu.adminSecret, partnerId: 1 }),
          KALTURA_ADMIN_SECRET: wrongSecret,
        }),
        // A success at debug level: the list response carries the token field.
        cli(['-v', 'kaltura', 'app-token', 'list', '--json'], {
          ...base,
          KALTURA_ADMIN_SECRET: emu.adminSecret,
        }),
      ]);
      assert.deepEqual(
        runs.map((r) => r.code),
        [1, 1, 1, 1, 1, 1, 0],
      );
      assert.match(runs[0]!.stderr, /INVALID_APP_TOKEN_HASH/);
      assert.match(runs[2]!.stderr, /START_SESSION_ERROR/);
      assert.match(runs[4]!.stderr, /ERR_NETWORK/);
      assert.match(runs[6]!.stderr, /tokensmith debug \[http\]/);
      const seen = new Seen();
      for (const r of runs) seen.text.push(r.stdout, r.stderr);
      assert.deepEqual(seen.leaks([emu.adminSecret, wrongSecret, t.token!, 'f'.repeat(32)]), []);
    } finally {
      await emu.close();
    }
  });
});
