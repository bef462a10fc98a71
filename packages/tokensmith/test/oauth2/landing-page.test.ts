import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { completeLogin, type RobotResult } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { escapeHtml } from 'tokensmith/internal/core/html.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { defaultLandingPage, type LandingOutcome } from 'tokensmith/internal/oauth2/landing-page.js';
import { introspect } from '../../../../test/helpers/introspect.js';

/**
 * Issue #14 item 8: the browser-login landing page is given the credential the login obtained, so
 * it can be built from it (seed 004's two-stage page asks the server for version details to show on
 * a welcome page). Real authorization-code logins at the oidc-provider emulator, completed by its
 * robot; the page calls a loopback API with the new access token.
 */
describe('browser login: a landing page built from the new credential', () => {
  let emu: OidcEmulator;
  let api: { origin: string; seen: string[]; close(): Promise<void> };

  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator();
    // The API answers /version to an active token (asked of the emulator, RFC 7662), and serves
    // /welcome, the second stage, from its query.
    const seen: string[] = [];
    const server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://api.local');
      if (url.pathname === '/welcome') {
        const version = escapeHtml(url.searchParams.get('version') ?? '');
        const user = escapeHtml(url.searchParams.get('user') ?? '');
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(`<!doctype html><title>Welcome</title><p id="welcome">Welcome ${user}: API ${version}</p>`);
        return;
      }
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      const answer = auth.startsWith('Bearer ') ? await introspect(emu, auth.slice(7)) : undefined;
      if (!answer?.active) {
        res.writeHead(401).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ version: '4.2.1', build: '2024-07-29', user: answer.sub }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = {
      origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seen,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  });
  after(async () => {
    await api.close();
    await emu.close();
  });
  beforeEach(() => {
    api.seen.length = 0;
  });

  /** The version details the API gives for this credential's token. */
  async function versionFor(outcome: LandingOutcome) {
    const res = await fetch(`${api.origin}/version`, { headers: outcome.credential!.headers });
    return (await res.json()) as { version: string; build: string; user: string };
  }

  /** A browser login whose browser is the emulator's robot; resolves with the page it ended on. */
  function login(landingPage: oauth2.AuthorizationCodeOptions['landingPage']) {
    let robot: Promise<RobotResult> | undefined;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid profile offline_access',
      landingPage,
      openBrowser: async (url) => {
        robot = completeLogin(url, emu.users[0]!);
        robot.catch(() => {}); // awaited below
      },
    });
    return provider.acquire({}).then(async (credential) => ({ credential, landed: await robot! }));
  }

  it('the page calls the API with the new access token and shows its answer', async () => {
    const { credential, landed } = await login(async (outcome) => {
      if (!outcome.ok || !outcome.credential) return defaultLandingPage(outcome);
      const v = await versionFor(outcome);
      return {
        html: `<!doctype html><title>Signed in</title><h1>Welcome, ${escapeHtml(outcome.subject ?? '')}</h1><p id="version">API ${escapeHtml(v.version)} (build ${escapeHtml(v.build)}), signed in as ${escapeHtml(v.user)}</p>`,
      };
    });
    assert.equal(
      landed.html,
      '<!doctype html><title>Signed in</title><h1>Welcome, alice</h1><p id="version">API 4.2.1 (build 2024-07-29), signed in as alice</p>',
    );
    assert.match(landed.finalUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    assert.deepEqual(
      api.seen,
      [`Bearer ${credential.token}`],
      'one API call, with the token the login returned',
    );
    assert.ok(credential.refreshToken && credential.idToken);
  });

  it('two stages (seed 004): the page asks the API, then redirects to a welcome page', async () => {
    const { credential, landed } = await login(async (outcome) => {
      if (!outcome.ok || !outcome.credential) return defaultLandingPage(outcome);
      const v = await versionFor(outcome);
      const welcome = new URL('/welcome', api.origin);
      welcome.searchParams.set('version', v.version);
      welcome.searchParams.set('user', v.user);
      return { redirect: welcome.href };
    });
    assert.equal(landed.finalUrl, `${api.origin}/welcome?version=4.2.1&user=alice`);
    assert.equal(
      landed.html,
      '<!doctype html><title>Welcome</title><p id="welcome">Welcome alice: API 4.2.1</p>',
    );
    assert.deepEqual(api.seen, [`Bearer ${credential.token}`]);
  });

  it('a forged redirect and the default page get no credential; the default page shows no token', async () => {
    const outcomes: LandingOutcome[] = [];
    let forged: { status: number; body: string } | undefined;
    let robot: Promise<RobotResult> | undefined;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid profile offline_access',
      landingPage: (outcome) => {
        outcomes.push(outcome);
        return defaultLandingPage(outcome);
      },
      openBrowser: async (url) => {
        const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
        redirect.searchParams.set('code', 'forged');
        redirect.searchParams.set('state', 'not-the-state');
        const res = await fetch(redirect);
        forged = { status: res.status, body: await res.text() };
        robot = completeLogin(url, emu.users[0]!);
        robot.catch(() => {});
      },
    });
    const credential = await provider.acquire({});
    const landed = await robot!;
    assert.equal(forged?.status, 400);
    assert.deepEqual(
      outcomes.map((o) => [o.ok, o.code, o.credential === undefined]),
      [
        [false, 'ERR_STATE_MISMATCH', true],
        [true, undefined, false],
      ],
    );
    assert.equal(outcomes[1]!.credential!.token, credential.token);
    assert.equal(outcomes[1]!.subject, 'alice');
    assert.match(landed.html, /<p id="result" data-ok="true">You are signed in as <b>alice<\/b>\./);
    for (const secret of [credential.token, credential.refreshToken, credential.idToken]) {
      assert.ok(secret && secret.length > 10);
      assert.ok(!landed.html.includes(secret), 'no token on the page');
      assert.ok(!forged!.body.includes(secret));
    }
  });
});
