import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { type KalliopeConnection, parseConnectionString } from 'tokensmith/internal/kalliope/index.js';

type Expected = Omit<KalliopeConnection, 'schemeDefaulted' | 'domainDefaulted'> &
  Partial<Pick<KalliopeConnection, 'schemeDefaulted' | 'domainDefaulted'>>;

const VALID: Array<[string, Expected]> = [
  [
    'http://admin:nimda@192.168.1.1',
    {
      scheme: 'http',
      host: '192.168.1.1',
      baseUrl: 'http://192.168.1.1',
      username: 'admin',
      password: 'nimda',
      domain: 'default',
      domainDefaulted: true,
    },
  ],
  [
    // conn_str_test.py: percent-decoded credentials
    'https://user%23:pass%2C@pbx.example.com:8443/tenant1',
    {
      scheme: 'https',
      host: 'pbx.example.com',
      port: 8443,
      baseUrl: 'https://pbx.example.com:8443',
      username: 'user#',
      password: 'pass,',
      domain: 'tenant1',
      domainDefaulted: false,
    },
  ],
  [
    'https://user:secret-1@pbx.example.com:8443/tenant1',
    {
      scheme: 'https',
      host: 'pbx.example.com',
      port: 8443,
      baseUrl: 'https://pbx.example.com:8443',
      username: 'user',
      password: 'secret-1',
      domain: 'tenant1',
      domainDefaulted: false,
    },
  ],
  [
    '//admin:pw@host',
    {
      scheme: 'http',
      schemeDefaulted: true,
      host: 'host',
      baseUrl: 'http://host',
      username: 'admin',
      password: 'pw',
      domain: 'default',
    },
  ],
  [
    'HTTPS://Host/',
    { scheme: 'https', schemeDefaulted: false, host: 'Host', baseUrl: 'https://host', domain: 'default' },
  ],
  ['  https://h/pbxAdmin  ', { scheme: 'https', host: 'h', baseUrl: 'https://h', domain: 'pbxAdmin' }],
  ['https://h/a/b', { scheme: 'https', host: 'h', baseUrl: 'https://h', domain: 'a/b' }],
  [
    'http://[::1]:8080/t',
    { scheme: 'http', host: '[::1]', port: 8080, baseUrl: 'http://[::1]:8080', domain: 't' },
  ],
  ['https://h:443', { scheme: 'https', host: 'h', port: 443, baseUrl: 'https://h', domain: 'default' }],
  ['https://h:', { scheme: 'https', host: 'h', baseUrl: 'https://h', domain: 'default' }],
  // The first ":" splits user from password; the last "@" ends the credentials (Python's urllib).
  [
    'https://u:p:q@h',
    { scheme: 'https', host: 'h', baseUrl: 'https://h', username: 'u', password: 'p:q', domain: 'default' },
  ],
  [
    'https://u:p@ss@h',
    { scheme: 'https', host: 'h', baseUrl: 'https://h', username: 'u', password: 'p@ss', domain: 'default' },
  ],
  [
    'https://admin:%25p%20w%3Ad%2F@h',
    {
      scheme: 'https',
      host: 'h',
      baseUrl: 'https://h',
      username: 'admin',
      password: '%p w:d/',
      domain: 'default',
    },
  ],
  // Whitespace-only credentials count as missing; both missing is fine.
  ['https://%20:%20@h', { scheme: 'https', host: 'h', baseUrl: 'https://h', domain: 'default' }],
  // The username is trimmed (as in Python); the password is kept exactly.
  [
    'https://%20u%20:%20p%20@h',
    { scheme: 'https', host: 'h', baseUrl: 'https://h', username: 'u', password: ' p ', domain: 'default' },
  ],
];

const INVALID: Array<[string, RegExp]> = [
  ['', /is empty/],
  ['   ', /is empty/],
  ['192.168.1.1', /missing host: .*"\/\/" is required/],
  ['host:8080', /missing host/],
  ['http:host', /missing host: write http:\/\/host/],
  ['http://', /missing host/],
  ['http://u:p@/tenant', /missing host/],
  ['ftp://host', /unsupported scheme "ftp"/],
  ['mailto:x', /unsupported scheme "mailto"/],
  ['http://user@host', /incomplete credentials/],
  ['http://:pw@host', /incomplete credentials/],
  ['http://user:@host', /incomplete credentials/],
  ['http://host:0', /bad port/],
  ['http://host:65536', /bad port/],
  ['http://host:abc', /bad port/],
  ['http://host:-1', /bad port/],
  ['http://host/t?x=1', /query or fragment/],
  ['http://host/t#x', /query or fragment/],
  ['http://u:%zz@h', /malformed percent-encoding/],
  ['http://[::1', /unterminated IPv6/],
  ['http://ho st', /invalid host/],
];

describe('kalliope connection strings', () => {
  configureLogging({ level: 'silent' });

  for (const [input, expected] of VALID) {
    it(`parses ${JSON.stringify(input)}`, () => {
      const got = parseConnectionString(input);
      const { schemeDefaulted = false, domainDefaulted = expected.domain === 'default', ...rest } = expected;
      assert.deepEqual(got, { ...rest, schemeDefaulted, domainDefaulted });
    });
  }

  for (const [input, message] of INVALID) {
    it(`refuses ${JSON.stringify(input)} with ERR_CONFIG_INVALID`, () => {
      assert.throws(() => parseConnectionString(input), {
        name: 'TokensmithError',
        code: 'ERR_CONFIG_INVALID',
        message,
      });
    });
  }

  it('never quotes a password that an unencoded "/" pushed into the host part', () => {
    // authority is "user:pa", so "pa" would be read as the port
    assert.throws(
      () => parseConnectionString('http://user:pa/ss@host'),
      (err: Error) =>
        /bad port/.test(err.message) && !err.message.includes('pa/ss') && !/"pa"/.test(err.message),
    );
  });

  it('warns when the scheme is defaulted to http', () => {
    const lines: string[] = [];
    configureLogging({ level: 'warn', sink: (l) => lines.push(l) });
    try {
      parseConnectionString('//admin:pw@pbx.example.com');
      parseConnectionString('https://admin:pw@pbx.example.com');
    } finally {
      configureLogging({ level: 'silent' });
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no scheme .* using http, so requests travel unencrypted/);
  });
});
