import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { completeLogin, type RobotResult } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';

/**
 * Issue #11 item 9: a request to the loopback redirect URI without the login's `state` is answered
 * with the error page and ignored; only the real redirect (or the timeout) ends the login. Driven
 * through a real authorization-code login at the oidc-provider emulator, completed by its robot.
 */
describe('browser login: a callback without the right state does not end the login', () => {
  let emu: OidcEmulator;
  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator();
  });
  after(() => emu.close());
  beforeEach(() => emu.resetStats());

  /** The callback URL of the login in progress, with `params` as its query. */
  function callback(authorizationUrl: string, params: Record<string, string>): string {
    const redirect = new URL(new URL(authorizationUrl).searchParams.get('redirect_uri')!);
    for (const [k, v] of Object.entries(params)) redirect.searchParams.set(k, v);
    return redirect.href;
  }

  it('forged callbacks (wrong state, no state) get a 400 error page; the real login then succeeds', async () => {
    const alice = emu.users[0]!;
    const forged: Array<{ status: number; body: string }> = [];
    let robot: Promise<RobotResult> | undefined;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid profile',
      openBrowser: async (url) => {
        // Another local page (or process) hits the redirect URI before the real redirect arrives.
        const attempts: Array<Record<string, string>> = [
          { code: 'forged-code', state: 'not-the-state' },
          { code: 'forged-code' },
        ];
        for (const params of attempts) {
          // (Today's code ended the login at the first one and closed the server: status 0 then.)
          const res = await fetch(callback(url, params)).catch(() => undefined);
          forged.push({ status: res?.status ?? 0, body: (await res?.text()) ?? '' });
        }
        // Then the person signs in; the browser comes back with the real code and state.
        robot = completeLogin(url, alice);
        robot.catch(() => {}); // checked below, once the login is over
      },
    });
    const credential = await provider.acquire({});
    assert.equal(credential.subject, alice.username);
    assert.ok(credential.idToken);
    assert.deepEqual(
      forged.map((f) => f.status),
      [400, 400],
    );
    for (const f of forged) assert.match(f.body, /ERR_STATE_MISMATCH/);
    const landed = await robot!;
    assert.match(landed.finalUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    assert.match(landed.html, /data-ok="true"/);
    assert.equal(emu.stats.byGrant.authorization_code, 1, 'only the real code was exchanged');
  });

  it('a callback with the right state and error=access_denied still ends the login', async () => {
    let page: { status: number; body: string } | undefined;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      openBrowser: async (url) => {
        const state = new URL(url).searchParams.get('state')!;
        const res = await fetch(callback(url, { error: 'access_denied', state, iss: emu.issuer }));
        page = { status: res.status, body: await res.text() };
      },
    });
    await assert.rejects(
      provider.acquire({}),
      (e: TokensmithError) => e.code === 'ERR_AUTHORIZATION_DENIED' && e.error === 'access_denied',
    );
    assert.equal(page?.status, 400);
    assert.match(page?.body ?? '', /ERR_AUTHORIZATION_DENIED/);
    assert.equal(emu.stats.byGrant.authorization_code ?? 0, 0);
  });
});
