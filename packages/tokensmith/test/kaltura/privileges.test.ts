import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appTokenPrivileges } from 'tokensmith/internal/kaltura/admin.js';
import type { AppToken } from 'tokensmith/internal/kaltura/app-token.js';
import { auditAppToken, auditAppTokens } from 'tokensmith/internal/kaltura/audit.js';
import { predictAppTokenSession } from 'tokensmith/internal/kaltura/merge-rules.js';
import {
  check,
  format,
  isReserved,
  parse,
  RESERVED_PRIVILEGES,
} from 'tokensmith/internal/kaltura/privileges.js';

describe('privileges', () => {
  it('knows exactly the 33 reserved names', () => {
    assert.equal(RESERVED_PRIVILEGES.length, 33);
    assert.equal(new Set(RESERVED_PRIVILEGES).size, 33);
    assert.ok(isReserved('setrole') && isReserved('disablesessiontypecheck') && isReserved('sview'));
    assert.ok(!isReserved('view') && !isReserved('enableentitlementforentry') && !isReserved('*'));
  });

  it('parses names, name:value, / values and *; skips empty parts; formats back', () => {
    const list = parse(
      ' setrole:12 ,, edit:0_a/0_b,*,enableentitlement,urirestrict:/api_v3/service/media/*|/x/*',
    );
    assert.deepEqual(list, [
      { name: 'setrole', value: '12', values: ['12'] },
      { name: 'edit', value: '0_a/0_b', values: ['0_a', '0_b'] },
      { name: '*', value: '', values: [] },
      { name: 'enableentitlement', value: '', values: [] },
      {
        name: 'urirestrict',
        value: '/api_v3/service/media/*|/x/*',
        values: ['', 'api_v3', 'service', 'media', '*|', 'x', '*'],
      },
    ]);
    assert.equal(
      format(list),
      'setrole:12,edit:0_a/0_b,*,enableentitlement,urirestrict:/api_v3/service/media/*|/x/*',
    );
    assert.equal(
      format({ setrole: 5, edit: ['a', 'b'], enableentitlement: true, skipped: undefined, off: false }),
      'setrole:5,edit:a/b,enableentitlement',
    );
  });

  it('warns on unknown names with a suggestion, on view outside a widget KS, and on duplicates', () => {
    assert.deepEqual(check('enableentitlementforentry,setrole:1'), [
      'privilege "enableentitlementforentry" is unknown to the Kaltura server and has no effect (did you mean "enableentitlement"?)',
    ]);
    assert.deepEqual(check('view:*,widget:1'), []);
    assert.deepEqual(check('view:*'), [
      'privilege "view" only has meaning in a widget KS; the viewing privilege is "sview"',
    ]);
    assert.deepEqual(check('edit:a,edit:b'), [
      'privilege "edit" is given twice; a KS v2 keeps only the last value (use "/" to list values)',
    ]);
    assert.deepEqual(check('*,sview:*,a.b'), [
      'privilege "a.b" is unknown to the Kaltura server and has no effect',
      'privilege name "a.b" contains characters a KS changes or cannot carry',
    ]);
  });

  it('builds app-token privileges in the seed order', () => {
    assert.equal(
      appTokenPrivileges({
        roleId: 15737171,
        privacyContext: 'a, b',
        widgetSession: true,
        enableEntitlement: true,
        uriRestrict: '/api_v3/service/media/*',
      }),
      'setrole:15737171,privacycontext:a/b,widget:1,enableentitlement,urirestrict:/api_v3/service/media/*',
    );
    assert.equal(appTokenPrivileges({ privacyContext: 'ctx' }), 'privacycontext:ctx');
  });
});

describe('startSession merge rules', () => {
  const token = {
    id: '0_tok',
    sessionType: 0,
    sessionUserId: 'app@x',
    sessionDuration: 3600,
    expiry: 10_000,
    sessionPrivileges: 'setrole:7,edit:*,custom:1',
  };

  it('token type, user and shorter expiry win; reserved and token-set names are dropped; * is replaced', () => {
    const p = predictAppTokenSession(
      {
        userId: 'other',
        type: 2,
        expiry: 7200,
        sessionPrivileges: 'setrole:1,edit:0_e,custom:2,mine:x,sview:*',
      },
      token,
      5_000,
    );
    assert.deepEqual(p, {
      type: 0,
      userId: 'app@x',
      expiry: 3600,
      privileges: 'sessionid:0_tok,apptoken:0_tok,setrole:7,edit:0_e,custom:1,mine:x',
      tokenExpired: false,
      notes: [
        'expiry 7200s is shortened to 3600s by the app token',
        "type ADMIN is replaced by the app token's USER",
        'userId "other" is replaced by the app token\'s "app@x"',
        'requested privilege "setrole" is reserved and is ignored',
        'requested privilege "custom" is already set by the app token and is ignored',
        'requested privilege "sview" is reserved and is ignored',
      ],
    });
  });

  it('the token expiry caps the session; a past expiry means APP_TOKEN_EXPIRED; 0 means no request expiry', () => {
    assert.equal(predictAppTokenSession({ expiry: 0 }, token, 9_000).expiry, 1000);
    assert.equal(predictAppTokenSession({}, token, 10_001).tokenExpired, true);
    assert.equal(predictAppTokenSession({}, { id: 'x' }, 0).type, 0);
  });

  it('without the token settings it says what is certain', () => {
    assert.deepEqual(predictAppTokenSession({ sessionPrivileges: 'setrole:3,mine' }).notes, [
      'requested privilege "setrole" is reserved: ignored unless the app token sets it to "*"',
    ]);
  });
});

describe('audit rules', () => {
  const now = () => 1_700_000_000_000;
  const safe: AppToken = {
    id: 'safe',
    status: 2,
    statusName: 'ACTIVE',
    hashType: 'SHA256',
    sessionType: 0,
    expiry: 1_700_000_000 + 30 * 86400,
    sessionPrivileges: 'setrole:1,urirestrict:/api_v3/service/media/*',
  };
  it('a safe token has no findings', () => {
    assert.deepEqual(auditAppToken(safe, { now }), []);
  });
  it('flags each risk with its rule and severity, worst first', () => {
    const risky: AppToken = {
      ...safe,
      id: 'risky',
      sessionType: 2,
      expiry: undefined,
      hashType: 'MD5',
      sessionPrivileges: 'edit:*,disableentitlement,enableentitlementforentry',
    };
    assert.deepEqual(
      auditAppToken(risky, { now }).map((f) => `${f.severity}:${f.rule}`),
      [
        'high:admin-session',
        'high:wildcard-privilege',
        'medium:no-expiry',
        'medium:no-role',
        'medium:weak-hash',
        'medium:entitlement-disabled',
        'low:no-uri-restriction',
        'low:unknown-privilege',
      ],
    );
    assert.deepEqual(
      auditAppToken({ ...safe, expiry: 1_700_000_000 + 400 * 86400, hashType: 'SHA1' }, { now }).map(
        (f) => `${f.severity}:${f.rule}`,
      ),
      ['low:far-expiry', 'low:weak-hash'],
    );
  });
  it('skips deleted and (by default) disabled tokens; minSeverity filters', () => {
    const bad: AppToken = { ...safe, sessionType: 2 };
    const list = [
      { ...bad, id: 'del', status: 3, statusName: 'DELETED' },
      { ...bad, id: 'dis', status: 1, statusName: 'DISABLED' },
      { ...bad, id: 'act' },
    ];
    assert.deepEqual(
      auditAppTokens(list, { now }).map((e) => e.id),
      ['act'],
    );
    assert.deepEqual(
      auditAppTokens(list, { now, includeDisabled: true }).map((e) => e.id),
      ['act', 'dis'],
    );
    assert.deepEqual(auditAppTokens([{ ...safe, hashType: 'SHA1' }], { now, minSeverity: 'medium' }), []);
  });
});

describe('warnUnknown', () => {
  it('logs each warning once per process, however often the same privileges are checked', async () => {
    const { configureLogging } = await import('tokensmith/internal/core/log.js');
    const { warnUnknown } = await import('tokensmith/internal/kaltura/privileges.js');
    const lines: string[] = [];
    configureLogging({ level: 'warn', sink: (line) => lines.push(line) });
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal(warnUnknown('madeupprivilege:1', 'once-test').length, 1);
      }
      assert.equal(lines.filter((l) => l.includes('once-test') && l.includes('madeupprivilege')).length, 1);
    } finally {
      configureLogging({ level: 'silent', sink: (line) => process.stderr.write(`${line}\n`) });
    }
  });
});
