import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from 'tokensmith/internal/core/errors.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { checkResponse, type ResponseKind } from 'tokensmith/internal/oauth2/response-check.js';
import { onlyTokensmithErrorsAsync, quietLogs, RUNS } from './only-tokensmith-errors.js';

/** Every code a token endpoint answer may legitimately produce. */
const RESPONSE_CODES: ErrorCode[] = [
  'ERR_HTTP_STATUS',
  'ERR_RESPONSE_EMPTY',
  'ERR_RESPONSE_NOT_JSON',
  'ERR_RESPONSE_TOO_LARGE',
  'ERR_RESPONSE_MISSING_FIELD',
  'ERR_RESPONSE_INVALID_FIELD',
  'ERR_RESPONSE_INVALID',
  'ERR_ID_TOKEN_INVALID',
  'ERR_OAUTH_INVALID_GRANT',
  'ERR_OAUTH_INVALID_CLIENT',
  'ERR_OAUTH_INVALID_REQUEST',
  'ERR_OAUTH_INVALID_SCOPE',
  'ERR_OAUTH_INVALID_TARGET',
  'ERR_OAUTH_UNAUTHORIZED_CLIENT',
  'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE',
  'ERR_OAUTH_ACCESS_DENIED',
  'ERR_OAUTH_EXPIRED_TOKEN',
  'ERR_OAUTH_ERROR',
  // A `token_type` other than Bearer or DPoP: a client must not use a token type it does not know
  // (RFC 6749 section 7.1); oauth4webapi refuses it. A random run found `"token_type":"NaN"`.
  'ERR_UNSUPPORTED',
];

/** Any JSON value, or one of the odd shapes real servers send for a field. */
const fieldValue = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.constantFrom('', ' ', '300', '-1', '1e309', 'NaN', 'Bearer', 'bearer', 'DPoP', 'mac', '0x10', ' 42 '),
  fc.double(),
  fc.integer(),
);

/** A token-response-like object: the known fields, each maybe present with any type, plus extras. */
const tokenLike = fc
  .record(
    {
      access_token: fieldValue,
      token_type: fieldValue,
      expires_in: fieldValue,
      refresh_token: fieldValue,
      refresh_expires_in: fieldValue,
      scope: fieldValue,
      id_token: fc.oneof(fieldValue, fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')),
      error: fieldValue,
      error_description: fieldValue,
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }).map((extra) => ({ ...extra, ...known })),
  );

const body = fc.oneof(
  tokenLike.map((v) => JSON.stringify(v)),
  fc.json(),
  fc.string(),
  fc.constantFrom('', '{', '[]', 'null', '<html>oops</html>', '{"access_token":'),
);
const status = fc.oneof(
  fc.constantFrom(200, 201, 400, 401, 403, 429, 500, 502, 503),
  fc.integer({ min: 200, max: 599 }),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json;charset=UTF-8',
  'text/html',
  'text/plain',
  '',
);
const date = fc.oneof(
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.string(),
);

/** Statuses the Response constructor refuses a body for. */
const NULL_BODY = new Set([204, 205, 304]);

function response(text: string, code: number, type: string, dateHeader: string | undefined): Response {
  const headers = new Headers();
  if (type) headers.set('content-type', type);
  if (dateHeader !== undefined) {
    try {
      headers.set('date', dateHeader);
    } catch {
      // Not a valid header value: no Date header then.
    }
  }
  return new Response(NULL_BODY.has(code) ? null : text, { status: code, headers });
}

describe('token responses (property-based)', () => {
  before(quietLogs);

  it('checkResponse: any status, body and kind gives a response or a TokensmithError', async () => {
    const kinds: ResponseKind[] = ['token', 'discovery', 'device', 'revocation', 'jwks'];
    await fc.assert(
      fc.asyncProperty(
        body,
        status,
        contentType,
        fc.constantFrom(...kinds),
        async (text, code, type, kind) => {
          await onlyTokensmithErrorsAsync(RESPONSE_CODES, () =>
            checkResponse(response(text, code, type, undefined), kind),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the whole token path (check, oauth4webapi, credential): a credential or a TokensmithError', async () => {
    let next: Response = new Response('');
    const provider = oauth2.clientCredentials({
      tokenEndpoint: 'http://127.0.0.1:9/token',
      clientId: 'property',
      clientSecret: 'property-secret',
      retry: false,
      fetch: async () => next,
    });
    await fc.assert(
      fc.asyncProperty(body, status, contentType, date, async (text, code, type, dateHeader) => {
        next = response(text, code, type, dateHeader);
        const credential = await onlyTokensmithErrorsAsync(RESPONSE_CODES, () => provider.acquire({}));
        if (credential) {
          assert.equal(typeof credential.token, 'string');
          assert.ok(credential.token.length > 0);
          if (credential.expiresAt !== undefined) assert.ok(Number.isFinite(credential.expiresAt));
        }
      }),
      {
        numRuns: RUNS,
        // Found by this property: an `error` named after an Object.prototype member gave a function as code.
        examples: [
          ['{"error":"toString"}', 200, 'application/json', undefined],
          ['{"error":"__proto__"}', 400, 'application/json', undefined],
          ['{"error":"constructor"}', 400, 'application/json', undefined],
        ],
      },
    );
  });

  it('a well-formed response always gives a credential whose expiry is sentAt + expires_in', async () => {
    let next: Response = new Response('');
    const provider = oauth2.clientCredentials({
      tokenEndpoint: 'http://127.0.0.1:9/token',
      clientId: 'property',
      clientSecret: 'property-secret',
      fetch: async () => next,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[\w.~+/-]{1,80}$/),
        fc.integer({ min: 0, max: 10 ** 7 }),
        fc.constantFrom('Bearer', 'bearer', 'BEARER'),
        async (token, expiresIn, type) => {
          next = response(
            JSON.stringify({ access_token: token, token_type: type, expires_in: expiresIn }),
            200,
            'application/json',
            undefined,
          );
          const before = Date.now();
          const c = await provider.acquire({});
          assert.equal(c.token, token);
          assert.equal(c.tokenType, 'Bearer');
          assert.ok(
            c.expiresAt! >= before + expiresIn * 1000 && c.expiresAt! <= Date.now() + expiresIn * 1000,
          );
        },
      ),
      { numRuns: RUNS / 2 },
    );
  });
});
