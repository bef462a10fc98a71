import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfigPath } from '@tokensmith/cli/internal/config/profiles.js';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { cliArgs, cliEnv, repoRoot } from '../../../../test/helpers/cli.js';

/**
 * Run the CLI in `cwd` (the shared helper always starts it in the checkout); the loader and its
 * tsconfig, given relative to the checkout, are made absolute.
 */
function runIn(cwd: string, args: string[], env: Record<string, string | undefined>) {
  const node = cliArgs().map((a) => (a === 'tsx' ? import.meta.resolve('tsx') : a));
  const tsconfig = process.env.TSX_TSCONFIG_PATH;
  const childEnv = cliEnv({ env: { ...env, TSX_TSCONFIG_PATH: tsconfig && resolve(repoRoot, tsconfig) } });
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [...node, ...args], { cwd, env: childEnv }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

describe('default config path', () => {
  it('an absolute XDG_CONFIG_HOME wins on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(
        defaultConfigPath({
          env: { XDG_CONFIG_HOME: '/x/conf', HOME: '/home/a' },
          platform,
          home: '/home/a',
        }),
        platform === 'win32' ? '\\x\\conf\\tokensmith\\config.toml' : '/x/conf/tokensmith/config.toml',
      );
    }
  });

  it('a relative XDG_CONFIG_HOME is ignored (the XDG spec calls it invalid)', () => {
    assert.equal(
      defaultConfigPath({
        env: { XDG_CONFIG_HOME: 'conf', HOME: '/home/a' },
        platform: 'linux',
        home: '/home/a',
      }),
      '/home/a/.config/tokensmith/config.toml',
    );
  });

  it('with HOME: ~/.config/tokensmith/config.toml, as before', () => {
    assert.equal(
      defaultConfigPath({ env: { HOME: '/home/a' }, platform: 'linux', home: '/ignored' }),
      '/home/a/.config/tokensmith/config.toml',
    );
    assert.equal(
      defaultConfigPath({ env: { HOME: '/Users/a' }, platform: 'darwin', home: '/ignored' }),
      '/Users/a/.config/tokensmith/config.toml',
    );
  });

  it('without HOME: the platform config folder from the user home, never the current folder', () => {
    assert.equal(
      defaultConfigPath({ env: {}, platform: 'linux', home: '/var/lib/svc' }),
      '/var/lib/svc/.config/tokensmith/config.toml',
    );
    assert.equal(
      defaultConfigPath({ env: {}, platform: 'darwin', home: '/Users/a' }),
      '/Users/a/Library/Application Support/tokensmith/config.toml',
    );
    assert.equal(
      defaultConfigPath({
        env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' },
        platform: 'win32',
        home: 'C:\\Users\\a',
      }),
      'C:\\Users\\a\\AppData\\Roaming\\tokensmith\\config.toml',
    );
    assert.equal(
      defaultConfigPath({ env: {}, platform: 'win32', home: 'C:\\Users\\a' }),
      'C:\\Users\\a\\AppData\\Roaming\\tokensmith\\config.toml',
    );
  });

  it('a relative HOME or APPDATA is ignored too', () => {
    assert.equal(
      defaultConfigPath({ env: { HOME: 'here' }, platform: 'linux', home: '/home/a' }),
      '/home/a/.config/tokensmith/config.toml',
    );
    assert.equal(
      defaultConfigPath({ env: { APPDATA: 'Roaming' }, platform: 'win32', home: 'C:\\Users\\a' }),
      'C:\\Users\\a\\AppData\\Roaming\\tokensmith\\config.toml',
    );
  });

  it('no usable home at all is ERR_CONFIG_INVALID naming the way out, not a path in the current folder', () => {
    for (const home of ['', 'relative']) {
      assert.throws(
        () => defaultConfigPath({ env: {}, platform: 'linux', home }),
        (err: unknown) =>
          err instanceof TokensmithError &&
          err.code === 'ERR_CONFIG_INVALID' &&
          /set XDG_CONFIG_HOME or HOME, or give --config/.test(err.message),
      );
    }
  });

  it('the CLI without HOME or XDG_CONFIG_HOME does not read a config from the current folder', async () => {
    // A config the old fallback (./.config/tokensmith/config.toml) would have found.
    const cwd = mkdtempSync(join(tmpdir(), 'tokensmith-cwd-'));
    mkdirSync(join(cwd, '.config', 'tokensmith'), { recursive: true });
    writeFileSync(
      join(cwd, '.config', 'tokensmith', 'config.toml'),
      '[profiles.here-7f3a]\ntype = "oauth2"\n',
      {
        mode: 0o600,
      },
    );
    const run = await runIn(cwd, ['token', '-p', 'here-7f3a'], {
      HOME: undefined,
      XDG_CONFIG_HOME: undefined,
      TOKENSMITH_PROFILE: undefined,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      `tokensmith: ERR_CONFIG_INVALID: profile "here-7f3a" is not in ${join(userInfo().homedir, '.config', 'tokensmith', 'config.toml')}\n`,
    );
  });
});
