/**
 * The emulator answers as api_v3 does (docs/kaltura-emulator-rules.md gives the server source of each
 * rule): no null fields in JSON, session.get's fields, mandatory parameters, the puserId rule, deleted
 * app tokens never listed, setrole checked where the server checks it, the error templates, XML by default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { emulator, failure } from '../../../test/helpers/kaltura.js';
import { adminKs, api, exception, post, userKs } from './kaltura-wire.js';

const PID = 1234567;

describe('JSON answers carry no null fields (KalturaJsonSerializer::unsetNull)', () => {
  it('appToken.add and user.add leave unset fields out; objectType comes last', async () => {
    const { emu, conn } = await emulator();
    try {
      const ks = adminKs(emu);
      const token = (await api(emu, 'appToken', 'add', {
        ks,
        appToken: { objectType: 'KalturaAppToken', sessionUserId: 'alice' },
      })) as Record<string, unknown>;
      assert.deepEqual(Object.keys(token), [
        'id',
        'token',
        'partnerId',
        'createdAt',
        'updatedAt',
        'status',
        'sessionUserId',
        'sessionDuration',
        'hashType',
        'objectType',
      ]);
      assert.deepEqual(
        [token.partnerId, token.status, token.sessionUserId, token.sessionDuration, token.hashType],
        [PID, 2, 'alice', 86400, 'SHA1'],
      );
      const user = (await api(emu, 'user', 'add', {
        ks,
        user: { objectType: 'KalturaUser', id: 'u1' },
      })) as Record<string, unknown>;
      assert.equal(Object.values(user).includes(null), false);
      assert.equal(Object.keys(user).at(-1), 'objectType');
      // kuserPeer::addUser: the screen name defaults to the id; kuser::getFullName is '' without names.
      assert.deepEqual(
        [user.id, user.screenName, user.fullName, user.isAdmin, 'firstName' in user],
        ['u1', 'u1', '', false, false],
      );
      // The same through the library's client.
      const viaClient = (await new kaltura.KalturaClient(conn).call(
        'appToken',
        'add',
        { appToken: { objectType: 'KalturaAppToken', sessionUserId: 'bob', description: undefined } },
        { ks },
      )) as Record<string, unknown>;
      assert.equal(Object.values(viaClient).includes(null), false);
      assert.equal('expiry' in viaClient, false);
    } finally {
      await emu.close();
    }
  });
});

describe('session.get (SessionService::getAction)', () => {
  it('answers partnerId, userId, expiry, sessionType and privileges as the KS holds them, never the ks', async () => {
    const { emu, conn } = await emulator();
    try {
      const ks = (await api(emu, 'session', 'start', {
        secret: emu.adminSecret,
        partnerId: PID,
        type: 2,
        userId: 'admin-user',
        privileges: 'disableentitlement',
      })) as string;
      const { validUntil } = kaltura.ks.decode(ks, { adminSecret: emu.adminSecret });
      const info = (await api(emu, 'session', 'get', { ks })) as Record<string, unknown>;
      // The KS fields are strings once parsed (kSessionBase::parseKsV2), and PHP's json_encode keeps them so.
      assert.deepEqual(info, {
        sessionType: '2',
        partnerId: String(PID),
        userId: 'admin-user',
        expiry: String(validUntil),
        privileges: 'disableentitlement',
        objectType: 'KalturaSessionInfo',
      });
      assert.deepEqual(Object.keys(info), [
        'sessionType',
        'partnerId',
        'userId',
        'expiry',
        'privileges',
        'objectType',
      ]);
      // The library reads the strings as numbers.
      const given = await kaltura.adminSession({ ...conn, adminSecret: emu.adminSecret, ks }).acquire({});
      assert.deepEqual(
        [given.meta.partnerId, given.meta.sessionType, given.subject, given.expiresAt! <= validUntil * 1000],
        [PID, 2, 'admin-user', true],
      );
    } finally {
      await emu.close();
    }
  });

  it('a session parameter that does not parse is an internal error (ks::fromSecureString throws)', async () => {
    const { emu } = await emulator();
    try {
      assert.deepEqual(
        await api(emu, 'session', 'get', { ks: adminKs(emu), session: 'bm90LWEta3M=' }),
        exception('INTERNAL_SERVERL_ERROR', 'Internal server error occurred'),
      );
    } finally {
      await emu.close();
    }
  });
});

describe('MISSING_MANDATORY_PARAMETER (KalturaRequestDeserializer::buildActionArguments)', () => {
  it('appToken.add without appToken, session.start without secret, appToken.get without id', async () => {
    const { emu, conn } = await emulator();
    try {
      const ks = adminKs(emu);
      const missing = (name: string) =>
        exception('MISSING_MANDATORY_PARAMETER', `Missing parameter "${name}"`, { PARAM_NAME: name });
      assert.deepEqual(await api(emu, 'appToken', 'add', { ks }), missing('appToken'));
      assert.deepEqual(await api(emu, 'session', 'start', { partnerId: PID, type: 2 }), missing('secret'));
      assert.deepEqual(await api(emu, 'appToken', 'get', { ks }), missing('id'));
      assert.deepEqual(await api(emu, 'appToken', 'startSession', { ks, id: '0_x' }), missing('tokenHash'));
      // Arguments are read before the session is checked: no KS, or a USER KS, still gives the missing parameter.
      assert.deepEqual(await api(emu, 'appToken', 'get', {}), missing('id'));
      assert.deepEqual(await api(emu, 'appToken', 'add', { ks: userKs(emu) }), missing('appToken'));
      const err = await failure(new kaltura.KalturaClient(conn).call('appToken', 'get', {}, { ks }));
      assert.equal(err.vendorCode, 'MISSING_MANDATORY_PARAMETER');
      assert.equal(
        err.message,
        'Kaltura appToken.get failed: MISSING_MANDATORY_PARAMETER: Missing parameter "id"',
      );
    } finally {
      await emu.close();
    }
  });
});

describe('user ids follow kuser::PUSER_ID_REGEXP', () => {
  it('user.add, appToken.add/update sessionUserId and categoryUser.add userId refuse other ids with INVALID_FIELD_VALUE', async () => {
    const { emu, conn } = await emulator();
    try {
      const ks = adminKs(emu);
      const invalid = (field: string) =>
        exception('INVALID_FIELD_VALUE', `value in field [${field}] is not valid`, { FIELD_NAME: field });
      const addUser = (id?: string) =>
        api(emu, 'user', 'add', { ks, user: { objectType: 'KalturaUser', id } });
      assert.deepEqual(await addUser('has space'), invalid('id'));
      assert.deepEqual(await addUser('x'.repeat(321)), invalid('id'));
      assert.deepEqual(await addUser('ümlaut'), invalid('id'));
      assert.deepEqual(await addUser(), invalid('id'));
      // Commas, quotes and the other listed punctuation are allowed, up to 320 characters.
      for (const id of ["a,b!#$%&'*+?^_`{|}~.@-z", 'y'.repeat(320)]) {
        assert.equal(((await addUser(id)) as { id: string }).id, id);
      }
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const bad = await failure(admin.createAppToken({ sessionUserId: 'bad user' }));
      assert.equal(bad.vendorCode, 'INVALID_FIELD_VALUE');
      assert.equal(
        bad.message,
        'Kaltura appToken.add failed: INVALID_FIELD_VALUE: value in field [sessionUserId] is not valid',
      );
      const t = await admin.createAppToken({ sessionUserId: 'good-user' });
      assert.deepEqual(
        await api(emu, 'appToken', 'update', {
          ks,
          id: t.id,
          appToken: { objectType: 'KalturaAppToken', sessionUserId: 'bad;user' },
        }),
        invalid('sessionUserId'),
      );
      assert.deepEqual(
        await api(emu, 'categoryUser', 'add', {
          ks,
          categoryUser: { objectType: 'KalturaCategoryUser', categoryId: 123456789, userId: 'bad user' },
        }),
        invalid('userId'),
      );
    } finally {
      await emu.close();
    }
  });
});

describe('appToken.list never lists deleted tokens (AppTokenPeer default criteria)', () => {
  it('whatever the status filter', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const kept = await admin.createAppToken({ sessionUserId: 'u', description: 'kept' });
      const gone = await admin.createAppToken({ sessionUserId: 'u', description: 'gone' });
      await admin.deleteAppToken(gone.id);
      const list = async (filter: Record<string, unknown>) =>
        (
          (await api(emu, 'appToken', 'list', {
            ks: adminKs(emu),
            filter: { objectType: 'KalturaAppTokenFilter', ...filter },
          })) as { totalCount: number; objects?: Array<{ id: string }> }
        ).objects?.map((o) => o.id) ?? [];
      assert.deepEqual(await list({}), [kept.id]);
      assert.deepEqual(await list({ statusEqual: 3 }), []);
      assert.deepEqual(await list({ statusIn: '1,2,3' }), [kept.id]);
      assert.deepEqual(await list({ idEqual: gone.id }), []);
      assert.deepEqual(await admin.listAppTokens({ status: kaltura.AppTokenStatus.DELETED }), []);
      // A sessionUserIdEqual naming no user answers totalCount 0 and no objects field at all.
      assert.deepEqual(
        await api(emu, 'appToken', 'list', {
          ks: adminKs(emu),
          filter: { objectType: 'KalturaAppTokenFilter', sessionUserIdEqual: 'nobody' },
        }),
        { totalCount: 0, objectType: 'KalturaAppTokenListResponse' },
      );
    } finally {
      await emu.close();
    }
  });
});

describe('setrole: checked by session.start, not by appToken.startSession', () => {
  it('session.start refuses an unknown role before it looks at the secret (ks::validatePrivileges)', async () => {
    const { emu, conn } = await emulator();
    try {
      const start = (privileges: string, secret = emu.adminSecret) =>
        api(emu, 'session', 'start', { secret, partnerId: PID, type: 2, privileges });
      assert.deepEqual(await start('setrole:777'), exception('UNKNOWN_ROLE_ID', 'Unknown role id'));
      assert.deepEqual(
        await start('setrole:777', 'wrong-secret'),
        exception('UNKNOWN_ROLE_ID', 'Unknown role id'),
      );
      assert.deepEqual(await start('setrole:-3'), exception('UNKNOWN_ROLE_ID', 'Unknown role id'));
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const role = await admin.addRole({ name: 'Reports', systemName: 'REPORTS' });
      assert.equal(typeof (await start(`setrole:${role.id}`)), 'string');
      assert.equal(typeof (await start('setrole:REPORTS')), 'string');
      const err = await failure(
        kaltura
          .adminSession({ ...conn, adminSecret: emu.adminSecret, privileges: 'setrole:778' })
          .acquire({}),
      );
      assert.equal(err.vendorCode, 'UNKNOWN_ROLE_ID');
    } finally {
      await emu.close();
    }
  });

  it('appToken.startSession issues the KS with an unknown role; using it fails (kPermissionManager::getRoleIds)', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ roleId: 777, hashType: 'SHA256', sessionUserId: 'u' });
      const credential = await kaltura
        .appTokenSession({ ...conn, appTokenId: t.id, appToken: t.token!, hashType: 'SHA256' })
        .acquire({});
      assert.equal(credential.meta.privileges, `sessionid:${t.id},apptoken:${t.id},setrole:777`);
      assert.deepEqual(
        await api(emu, 'session', 'get', { ks: credential.token }),
        exception('INVALID_OBJECT_ID', 'Invalid object id [N/A]', { ID: 'N/A' }),
      );
      const negative = await admin.createAppToken({ roleId: -4, hashType: 'SHA256', sessionUserId: 'u' });
      const c2 = await kaltura
        .appTokenSession({ ...conn, appTokenId: negative.id, appToken: negative.token!, hashType: 'SHA256' })
        .acquire({});
      assert.deepEqual(
        await api(emu, 'session', 'get', { ks: c2.token }),
        exception('INVALID_SET_ROLE', 'Invalid set role id'),
      );
    } finally {
      await emu.close();
    }
  });

  it('appToken.startSession makes the KS as the server does: no partner cap, no user when none is given', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      emu.state.partner.ksMaxExpiryInSeconds = 3600;
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ sessionDuration: 7200, sessionUserId: 'u' });
      emu.state.appTokens.find((x) => x.id === t.id)!.sessionUserId = null;
      const widget = (await api(emu, 'session', 'startWidgetSession', { widgetId: `_${PID}` })) as {
        ks: string;
      };
      const tokenHash = kaltura.tokenHash('SHA256', widget.ks, t.token!);
      const info = (await api(emu, 'appToken', 'startSession', {
        ks: widget.ks,
        id: t.id,
        tokenHash,
      })) as Record<string, unknown>;
      const now = Math.floor(clock.now() / 1000);
      // createKSession has no partner cap: the token's 7200 s hold; the partner id comes from the KS (a string).
      assert.deepEqual(Object.keys(info), [
        'ks',
        'sessionType',
        'partnerId',
        'expiry',
        'privileges',
        'objectType',
      ]);
      assert.deepEqual(
        [info.sessionType, info.partnerId, (info.expiry as number) - now, info.privileges],
        [0, String(PID), 7200, `sessionid:${t.id},apptoken:${t.id}`],
      );
      assert.equal(kaltura.ks.decode(info.ks as string, { adminSecret: emu.adminSecret }).userId, '');
    } finally {
      await emu.close();
    }
  });
});

describe('error messages and args as the server templates give them (APIErrors::getErrorData)', () => {
  it('app tokens, sessions, widgets, services, actions, users, enums, roles, categories, partners', async () => {
    const { emu, clock, conn } = await emulator();
    try {
      const ks = adminKs(emu);
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      assert.deepEqual(
        await api(emu, 'appToken', 'get', { ks, id: '0_nothere' }),
        exception('APP_TOKEN_ID_NOT_FOUND', 'Application token id "0_nothere" not found', {
          ID: '0_nothere',
        }),
      );
      const widget = (await api(emu, 'session', 'startWidgetSession', { widgetId: `_${PID}` })) as {
        ks: string;
      };
      const disabled = await admin.createAppToken({ sessionUserId: 'u' });
      emu.state.appTokens.find((x) => x.id === disabled.id)!.status = 1;
      assert.deepEqual(
        await api(emu, 'appToken', 'startSession', { ks: widget.ks, id: disabled.id, tokenHash: 'x' }),
        exception('APP_TOKEN_NOT_ACTIVE', `Application token id "${disabled.id}" not active`, {
          ID: disabled.id,
        }),
      );
      const shortLived = await admin.createAppToken({
        sessionUserId: 'u',
        expiry: Math.floor(clock.now() / 1000) + 60,
      });
      clock.advance(120);
      const fresh = (await api(emu, 'session', 'startWidgetSession', { widgetId: `_${PID}` })) as {
        ks: string;
      };
      assert.deepEqual(
        await api(emu, 'appToken', 'startSession', {
          ks: fresh.ks,
          id: shortLived.id,
          tokenHash: kaltura.tokenHash('SHA256', fresh.ks, shortLived.token!),
        }),
        exception('APP_TOKEN_EXPIRED', `Application token id "${shortLived.id}" expired`, {
          ID: shortLived.id,
        }),
      );
      assert.deepEqual(
        await api(emu, 'session', 'start', { secret: 'wrong', partnerId: PID, type: 2 }),
        exception('START_SESSION_ERROR', `Error while starting session for partner [${PID}]`, {
          PID: String(PID),
        }),
      );
      assert.deepEqual(
        await api(emu, 'session', 'startWidgetSession', { widgetId: '_999' }),
        exception('INVALID_WIDGET_ID', 'Unknown widget [_999]', { WIDGET_ID: '_999' }),
      );
      assert.deepEqual(
        await api(emu, 'nope', 'x'),
        exception('SERVICE_DOES_NOT_EXISTS', 'Service "nope" does not exists', { SRV_NAME: 'nope' }),
      );
      assert.deepEqual(
        await api(emu, 'Session', 'Explode'),
        exception('ACTION_DOES_NOT_EXISTS', 'Action "explode" does not exists for service "session"', {
          ACTION_NAME: 'explode',
          SERVICE_NAME: 'session',
        }),
      );
      await admin.addUser({ id: 'dup' });
      assert.deepEqual(
        await api(emu, 'user', 'add', { ks, user: { objectType: 'KalturaUser', id: 'dup' } }),
        exception('DUPLICATE_USER_BY_ID', 'User with id [dup] already exists in system', { UID: 'dup' }),
      );
      assert.deepEqual(
        await api(emu, 'appToken', 'add', {
          ks,
          appToken: { objectType: 'KalturaAppToken', hashType: 'SHA3' },
        }),
        exception(
          'INVALID_ENUM_VALUE',
          'Invalid enumeration value "SHA3" for parameter "hashType", expecting enumeration type "KalturaAppTokenHashType"',
          { ENUM_VAL: 'SHA3', PARAM_NAME: 'hashType', ENUM_TYPE: 'KalturaAppTokenHashType' },
        ),
      );
      assert.deepEqual(
        await api(emu, 'session', 'start', { secret: emu.adminSecret, partnerId: PID, type: 1 }),
        exception(
          'INVALID_ENUM_VALUE',
          'Invalid enumeration value "1" for parameter "type", expecting enumeration type "KalturaSessionType"',
          { ENUM_VAL: '1', PARAM_NAME: 'type', ENUM_TYPE: 'KalturaSessionType' },
        ),
      );
      assert.deepEqual(
        await api(emu, 'userRole', 'add', { ks, userRole: { objectType: 'KalturaUserRole' } }),
        exception(
          'PROPERTY_VALIDATION_CANNOT_BE_NULL',
          'The property "KalturaUserRole::name" cannot be null',
          {
            PROP_NAME: 'KalturaUserRole::name',
          },
        ),
      );
      await admin.addRole({ name: 'Once' });
      assert.deepEqual(
        await api(emu, 'userRole', 'add', { ks, userRole: { objectType: 'KalturaUserRole', name: 'Once' } }),
        exception('ROLE_NAME_ALREADY_EXISTS', 'A role with the same name already exists'),
      );
      assert.deepEqual(
        await api(emu, 'categoryUser', 'add', {
          ks,
          categoryUser: { objectType: 'KalturaCategoryUser', categoryId: 5, userId: 'dup' },
        }),
        exception('CATEGORY_NOT_FOUND', 'Category id "5" not found', { ID: '5' }),
      );
      assert.deepEqual(
        await api(emu, 'session', 'start', { secret: emu.adminSecret, partnerId: 1, type: 2 }),
        exception(
          'SERVICE_FORBIDDEN_CONTENT_BLOCKED',
          'The access to this service is forbidden since the specified partner is blocked',
        ),
      );
    } finally {
      await emu.close();
    }
  });
});

describe('request handling (KalturaDispatcher::dispatch, KalturaObject::validateForInsert/Update, ks::isValid)', () => {
  it('read-only properties, name__null, a KS sent to any action, widget sessions never invalidated', async () => {
    const { emu } = await emulator();
    try {
      const ks = adminKs(emu);
      assert.deepEqual(
        await api(emu, 'appToken', 'add', { ks, appToken: { objectType: 'KalturaAppToken', id: 'mine' } }),
        exception(
          'PROPERTY_VALIDATION_NOT_UPDATABLE',
          'The property "KalturaAppToken::id" cannot be updated',
          {
            PROP_NAME: 'KalturaAppToken::id',
          },
        ),
      );
      const t = (await api(emu, 'appToken', 'add', {
        ks,
        appToken: { objectType: 'KalturaAppToken', sessionUserId: 'u', expiry: 3600, description: 'd' },
      })) as { id: string; expiry: number; status: number };
      assert.equal(typeof t.expiry, 'number');
      const cleared = (await api(emu, 'appToken', 'update', {
        ks,
        id: t.id,
        appToken: { objectType: 'KalturaAppToken', expiry__null: '', status: t.status },
      })) as Record<string, unknown>;
      assert.deepEqual(['expiry' in cleared, cleared.description], [false, 'd']);
      assert.deepEqual(
        await api(emu, 'appToken', 'update', {
          ks,
          id: t.id,
          appToken: { objectType: 'KalturaAppToken', status: 1 },
        }),
        exception(
          'PROPERTY_VALIDATION_NOT_UPDATABLE',
          'The property "KalturaAppToken::status" cannot be updated',
          {
            PROP_NAME: 'KalturaAppToken::status',
          },
        ),
      );
      // A KS sent with session.start is parsed like any other.
      assert.deepEqual(
        await api(emu, 'session', 'start', {
          ks: 'not-a-ks',
          secret: emu.adminSecret,
          partnerId: PID,
          type: 2,
        }),
        exception('INVALID_KS', 'Invalid KS "not-a-ks", Error "-1,INVALID_STR"', {
          KSID: 'not-a-ks',
          ERR_CODE: '-1',
          ERR_DESC: 'INVALID_STR',
        }),
      );
      const widget = (await api(emu, 'session', 'startWidgetSession', { widgetId: `_${PID}` })) as {
        ks: string;
      };
      assert.equal(await api(emu, 'session', 'end', { ks: widget.ks }), null);
      assert.equal(((await api(emu, 'session', 'get', { ks: widget.ks })) as { userId: string }).userId, '0');
      const user = userKs(emu);
      await api(emu, 'session', 'end', { ks: user });
      assert.equal(
        ((await api(emu, 'session', 'get', { ks: user })) as { args: { KSID: string } }).args.KSID,
        'LOGOUT',
      );
      // An unknown format: no body, the error in headers (kRendererDieError).
      const unknown = await fetch(`${emu.url}/api_v3/service/session/action/startWidgetSession?format=5`, {
        method: 'POST',
      });
      assert.deepEqual(
        [unknown.status, await unknown.text(), unknown.headers.get('x-kaltura')],
        [200, '', 'error- UNKNOWN_RESPONSE_FORMAT'],
      );
    } finally {
      await emu.close();
    }
  });
});

describe('response format (KalturaFrontController::setSerializerByFormat)', () => {
  it('XML without format (the default) or with format=2; JSON with format=1', async () => {
    const { emu } = await emulator();
    try {
      const path = '/api_v3/service/session/action/startWidgetSession';
      const xml = await post(emu, `${path}/widgetId/_${PID}`, '', 'text/plain');
      assert.equal(xml.contentType, 'text/xml');
      const m = xml.text.match(
        /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><objectType>KalturaStartWidgetSessionResponse<\/objectType><relatedObjects><\/relatedObjects><partnerId>1234567<\/partnerId><ks>([A-Za-z0-9_=-]+)<\/ks><userId>0<\/userId><\/result><executionTime>[0-9.]+<\/executionTime><\/xml>$/,
      );
      assert.ok(m, xml.text);
      const two = await post(emu, path, { widgetId: `_${PID}`, format: 2 });
      assert.match(
        two.text,
        /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><objectType>KalturaStartWidgetSessionResponse</,
      );
      const json = await post(emu, path, { widgetId: `_${PID}`, format: 1 });
      assert.equal(json.contentType, 'application/json');
      assert.equal((JSON.parse(json.text) as { partnerId: number }).partnerId, PID);

      // An error in XML: args as KalturaApiExceptionArg items.
      const err = await post(emu, `${path}/widgetId/_999`, '', 'text/plain');
      assert.match(
        err.text,
        /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><error><code>INVALID_WIDGET_ID<\/code><message>Unknown widget \[_999\]<\/message><objectType>KalturaAPIException<\/objectType><args><item><objectType>KalturaApiExceptionArg<\/objectType><name>WIDGET_ID<\/name><value>_999<\/value><\/item><\/args><\/error><\/result><executionTime>[0-9.]+<\/executionTime><\/xml>$/,
      );
      // Null fields are empty tags in XML unless ignoreNull=1; a string result is the text itself.
      const ks = adminKs(emu);
      const body = `ks=${ks}&appToken:objectType=KalturaAppToken&appToken:sessionUserId=x%26y`;
      const added = await post(
        emu,
        '/api_v3/service/appToken/action/add',
        body,
        'application/x-www-form-urlencoded',
      );
      assert.match(
        added.text,
        /<sessionUserId>x&amp;y<\/sessionUserId><sessionDuration>86400<\/sessionDuration><sessionPrivileges><\/sessionPrivileges><hashType>SHA1<\/hashType><description><\/description><\/result>/,
      );
      const lean = await post(
        emu,
        '/api_v3/service/appToken/action/add',
        `${body}&ignoreNull=1`,
        'application/x-www-form-urlencoded',
      );
      assert.match(
        lean.text,
        /<sessionDuration>86400<\/sessionDuration><hashType>SHA1<\/hashType><\/result>/,
      );
      const started = await post(
        emu,
        '/api_v3/service/session/action/start',
        `secret=${emu.adminSecret}&partnerId=${PID}&type=2`,
        'application/x-www-form-urlencoded',
      );
      assert.match(
        started.text,
        /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result>[A-Za-z0-9_=-]+<\/result><executionTime>/,
      );
    } finally {
      await emu.close();
    }
  });
});
