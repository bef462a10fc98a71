import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type IPty, spawn as spawnPty } from '@lydell/node-pty';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { cliArgs, cliEnv, repoRoot } from '../../../test/helpers/cli.js';

/**
 * What a terminal shows for `output`: enough of one to read the device screen, which draws with
 * `\r`, `\n` and "erase line" (`ESC[2K`) and colours (`ESC[...m`, dropped here).
 */
function render(output: string): string {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const csi = /^\x1b\[([?\d;]*)([A-Za-z])/;
  for (let i = 0; i < output.length; ) {
    const rest = output.slice(i);
    const seq = csi.exec(rest);
    if (seq) {
      if (seq[2] === 'K' && seq[1] === '2') lines[row] = '';
      else if (seq[2] === 'K') lines[row] = lines[row]!.slice(0, col);
      i += seq[0].length;
      continue;
    }
    const ch = String.fromCodePoint(rest.codePointAt(0)!);
    i += ch.length;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      lines[row] ??= '';
      col = 0;
    } else if (ch >= ' ') {
      const line = [...lines[row]!.padEnd(col)];
      line[col] = ch;
      lines[row] = line.join('');
      col++;
    }
  }
  return lines.join('\n');
}

/** A program in a pseudo-terminal whose screen the test reads as it changes. */
function terminal(file: string, args: string[], env: NodeJS.ProcessEnv) {
  const pty: IPty = spawnPty(file, args, { name: 'xterm-256color', cols: 200, rows: 60, cwd: repoRoot, env });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: (screen: string) => void }> = [];
  const exited = new Promise<number>((resolve) =>
    pty.onExit(({ exitCode }) => {
      resolve(exitCode);
    }),
  );
  pty.onData((data) => {
    output += data;
    const screen = render(output);
    for (const w of [...waiters]) {
      if (w.pattern.test(screen)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(screen);
      }
    }
  });
  return {
    exited,
    screen: () => render(output),
    /** Resolves with the screen once it matches `pattern`; rejects if the program ends first. */
    waitFor(pattern: RegExp): Promise<string> {
      if (pattern.test(render(output))) return Promise.resolve(render(output));
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) => {
          // Data may still be in flight when the exit is reported: look once more.
          setImmediate(() =>
            pattern.test(render(output))
              ? resolve(render(output))
              : reject(
                  new Error(`exited (${code}) before the screen matched ${pattern}:\n${render(output)}`),
                ),
          );
        });
      });
    },
    kill: () => {
      try {
        pty.kill();
      } catch {
        // already gone
      }
    },
  };
}

describe('device login screen in a real terminal (pseudo-terminal)', () => {
  let emu: OidcEmulator;
  let env: Record<string, string | undefined>;
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
    // Colour on, as in a person's terminal: no NO_COLOR, no CI.
    env = {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      TOKENSMITH_LOG: 'warn',
      // An encrypted cache, so no keyring lookup (which varies by machine) prints a notice.
      TOKENSMITH_CACHE_KEY: randomBytes(32).toString('hex'),
      NO_COLOR: undefined,
      CI: undefined,
      TERM: 'xterm-256color',
    };
  });
  after(() => emu.close());

  it('shows URL, code, QR code and a countdown spinner, then the approval', async () => {
    const term = terminal(process.execPath, [...cliArgs(), 'login', '-p', 'dev'], cliEnv({ env }));
    try {
      const prompt = await term.waitFor(/Waiting for approval… \d+:\d\d left/);
      assert.match(prompt, /To sign in, open http:\/\/127\.0\.0\.1:\d+\/device/);
      const code = /enter the code (\S+)/.exec(prompt)?.[1];
      assert.ok(code, prompt);
      assert.match(code, /^[A-Z]{4}-[A-Z]{4}$/);
      assert.match(prompt, /[▀▄█]{7}/, 'a QR code drawn with block characters');
      const complete = /\(or open (\S+)\)/.exec(prompt)?.[1] ?? '';
      assert.match(complete, /user_code=/, prompt);

      // The "other device": a person (the robot) opens the link and approves.
      await completeLogin(complete, { username: 'alice', password: emu.users[0]!.password });

      assert.equal(await term.exited, 0, term.screen());
      const done = await term.waitFor(/Logged in as alice/);
      assert.match(done, /✔ Approved\./);
      assert.match(done, /Logged in as alice \(profile dev\)/);
      assert.doesNotMatch(done, /Waiting for approval/, 'spinner line cleared');
    } finally {
      term.kill();
    }
  });
});
