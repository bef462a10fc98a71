import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeJwt } from 'tokensmith/internal/core/jwt.js';
import { onlyTokensmithErrors, RUNS } from './only-tokensmith-errors.js';

const b64u = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 });
/** What JSON makes of a value (-0 becomes 0, and so on). */
const viaJson = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('decodeJwt (property-based)', () => {
  it('arbitrary strings: a result or ERR_TOKEN_MALFORMED, nothing else', () => {
    const dotted = fc
      .array(fc.oneof(fc.string(), fc.base64String(), fc.constant('eyJhbGciOiJIUzI1NiJ9')), { maxLength: 6 })
      .map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), dotted), (token) => {
        onlyTokensmithErrors(['ERR_TOKEN_MALFORMED'], () => decodeJwt(token));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('any JSON in the header and payload: objects decode, everything else is ERR_TOKEN_MALFORMED', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.base64String(), (header, claims, sig) => {
        const token = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}.${sig.replace(/=+$/, '')}`;
        onlyTokensmithErrors(['ERR_TOKEN_MALFORMED'], () => decodeJwt(token));
      }),
      { numRuns: RUNS },
    );
  });

  it('round trip: header and claims objects come back as encoded, the signature as sent', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.uint8Array({ maxLength: 64 }), (header, claims, sig) => {
        const signature = Buffer.from(sig).toString('base64url');
        const token = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}.${signature}`;
        const decoded = decodeJwt(` ${token}\n`);
        assert.deepEqual(decoded.header, viaJson(header));
        assert.deepEqual(decoded.claims, viaJson(claims));
        assert.equal(decoded.signature, signature);
      }),
      { numRuns: RUNS },
    );
  });

  it('non-strings are refused with ERR_TOKEN_MALFORMED', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        if (typeof value === 'string') return;
        assert.throws(
          () => decodeJwt(value as string),
          (e: { code?: string }) => e.code === 'ERR_TOKEN_MALFORMED',
        );
      }),
      { numRuns: 200 },
    );
  });

  it('the message never quotes the token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 12 }), (junk) => {
        const token = `${junk}.${junk}`;
        try {
          decodeJwt(token);
        } catch (e) {
          assert.ok(!(e as Error).message.includes(junk));
        }
      }),
      { numRuns: 300 },
    );
  });
});
