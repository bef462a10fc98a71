import { before, describe, it } from 'node:test';
import { PROFILE_SCHEMAS, parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import fc from 'fast-check';
import { onlyTokensmithErrors, quietLogs, RUNS } from './only-tokensmith-errors.js';

/** A TOML value of any type, written as TOML source. */
const tomlValue = fc.oneof(
  fc.string().map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc
    .double({ noNaN: false })
    .map((d) => (Number.isFinite(d) ? String(d) : d > 0 ? 'inf' : d < 0 ? '-inf' : 'nan')),
  fc.boolean().map(String),
  fc.constantFrom(
    '1979-05-27T07:32:00Z',
    '1979-05-27',
    '07:32:00',
    '[]',
    '["a", "b"]',
    '[1, "x"]',
    '{}',
    '{ a = 1 }',
  ),
  fc.constantFrom(
    '"env:SECRET"',
    '"file:/tmp/x"',
    '"cmd:echo hi"',
    '"keyring:svc/acct"',
    '"redis://u:p@h:6379"',
  ),
);
const key = fc.oneof(
  fc.constantFrom(...new Set(Object.values(PROFILE_SCHEMAS).flatMap((s) => Object.keys(s)))),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'default_profile', 'profiles'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
  fc.string().map((s) => JSON.stringify(s)),
);
const profileName = fc.oneof(
  fc.constantFrom('dev', '__proto__', 'constructor', 'prototype', 'a.b', '"quoted name"'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/),
);
const profile = fc
  .tuple(
    profileName,
    fc.option(
      fc.constantFrom(...Object.keys(PROFILE_SCHEMAS), 'nope').map((t) => `type = "${t}"`),
      { nil: '' },
    ),
    // Unique keys and names: TOML refuses duplicates, and those cases would crowd out the rest.
    fc.uniqueArray(fc.tuple(key, tomlValue), { selector: ([k]) => k, maxLength: 8 }),
  )
  .map(([name, type, pairs]) => ({
    name,
    text: [`[profiles.${name}]`, type, ...pairs.map(([k, v]) => `${k} = ${v}`)].join('\n'),
  }));
const document = fc
  .tuple(
    fc.option(
      fc.tuple(key, tomlValue).map(([k, v]) => `${k} = ${v}`),
      { nil: '' },
    ),
    fc.uniqueArray(profile, { selector: (p) => p.name, maxLength: 3 }),
  )
  .map(([top, profiles]) => [top, ...profiles.map((p) => p.text)].join('\n'));

describe('config files (property-based)', () => {
  before(quietLogs);

  it('arbitrary text: a config or ERR_CONFIG_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), fc.boolean(), (text, privateFile) => {
        onlyTokensmithErrors(['ERR_CONFIG_INVALID'], () => parseConfig(text, 'config.toml', privateFile));
      }),
      { numRuns: RUNS },
    );
  });

  it('TOML documents with profiles of any shape: a config or ERR_CONFIG_INVALID', () => {
    fc.assert(
      fc.property(document, fc.boolean(), (text, privateFile) => {
        onlyTokensmithErrors(['ERR_CONFIG_INVALID'], () => parseConfig(text, 'config.toml', privateFile));
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
