import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { type Browser, chromium } from 'playwright-core';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-results';

/**
 * Authorization code + PKCE end to end in real headless Chromium: the browser signs in at the
 * provider's page and lands on tokensmith's loopback page. Chromium comes from Debian (.ci/run
 * installs it); its background networking is off so it never leaves loopback.
 */
describe('authorization code + PKCE in headless Chromium', () => {
  let emu: OidcEmulator;
  let browser: Browser;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    emu = await startOidcEmulator();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await emu?.close();
  });

  it('signs in through the provider login page and shows the success page', async () => {
    const page = await browser.newPage();
    const alice = emu.users[0]!;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid profile offline_access',
      openBrowser: async (url) => {
        await page.goto(url);
        await page.fill('#username', alice.username);
        await page.fill('#password', alice.password);
        await page.click('#submit');
      },
    });
    const credential = await provider.acquire({});
    await page.waitForSelector('#result[data-ok="true"]');
    assert.match((await page.textContent('#result')) ?? '', /signed in as alice/);
    assert.match(page.url(), /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    await page.screenshot({ path: `${SHOTS}/auth-code-success.png` });
    assert.ok(statSync(`${SHOTS}/auth-code-success.png`).size > 1000);
    assert.equal(credential.subject, 'alice');
    assert.ok(credential.idToken && credential.refreshToken);
    await page.close();
  });

  it('shows the error page for a redirect with a wrong state, ignores it, and signs in afterwards', async () => {
    const page = await browser.newPage();
    const alice = emu.users[0]!;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      openBrowser: async (url) => {
        // A forged redirect reaches the loopback server before the real login.
        const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
        redirect.searchParams.set('code', 'forged-code');
        redirect.searchParams.set('state', 'not-the-state');
        await page.goto(redirect.href);
        await page.waitForSelector('#result[data-ok="false"]');
        assert.match((await page.textContent('body')) ?? '', /ERR_STATE_MISMATCH/);
        await page.screenshot({ path: `${SHOTS}/auth-code-wrong-state.png` });
        // The login is still waiting: the person signs in.
        await page.goto(url);
        await page.fill('#username', alice.username);
        await page.fill('#password', alice.password);
        await page.click('#submit');
      },
    });
    emu.resetStats();
    const credential = await provider.acquire({});
    await page.waitForSelector('#result[data-ok="true"]');
    assert.equal(credential.subject, 'alice');
    assert.equal(emu.stats.byGrant.authorization_code, 1, 'no code exchange for the forged redirect');
    await page.close();
  });

  it('uses a custom landing page (here: a redirect to a welcome page)', async () => {
    const page = await browser.newPage();
    const alice = emu.users[0]!;
    const seen: string[] = [];
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      landingPage: (outcome) => {
        seen.push(outcome.ok ? `ok:${outcome.subject}` : `error:${outcome.code}`);
        return { html: `<h1 id="custom">Welcome, ${outcome.subject}</h1>` };
      },
      openBrowser: async (url) => {
        await page.goto(url);
        await page.fill('#username', alice.username);
        await page.fill('#password', alice.password);
        await page.click('#submit');
      },
    });
    await provider.acquire({});
    await page.waitForSelector('#custom');
    assert.equal(await page.textContent('#custom'), 'Welcome, alice');
    assert.deepEqual(seen, ['ok:alice']);
    await page.close();
  });
});
