import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { rejection } from '../../../../test/helpers/rejection.js';

/**
 * Issue #15 item 4: extra authorization request parameters (`authorizationParams`) may add to the
 * request (prompt, login_hint, ...) but never replace what the login's safety rests on: the state,
 * the nonce, the PKCE challenge, the redirect URI, the client id and the response type.
 */
describe('authorizationParams', () => {
  let emu: OidcEmulator;
  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  const RESERVED = [
    'state',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'redirect_uri',
    'client_id',
    'response_type',
  ];

  for (const name of RESERVED) {
    it(`refuses "${name}" with ERR_CONFIG_INVALID before any browser opens`, async () => {
      const opened: string[] = [];
      const err = await rejection(
        Promise.resolve().then(() =>
          oauth2
            .authorizationCode({
              issuer: emu.issuer,
              clientId: emu.clients.public.clientId,
              scope: 'openid',
              authorizationParams: { [name]: 'attacker-value' },
              openBrowser: (url) => {
                opened.push(url);
                throw new Error('the browser stops here');
              },
            })
            .acquire({}),
        ),
      );
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      assert.match(err.message, new RegExp(`authorization parameter "${name}" is set by tokensmith`));
      assert.deepEqual(opened, []);
    });
  }

  it('other parameters, and resource indicators, reach the authorization request', async () => {
    const opened: string[] = [];
    await oauth2
      .authorizationCode({
        issuer: emu.issuer,
        clientId: emu.clients.public.clientId,
        scope: 'openid',
        resource: ['https://api.example.com/', 'https://files.example.com/'],
        authorizationParams: { prompt: 'login', login_hint: 'alice' },
        openBrowser: (url) => {
          opened.push(url);
          throw new Error('the browser stops here');
        },
      })
      .acquire({})
      .then(
        () => assert.fail('resolved'),
        (e: Error) => assert.equal(e.message, 'the browser stops here'),
      );
    assert.equal(opened.length, 1);
    const params = new URL(opened[0]!).searchParams;
    assert.equal(params.get('prompt'), 'login');
    assert.equal(params.get('login_hint'), 'alice');
    assert.deepEqual(params.getAll('resource'), ['https://api.example.com/', 'https://files.example.com/']);
    assert.equal(params.getAll('state').length, 1);
  });
});
