import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from 'tokensmith/internal/core/errors.js';
import { KalturaClient } from 'tokensmith/internal/kaltura/client.js';
import { decode, encode, inspect, peek } from 'tokensmith/internal/kaltura/ks/index.js';
import { check, format, parse } from 'tokensmith/internal/kaltura/privileges.js';
import {
  onlyTokensmithErrors,
  onlyTokensmithErrorsAsync,
  quietLogs,
  RUNS,
} from './only-tokensmith-errors.js';

const SECRET = 'property-admin-secret-0123456789';
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
/** Privilege names a KS carries unchanged (no `.`/space, which PHP's parse_str rewrites; no reserved `_x`). */
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/).filter((n) => n !== 'all');
/** Values: anything but `,` (the separator); trimmed, as parse trims entries. */
const value = fc
  .string({ unit: 'grapheme', maxLength: 20 })
  .map((v) => v.replace(/,/g, '').trim())
  .filter((v) => !v.includes(';'));
const privilegeList = fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 6 });

/**
 * Every KS read is registered as a secret, and the redaction pattern is rebuilt after each new one
 * (see core/redact.ts), so the cost per run grows with the run count: KS properties run fewer times.
 */
const KS_RUNS = 300;

/** Base64 (standard or URL-safe) of arbitrary bytes, of "v2|pid|" + bytes, and of "hash|fields". */
const ksLike = fc.oneof(
  fc.string(),
  fc.base64String(),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64url')),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 96 }))
    .map(([pid, b]) => Buffer.concat([Buffer.from(`v2|${pid}|`), Buffer.from(b)]).toString('base64')),
  fc
    .array(fc.string({ maxLength: 10 }), { maxLength: 12 })
    .map((fields) => Buffer.from(`abc|${fields.join(';')}`).toString('base64')),
);

describe('Kaltura parsers (property-based)', () => {
  before(quietLogs);

  it('ks.decode / inspect / peek: a result or ERR_KS_INVALID, with and without a secret', () => {
    const codes: ErrorCode[] = ['ERR_KS_INVALID'];
    fc.assert(
      fc.property(ksLike, fc.constantFrom(undefined, SECRET, ['', SECRET]), (ks, adminSecret) => {
        onlyTokensmithErrors(codes, () => decode(ks, { adminSecret }));
        onlyTokensmithErrors(codes, () => inspect(ks, { adminSecret }));
        onlyTokensmithErrors(codes, () => peek(ks));
      }),
      { numRuns: KS_RUNS },
    );
  });

  it('ks encode → decode round trip (v1 and v2), and a wrong secret never decodes a v2', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1 as const, 2 as const),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        text.filter((u) => !u.includes(';')),
        fc.constantFrom(0, 2),
        fc.integer({ min: 0, max: 2 ** 32 }),
        privilegeList,
        (version, partnerId, userId, type, validUntil, privileges) => {
          const priv = format(privileges.map(([n, v]) => ({ name: n, value: v, values: [] })));
          const ks = encode({
            version,
            adminSecret: SECRET,
            partnerId,
            userId,
            type,
            validUntil,
            privileges: priv,
          });
          const d = decode(ks, { adminSecret: SECRET });
          assert.equal(d.version, version);
          assert.equal(d.partnerId, partnerId);
          assert.equal(d.userId, userId);
          assert.equal(d.type, type);
          assert.equal(d.validUntil, validUntil);
          assert.equal(d.privileges, priv);
          assert.equal(d.signatureValid, true);
          if (version === 2) {
            assert.throws(() => decode(ks, { adminSecret: `${SECRET}x` }), { code: 'ERR_KS_INVALID' });
          } else {
            assert.equal(decode(ks, { adminSecret: `${SECRET}x` }).signatureValid, false);
          }
        },
      ),
      { numRuns: KS_RUNS / 2 },
    );
  });

  it('privileges: parse and check never throw; parse∘format∘parse = parse for named entries', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(fc.oneof(name, fc.string(), fc.constant(':'))).map((a) => a.join(',')),
        ),
        (s) => {
          // Names that are empty or end in whitespace (`:` or `a :b`) do not survive format (known,
          // left alone: the server knows no such name); the identity holds for every other entry.
          const once = parse(s).filter((p) => p.name !== '' && p.name === p.name.trim());
          const formatted = format(once);
          assert.deepEqual(parse(formatted), once, 'parse(format(parse(s))) = parse(s)');
          assert.equal(format(parse(formatted)), formatted);
          check(s);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('privileges: parse∘format is the identity on well-formed entries', () => {
    fc.assert(
      fc.property(privilegeList, (list) => {
        const entries = list.map(([n, v]) => ({ name: n, value: v, values: v === '' ? [] : v.split('/') }));
        assert.deepEqual(parse(format(entries)), entries);
      }),
      { numRuns: RUNS },
    );
  });

  it('wire client: any status and body gives a result or a TokensmithError', async () => {
    let next = new Response('');
    const client = new KalturaClient({
      serviceUrl: 'http://127.0.0.1:9',
      retry: false,
      fetch: async () => next,
    });
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .record(
          {
            objectType: fc.oneof(fc.constant('KalturaAPIException'), fc.jsonValue()),
            code: fc.jsonValue(),
            message: fc.jsonValue(),
            args: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    );
    const codes: ErrorCode[] = [
      'ERR_HTTP_STATUS',
      'ERR_RESPONSE_NOT_JSON',
      'ERR_KALTURA_API',
      'ERR_RESPONSE_TOO_LARGE',
    ];
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(200, 200, 200, 400, 500, 503), async (text, status) => {
        next = new Response(text, { status, headers: { 'content-type': 'application/json' } });
        await onlyTokensmithErrorsAsync(codes, () => client.call('session', 'start', { ks: 'x' }));
      }),
      { numRuns: RUNS },
    );
  });
});
