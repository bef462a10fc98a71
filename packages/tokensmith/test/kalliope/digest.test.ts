import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  digest,
  formatCreated,
  formatHeader,
  HEADER_PATTERN,
  newNonce,
  parseCreated,
  parseHeader,
  passwordHash,
} from 'tokensmith/internal/kalliope/index.js';

// Every vector of ../shared/protocols/kalliope.md §5, plus the notes' recomputation of the seed's pairing.
const VECTORS = [
  {
    name: 'manual / wiki / doc_example.py (password admin)',
    username: 'admin',
    password: 'admin',
    domain: 'default',
    salt: 'b5a8fdcf2f8d5acdad33c4a072a97d7a',
    nonce: 'bfb79078ff44c35714af28b7412a702b',
    created: '2016-04-29T15:48:26Z',
    digest: '+PJg7Tb3v98XnL6iJVv+v5hwhYjdzQ2tIWxvJB2cE40=',
    inner: 'dd7b0be7fa37d6cbaf0b842bf7532f229cb79ab8d54d509c2aa7eea27a53cd5e',
  },
  {
    name: 'Python README HEAD, 15:33:12',
    username: 'admin',
    password: 'nimda',
    domain: 'default',
    salt: '5ebe2294ecd0e0f08eab7690d2a6ee69',
    nonce: '62f230121d1d99cef5c8cb83c96cf6c4',
    created: '2020-10-30T15:33:12Z',
    digest: '8V5nQKp9GoCvhv5J+s3REprWXvH0txZJwmZdaKoJAyQ=',
    inner: '433f011d4d46013c8f8100c41c4ce065a688c79b2f8c5043e722004486d85e39',
  },
  {
    name: 'Python README HEAD, 15:33:04',
    username: 'admin',
    password: 'nimda',
    domain: 'default',
    salt: '5ebe2294ecd0e0f08eab7690d2a6ee69',
    nonce: '2dc477ac10d6c07b3fe008f636037733',
    created: '2020-10-30T15:33:04Z',
    digest: 'FLExUJyV4pPMr20o6e7TorEsdfZxkqvJcBNCe1nxecE=',
    inner: '433f011d4d46013c8f8100c41c4ce065a688c79b2f8c5043e722004486d85e39',
  },
  {
    name: 'Python README HEAD, 15:33:08',
    username: 'admin',
    password: 'nimda',
    domain: 'default',
    salt: '5ebe2294ecd0e0f08eab7690d2a6ee69',
    nonce: '33e79f33fbc4ac535ed3183dfac97de6',
    created: '2020-10-30T15:33:08Z',
    digest: '69jCdIIXk0pT/f6CJZB9E+UacP2fnFVFMBqUuYIbGhs=',
    inner: '433f011d4d46013c8f8100c41c4ce065a688c79b2f8c5043e722004486d85e39',
  },
  {
    name: "the seed's header with nimda does not match: nimda + the manual's salt gives another digest",
    username: 'admin',
    password: 'nimda',
    domain: 'default',
    salt: 'b5a8fdcf2f8d5acdad33c4a072a97d7a',
    nonce: 'bfb79078ff44c35714af28b7412a702b',
    created: '2016-04-29T15:48:26Z',
    digest: '6pQwH0V5W9YrX011CPMRqVQ9O6ooshs7m/dfwo2XQl8=',
    inner: undefined,
  },
];

// The seed's printed header (README "Req 1"), byte for byte.
const SEED_HEADER =
  'RestApiUsernameToken Username="admin", Domain="default", Digest="+PJg7Tb3v98XnL6iJVv+v5hwhYjdzQ2tIWxvJB2cE40=", Nonce="bfb79078ff44c35714af28b7412a702b", Created="2016-04-29T15:48:26Z"';

describe('kalliope digest: official test vectors', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      assert.equal(digest(v), v.digest);
      if (v.inner) assert.equal(passwordHash(v.password, v.salt), v.inner);
    });
  }

  it("reproduces the seed's header exactly (password admin)", () => {
    const v = VECTORS[0]!;
    const value = formatHeader({ ...v, digest: digest(v) });
    assert.equal(value, SEED_HEADER);
    assert.match(value, HEADER_PATTERN);
  });

  it('the seed header with password nimda is not the seed digest', () => {
    assert.notEqual(digest({ ...VECTORS[0]!, password: 'nimda' }), VECTORS[0]!.digest);
  });

  it('hashes non-ASCII passwords as UTF-8 (as the Python client does)', () => {
    // python3: hashlib.sha256('pässwörd{s}'.encode()).hexdigest()
    assert.equal(
      passwordHash('pässwörd', 's'),
      '0e2ced381fcc3bf1c48613aea2c2a8fdc4ee9eff9ec6ed3fdc7694c18d2b39a9',
    );
  });
});

describe('kalliope header serialisation', () => {
  it('parses the seed header into its five fields', () => {
    assert.deepEqual(parseHeader(SEED_HEADER), {
      username: 'admin',
      domain: 'default',
      digest: '+PJg7Tb3v98XnL6iJVv+v5hwhYjdzQ2tIWxvJB2cE40=',
      nonce: 'bfb79078ff44c35714af28b7412a702b',
      created: '2016-04-29T15:48:26Z',
    });
  });

  const malformed: Array<[string, string]> = [
    ['fractional seconds', SEED_HEADER.replace('15:48:26Z', '15:48:26.123Z')],
    ['no Z', SEED_HEADER.replace('15:48:26Z', '15:48:26')],
    ['@ in username', SEED_HEADER.replace('Username="admin"', 'Username="ad@min"')],
    [
      'fields out of order',
      SEED_HEADER.replace('Username="admin", Domain="default"', 'Domain="default", Username="admin"'),
    ],
    ['other scheme', SEED_HEADER.replace('RestApiUsernameToken', 'UsernameToken')],
    ['separator without space', SEED_HEADER.replace('", Domain', '",Domain')],
    ['trailing text', `${SEED_HEADER}, Extra="1"`],
    ['leading text', `X ${SEED_HEADER}`],
    ['empty digest', SEED_HEADER.replace(/Digest="[^"]+"/, 'Digest=""')],
  ];
  for (const [name, value] of malformed) {
    it(`refuses a header with ${name}`, () => assert.equal(parseHeader(value), undefined));
  }

  it('accepts an empty domain, as the official regex does', () => {
    assert.equal(parseHeader(SEED_HEADER.replace('Domain="default"', 'Domain=""'))?.domain, '');
  });
});

describe('kalliope nonce and Created', () => {
  it('nonce: 32 lowercase hex characters, new every time', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => newNonce()));
    assert.equal(nonces.size, 1000);
    for (const n of nonces) assert.match(n, /^[0-9a-f]{32}$/);
  });

  it('Created: UTC, whole seconds (truncated), literal Z', () => {
    assert.equal(formatCreated(Date.UTC(2016, 3, 29, 15, 48, 26, 999)), '2016-04-29T15:48:26Z');
    assert.equal(formatCreated(Date.UTC(2020, 0, 1, 0, 0, 0, 0)), '2020-01-01T00:00:00Z');
  });

  it('parseCreated round-trips and refuses impossible or fractional values', () => {
    assert.equal(parseCreated('2016-04-29T15:48:26Z'), Date.UTC(2016, 3, 29, 15, 48, 26));
    assert.equal(parseCreated('2016-02-30T15:48:26Z'), undefined);
    assert.equal(parseCreated('2016-04-29T15:48:26.000Z'), undefined);
    assert.equal(parseCreated('2016-04-29 15:48:26Z'), undefined);
  });
});
