/**
 * Issue 14 item 3: never hang without a person. A command whose credential needs a device or
 * browser login fails at once with ERR_LOGIN_REQUIRED and exit code 3 when nobody can answer: no
 * terminal, `CI` set, or kubectl saying `interactive: false`. `login` is the one command that waits;
 * once it is done, everything works without a person, renewals included. The OIDC emulator serves
 * the device grant; its robot approves as the person would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn as spawnPty } from '@lydell/node-pty';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { cliArgs, cliEnv, repoRoot, runCli, spawnCli } from '../../../test/helpers/cli.js';
import { profileHome } from '../../../test/helpers/profile-home.js';

/** Run the CLI in a pseudo-terminal (stdin and stderr are TTYs) to its end. */
function runInTerminal(args: string[], env: Record<string, string | undefined>) {
  const pty = spawnPty(process.execPath, [...cliArgs(), ...args], {
    name: 'xterm',
    cols: 200,
    rows: 50,
    cwd: repoRoot,
    env: cliEnv({ env }) as Record<string, string>,
  });
  let output = '';
  pty.onData((d) => {
    output += d;
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    exited,
    output: () => output,
    /** Resolves once the screen shows `pattern`; rejects if the program ends first. */
    waitFor: (pattern: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return false;
          resolve(output);
          return true;
        };
        if (check()) return;
        const sub = pty.onData(() => {
          if (check()) sub.dispose();
        });
        void exited.then((code) =>
          setImmediate(() => check() || reject(new Error(`exited ${code} before ${pattern}:\n${output}`))),
        );
      }),
    kill: () => pty.kill(),
  };
}

const NO_TERMINAL =
  'tokensmith: ERR_LOGIN_REQUIRED: this profile logs in with a person (device code) and there is no terminal: run `tokensmith login` in a terminal first\n';

describe('no person, no wait: device and browser logins fail at once (exit 3); login still waits', () => {
  let emu: OidcEmulator;
  let env: Record<string, string | undefined>;

  before(async () => {
    emu = await startOidcEmulator();
    const home = profileHome(
      `[profiles.dev]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "device_code"
client_id = "${emu.clients.public.clientId}"
scope = "openid offline_access"

[profiles.web]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "authorization_code"
client_id = "${emu.clients.public.clientId}"
scope = "openid"
`,
      'tokensmith-no-person-',
    );
    // Whatever the machine running the tests says: CI and kubectl's variable are each set where a test needs them.
    env = { ...home.env, CI: undefined, KUBERNETES_EXEC_INFO: undefined, NO_COLOR: '1' };
  });
  after(() => emu.close());

  it('token without a terminal: exit 3 at once, no device prompt, nothing asked of the server', async () => {
    emu.resetStats();
    const run = await runCli(['token', '-p', 'dev'], { env });
    assert.equal(run.code, 3);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, NO_TERMINAL);
    assert.equal(emu.stats.tokenRequests, 0);
  });

  it('every credential command: request, exec, proxy requests, exec-credential, ad hoc flags; and the browser grant too', async () => {
    const request = await runCli(['request', '-p', 'dev', `${emu.issuer}/me`], { env });
    assert.equal(request.code, 3);
    assert.equal(request.stderr, NO_TERMINAL);
    const exec = await runCli(['exec', '-p', 'dev', '--', process.execPath, '-e', 'process.exit(9)'], {
      env,
    });
    assert.equal(exec.code, 3, 'the command never ran');
    assert.equal(exec.stderr, NO_TERMINAL);
    const kube = await runCli(['token', '-p', 'dev', '--format', 'exec-credential'], { env });
    assert.equal(kube.code, 3);
    assert.equal(kube.stdout, '');
    const adhoc = await runCli(
      ['token', '--issuer', emu.issuer, '--grant', 'device_code', '--client-id', emu.clients.public.clientId],
      { env },
    );
    assert.equal(adhoc.code, 3);
    assert.equal(adhoc.stderr, NO_TERMINAL);
    const web = await runCli(['token', '-p', 'web'], { env });
    assert.equal(web.code, 3);
    assert.equal(
      web.stderr,
      'tokensmith: ERR_LOGIN_REQUIRED: this profile logs in with a person (authorization code) and there is no terminal: run `tokensmith login` in a terminal first\n',
    );
    // The proxy starts (it needs no credential to listen) and answers each request with the error.
    const proxy = spawnCli(['proxy', '-p', 'dev', '--upstream', emu.origin], { env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        proxy.stdout.on('data', (d) => {
          text += d;
          if (text.includes('\n')) resolve(text.trim());
        });
        proxy.on('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
      });
      const answer = await fetch(`${url}/anything`);
      const body = (await answer.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'ERR_LOGIN_REQUIRED');
    } finally {
      proxy.kill('SIGTERM');
    }
  });

  it('CI set, in a terminal: exit 3', async () => {
    const term = runInTerminal(['token', '-p', 'dev'], { ...env, CI: 'true' });
    assert.equal(await term.exited, 3, term.output());
    assert.match(
      term.output(),
      /ERR_LOGIN_REQUIRED: this profile logs in with a person \(device code\) and CI is set/,
    );
    assert.doesNotMatch(term.output(), /To sign in/);
  });

  it('kubectl says interactive: false, in a terminal: exit 3; interactive: true shows the prompt', async () => {
    const info = (interactive: boolean) =>
      JSON.stringify({
        kind: 'ExecCredential',
        apiVersion: 'client.authentication.k8s.io/v1',
        spec: { interactive },
      });
    const args = ['token', '-p', 'dev', '--format', 'exec-credential'];
    const refused = runInTerminal(args, { ...env, KUBERNETES_EXEC_INFO: info(false) });
    assert.equal(await refused.exited, 3, refused.output());
    assert.match(
      refused.output(),
      /ERR_LOGIN_REQUIRED: this profile logs in with a person \(device code\) and kubectl runs this plugin non-interactively/,
    );
    const asked = runInTerminal(args, { ...env, KUBERNETES_EXEC_INFO: info(true) });
    try {
      await asked.waitFor(/To sign in, open http:\/\/127\.0\.0\.1:\d+\/device/);
    } finally {
      asked.kill();
    }
  });

  it('login waits without a terminal; then token and a renewal need no person', async () => {
    emu.resetStats();
    const login = spawnCli(['login', '-p', 'dev', '--json'], { env });
    let stderr = '';
    let stdout = '';
    login.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => login.on('close', resolve));
    const link = await new Promise<string>((resolve, reject) => {
      void exited.then((code) => reject(new Error(`login exited ${code} before its prompt:\n${stderr}`)));
      login.stderr.on('data', (d) => {
        stderr += d;
        // Without a terminal the screen is plain lines: the link, then how long the code lives.
        const m = /\(or open (\S+)\)\nWaiting for approval \(the code expires in \d+ s\)…\n/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    await completeLogin(link, { username: 'alice', password: emu.users[0]!.password });
    assert.equal(await exited, 0, stderr);
    assert.equal(JSON.parse(stdout).user, 'alice');

    const token = await runCli(['token', '-p', 'dev'], { env });
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /^[\w-]{20,}\n$/);
    const renewed = await runCli(['token', '-p', 'dev', '--force-refresh'], { env });
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.notEqual(renewed.stdout, token.stdout);
    assert.equal(emu.stats.byGrant.refresh_token, 1);
    assert.equal(emu.stats.byGrant['urn:ietf:params:oauth:grant-type:device_code'], 1);
  });
});
