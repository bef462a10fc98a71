import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { emulator, failure } from '../../../test/helpers/kaltura.js';

describe('wire client', () => {
  it('POSTs JSON to /api_v3/service/{service}/action/{action} with Content-Type application/json and format 1', async () => {
    const { emu, conn } = await emulator();
    const seen: Array<{ url: string; type: string | null; body: Record<string, unknown> }> = [];
    try {
      const client = new kaltura.KalturaClient({
        serviceUrl: `${emu.url}/api_v3/`,
        fetch: async (input, init) => {
          seen.push({
            url: String(input),
            type: new Headers(init?.headers).get('content-type'),
            body: JSON.parse(String(init?.body)),
          });
          return fetch(input, init);
        },
      });
      const res = (await client.call('session', 'startWidgetSession', {
        widgetId: `_${conn.partnerId}`,
        expiry: 60,
        unused: null,
      })) as Record<string, unknown>;
      assert.equal(res.objectType, 'KalturaStartWidgetSessionResponse');
      assert.equal(res.userId, 0);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.url, `${emu.url}/api_v3/service/session/action/startWidgetSession`);
      assert.equal(seen[0]!.type, 'application/json');
      assert.deepEqual(seen[0]!.body, {
        widgetId: '_1234567',
        expiry: 60,
        format: 1,
        apiVersion: kaltura.KALTURA_API_VERSION,
        clientTag: 'tokensmith',
      });
      const err = await failure(client.call('session', 'startWidgetSession', { widgetId: '_999' }));
      assert.equal(err.code, 'ERR_KALTURA_API');
      assert.equal(err.vendorCode, 'INVALID_WIDGET_ID');
      assert.equal(
        err.message,
        'Kaltura session.startWidgetSession failed: INVALID_WIDGET_ID: Unknown widget [_999]',
      );
    } finally {
      await emu.close();
    }
  });

  it('refuses plain http to a non-loopback host unless allowed', () => {
    assert.throws(() => new kaltura.KalturaClient({ serviceUrl: 'http://kaltura.example.com' }), {
      code: 'ERR_INSECURE_HTTP',
    });
    assert.equal(
      new kaltura.KalturaClient({ serviceUrl: 'http://kaltura.example.com/', allowInsecureHttp: true })
        .serviceUrl,
      'http://kaltura.example.com',
    );
  });

  it('the emulator reads a JSON body only with Content-Type exactly application/json; path and query params work', async () => {
    const { emu, conn } = await emulator();
    try {
      const body = JSON.stringify({ widgetId: `_${conn.partnerId}`, format: 1 });
      const post = (type: string, path = '/api_v3/service/session/action/startWidgetSession') =>
        fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body }).then(
          (r) => r.json() as Promise<Record<string, unknown>>,
        );
      assert.equal((await post('application/json')).objectType, 'KalturaStartWidgetSessionResponse');
      // With a charset the body is not read at all: no widget id, and no format, so the answer is XML.
      const unread = await fetch(`${emu.url}/api_v3/service/session/action/startWidgetSession`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
      }).then((r) => r.text());
      assert.match(
        unread,
        /<error><code>MISSING_MANDATORY_PARAMETER<\/code><message>Missing parameter &quot;widgetId&quot;<\/message>/,
      );
      assert.equal(
        (
          await post(
            'text/plain',
            `/api_v3/service/session/action/startWidgetSession/widgetId/_${conn.partnerId}/format/1`,
          )
        ).objectType,
        'KalturaStartWidgetSessionResponse',
      );
      const form = await fetch(`${emu.url}/api_v3/service/session/action/startWidgetSession`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `widgetId=_${conn.partnerId}&format=1`,
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
      assert.equal(form.partnerId, conn.partnerId);
      assert.equal(
        (await post('application/json', '/api_v3/service/nope/action/x')).code,
        'SERVICE_DOES_NOT_EXISTS',
      );
      assert.equal(
        (await post('application/json', '/api_v3/service/session/action/x')).code,
        'ACTION_DOES_NOT_EXISTS',
      );
      const missing = await post('application/json', '/api_v3/service/apptoken/action/list');
      assert.deepEqual(missing, {
        code: 'MISSING_KS',
        message: 'Missing KS, session not established',
        objectType: 'KalturaAPIException',
        args: [],
      });
    } finally {
      await emu.close();
    }
  });
});

describe('admin sessions', () => {
  it('session.start with the admin secret; the server caps the expiry; a wrong secret is START_SESSION_ERROR', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const provider = kaltura.adminSession({
        ...conn,
        adminSecret: emu.adminSecret,
        expiry: 999_999,
        privileges: 'disableentitlement',
      });
      const credential = await provider.acquire({});
      const d = kaltura.ks.decode(credential.token, { adminSecret: emu.adminSecret });
      assert.deepEqual(
        [d.type, d.privileges, d.validUntil - Math.floor(clock.now() / 1000)],
        [2, 'disableentitlement', 86400],
      );
      assert.equal(credential.meta.sessionType, 2);
      const bad = await failure(kaltura.adminSession({ ...conn, adminSecret: 'not-the-secret' }).acquire({}));
      assert.equal(bad.vendorCode, 'START_SESSION_ERROR');
      // The user secret may start USER sessions only.
      const user = await new kaltura.KalturaClient(conn).call('session', 'start', {
        secret: emu.userSecret,
        partnerId: conn.partnerId,
        type: 0,
      });
      assert.equal(typeof user, 'string');
      assert.equal(
        (
          await failure(
            new kaltura.KalturaClient(conn).call('session', 'start', {
              secret: emu.userSecret,
              partnerId: conn.partnerId,
              type: 2,
            }),
          )
        ).vendorCode,
        'START_SESSION_ERROR',
      );
    } finally {
      await emu.close();
    }
  });

  it('a locally made KS (v1 and v2) is accepted by the server; a USER KS may not manage app tokens', async () => {
    const { emu, conn } = await emulator();
    try {
      for (const ksVersion of [1, 2] as const) {
        const admin = kaltura.admin({
          ...conn,
          session: kaltura.adminSession({ ...conn, adminSecret: emu.adminSecret, local: true, ksVersion }),
        });
        const t = await admin.createAppToken({ description: `v${ksVersion}` });
        assert.equal((await admin.getAppToken(t.id)).description, `v${ksVersion}`);
      }
      const userKs = kaltura.ks.encode({
        adminSecret: emu.adminSecret,
        partnerId: conn.partnerId,
        type: 0,
        userId: 'u',
      });
      const err = await failure(kaltura.admin({ ...conn, session: userKs }).listAppTokens());
      assert.equal(err.vendorCode, 'SERVICE_FORBIDDEN');
      assert.match(err.message, /The access to service \[apptoken->list\] is forbidden/);
      const forged = kaltura.ks.encode({
        adminSecret: 'another-partners-secret',
        partnerId: conn.partnerId,
        type: 2,
      });
      assert.equal(
        (await failure(kaltura.admin({ ...conn, session: forged }).listAppTokens())).vendorCode,
        'INVALID_KS',
      );
    } finally {
      await emu.close();
    }
  });

  it('a given KS (KALTURA_SESSION style) overrides session creation and is checked with session.get', async () => {
    const { emu, conn } = await emulator();
    try {
      const given = kaltura.ks.encode({
        adminSecret: emu.adminSecret,
        partnerId: conn.partnerId,
        userId: 'given-user',
        expiry: 500,
      });
      const provider = kaltura.appTokenSession({
        ...conn,
        appTokenId: '0_unused',
        appToken: 'unused-token',
        ks: given,
      });
      const c = await provider.acquire({});
      assert.equal(c.token, given);
      assert.equal(c.subject, 'given-user');
      assert.equal(emu.stats.calls['apptoken.startsession'], undefined);
      assert.equal(emu.stats.calls['session.get'], 1);
    } finally {
      await emu.close();
    }
  });
});

describe('app token operations', () => {
  it('list pages through everything and filters by status and user; update and delete', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++)
        ids.push(
          (await admin.createAppToken({ sessionUserId: i < 3 ? 'alice' : 'bob', description: `t${i}` })).id,
        );
      const all = await admin.listAppTokens({ pageSize: 3 });
      assert.deepEqual(
        all.map((t) => t.id),
        ids,
      );
      assert.equal(emu.stats.calls['apptoken.list'], 3);
      assert.equal((await admin.listAppTokens({ sessionUserId: 'alice' })).length, 3);
      await admin.deleteAppToken(ids[0]!);
      await admin.deleteAppToken(ids[4]!);
      assert.equal((await admin.listAppTokens()).length, 5);
      // Deleted tokens are never listed, whatever the filter (AppTokenPeer's default criteria).
      assert.deepEqual(await admin.listAppTokens({ status: kaltura.AppTokenStatus.DELETED }), []);
      assert.equal(
        (await admin.listAppTokens({ status: kaltura.AppTokenStatus.ACTIVE, sessionUserId: 'bob' })).length,
        3,
      );
      const updated = await admin.updateAppToken(ids[1]!, {
        description: 'changed',
        sessionPrivileges: 'setrole:1',
        hashType: 'SHA512',
      });
      assert.deepEqual(
        [updated.description, updated.sessionPrivileges, updated.hashType],
        ['changed', 'setrole:1', 'SHA512'],
      );
      assert.equal(
        (await failure(admin.updateAppToken(ids[1]!, { hashType: 'SHA3' as never }))).vendorCode,
        'INVALID_ENUM_VALUE',
      );
    } finally {
      await emu.close();
    }
  });

  it('role by name: none or several are a config error; a KS with an unknown setrole fails when used', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      assert.equal((await failure(admin.roleId('missing'))).code, 'ERR_CONFIG_INVALID');
      await admin.addRole({ name: 'twice' });
      // A partner's role names are unique; a global (partner 0) role may share one, and list shows both.
      emu.state.roles.push({ ...emu.state.roles[0]!, id: 5, partnerId: 0, systemName: 'GLOBAL_TWICE' });
      assert.deepEqual(await admin.roleIds('twice'), [1001, 5]);
      assert.equal((await failure(admin.roleId('twice'))).code, 'ERR_CONFIG_INVALID');
      const t = await admin.createAppToken({ roleId: 777, hashType: 'SHA256' });
      const session = await kaltura
        .appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA256' })
        .acquire({});
      const err = await failure(
        new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: session.token }),
      );
      assert.equal(err.vendorCode, 'INVALID_OBJECT_ID');
      assert.equal(
        (await failure(admin.addUser({ id: 'dup' }).then(() => admin.addUser({ id: 'dup' })))).vendorCode,
        'DUPLICATE_USER_BY_ID',
      );
      assert.equal(
        (await failure(admin.addCategoryUser({ categoryId: 5, userId: 'dup' }))).vendorCode,
        'CATEGORY_NOT_FOUND',
      );
    } finally {
      await emu.close();
    }
  });

  it('urirestrict limits where a session works; request privileges are merged as the notes say', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const role = await admin.addRole({ name: 'r' });
      const media = await admin.createAppToken({
        hashType: 'SHA256',
        roleId: role.id,
        uriRestrict: '/api_v3/service/media/*',
        sessionPrivileges: 'edit:*',
      });
      const provider = kaltura.appTokenSession({
        ...conn,
        appTokenId: media.id,
        appToken: media.token!,
        hashType: 'SHA256',
        sessionPrivileges: 'edit:0_abc,setrole:1,mine:1',
      });
      const c = await provider.acquire({});
      assert.equal(
        c.meta.privileges,
        `sessionid:${media.id},apptoken:${media.id},setrole:${role.id},urirestrict:/api_v3/service/media/*,edit:0_abc,mine:1`,
      );
      const prediction = kaltura.predictAppTokenSession(
        { sessionPrivileges: 'edit:0_abc,setrole:1,mine:1' },
        { id: media.id, sessionPrivileges: media.sessionPrivileges },
      );
      assert.equal(prediction.privileges, c.meta.privileges);
      assert.deepEqual(provider.lastReport, [
        'requested privilege "setrole:1" was not granted (reserved, or set by the app token)',
      ]);
      const err = await failure(new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: c.token }));
      assert.equal(err.vendorCode, 'INVALID_KS');
      assert.match(err.message, /EXCEEDED_RESTRICTED_URI/);
      const sessionOnly = await admin.createAppToken({
        hashType: 'SHA256',
        roleId: role.id,
        uriRestrict: '/api_v3/service/session/*',
      });
      const s2 = await kaltura
        .appTokenSession({
          ...conn,
          appTokenId: sessionOnly.id,
          appToken: sessionOnly.token!,
          hashType: 'SHA256',
        })
        .acquire({});
      const info = (await new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: s2.token })) as {
        privileges: string;
      };
      assert.match(info.privileges, /urirestrict:\/api_v3\/service\/session\/\*/);
    } finally {
      await emu.close();
    }
  });
});

describe('persistence', () => {
  it('state survives a restart in a 0600 JSON file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokensmith-kaltura-'));
    const stateFile = join(dir, 'state', 'kaltura.json');
    try {
      const first = await startKalturaEmulator({ stateFile, partnerId: 55 });
      const admin = kaltura.admin({ serviceUrl: first.url, partnerId: 55, adminSecret: first.adminSecret });
      const t = await admin.createAppToken({ description: 'kept', hashType: 'SHA256' });
      await first.close();
      assert.equal((await stat(stateFile)).mode & 0o777, 0o600);
      const second = await startKalturaEmulator({
        stateFile,
        partnerId: 99,
        adminSecret: 'ignored-for-existing-state',
      });
      try {
        assert.equal(second.partnerId, 55);
        assert.equal(second.adminSecret, first.adminSecret);
        const again = kaltura.admin({
          serviceUrl: second.url,
          partnerId: 55,
          adminSecret: second.adminSecret,
        });
        assert.equal((await again.getAppToken(t.id)).description, 'kept');
        const m = new TokenManager(
          kaltura.appTokenSession({
            serviceUrl: second.url,
            partnerId: 55,
            appTokenId: t.id,
            appToken: t.token!,
            hashType: 'SHA256',
          }),
        );
        assert.equal((await m.getCredential()).meta.partnerId, 55);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
