/**
 * How a user's own test suite uses tokensmith's emulators: start the OpenID emulator from
 * `@tokensmith/emulators`, get tokens from it with the `tokensmith` library, and play the person for
 * a device login. Only the packages' public entry points are imported, as in a project of your own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators';
import { authFetch, oauth2, TokenManager } from 'tokensmith';

describe('example: testing your code against the OIDC emulator', () => {
  let idp: OidcEmulator;
  before(async () => {
    idp = await startOidcEmulator();
  });
  after(() => idp.close());

  it('client credentials: a token from the emulator, cached by the manager', async () => {
    const manager = new TokenManager(
      oauth2.clientCredentials({
        issuer: idp.issuer,
        clientId: idp.clients.confidential.clientId,
        clientSecret: idp.clients.confidential.clientSecret,
        scope: 'api:read',
      }),
    );
    const first = await manager.getCredential();
    const second = await manager.getCredential();
    assert.equal(second.token, first.token);
    assert.equal(first.scope, 'api:read');
    assert.equal(idp.stats.tokenRequests, 1);
    assert.equal(typeof authFetch(manager), 'function');
  });

  it('device login: the emulator plays the person', async () => {
    const provider = oauth2.deviceCode({
      issuer: idp.issuer,
      clientId: idp.clients.public.clientId,
      scope: 'openid',
      onPrompt: (prompt) => {
        void idp.completeLogin(prompt.verificationUriComplete ?? prompt.verificationUri);
      },
    });
    const credential = await new TokenManager(provider).getCredential();
    assert.equal(credential.subject, idp.users[0]?.username);
  });
});
