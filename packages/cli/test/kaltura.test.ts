import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { spawnCli } from '../../../test/helpers/cli.js';
import { cli, emulator } from '../../../test/helpers/kaltura.js';

const USER = 'dummyuser@kaltura.com';

describe('tokensmith kaltura (CLI)', () => {
  it('runs the seed 001 workflow: user, category user, role, app token, session, then delete', async () => {
    const { emu, conn } = await emulator();
    const env = {
      KALTURA_SERVICE_URL: emu.url,
      KALTURA_PARTNER_ID: String(conn.partnerId),
      KALTURA_ADMIN_SECRET: emu.adminSecret,
    };
    try {
      const user = await cli(['kaltura', 'user-add', USER, '--json'], env);
      assert.equal(user.code, 0, user.stderr);
      assert.equal(JSON.parse(user.stdout).id, USER);
      const cu = await cli(
        [
          'kaltura',
          'category-user-add',
          '--category-id',
          '123456789',
          '--user-id',
          USER,
          '--permission-level',
          'member',
          '--json',
        ],
        env,
      );
      assert.equal(cu.code, 0, cu.stderr);
      assert.deepEqual(
        [JSON.parse(cu.stdout).categoryId, JSON.parse(cu.stdout).permissionLevel],
        [123456789, 3],
      );
      const role = await cli(
        ['kaltura', 'role-add', 'Demo app role', '--permissions', 'CONTENT_MANAGE_BASE'],
        env,
      );
      assert.equal(role.stdout, '1001\n');
      const roleId = await cli(['kaltura', 'role-id', 'Demo app role'], env);
      assert.equal(roleId.stdout, '1001\n');

      const created = await cli(
        [
          'kaltura',
          'app-token',
          'create',
          '--role-name',
          'Demo app role',
          '--hash-type',
          'sha256',
          '--session-type',
          'USER',
          '--session-user-id',
          USER,
          '--session-duration',
          '1d',
          '--description',
          'AppToken for Demo',
          '--json',
        ],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const token = JSON.parse(created.stdout) as {
        id: string;
        token: string;
        sessionPrivileges: string;
        sessionDuration: number;
        hashType: string;
      };
      assert.deepEqual(
        [token.sessionPrivileges, token.sessionDuration, token.hashType],
        ['setrole:1001', 86400, 'SHA256'],
      );
      assert.match(token.token, /^[0-9a-f]{32}$/);

      const session = await cli(
        [
          'kaltura',
          'session',
          '--app-token-id',
          token.id,
          '--hash-type',
          'SHA256',
          '--type',
          'ADMIN',
          '--expiry',
          '1h',
          '--json',
        ],
        { ...env, KALTURA_ADMIN_SECRET: undefined, KALTURA_APP_TOKEN: token.token },
      );
      assert.equal(session.code, 0, session.stderr);
      const s = JSON.parse(session.stdout) as {
        ks: string;
        userId: string;
        sessionType: number;
        privileges: string;
        notes: string[];
      };
      assert.deepEqual(
        [s.userId, s.sessionType, s.privileges],
        [USER, 0, `sessionid:${token.id},apptoken:${token.id},setrole:1001`],
      );
      assert.deepEqual(s.notes, ['requested type ADMIN became USER (the app token fixes the type)']);
      assert.match(session.stderr, /note: requested type ADMIN became USER/);
      const d = kaltura.ks.decode(s.ks, { adminSecret: emu.adminSecret });
      assert.deepEqual([d.userId, d.type, d.privileges], [USER, 0, s.privileges]);
      assert.ok(d.validUntil - Math.floor(Date.now() / 1000) <= 3600);

      const plain = await cli(['kaltura', 'session', '--app-token-id', token.id, '--hash-type', 'SHA256'], {
        ...env,
        KALTURA_APP_TOKEN: token.token,
      });
      assert.match(plain.stdout, /^[A-Za-z0-9_-]+={0,2}\n$/);

      const list = await cli(['kaltura', 'app-token', 'list', '--json'], env);
      const listed = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.id, token.id);
      assert.equal('token' in listed[0]!, false, 'list never prints the secret');
      assert.ok(!list.stdout.includes(token.token));
      const table = await cli(['kaltura', 'app-token', 'list'], env);
      assert.match(
        table.stdout,
        new RegExp(
          `^ID +STATUS +TYPE +USER +HASH +EXPIRY +PRIVILEGES +DESCRIPTION\\n${token.id} +ACTIVE +USER +${USER} +SHA256 +never +setrole:1001 +AppToken for Demo\\n$`,
        ),
      );

      const get = await cli(['kaltura', 'app-token', 'get', token.id, '--json'], env);
      assert.equal(JSON.parse(get.stdout).description, 'AppToken for Demo');
      const upd = await cli(
        ['kaltura', 'app-token', 'update', token.id, '--description', 'renamed', '--json'],
        env,
      );
      assert.equal(JSON.parse(upd.stdout).description, 'renamed');

      const del = await cli(['kaltura', 'app-token', 'delete', token.id], env);
      assert.equal(del.code, 0, del.stderr);
      const after = await cli(['kaltura', 'session', '--app-token-id', token.id, '--hash-type', 'SHA256'], {
        ...env,
        KALTURA_APP_TOKEN: token.token,
      });
      assert.equal(after.code, 1);
      assert.equal(after.stdout, '');
      assert.match(
        after.stderr,
        /ERR_KALTURA_API: Kaltura appToken\.startSession failed: APP_TOKEN_ID_NOT_FOUND/,
      );
    } finally {
      await emu.close();
    }
  });

  it('audit --json reports exactly the unsafe tokens', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const role = await admin.addRole({ name: 'limited' });
      const inMonth = Math.floor(clock.now() / 1000) + 30 * 86400;
      const safe = {
        roleId: role.id,
        uriRestrict: '/api_v3/service/media/*',
        hashType: 'SHA256' as const,
        sessionType: 0,
        expiry: inMonth,
      };
      const safeIds = [
        (await admin.createAppToken({ ...safe, description: 'safe 1' })).id,
        (
          await admin.createAppToken({
            ...safe,
            hashType: 'SHA512',
            enableEntitlement: true,
            description: 'safe 2',
          })
        ).id,
      ];
      const unsafe = {
        admin: (await admin.createAppToken({ ...safe, sessionType: 2, description: 'admin type' })).id,
        noExpiry: (await admin.createAppToken({ ...safe, expiry: undefined, description: 'no expiry' })).id,
        noRole: (await admin.createAppToken({ ...safe, roleId: undefined, description: 'no role' })).id,
        md5: (await admin.createAppToken({ ...safe, hashType: 'MD5', description: 'md5' })).id,
        star: (await admin.createAppToken({ ...safe, sessionPrivileges: 'edit:*', description: 'star' })).id,
        noEntitlement: (
          await admin.createAppToken({
            ...safe,
            sessionPrivileges: 'disableentitlement',
            description: 'entitlement off',
          })
        ).id,
      };
      const deleted = await admin.createAppToken({ ...safe, sessionType: 2, description: 'deleted' });
      await admin.deleteAppToken(deleted.id);

      const res = await cli(['kaltura', 'audit', '--json'], {
        KALTURA_SERVICE_URL: emu.url,
        KALTURA_PARTNER_ID: String(conn.partnerId),
        KALTURA_ADMIN_SECRET: emu.adminSecret,
      });
      assert.equal(res.code, 0, res.stderr);
      const report = JSON.parse(res.stdout) as Array<{
        id: string;
        severity: string;
        findings: Array<{ rule: string; severity: string }>;
      }>;
      const byId = new Map(report.map((e) => [e.id, e]));
      assert.deepEqual([...byId.keys()].sort(), Object.values(unsafe).sort());
      assert.ok(safeIds.every((id) => !byId.has(id)));
      const rules = (id: string) => byId.get(id)!.findings.map((f) => `${f.severity}:${f.rule}`);
      assert.deepEqual(rules(unsafe.admin), ['high:admin-session']);
      assert.deepEqual(rules(unsafe.noExpiry), ['medium:no-expiry']);
      assert.deepEqual(rules(unsafe.noRole), ['medium:no-role']);
      assert.deepEqual(rules(unsafe.md5), ['medium:weak-hash']);
      assert.deepEqual(rules(unsafe.star), ['high:wildcard-privilege']);
      assert.deepEqual(rules(unsafe.noEntitlement), ['medium:entitlement-disabled']);
      assert.deepEqual(
        report.map((e) => e.severity),
        ['high', 'high', 'medium', 'medium', 'medium', 'medium'],
      );

      const failing = await cli(['kaltura', 'audit', '--fail-on', 'high', '--min-severity', 'high'], {
        KALTURA_SERVICE_URL: emu.url,
        KALTURA_PARTNER_ID: String(conn.partnerId),
        KALTURA_ADMIN_SECRET: emu.adminSecret,
      });
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /^ID +DESCRIPTION +SEVERITY +RULE +REASON\n/);
      assert.equal(failing.stdout.trim().split('\n').length, 3);
    } finally {
      await emu.close();
    }
  });

  it('inspect, privileges, usage errors and help', async () => {
    const ks = kaltura.ks.encode({
      adminSecret: 'inspect-secret-123',
      partnerId: 42,
      userId: 'u1',
      type: 2,
      validUntil: 4_102_444_800,
      privileges: 'setrole:3',
    });
    const ok = await cli(['kaltura', 'inspect', '--ks-env', 'MY_KS', '--json'], {
      MY_KS: ks,
      KALTURA_ADMIN_SECRET: 'inspect-secret-123',
    });
    assert.equal(ok.code, 0, ok.stderr);
    const r = JSON.parse(ok.stdout);
    assert.deepEqual(
      [r.partnerId, r.userId, r.typeName, r.expiresAt, r.privileges, r.signatureValid],
      [42, 'u1', 'ADMIN', '2100-01-01T00:00:00.000Z', 'setrole:3', true],
    );
    const piped = await cli(['kaltura', 'inspect'], {}, `${ks}\n`);
    assert.equal(piped.code, 0);
    assert.equal(piped.stdout, 'version:    v2\npartner:    42\nsignature:  not checked (no admin secret)\n');
    const wrong = await cli(['kaltura', 'inspect', '--ks-env', 'MY_KS'], {
      MY_KS: ks,
      KALTURA_ADMIN_SECRET: 'wrong-secret-999',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /ERR_KS_INVALID/);

    const privs = await cli(['kaltura', 'privileges', 'setrole:1,enableentitlementforentry', '--json'], {});
    assert.deepEqual(JSON.parse(privs.stdout).warnings, [
      'privilege "enableentitlementforentry" is unknown to the Kaltura server and has no effect (did you mean "enableentitlement"?)',
    ]);

    const noPartner = await cli(['kaltura', 'app-token', 'list'], { KALTURA_ADMIN_SECRET: 'x-secret' });
    assert.equal(noPartner.code, 2);
    assert.match(noPartner.stderr, /give --partner-id/);
    const noSecret = await cli(
      ['kaltura', 'app-token', 'list', '--partner-id', '1', '--service-url', 'http://127.0.0.1:9'],
      {},
    );
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /admin secret; put it in the environment variable KALTURA_ADMIN_SECRET/);
    const flag = await cli(['kaltura', 'app-token', 'list', '--admin-secret', 'oops'], {});
    assert.equal(flag.code, 2, 'secrets are not accepted as flags');
    const help = await cli(['kaltura', '--help'], {});
    assert.equal(help.code, 0);
    for (const c of ['session', 'app-token', 'role-id', 'audit', 'inspect'])
      assert.match(help.stdout, new RegExp(`\\n  ${c}`));
    const createHelp = await cli(['kaltura', 'app-token', 'create', '--help'], {});
    for (const o of [
      '--role-id',
      '--role-name',
      '--widget-session',
      '--enable-entitlement',
      '--uri-restrict',
      '--privacy-context',
      '--expiry',
      '--session-user-id',
      '--session-type',
      '--session-duration',
      '--hash-type',
      '--description',
    ]) {
      assert.ok(createHelp.stdout.includes(o), o);
    }
  });

  it('emulate kaltura serves until stopped', async () => {
    const child = spawnCli(['emulate', 'kaltura', '--json', '--partner-id', '777'], { inheritEnv: false });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.on('error', reject);
        child.on('close', (code) => reject(new Error(`emulator exited with ${code}`)));
      });
      const details = JSON.parse(line) as { url: string; partnerId: number; adminSecret: string };
      assert.equal(details.partnerId, 777);
      assert.match(details.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const c = await kaltura
        .adminSession({ serviceUrl: details.url, partnerId: 777, adminSecret: details.adminSecret })
        .acquire({});
      assert.equal(c.meta.partnerId, 777);
    } finally {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
  });
});
