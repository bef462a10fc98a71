import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { emulator, failure } from '../../../../test/helpers/kaltura.js';

const USER = 'dummyuser@kaltura.com';

describe('seed 001 workflow through the public API', () => {
  it('user, category user, role, app token with setrole, session from the token carrying user, type, role and the shorter expiry', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const user = await admin.addUser({ id: USER });
      assert.equal(user.id, USER);
      const cu = await admin.addCategoryUser({ categoryId: 123456789, userId: USER, permissionLevel: 3 });
      assert.deepEqual([cu.categoryId, cu.userId, cu.permissionLevel, cu.status], [123456789, USER, 3, 1]);
      const role = await admin.addRole({ name: 'Demo app role', permissionNames: 'CONTENT_MANAGE_BASE' });
      assert.equal(role.id, 1001);
      assert.equal(role.status, 1);
      assert.equal(await admin.roleId('Demo app role'), 1001);

      const token = await admin.createAppToken({
        description: 'AppToken for Demo',
        hashType: 'SHA256',
        sessionDuration: 86400,
        roleName: 'Demo app role',
        sessionType: kaltura.SessionType.USER,
        sessionUserId: USER,
      });
      assert.match(token.id, /^0_[0-9a-z]{8}$/);
      assert.match(token.token ?? '', /^[0-9a-f]{32}$/);
      assert.equal(token.sessionPrivileges, 'setrole:1001');
      assert.equal(token.status, kaltura.AppTokenStatus.ACTIVE);

      // Ask for another user, ADMIN and two days: the token's settings win; one hour is shorter than the token's day.
      const provider = kaltura.appTokenSession({
        ...conn,
        appTokenId: token.id,
        appToken: token.token!,
        hashType: 'SHA256',
        userId: 'someone-else',
        type: kaltura.SessionType.ADMIN,
        expiry: 3600,
      });
      const manager = new TokenManager(provider, { now: clock.now });
      const credential = await manager.getCredential();
      const ks = kaltura.ks.decode(credential.token, { adminSecret: emu.adminSecret });
      const nowSeconds = Math.floor(clock.now() / 1000);
      assert.equal(ks.userId, USER);
      assert.equal(ks.type, 0);
      assert.equal(ks.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:1001`);
      assert.ok(
        ks.validUntil - nowSeconds <= 3600 && ks.validUntil - nowSeconds >= 3598,
        `lifetime ${ks.validUntil - nowSeconds}`,
      );
      assert.equal(credential.subject, USER);
      assert.equal(credential.headers.authorization, `KS ${credential.token}`);
      assert.deepEqual(provider.lastReport, [
        `requested user "someone-else" became "${USER}" (the app token fixes the user)`,
        'requested type ADMIN became USER (the app token fixes the type)',
      ]);
      assert.deepEqual(emu.stats.calls['session.startwidgetsession'], 1);
      assert.deepEqual(emu.stats.calls['apptoken.startsession'], 1);

      // The token's sessionDuration is the shorter one now.
      await admin.updateAppToken(token.id, { sessionDuration: 600 });
      const shorter = await kaltura
        .appTokenSession({
          ...conn,
          appTokenId: token.id,
          appToken: token.token!,
          hashType: 'SHA256',
          expiry: 3600,
        })
        .acquire({});
      const d2 = kaltura.ks.decode(shorter.token, { adminSecret: emu.adminSecret });
      assert.ok(
        d2.validUntil - Math.floor(clock.now() / 1000) <= 600 &&
          d2.validUntil - Math.floor(clock.now() / 1000) >= 598,
      );
    } finally {
      await emu.close();
    }
  });

  it('all four hash types start sessions; the KS is accepted by session.get through kalturaFetch', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      for (const hashType of kaltura.APP_TOKEN_HASH_TYPES) {
        const t = await admin.createAppToken({ hashType, sessionUserId: `u-${hashType}` });
        assert.equal(t.hashType, hashType);
        const manager = new TokenManager(
          kaltura.appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType }),
        );
        const fetchKs = kaltura.kalturaFetch(manager);
        const res = await fetchKs(`${emu.url}/api_v3/service/session/action/get`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ format: 1 }),
        });
        const info = (await res.json()) as { userId: string; sessionType: string };
        assert.equal(info.userId, `u-${hashType}`, hashType);
        // session.get answers the KS's fields as the server parsed them: strings.
        assert.equal(info.sessionType, '0');
      }
    } finally {
      await emu.close();
    }
  });

  it('the TokenManager starts a new session when the KS nears expiry', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({
        hashType: 'SHA512',
        sessionDuration: 120,
        sessionUserId: 'renew',
      });
      const manager = new TokenManager(
        kaltura.appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA512' }),
        {
          now: clock.now,
          refreshWindowSeconds: 30,
        },
      );
      const first = await manager.getCredential();
      assert.equal((await manager.getCredential()).token, first.token);
      clock.advance(100); // 20 s left, inside the 30 s window: served at once, renewed behind
      assert.equal((await manager.getCredential()).token, first.token);
      await manager.idle();
      const second = await manager.getCredential();
      assert.notEqual(second.token, first.token);
      assert.equal(manager.stats.acquired, 2);
      assert.equal(emu.stats.calls['apptoken.startsession'], 2);
    } finally {
      await emu.close();
    }
  });

  it('kalturaFetch renews once and replays when the server answers INVALID_KS', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'replay' });
      const manager = new TokenManager(
        kaltura.appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA256' }),
      );
      const first = await manager.getCredential();
      await new kaltura.KalturaClient(conn).call('session', 'end', {}, { ks: first.token });
      const res = await kaltura.kalturaFetch(manager)(`${emu.url}/api_v3/service/session/action/get`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"format":1}',
      });
      assert.equal(((await res.json()) as { userId: string }).userId, 'replay');
      assert.equal(manager.stats.acquired, 2);
      assert.equal(emu.stats.errors.INVALID_KS, 1);
    } finally {
      await emu.close();
    }
  });
});

describe('failures carry the Kaltura code', () => {
  it('wrong hash, wrong hash type, deleted token, expired token, expired KS, not-active token', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'errs' });
      const session = (o: Partial<kaltura.AppTokenSessionOptions>) =>
        kaltura
          .appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA256', ...o })
          .acquire({});

      const wrong = await failure(session({ appToken: 'f'.repeat(32) }));
      assert.equal(wrong.code, 'ERR_KALTURA_API');
      assert.equal(wrong.vendorCode, 'INVALID_APP_TOKEN_HASH');
      assert.equal((await failure(session({ hashType: 'SHA1' }))).vendorCode, 'INVALID_APP_TOKEN_HASH');
      assert.equal(
        (await failure(session({ appTokenId: '0_nothere' }))).vendorCode,
        'APP_TOKEN_ID_NOT_FOUND',
      );

      const good = await session({});
      await admin.deleteAppToken(t.id);
      assert.equal((await failure(session({}))).vendorCode, 'APP_TOKEN_ID_NOT_FOUND');
      assert.equal((await failure(admin.getAppToken(t.id))).vendorCode, 'APP_TOKEN_ID_NOT_FOUND');
      // Deleting the token invalidates the sessions it started (sessionid privilege).
      const ended = await failure(
        new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: good.token }),
      );
      assert.equal(ended.vendorCode, 'INVALID_KS');
      assert.match(ended.message, /INVALID_KS \(LOGOUT\)/);

      const shortLived = await admin.createAppToken({
        hashType: 'SHA256',
        expiry: Math.floor(clock.now() / 1000) + 60,
        sessionUserId: 'errs',
      });
      const ks = await kaltura
        .appTokenSession({
          ...conn,
          appTokenId: shortLived.id,
          appToken: shortLived.token!,
          hashType: 'SHA256',
        })
        .acquire({});
      const d = kaltura.ks.decode(ks.token, { adminSecret: emu.adminSecret });
      assert.ok(d.validUntil - Math.floor(clock.now() / 1000) <= 60, 'the token expiry caps the session');
      clock.advance(120);
      const expired = await failure(
        kaltura
          .appTokenSession({
            ...conn,
            appTokenId: shortLived.id,
            appToken: shortLived.token!,
            hashType: 'SHA256',
          })
          .acquire({}),
      );
      assert.equal(expired.vendorCode, 'APP_TOKEN_EXPIRED');
      const expiredKs = await failure(
        new kaltura.KalturaClient(conn).call('session', 'get', {}, { ks: ks.token }),
      );
      assert.equal(expiredKs.code, 'ERR_KALTURA_API');
      assert.equal(expiredKs.vendorCode, 'INVALID_KS');
      assert.match(expiredKs.message, /INVALID_KS \(EXPIRED\): Invalid KS "EXPIRED"/);

      const disabled = await admin.createAppToken({ hashType: 'SHA256', sessionUserId: 'errs' });
      emu.state.appTokens.find((x) => x.id === disabled.id)!.status = kaltura.AppTokenStatus.DISABLED;
      const notActive = await failure(
        kaltura
          .appTokenSession({
            ...conn,
            appTokenId: disabled.id,
            appToken: disabled.token!,
            hashType: 'SHA256',
          })
          .acquire({}),
      );
      assert.equal(notActive.vendorCode, 'APP_TOKEN_NOT_ACTIVE');
    } finally {
      await emu.close();
    }
  });
});
