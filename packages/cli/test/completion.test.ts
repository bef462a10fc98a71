import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildProgram } from '@tokensmith/cli/internal/program.js';
import { cliArgs, cliEnv, repoRoot, runCli } from '../../../test/helpers/cli.js';
import { profileHome } from '../../../test/helpers/profile-home.js';

const topLevel = buildProgram().commands.map((c) => c.name());

const config = ['crm', 'billing-prod', 'build'].map(
  (name) =>
    `[profiles.${name}]\ntype = "oauth2"\ntoken_endpoint = "http://127.0.0.1:9/token"\nclient_id = "c"\n`,
);

describe('tokensmith completion', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    it(`${shell}: a non-empty script that names every top-level command and the profile callback`, async () => {
      const run = await runCli(['completion', shell]);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '');
      assert.ok(run.stdout.length > 500, `script of ${run.stdout.length} characters`);
      for (const name of topLevel) {
        assert.match(run.stdout, new RegExp(`[ '"]${name}[ '"]`), `${shell} script misses ${name}`);
      }
      assert.ok(run.stdout.includes('tokensmith completion --profiles'));
    });
  }

  it('a shell it does not know is a usage error (exit 2)', async () => {
    const run = await runCli(['completion', 'tcsh']);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\./,
    );
    const bare = await runCli(['completion']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /name a shell: bash, zsh, fish/);
    assert.equal(bare.stdout, '');
  });

  it('--profiles lists the profile names, and is quiet with exit 0 without a config or with a broken one', async () => {
    const home = profileHome(config.join('\n'));
    const listed = await runCli(['completion', '--profiles'], { env: home.env });
    assert.deepEqual(listed, { code: 0, stdout: 'crm\nbilling-prod\nbuild\n', stderr: '' });

    const empty = mkdtempSync(join(tmpdir(), 'tokensmith-noconfig-'));
    const none = await runCli(['completion', '--profiles'], { env: { XDG_CONFIG_HOME: empty } });
    assert.deepEqual(none, { code: 0, stdout: '', stderr: '' });

    const broken = profileHome('[profiles.x\nthis is not toml');
    const bad = await runCli(['completion', '--profiles'], { env: broken.env });
    assert.deepEqual(bad, { code: 0, stdout: '', stderr: '' });

    const missing = await runCli(['completion', '--profiles', '--config', join(empty, 'nope.toml')]);
    assert.deepEqual(missing, { code: 0, stdout: '', stderr: '' });
  });
});

describe('bash completion, run in the real bash', () => {
  let script: string;
  let bin: string;
  let home: ReturnType<typeof profileHome>;

  before(async () => {
    const run = await runCli(['completion', 'bash']);
    assert.equal(run.code, 0);
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-completion-'));
    script = join(dir, 'tokensmith.bash');
    writeFileSync(script, run.stdout);
    // `tokensmith` on PATH, as installed: the script calls it back for profile names.
    bin = join(dir, 'bin');
    mkdirSync(bin);
    const quoted = [process.execPath, ...cliArgs()].map((a) => `'${a}'`).join(' ');
    writeFileSync(join(bin, 'tokensmith'), `#!/bin/sh\ncd '${repoRoot}' && exec ${quoted} "$@"\n`);
    chmodSync(join(bin, 'tokensmith'), 0o755);
    home = profileHome(config.join('\n'));
  });

  /** COMPREPLY for the command line `words` with the cursor on its last word. */
  function complete(words: string[], extraEnv: Record<string, string> = {}): string[] {
    const array = words.map((w) => `'${w}'`).join(' ');
    const program = `source '${script}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; COMP_LINE='${words.join(' ')}'; COMP_POINT=\${#COMP_LINE}; _tokensmith; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const env = cliEnv({ env: { ...home.env, ...extraEnv, PATH: `${bin}:${process.env.PATH}` } });
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { env, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    return result.stdout.split('\n').filter(Boolean);
  }

  it('`tokensmith to<TAB>` completes token', () => {
    assert.deepEqual(complete(['tokensmith', 'to']), ['token']);
  });

  it('`tokensmith <TAB>` offers every top-level command; subcommands below a command', () => {
    assert.deepEqual(complete(['tokensmith', '']).sort(), [...topLevel].sort());
    assert.deepEqual(complete(['tokensmith', 'kaltura', 'app-token', '']), [
      'create',
      'list',
      'get',
      'update',
      'delete',
    ]);
    assert.deepEqual(complete(['tokensmith', '-v', 'emulate', 'k']), ['kaltura', 'kalliope']);
  });

  it('flags of the command under the cursor, and the choices of a flag', () => {
    assert.deepEqual(complete(['tokensmith', 'token', '--for']), ['--format', '--force-refresh']);
    assert.deepEqual(complete(['tokensmith', 'login', '--browser']), ['--browser-command']);
    assert.deepEqual(complete(['tokensmith', 'token', '--token-type', '']), ['access', 'id']);
    // A flag's value is not taken for a command: `status` here is the value of --env.
    assert.deepEqual(complete(['tokensmith', 'token', '--env', 'status', '--js']), []);
    // File names for a flag's value and for a command's own arguments.
    assert.deepEqual(complete(['tokensmith', 'token', '--config', script.slice(0, -3)]), [script]);
    assert.deepEqual(complete(['tokensmith', 'decode', script.slice(0, -3)]), [script]);
  });

  it('`tokensmith token -p <TAB>` lists the profile names of the config', () => {
    assert.deepEqual(complete(['tokensmith', 'token', '-p', '']), ['crm', 'billing-prod', 'build']);
    assert.deepEqual(complete(['tokensmith', 'request', '--profile', 'b']), ['billing-prod', 'build']);
  });

  it('--config on the command line chooses the config whose profiles are listed', () => {
    const other = profileHome(
      '[profiles.staging]\ntype = "oauth2"\ntoken_endpoint = "http://127.0.0.1:9/t"\nclient_id = "c"\n',
    );
    assert.deepEqual(complete(['tokensmith', 'login', '--config', other.file, '-p', '']), ['staging']);
  });

  it('without a config, -p <TAB> offers nothing and prints nothing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'tokensmith-noconfig-'));
    assert.deepEqual(complete(['tokensmith', 'token', '-p', ''], { XDG_CONFIG_HOME: empty }), []);
  });
});
