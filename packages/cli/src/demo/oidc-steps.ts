import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import type { OidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { describeVerifiedIdToken } from './id-token.js';
import type { DemoStep } from './types.js';

/** Demo steps against the OpenID provider emulator. */
export function oidcSteps(emu: OidcEmulator, api: { url: string }): DemoStep[] {
  const client = {
    issuer: emu.issuer,
    clientId: emu.clients.confidential.clientId,
    clientSecret: emu.clients.confidential.clientSecret,
  };
  const alice = emu.users[0]!;
  const expiresIn = (at: number | undefined) =>
    at ? `expires in ${Math.round((at - Date.now()) / 1000)} s` : 'no expiry';
  return [
    {
      name: 'OAuth2 client credentials',
      run: async () => {
        const c = await oauth2.clientCredentials({ ...client, scope: 'api:read' }).acquire({});
        return `${c.tokenType} token, scope ${c.scope}, ${expiresIn(c.expiresAt)}`;
      },
    },
    {
      name: 'OAuth2 password (Keycloak style)',
      run: async () => {
        const c = await oauth2
          .password({
            ...client,
            username: alice.username,
            password: alice.password,
            scope: 'openid profile',
          })
          .acquire({});
        // Said only after checking it here: the library skips the signature when no jwks_uri is known.
        const idToken = await describeVerifiedIdToken(c.idToken, client.issuer, client.clientId);
        return `user ${c.subject}, ${idToken}, refresh token ${c.refreshToken ? 'received' : 'missing'}`;
      },
    },
    {
      name: 'Refresh with rotation',
      run: async () => {
        let offset = 0;
        const m = new TokenManager(
          oauth2.password({ ...client, username: alice.username, password: alice.password, scope: 'openid' }),
          { now: () => Date.now() + offset },
        );
        const first = await m.getCredential();
        offset = 290_000; // 10 s before expiry: inside the early-refresh window
        const served = await m.getCredential(); // still valid: served at once, renewed behind
        await m.idle();
        const second = await m.getCredential();
        if (served.token !== first.token) throw new Error('the caller waited for the renewal');
        if (m.stats.refreshed !== 1) throw new Error(`expected one refresh, got ${m.stats.refreshed}`);
        if (second.refreshToken === first.refreshToken) throw new Error('refresh token was not rotated');
        return 'renewed behind the caller 10 s before expiry; refresh token rotated';
      },
    },
    {
      name: 'Device code (auto-approved)',
      run: async () => {
        const c = await oauth2
          .deviceCode({
            issuer: emu.issuer,
            clientId: emu.clients.public.clientId,
            scope: 'openid offline_access',
            onPrompt: (p) =>
              void setTimeout(() => void completeLogin(p.verificationUriComplete!, alice), 300),
          })
          .acquire({});
        return `user ${c.subject} approved code on the "other device"`;
      },
    },
    {
      name: 'Stampede: 100 callers at expiry',
      run: async () => {
        let offset = 0;
        const m = new TokenManager(oauth2.clientCredentials(client), { now: () => Date.now() + offset });
        await m.getCredential();
        offset = 400_000;
        const before = emu.stats.tokenRequests;
        await Promise.all(Array.from({ length: 100 }, () => m.getCredential()));
        const requests = emu.stats.tokenRequests - before;
        if (requests !== 1) throw new Error(`${requests} token requests`);
        return '100 concurrent callers → 1 token request';
      },
    },
    {
      name: 'authFetch with 401 replay',
      run: async () => {
        const m = new TokenManager(oauth2.clientCredentials(client));
        const res = await authFetch(m)(api.url);
        if (res.status !== 200) throw new Error(`API answered ${res.status}`);
        if (m.stats.acquired !== 2) throw new Error(`expected one renewal, saw ${m.stats.acquired - 1}`);
        return 'first token refused (401) → renewed once → replayed → 200';
      },
    },
  ];
}
