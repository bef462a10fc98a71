import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { ErrorCode, TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { toTokensmithError } from 'tokensmith/internal/oauth2/oauth-error.js';
import { type HostileServer, json, startHostileServer } from '../../../../test/security/hostile-server.js';

const CLIENT_ID = 'error-client';

const hasCode = (code: ErrorCode) => (e: TokensmithError) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return true;
};

/**
 * Issue #13 item 4: oauth4webapi's failures are classified by their class, their `code` and the step
 * that failed, never by the words of their message.
 */
describe('oauth4webapi errors: classified by class and code, not by message', () => {
  const ope = (message: string, code: string | undefined) =>
    new oauth.OperationProcessingError(message, code === undefined ? undefined : { code });

  it('an ID token claim check fails as ERR_ID_TOKEN_INVALID whatever its message says', () => {
    for (const code of [oauth.JWT_CLAIM_COMPARISON, oauth.JWT_TIMESTAMP_CHECK]) {
      assert.equal(
        toTokensmithError(ope('claim check failed', code), 'token endpoint').code,
        'ERR_ID_TOKEN_INVALID',
      );
    }
  });

  it('a message naming a JWT or an ID token does not make a response failure an ID token failure', () => {
    const cases: [string, string][] = [
      [
        '"response" is not a conform JWT response (unexpected HTTP status code)',
        oauth.RESPONSE_IS_NOT_CONFORM,
      ],
      ['the ID Token issuer in the metadata does not match', oauth.JSON_ATTRIBUTE_COMPARISON],
      ['"parameters" contains a JARM response, use validateJwtAuthResponse()', oauth.INVALID_RESPONSE],
      ['id_token: response is not JSON', oauth.RESPONSE_IS_NOT_JSON],
    ];
    for (const [message, code] of cases) {
      const e = toTokensmithError(ope(message, code), 'discovery document');
      assert.equal(e.code, 'ERR_RESPONSE_INVALID', `${code}: ${message}`);
      assert.equal(e.source, 'discovery document');
    }
  });

  it('the other classes: body error, authorization response error, challenge, unsupported operation', () => {
    const response = new Response('{}', { status: 400 });
    const body = new oauth.ResponseBodyError('x', {
      cause: { error: 'invalid_grant', error_description: 'expired' },
      response,
    });
    const fromBody = toTokensmithError(body, 'token endpoint');
    assert.deepEqual(
      [fromBody.code, fromBody.status, fromBody.error],
      ['ERR_OAUTH_INVALID_GRANT', 400, 'invalid_grant'],
    );

    const denied = new oauth.AuthorizationResponseError('x', {
      cause: new URLSearchParams({ error: 'access_denied' }),
    });
    assert.equal(toTokensmithError(denied, 'authorization endpoint').code, 'ERR_AUTHORIZATION_DENIED');

    const challenge = new oauth.WWWAuthenticateChallengeError('x', {
      cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }],
      response: new Response(null, { status: 401 }),
    });
    const fromChallenge = toTokensmithError(challenge, 'token endpoint');
    assert.deepEqual([fromChallenge.code, fromChallenge.status], ['ERR_HTTP_STATUS', 401]);

    const unsupported = new oauth.UnsupportedOperationError('JWT something', { cause: {} });
    assert.equal(toTokensmithError(unsupported, 'token endpoint').code, 'ERR_UNSUPPORTED');
  });
});

describe('token and authorization responses a hostile server sends: the code each gets', () => {
  let server: HostileServer;
  let rsaKey: CryptoKey;

  before(async () => {
    configureLogging({ level: 'silent' });
    rsaKey = (await generateKeyPair('RS256')).privateKey;
    server = await startHostileServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  /** An RS256 ID token for this client from this server (no JWKS is configured: claims only). */
  const idToken = (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: server.origin,
      aud: CLIENT_ID,
      sub: 'alice',
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsaKey);
  };

  const tokenAnswer = async (extra: Record<string, unknown>, status = 200) => {
    server.on(
      '/token',
      json({ access_token: 'at-1', token_type: 'Bearer', expires_in: 300, ...extra }, status),
    );
    return oauth2
      .clientCredentials({
        tokenEndpoint: server.url('/token'),
        clientId: CLIENT_ID,
        clientSecret: 's',
        retry: false,
      })
      .acquire({});
  };

  it('a well-formed ID token is accepted (the baseline of the cases below)', async () => {
    const c = await tokenAnswer({ id_token: await idToken() });
    assert.equal(c.subject, 'alice');
  });

  it('ID tokens oauth4webapi refuses → ERR_ID_TOKEN_INVALID', async () => {
    const bad: [string, string][] = [
      ['not a JWT', 'not-a-jwt'],
      ['payload not JSON', `e30.${Buffer.from('not json').toString('base64url')}.c2ln`],
      ['no sub claim', await idToken({ sub: undefined })],
      ['sub not a string', await idToken({ sub: 42 })],
      ['wrong aud', await idToken({ aud: 'another-client' })],
      ['expired', await idToken({ iat: 1_000_000, exp: 1_000_300 })],
      ['auth_time not a number', await idToken({ auth_time: 'yesterday' })],
    ];
    for (const [what, token] of bad) {
      await assert.rejects(tokenAnswer({ id_token: token }), (e: TokensmithError) => {
        assert.equal(e.code, 'ERR_ID_TOKEN_INVALID', `${what}: ${e.code} ${e.message}`);
        return true;
      });
    }
  });

  it('a bad field next to a good ID token is the response’s fault, not the ID token’s', async () => {
    const good = await idToken();
    await assert.rejects(tokenAnswer({ id_token: good, token_type: 5 }), hasCode('ERR_RESPONSE_INVALID'));
    await assert.rejects(tokenAnswer({ id_token: good, token_type: '' }), hasCode('ERR_RESPONSE_INVALID'));
    await assert.rejects(tokenAnswer({ id_token: good, scope: 7 }), hasCode('ERR_RESPONSE_INVALID'));
    await assert.rejects(tokenAnswer({ id_token: good, scope: null }), hasCode('ERR_RESPONSE_INVALID'));
    // oauth4webapi wants exactly 200 from a token endpoint.
    await assert.rejects(tokenAnswer({ id_token: good }, 201), hasCode('ERR_RESPONSE_INVALID'));
    await assert.rejects(tokenAnswer({ id_token: good, token_type: 'mac' }), hasCode('ERR_UNSUPPORTED'));
  });

  describe('browser login (authorization code)', () => {
    /** A login whose redirect carries `params` besides the right state (and a code unless given). */
    const login = (params: Record<string, string>, scope = 'openid') =>
      oauth2
        .authorizationCode({
          tokenEndpoint: server.url('/token'),
          authorizationEndpoint: server.url('/authorize'),
          clientId: CLIENT_ID,
          scope,
          retry: false,
          loginTimeoutMs: 10_000,
          openBrowser: async (url) => {
            const request = new URL(url);
            const callback = new URL(request.searchParams.get('redirect_uri')!);
            callback.searchParams.set('state', request.searchParams.get('state')!);
            if (!('response' in params)) callback.searchParams.set('code', 'the-code');
            for (const [k, v] of Object.entries(params)) callback.searchParams.set(k, v);
            await (await fetch(callback)).text();
          },
        })
        .acquire({});

    it('with openid in scope, a token response without an ID token → ERR_ID_TOKEN_INVALID', async () => {
      server.on('/token', json({ access_token: 'at-2', token_type: 'Bearer', expires_in: 300 }));
      await assert.rejects(login({}), hasCode('ERR_ID_TOKEN_INVALID'));
      assert.equal(server.seen.filter((r) => r.url === '/token').length, 1);
    });

    it('a redirect carrying a JARM response or another issuer → ERR_RESPONSE_INVALID, no token request', async () => {
      await assert.rejects(login({ response: 'eyJhbGciOiJub25lIn0.e30.' }), hasCode('ERR_RESPONSE_INVALID'));
      await assert.rejects(login({ iss: 'https://elsewhere.example' }), hasCode('ERR_RESPONSE_INVALID'));
      assert.equal(server.seen.filter((r) => r.url === '/token').length, 0);
    });
  });
});
