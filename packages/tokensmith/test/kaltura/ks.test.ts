import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { decode, encode, inspect, peek, verify } from 'tokensmith/internal/kaltura/ks/index.js';
import { httpBuildQuery, parseStr, phpUrlencode } from 'tokensmith/internal/kaltura/php-urlencode.js';

// ---- The notes' algorithm, written again here without the library (protocol notes §1). ----

/** PHP urlencode from encodeURIComponent: also escape !'()*~ and turn %20 into +. */
function refUrlencode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function refEncodeV2(
  secret: string,
  pid: number,
  fields: Array<[string, string | number]>,
  random: Buffer,
): string {
  const query = fields.map(([k, v]) => `${refUrlencode(k)}=${refUrlencode(String(v))}`).join('&');
  const body = Buffer.concat([random, Buffer.from(query)]);
  let plain = Buffer.concat([createHash('sha1').update(body).digest(), body]);
  if (plain.length % 16) plain = Buffer.concat([plain, Buffer.alloc(16 - (plain.length % 16))]);
  const key = createHash('sha1').update(secret).digest().subarray(0, 16);
  const c = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  c.setAutoPadding(false);
  const enc = Buffer.concat([Buffer.from(`v2|${pid}|`), c.update(plain), c.final()]);
  return enc.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function refDecodeV2(
  ks: string,
  secret: string,
): { pid: number; fields: Map<string, string>; random: Buffer } {
  const raw = Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const firstBar = raw.indexOf('|');
  const secondBar = raw.indexOf('|', firstBar + 1);
  assert.equal(raw.subarray(0, firstBar).toString(), 'v2');
  const pid = Number(raw.subarray(firstBar + 1, secondBar).toString());
  const key = createHash('sha1').update(secret).digest().subarray(0, 16);
  const d = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16));
  d.setAutoPadding(false);
  let plain = Buffer.concat([d.update(raw.subarray(secondBar + 1)), d.final()]);
  while (plain.length && plain[plain.length - 1] === 0) plain = plain.subarray(0, -1);
  const hash = plain.subarray(0, 20);
  const rest = plain.subarray(20);
  assert.deepEqual(createHash('sha1').update(rest).digest(), hash, 'sha1 check of the reference decoder');
  const fields = new Map<string, string>();
  for (const pair of rest.subarray(16).toString().split('&')) {
    const [k, v = ''] = pair.split('=') as [string, string?];
    fields.set(decodeURIComponent(k.replace(/\+/g, ' ')), decodeURIComponent(v.replace(/\+/g, ' ')));
  }
  return { pid, fields, random: rest.subarray(0, 16) };
}

function refEncodeV1(secret: string, info: string): string {
  const hash = createHash('sha1')
    .update(secret + info)
    .digest('hex');
  return Buffer.from(`${hash}|${info}`).toString('base64');
}

const SECRET = 'c0ffee-admin-secret';
const PID = 1234567;
const NOW = 1_700_000_000_000;
const RANDOM = Buffer.from([...Array(16).keys()]);
const PRIVS = 'setrole:15737171,urirestrict:/api_v3/service/media/*,privacycontext:learning';

describe('PHP urlencode / http_build_query / parse_str', () => {
  it('keeps only [A-Za-z0-9._-], encodes * and ~, space as +', () => {
    assert.equal(phpUrlencode('a-b_c.d~e*f g/h:i@j'), 'a-b_c.d%7Ee%2Af+g%2Fh%3Ai%40j');
    assert.equal(phpUrlencode("!'()"), '%21%27%28%29');
    assert.equal(phpUrlencode('é'), '%C3%A9');
    assert.equal(
      httpBuildQuery([
        ['a', 1],
        ['b', null],
        ['c', ''],
        ['d e', 'x'],
      ]),
      'a=1&c=&d+e=x',
    );
  });
  it('parse_str turns . and space in keys into _ and keeps the last duplicate', () => {
    const m = parseStr('a.b=1&c+d=2&x=1&x=2&e=%2A');
    assert.deepEqual(
      [...m],
      [
        ['a_b', '1'],
        ['c_d', '2'],
        ['x', '2'],
        ['e', '*'],
      ],
    );
  });
  it('matches the reference urlencode on every printable ASCII character', () => {
    for (let c = 32; c < 127; c++) {
      const s = String.fromCharCode(c);
      assert.equal(phpUrlencode(s), refUrlencode(s), `char ${c}`);
    }
  });
});

describe('KS v2', () => {
  // The literals below were computed separately with Python (hashlib, urllib) and the openssl CLI.
  it('fixed vector: matches the reference encoder byte for byte', () => {
    const ks = encode({
      adminSecret: SECRET,
      partnerId: PID,
      userId: 'dummyuser@kaltura.com',
      type: 0,
      expiry: 86400,
      privileges: PRIVS,
      now: () => NOW,
      random: RANDOM,
    });
    const expected = refEncodeV2(
      SECRET,
      PID,
      [
        ['setrole', '15737171'],
        ['urirestrict', '/api_v3/service/media/*'],
        ['privacycontext', 'learning'],
        ['_e', 1_700_086_400],
        ['_t', 0],
        ['_u', 'dummyuser@kaltura.com'],
      ],
      RANDOM,
    );
    assert.equal(ks, expected);
    assert.equal(
      ks,
      'djJ8MTIzNDU2N3zqXW58aTXF_ZFhbCOoQMBgZ67JjAmBkytxuZEYx-fwy8xa_7vbSkdEdPW-kkwEhKeikaaBGeYHQ85FqGcWHZk0e8FAUCQBC8vIJTYWYK9M5j0NaPeuLu0N8zF5dylQRocN7-e6SDcFpt5hWIoM_QhlWHJCiYnUhADDZuqDx3UZsucEZkmtsA_KSMAWpMxTZHePAe4zaZ4RppT4aeRqn0mGEGKLbe-yTF17CkaPqVFplw==',
    );
  });

  it('decodes what the reference encoder made, and the reference decodes ours (all lengths, block-aligned included)', () => {
    for (let len = 0; len < 40; len++) {
      const user = 'u'.repeat(len);
      const ref = refEncodeV2(
        SECRET,
        PID,
        [
          ['edit', '0_a/0_b'],
          ['_e', 1_800_000_000],
          ['_t', 2],
          ['_u', user],
        ],
        RANDOM,
      );
      const d = decode(ref, { adminSecret: SECRET });
      assert.deepEqual(
        {
          v: d.version,
          pid: d.partnerId,
          until: d.validUntil,
          type: d.type,
          user: d.userId,
          privs: d.privileges,
          sig: d.signatureValid,
        },
        { v: 2, pid: PID, until: 1_800_000_000, type: 2, user, privs: 'edit:0_a/0_b', sig: true },
      );
      const ours = encode({
        adminSecret: SECRET,
        partnerId: PID,
        userId: user,
        type: 2,
        validUntil: 1_800_000_000,
        privileges: 'edit:0_a/0_b',
      });
      const back = refDecodeV2(ours, SECRET);
      assert.equal(back.pid, PID);
      assert.deepEqual(
        [...back.fields],
        [
          ['edit', '0_a/0_b'],
          ['_e', '1800000000'],
          ['_t', '2'],
          ['_u', user],
        ],
      );
    }
  });

  it('keeps = padding, uses the URL-safe alphabet', () => {
    const samples = Array.from({ length: 30 }, (_, i) =>
      encode({ adminSecret: SECRET, partnerId: PID, userId: 'x'.repeat(i) }),
    );
    assert.ok(samples.every((k) => /^[A-Za-z0-9_-]+={0,2}$/.test(k)));
    assert.ok(
      samples.some((k) => k.endsWith('=')),
      'some lengths need padding',
    );
  });

  it('* becomes all:* inside and * again when read; duplicates keep the last value; . in names becomes _', () => {
    const ks = encode({
      adminSecret: SECRET,
      partnerId: PID,
      privileges: '*,edit:1,edit:2,a.b:3, ,sview',
      now: () => NOW,
      random: RANDOM,
    });
    assert.deepEqual([...refDecodeV2(ks, SECRET).fields].slice(0, 4), [
      ['all', '*'],
      ['edit', '2'],
      ['a.b', '3'],
      ['sview', ''],
    ]);
    assert.equal(decode(ks, { adminSecret: SECRET }).privileges, '*,edit:2,a_b:3,sview');
  });

  it('needs the secret: none, wrong, tampered → ERR_KS_INVALID; one of several secrets works', () => {
    const ks = encode({ adminSecret: SECRET, partnerId: PID, userId: 'u' });
    assert.throws(
      () => decode(ks),
      (e: unknown) => e instanceof TokensmithError && e.code === 'ERR_KS_INVALID',
    );
    assert.throws(
      () => decode(ks, { adminSecret: 'wrong' }),
      (e: unknown) => e instanceof TokensmithError && e.code === 'ERR_KS_INVALID',
    );
    const raw = Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    raw[raw.length - 20]! ^= 1;
    const tampered = raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    assert.equal(verify(tampered, SECRET), false);
    assert.equal(decode(ks, { adminSecret: ['old', SECRET] }).userId, 'u');
    assert.deepEqual(peek(ks), { version: 2, partnerId: PID });
  });

  it('inspect: readable with the secret, partner only without it, signatureValid false with a wrong one', () => {
    const ks = encode({
      adminSecret: SECRET,
      partnerId: PID,
      userId: 'u1',
      type: 2,
      validUntil: 1_700_000_100,
      privileges: 'enableentitlementforentry,setrole:5',
    });
    const full = inspect(ks, { adminSecret: SECRET, now: () => NOW });
    assert.equal(full.readable, true);
    assert.equal(full.typeName, 'ADMIN');
    assert.equal(full.userId, 'u1');
    assert.equal(full.expiresAt, '2023-11-14T22:15:00.000Z');
    assert.equal(full.expired, false);
    assert.equal(full.signatureValid, true);
    assert.equal(full.warnings.length, 1);
    assert.match(full.warnings[0]!, /enableentitlementforentry.*unknown/);
    assert.deepEqual(inspect(ks), {
      version: 2,
      partnerId: PID,
      readable: false,
      warnings: ['a KS v2 is encrypted: give the admin secret to read it'],
      signatureValid: undefined,
    });
    assert.equal(inspect(ks, { adminSecret: 'nope' }).signatureValid, false);
    assert.equal(inspect(ks, { adminSecret: SECRET, now: () => 1_700_000_100_000 }).expired, true);
  });
});

describe('KS v1', () => {
  it('fixed vector: sha1(secret + info) | info in standard base64', () => {
    const ks = encode({
      version: 1,
      adminSecret: SECRET,
      partnerId: PID,
      userId: 'dummyuser@kaltura.com',
      type: 0,
      expiry: 86400,
      privileges: PRIVS,
      now: () => NOW,
      random: 4242,
    });
    const info = `${PID};${PID};1700086400;0;4242;dummyuser@kaltura.com;${PRIVS}`;
    assert.equal(ks, refEncodeV1(SECRET, info));
    assert.equal(
      ks,
      'MTNhY2UyNzNhNDAzNzQyMjhiZDMyYTMzYTM2NTViMTBlYjg5NjY3ZnwxMjM0NTY3OzEyMzQ1Njc7MTcwMDA4NjQwMDswOzQyNDI7ZHVtbXl1c2VyQGthbHR1cmEuY29tO3NldHJvbGU6MTU3MzcxNzEsdXJpcmVzdHJpY3Q6L2FwaV92My9zZXJ2aWNlL21lZGlhLyoscHJpdmFjeWNvbnRleHQ6bGVhcm5pbmc=',
    );
  });

  it('reads without the secret; checks it when given; reads the reference encoding', () => {
    const info = `42;42;1800000000;2;17;admin@x;edit:*;7;data`;
    const ks = refEncodeV1(SECRET, info);
    const d = decode(ks);
    assert.deepEqual(
      {
        pid: d.partnerId,
        until: d.validUntil,
        type: d.type,
        user: d.userId,
        privs: d.privileges,
        rand: d.random,
        m: d.masterPartnerId,
        ad: d.additionalData,
        sig: d.signatureValid,
      },
      {
        pid: 42,
        until: 1_800_000_000,
        type: 2,
        user: 'admin@x',
        privs: 'edit:*',
        rand: '17',
        m: '7',
        ad: 'data',
        sig: undefined,
      },
    );
    assert.equal(decode(ks, { adminSecret: SECRET }).signatureValid, true);
    assert.equal(decode(ks, { adminSecret: 'wrong' }).signatureValid, false);
    assert.equal(inspect(ks, { adminSecret: 'wrong' }).signatureValid, false);
    assert.equal(inspect(ks).readable, true);
  });

  it('refuses ; in fields and rejects garbage', () => {
    assert.throws(() => encode({ version: 1, adminSecret: SECRET, partnerId: 1, userId: 'a;b' }), {
      code: 'ERR_CONFIG_INVALID',
    });
    assert.throws(() => decode('not a ks!'), { code: 'ERR_KS_INVALID' });
    assert.throws(() => decode(Buffer.from('abc|1;2').toString('base64')), { code: 'ERR_KS_INVALID' });
  });
});
