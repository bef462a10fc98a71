import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConnectionString } from 'tokensmith/internal/kalliope/connection-string.js';
import { onlyTokensmithErrors, quietLogs, RUNS } from './only-tokensmith-errors.js';

const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.constantFrom('localhost', 'pbx.example.test'),
);
/** Credentials: non-blank after trimming (blank counts as absent), any characters (percent-encoded). */
const credential = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .filter((s) => s.trim() === s && s !== '');
const tenant = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);

describe('Kalliope connection strings (property-based)', () => {
  before(quietLogs);

  it('arbitrary strings: a connection or ERR_CONFIG_INVALID', () => {
    const urlish = fc
      .tuple(
        fc.constantFrom('', '//', 'http://', 'https://', 'ftp://', 'http:', 'HTTP://'),
        fc.string(),
        fc.constantFrom('', '@', ':', '/', '?', '#', '[', ']', '%', '%zz'),
        fc.string(),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), urlish), (text) => {
        onlyTokensmithErrors(['ERR_CONFIG_INVALID'], () => parseConnectionString(text));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('round trip: scheme, percent-encoded credentials, host, port and tenant come back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https'),
        fc.option(fc.tuple(credential, credential), { nil: undefined }),
        host,
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.option(tenant, { nil: undefined }),
        (scheme, creds, h, port, domain) => {
          const auth = creds ? `${encodeURIComponent(creds[0])}:${encodeURIComponent(creds[1])}@` : '';
          const text = `${scheme}://${auth}${h}${port === undefined ? '' : `:${port}`}${domain === undefined ? '' : `/${domain}`}`;
          const c = parseConnectionString(text);
          assert.equal(c.scheme, scheme);
          assert.equal(c.host, h);
          assert.equal(c.port, port);
          assert.equal(c.username, creds?.[0]);
          assert.equal(c.password, creds?.[1]);
          assert.equal(c.domain, domain ?? 'default');
          assert.equal(c.domainDefaulted, domain === undefined);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
