import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../../../test/helpers/cli.js';
import { profileHome } from '../../../../test/helpers/profile-home.js';

describe('config errors name the line under a commented table header', () => {
  it('`[profiles.crm]   # Keycloak` (as in the README) keeps file:line in the message', async () => {
    const home = profileHome(
      [
        'default_profile = "crm"',
        '',
        '[profiles.crm]   # Keycloak',
        'type = "keycloak"',
        'base_url = "https://sso.example.test"',
        'realm = "crm"',
        'client_id = "crm-cli"',
        'colour = "red"',
        '',
      ].join('\n'),
    );
    const run = await runCli(['token', '-p', 'crm'], { env: home.env });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      `tokensmith: ERR_CONFIG_INVALID: ${home.file}:8: profile "crm" has unknown key "colour" for type keycloak\n`,
    );
  });

  it('a header with a comment and no spaces, and a quoted name, keep lines too', async () => {
    const home = profileHome(
      ['[profiles."ops"]# ops team', 'type = "oauth2"', 'client_id = "c"', 'grant = "magic"', ''].join('\n'),
    );
    const run = await runCli(['token', '-p', 'ops'], { env: home.env });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`^tokensmith: ERR_CONFIG_INVALID: ${home.file}:4: profile "ops": unknown grant "magic"`),
    );
  });
});
