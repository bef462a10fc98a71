import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientCredentials } from 'tokensmith/internal/oauth2/index.js';

const COMMON = {
  tokenEndpoint: 'https://id.example.test/token',
  clientId: 'svc',
  clientSecret: 'cache-key-test-secret',
  scope: ['b', 'a'],
  audience: 'api',
  resource: ['https://r1.example.test', 'https://r2.example.test'],
};

describe('OAuth 2 cache key', () => {
  it('names server, client, grant, scope, audience and resources; a Bearer key has no DPoP part', () => {
    assert.equal(
      clientCredentials(COMMON).cacheKey,
      'oauth2|https://id.example.test/token|svc|client_credentials||b a|api|https://r1.example.test,https://r2.example.test',
    );
  });

  it('switching DPoP on names another entry: a cached Bearer token is never served as DPoP-bound', () => {
    const bearer = clientCredentials(COMMON).cacheKey;
    const dpop = clientCredentials({ ...COMMON, dpop: true }).cacheKey;
    assert.equal(dpop, `${bearer}|dpop`);
  });
});
