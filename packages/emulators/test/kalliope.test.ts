import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import {
  digest,
  formatCreated,
  formatHeader,
  HEADER_PATTERN,
  newNonce,
} from 'tokensmith/internal/kalliope/index.js';

// A fixed server clock (whole second) makes every window check exact.
const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const USER = { domain: 'default', username: 'admin', password: 'emulator-pw-1' };

function header(
  emu: KalliopeEmulator,
  over: Partial<{ username: string; password: string; domain: string; nonce: string; created: string }> = {},
): string {
  const fields = {
    ...USER,
    nonce: newNonce(),
    created: formatCreated(T),
    ...over,
  };
  const salt = emu.salt(fields.domain) ?? 'no-salt';
  return formatHeader({ ...fields, digest: digest({ ...fields, salt }) });
}

async function call(emu: KalliopeEmulator, value: string | undefined, path = '/rest/account') {
  const res = await fetch(`${emu.url}${path}`, {
    headers: value === undefined ? {} : { 'x-authenticate': value },
  });
  return { status: res.status, body: (await res.json()) as unknown, date: res.headers.get('date') };
}

describe('kalliope emulator', () => {
  let emu: KalliopeEmulator;
  before(async () => {
    emu = await startKalliopeEmulator({
      users: [USER, { domain: 'tenant2', username: 'bob', password: 'bob-pw-2' }],
      salts: { default: 'b5a8fdcf2f8d5acdad33c4a072a97d7a' },
      now: () => T,
    });
  });
  after(() => emu.close());

  it('listens on 127.0.0.1 with a random port', () => {
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(emu.url, 'http://127.0.0.1:0');
  });

  it('serves salts as JSON with Accept: application/json, XML otherwise, with a Date header', async () => {
    const json = await fetch(`${emu.url}/rest/salt/default`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('date'), new Date(T).toUTCString());
    assert.deepEqual(await json.json(), { salt: 'b5a8fdcf2f8d5acdad33c4a072a97d7a' });
    const xml = await fetch(`${emu.url}/rest/salt/default`);
    assert.equal(xml.headers.get('content-type'), 'application/xml');
    assert.match(await xml.text(), /<salt>b5a8fdcf2f8d5acdad33c4a072a97d7a<\/salt>/);
    const other = await fetch(`${emu.url}/rest/salt/tenant2`, { headers: { accept: 'application/json' } });
    assert.match(((await other.json()) as { salt: string }).salt, /^[0-9a-f]{32}$/);
  });

  it('answers 404 unknown_domain for the salt of an unknown tenant', async () => {
    const res = await fetch(`${emu.url}/rest/salt/nope`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'unknown_domain', message: 'unknown tenant domain' });
  });

  it('accepts a valid header and serves the protected endpoints', async () => {
    assert.deepEqual(await call(emu, header(emu)), {
      status: 200,
      body: [{ username: 'admin' }],
      date: new Date(T).toUTCString(),
    });
    const fw = await call(emu, header(emu), '/rest/dashboard/firmwareVersion');
    assert.deepEqual(fw.body, { firmwareVersion: '4.9.4-emulator' });
    const bob = await call(emu, header(emu, { domain: 'tenant2', username: 'bob', password: 'bob-pw-2' }));
    assert.deepEqual(bob.body, [{ username: 'bob' }]);
  });

  it('refuses a replayed header (same nonce) within 5 minutes', async () => {
    const before = emu.stats.rejections.replayed_nonce;
    const value = header(emu);
    assert.equal((await call(emu, value)).status, 200);
    const again = await call(emu, value);
    assert.deepEqual(again.body, { error: 'replayed_nonce', message: 'nonce already used' });
    assert.equal(again.status, 401);
    assert.equal(emu.stats.rejections.replayed_nonce, before + 1);
  });

  it('refuses Created 6 minutes off in either direction and accepts 5 minutes exactly', async () => {
    for (const created of [
      formatCreated(T - 6 * 60_000),
      formatCreated(T + 6 * 60_000),
      formatCreated(T - 5 * 60_000 - 1000),
    ]) {
      const res = await call(emu, header(emu, { created }));
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, {
        error: 'clock_skew',
        message: 'Created is more than 5 minutes from server time',
      });
    }
    assert.equal((await call(emu, header(emu, { created: formatCreated(T - 5 * 60_000) }))).status, 200);
    assert.equal((await call(emu, header(emu, { created: formatCreated(T + 5 * 60_000) }))).status, 200);
  });

  const refusals: Array<[string, () => string | undefined, string]> = [
    ['no header', () => undefined, 'missing_header'],
    ['a header that fails the official regex', () => header(emu).replace('Z"', '.000Z"'), 'malformed_header'],
    ['a nonce shorter than 8 hex characters', () => header(emu, { nonce: 'abc123' }), 'malformed_header'],
    ['a non-hex nonce', () => header(emu, { nonce: 'zzzzzzzzzzzz' }), 'malformed_header'],
    ['an unknown tenant', () => header(emu, { domain: 'nope' }), 'unknown_domain'],
    ['an unknown user', () => header(emu, { username: 'mallory' }), 'unknown_user'],
    [
      'a user of another tenant',
      () => header(emu, { username: 'bob', password: 'bob-pw-2' }),
      'unknown_user',
    ],
    ['a wrong password', () => header(emu, { password: 'wrong-password' }), 'bad_digest'],
    ['an impossible date', () => header(emu, { created: '2026-02-30T12:00:00Z' }), 'clock_skew'],
  ];
  for (const [name, make, reason] of refusals) {
    it(`refuses ${name} with 401 ${reason}`, async () => {
      const before = emu.stats.rejections[reason as keyof typeof emu.stats.rejections];
      const value = make();
      const res = await fetch(`${emu.url}/rest/account`, {
        headers: value === undefined ? {} : { 'x-authenticate': value },
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'RestApiUsernameToken');
      assert.equal(((await res.json()) as { error: string }).error, reason);
      assert.equal(emu.stats.rejections[reason as keyof typeof emu.stats.rejections], before + 1);
    });
  }

  it('does not burn the nonce of a refused (bad digest) header', async () => {
    const nonce = newNonce();
    assert.equal((await call(emu, header(emu, { nonce, password: 'wrong-password' }))).status, 401);
    assert.equal((await call(emu, header(emu, { nonce }))).status, 200);
  });

  it('answers 404 for unknown paths after authentication and 405 for other methods', async () => {
    assert.equal((await call(emu, header(emu), '/rest/nothing')).status, 404);
    const res = await fetch(`${emu.url}/rest/account`, {
      method: 'POST',
      headers: { 'x-authenticate': header(emu) },
    });
    assert.equal(res.status, 405);
    await res.body?.cancel();
  });

  it('the headers it accepts match the official regex', async () => {
    // Each header built here is also sent, so the regex is checked on headers the emulator accepted.
    for (const value of [
      header(emu),
      header(emu, { domain: 'tenant2', username: 'bob', password: 'bob-pw-2' }),
      header(emu, { created: formatCreated(T - 5 * 60_000) }),
    ]) {
      assert.match(value, HEADER_PATTERN);
      assert.equal((await call(emu, value)).status, 200, value);
    }
  });
});

describe('kalliope emulator nonce window', () => {
  it('remembers a nonce for 5 minutes, then forgets it', async () => {
    let now = T;
    const emu = await startKalliopeEmulator({ users: [USER], now: () => now });
    try {
      const nonce = newNonce();
      assert.equal((await call(emu, header(emu, { nonce, created: formatCreated(now) }))).status, 200);
      now += 5 * 60_000 - 1000;
      assert.equal((await call(emu, header(emu, { nonce, created: formatCreated(now) }))).status, 401);
      now += 2000;
      assert.equal((await call(emu, header(emu, { nonce, created: formatCreated(now) }))).status, 200);
      assert.deepEqual(emu.stats.rejections.replayed_nonce, 1);
    } finally {
      await emu.close();
    }
  });
});
