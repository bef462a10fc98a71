import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { completeLogin } from '../../src/emulators/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '../../src/emulators/oidc/server.js';
import { cliArgs } from '../helpers/cli.js';

/** tmux on a private socket, so the test never touches a developer's own sessions. */
const socket = `tokensmith-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function waitForPane(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = tmux('capture-pane', '-p', '-J', '-t', 'device');
    if (pattern.test(screen)) return screen;
    await sleep(100);
  }
  assert.fail(`pane never matched ${pattern}; last screen:\n${screen}`);
}

describe('device login screen in a real terminal (tmux)', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;
  before(async () => {
    emu = await startOidcEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-tty-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      file,
      `[profiles.dev]\ntype = "oauth2"\nissuer = "${emu.issuer}"\ngrant = "device_code"\nclient_id = "${emu.clients.public.clientId}"\nscope = "openid"\n`,
    );
    chmodSync(file, 0o600);
    env = {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      TOKENSMITH_LOG: 'warn',
    };
  });
  after(async () => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    await emu.close();
  });

  it('shows URL, code, QR code and a countdown spinner, then the approval', async () => {
    const exports = Object.entries(env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const command = `env -u NO_COLOR -u CI ${exports} ${[process.execPath, ...cliArgs()].map(quote).join(' ')} login -p dev; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', 'device', '-x', '200', '-y', '60', command);

    const prompt = await waitForPane(/Waiting for approval… \d+:\d\d left/);
    assert.match(prompt, /To sign in, open http:\/\/127\.0\.0\.1:\d+\/device/);
    const code = /enter the code (\S+)/.exec(prompt)?.[1];
    assert.ok(code, prompt);
    assert.match(code, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.match(prompt, /[▀▄█]{7}/, 'a QR code drawn with block characters');
    const complete = /\(or open (\S+)\)/.exec(prompt)?.[1] ?? '';
    assert.match(complete, /user_code=/, prompt);

    // The "other device": a person (the robot) opens the link and approves.
    await completeLogin(complete, { username: 'alice', password: emu.users[0]!.password });

    const done = await waitForPane(/EXIT=\d+/);
    assert.match(done, /✔ Approved\./);
    assert.match(done, /Logged in as alice \(profile dev\)/);
    assert.match(done, /EXIT=0/);
    assert.doesNotMatch(done, /Waiting for approval… \d+:\d\d left\s*\n\s*EXIT/, 'spinner line cleared');
  });
});
