import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseConfig } from '@tokensmith/cli/internal/config/profiles.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { cliArgs, cliEnv, repoRoot, runCli } from '../../../test/helpers/cli.js';
import { type Introspection, introspect } from '../../../test/helpers/introspect.js';

/**
 * Issue #14 item 6: `tokensmith git-credential` as git's credential helper, driven by the real `git`
 * (ls-remote, clone) against a loopback smart-HTTP server: `git http-backend` (CGI) behind a Node
 * server that lets in only tokens the OIDC emulator issued, checked by introspection.
 */

/** Run a program to its end. */
function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** `git --exec-path`, or a failure that names the Debian package (scripts/provision.js installs it). */
function gitExecPath(): string {
  const probe = spawnSync('git', ['--exec-path'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    assert.fail(
      'git is not installed: install the Debian package `git` (npm test does it: scripts/provision.js)',
    );
  }
  return probe.stdout.trim();
}

/** What the smart-HTTP server saw on one request. */
interface Seen {
  path: string;
  scheme?: string;
  username?: string;
  token?: string;
  status: number;
}

/**
 * A smart-HTTP git server on 127.0.0.1: each request needs a token (Basic password or Bearer) that
 * the emulator says is active and that `allow(path, introspection)` accepts, then goes to
 * `git http-backend` as a CGI request; anything else gets 401 with a Basic challenge.
 */
async function startGitServer(
  emu: OidcEmulator,
  projectRoot: string,
  allow: (path: string, answer: Introspection) => boolean,
) {
  const backend = join(gitExecPath(), 'git-http-backend');
  const seen: Seen[] = [];
  /** Tokens the server refuses from now on, as when an administrator revokes them. */
  const refused = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://git.local');
    const auth = req.headers.authorization ?? '';
    const entry: Seen = { path: url.pathname, status: 401 };
    seen.push(entry);
    const [scheme, value = ''] = auth.split(' ', 2);
    if (scheme === 'Basic') {
      const pair = Buffer.from(value, 'base64').toString('utf8');
      entry.scheme = 'Basic';
      entry.username = pair.slice(0, pair.indexOf(':'));
      entry.token = pair.slice(pair.indexOf(':') + 1);
    } else if (scheme === 'Bearer') {
      entry.scheme = 'Bearer';
      entry.token = value;
    }
    const answer = entry.token && !refused.has(entry.token) ? await introspect(emu, entry.token) : undefined;
    if (!answer?.active || !allow(url.pathname, answer)) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_USER: entry.username ?? 'bearer',
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    for (const [name, v] of Object.entries(req.headers)) {
      if (name === 'authorization' || typeof v !== 'string') continue;
      env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = v;
    }
    const cgi = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    let cgiErr = '';
    cgi.stderr.on('data', (d) => (cgiErr += d));
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const end = /\r?\n\r?\n/.exec(text);
      if (!end) return;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of text.slice(0, end.index).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const v = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[name] = v;
      }
      entry.status = status;
      started = true;
      res.writeHead(status, headers);
      res.write(head.subarray(end.index + end[0].length));
    });
    cgi.on('close', (code) => {
      if (!started) {
        entry.status = 500;
        res.writeHead(500).end(`git http-backend exited ${code}: ${cgiErr}`);
      } else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    refused,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The CLI as git runs a `!` helper: through the shell, from any folder, with git's action appended. */
function helperCommand(config: string): string {
  // `--import tsx` (a test run from source) is resolved from the working folder: make it absolute.
  const args = cliArgs().map((a) => (a === 'tsx' ? import.meta.resolve('tsx') : a));
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `!${[process.execPath, ...args].map(quote).join(' ')} git-credential --config ${quote(config)}`;
}

describe('tokensmith git-credential: real git against a smart-HTTP server', () => {
  let emu: OidcEmulator;
  let git: Awaited<ReturnType<typeof startGitServer>>;
  let dir: string;
  let config: string;
  let commit: string;
  let env: NodeJS.ProcessEnv;
  const alice = { username: 'alice', password: '' };

  /** `git -c credential.helper=… ARGS` with the test's environment (no user or system git config). */
  function runGit(args: string[], options: { useHttpPath?: boolean; extra?: NodeJS.ProcessEnv } = {}) {
    return run(
      'git',
      [
        '-c',
        'credential.helper=',
        '-c',
        `credential.helper=${helperCommand(config)}`,
        '-c',
        `credential.useHttpPath=${options.useHttpPath ? 'true' : 'false'}`,
        ...args,
      ],
      { env: { ...env, ...options.extra }, cwd: dir },
    );
  }

  /** The helper alone, fed `input` on stdin as git would. */
  function helper(action: string, input: string, file = config) {
    return runCli(['git-credential', '--config', file, action], { env, input });
  }

  before(async () => {
    emu = await startOidcEmulator();
    alice.password = emu.users[0]!.password;
    dir = mkdtempSync(join(tmpdir(), 'tokensmith-git-'));
    const home = join(dir, 'home');
    mkdirSync(home);
    const gitEnv = {
      ...process.env,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.test',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.test',
    };
    // One commit, served as /app.git and /team/tools.git.
    const setup = [
      ['init', '-q', '-b', 'main', 'work'],
      ['-C', 'work', 'commit', '-q', '--allow-empty', '-m', 'first'],
      ['clone', '-q', '--bare', 'work', 'served/app.git'],
      ['clone', '-q', '--bare', 'work', 'served/team/tools.git'],
    ];
    for (const args of setup) {
      const r = spawnSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8' });
      assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
    }
    commit = spawnSync('git', ['-C', 'work', 'rev-parse', 'HEAD'], {
      cwd: dir,
      encoding: 'utf8',
    }).stdout.trim();
    assert.match(commit, /^[0-9a-f]{40}$/);

    const cli = emu.clients.confidential.clientId;
    git = await startGitServer(emu, join(dir, 'served'), (path, answer) =>
      // /team/ is alice's (a password-grant token); the rest is for the CI client's own tokens.
      path.startsWith('/team/')
        ? answer.sub === 'alice'
        : answer.client_id === cli && answer.sub === undefined,
    );
    config = join(dir, 'config.toml');
    writeFileSync(
      config,
      [
        '[profiles.ci]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        `client_id = "${cli}"`,
        'client_secret = "env:GIT_TEST_CLIENT_SECRET"',
        `git_hosts = ["${git.origin}"]`,
        '',
        '[profiles.team]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        'grant = "password"',
        `client_id = "${cli}"`,
        'client_secret = "env:GIT_TEST_CLIENT_SECRET"',
        'username = "alice"',
        'password = "env:GIT_TEST_ALICE_PASSWORD"',
        `git_hosts = ["${git.origin}/team/"]`,
        'git_username = "alice"',
        '',
      ].join('\n'),
    );
    chmodSync(config, 0o600);
    const tsconfig = process.env.TSX_TSCONFIG_PATH;
    env = cliEnv({
      env: {
        ...gitEnv,
        XDG_CONFIG_HOME: join(dir, 'xdg'),
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: undefined,
        SSH_ASKPASS: undefined,
        GIT_TEST_CLIENT_SECRET: emu.clients.confidential.clientSecret,
        // An encrypted cache, so no "stored UNENCRYPTED" notice depends on this machine's keyring.
        TOKENSMITH_CACHE_KEY: randomBytes(32).toString('base64'),
        GIT_TEST_ALICE_PASSWORD: alice.password,
        // git runs the helper from its own working folder: tsx must find the tsconfig from there too.
        ...(tsconfig && !isAbsolute(tsconfig) ? { TSX_TSCONFIG_PATH: resolve(repoRoot, tsconfig) } : {}),
        XDG_CACHE_HOME: join(dir, 'cache'),
      },
    });
  });
  after(async () => {
    await git?.close();
    await emu?.close();
  });
  beforeEach(() => {
    emu.resetStats();
    git.seen.length = 0;
  });

  it('git ls-remote: the helper answers the 401 with username and token; one token, then the cache', async () => {
    const first = await runGit(['ls-remote', `${git.origin}/app.git`]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${commit}\tHEAD\n${commit}\trefs/heads/main\n`);
    assert.equal(emu.stats.byGrant.client_credentials, 1);
    assert.equal(emu.stats.tokenRequests, 1);
    // git asked anonymously, got 401, asked the helper, and came back with Basic oauth2:<token>.
    // (protocol v2: the ref advertisement, then the ls-refs command, both with the token.)
    assert.deepEqual(
      git.seen.map((s) => [s.scheme, s.username, s.status]),
      [
        [undefined, undefined, 401],
        ['Basic', 'oauth2', 200],
        ['Basic', 'oauth2', 200],
      ],
    );
    const token = git.seen[1]!.token!;
    assert.equal(git.seen[2]!.token, token);
    const answer = await introspect(emu, token);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, emu.clients.confidential.clientId);

    // A second git command (a new helper process) takes the token from the cache.
    const second = await runGit(['ls-remote', `${git.origin}/app.git`]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(emu.stats.tokenRequests, 1, 'no new token request');
    assert.deepEqual(
      git.seen.slice(3).map((s) => [s.token === token, s.status]),
      [
        [false, 401],
        [true, 200],
        [true, 200],
      ],
    );
    assert.ok(!`${first.stderr}${second.stderr}`.includes(token), 'the token is never printed');
  });

  it('git clone with credential.useHttpPath: /team/ gets the team profile (alice), the repository arrives', async () => {
    const cloned = await runGit(['clone', '-q', `${git.origin}/team/tools.git`, 'clone-team'], {
      useHttpPath: true,
    });
    assert.equal(cloned.code, 0, cloned.stderr);
    const head = spawnSync('git', ['-C', join(dir, 'clone-team'), 'rev-parse', 'HEAD'], { encoding: 'utf8' });
    assert.equal(head.stdout.trim(), commit);
    assert.deepEqual(emu.stats.byGrant, { password: 1 });
    const authed = git.seen.filter((s) => s.scheme);
    assert.ok(authed.length >= 2, 'ref advertisement and pack both authenticated');
    for (const s of authed) {
      assert.equal(s.username, 'alice');
      assert.equal(s.status, 200);
    }
    assert.equal((await introspect(emu, authed[0]!.token!)).sub, 'alice');

    // The same URL without useHttpPath: git sends no path, so the host-wide entry (profile ci)
    // answers, and the server refuses the CI token for /team/.
    const hostOnly = await runGit(['clone', '-q', `${git.origin}/team/tools.git`, 'clone-host-only']);
    assert.equal(hostOnly.code, 128);
    assert.match(hostOnly.stderr, /Authentication failed/);
    assert.equal(git.seen.at(-1)!.username, 'oauth2');
  });

  it('erase after a 401: the refused token is dropped, the next git command gets a new one', async () => {
    const warm = await runGit(['ls-remote', `${git.origin}/app.git`]);
    assert.equal(warm.code, 0, warm.stderr);
    const old = git.seen.at(-1)!.token!;
    git.refused.add(old); // revoked at the server, still fresh in tokensmith's cache
    emu.resetStats();

    const refused = await runGit(['ls-remote', `${git.origin}/app.git`]);
    assert.equal(refused.code, 128);
    assert.match(refused.stderr, /Authentication failed/);
    assert.equal(emu.stats.tokenRequests, 0, 'the refused token came from the cache');

    const again = await runGit(['ls-remote', `${git.origin}/app.git`]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `${commit}\tHEAD\n${commit}\trefs/heads/main\n`);
    assert.equal(
      emu.stats.byGrant.client_credentials,
      1,
      'git erased the refused token; a new one was issued',
    );
    const fresh = git.seen.at(-1)!.token!;
    assert.notEqual(fresh, old);
    assert.equal(git.seen.at(-1)!.status, 200);
  });

  it("the README's .gitconfig: the helper for one site, and `helper =` keeps credential-store from saving its token", async () => {
    // The README's block, pointed at this server and this CLI.
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /### git credential helper[\s\S]*?```ini\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(
      block,
      '[credential "https://git.example.com"]\n\thelper =\n\thelper = !tokensmith git-credential\n',
    );
    const toml = /### git credential helper[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)![1]!;
    assert.deepEqual(parseConfig(toml, 'README.md', true).profiles.git!.values.git_hosts, [
      'https://git.example.com',
    ]);
    const pasted = block
      .replace('https://git.example.com', git.origin)
      .replace('!tokensmith git-credential', `"${helperCommand(config)}"`);
    /** A home whose ~/.gitconfig has credential-store for every site, then the pasted block. */
    const home = (name: string, reset: boolean) => {
      const folder = join(dir, name);
      mkdirSync(folder);
      const section = reset ? pasted : pasted.replace('\thelper =\n', '');
      writeFileSync(join(folder, '.gitconfig'), `[credential]\n\thelper = store\n${section}`);
      return folder;
    };
    const url = `${git.origin}/app.git`;
    const readmeHome = home('home-readme', true);
    const r = await run('git', ['ls-remote', url], { env: { ...env, HOME: readmeHome }, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${commit}\tHEAD\n${commit}\trefs/heads/main\n`);
    assert.equal(existsSync(join(readmeHome, '.git-credentials')), false, 'no other helper kept the token');

    // Without the reset line git (before 2.46 and its ephemeral=1) hands the token to credential-store too.
    const unreset = home('home-no-reset', false);
    const leaky = await run('git', ['ls-remote', url], { env: { ...env, HOME: unreset }, cwd: dir });
    assert.equal(leaky.code, 0, leaky.stderr);
    const token = git.seen.at(-1)!.token!;
    assert.equal(
      readFileSync(join(unreset, '.git-credentials'), 'utf8'),
      `http://oauth2:${token}@${git.origin.slice(7).replace(':', '%3a')}\n`, // (credential-store's escaping)
    );
  });

  it('protocol: username, password and password_expiry_utc, exactly; the username git sent is kept', async () => {
    const request = `protocol=http\nhost=${git.origin.slice(7)}\npath=app.git\n\n`;
    const got = await helper('get', request);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stderr, '');
    const lines = got.stdout.split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('=')[0]),
      ['username', 'password', 'password_expiry_utc', ''],
    );
    assert.equal(lines[0], 'username=oauth2');
    const token = lines[1]!.slice('password='.length);
    const answer = (await introspect(emu, token)) as Introspection & { exp: number };
    assert.equal(answer.active, true);
    // Seconds since the epoch, as the server has it (tokensmith counts from when it sent the request).
    const expiry = Number(lines[2]!.slice('password_expiry_utc='.length));
    assert.ok(Math.abs(expiry - answer.exp) <= 1, `expiry ${expiry}, server's exp ${answer.exp}`);

    const named = await helper('get', `username=robot\n${request}`);
    assert.equal(named.stdout, `username=robot\npassword=${token}\npassword_expiry_utc=${expiry}\n`);
  });

  it('protocol: with capability[]=authtype (git ≥ 2.46) the answer is authtype=Bearer and credential=', async () => {
    const host = git.origin.slice(7);
    const got = await helper(
      'get',
      `capability[]=authtype\ncapability[]=state\nprotocol=http\nhost=${host}\n\n`,
    );
    assert.equal(got.code, 0, got.stderr);
    const match =
      /^capability\[\]=authtype\nauthtype=Bearer\ncredential=([\w-]+)\nephemeral=1\npassword_expiry_utc=(\d+)\n$/.exec(
        got.stdout,
      );
    assert.ok(match, got.stdout.replace(/credential=\S+/, 'credential=…'));
    const token = match[1]!;
    // What git 2.46 sends from that answer, `Authorization: <authtype> <credential>`, given to this git
    // by configuration (kept out of argv through GIT_CONFIG_*): the server lets it in.
    const viaHeader = await run('git', ['ls-remote', `${git.origin}/app.git`], {
      env: {
        ...env,
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
      },
      cwd: dir,
    });
    assert.equal(viaHeader.code, 0, viaHeader.stderr);
    assert.equal(viaHeader.stdout, `${commit}\tHEAD\n${commit}\trefs/heads/main\n`);
    assert.deepEqual(
      git.seen.map((s) => [s.scheme, s.token === token, s.status]),
      [
        ['Bearer', true, 200],
        ['Bearer', true, 200],
      ],
    );

    // Without the capability (git before 2.46) the same token comes as a password.
    const plain = await helper('get', `protocol=http\nhost=${host}\n\n`);
    assert.equal(plain.stdout, `username=oauth2\npassword=${token}\npassword_expiry_utc=${match[2]}\n`);
  });

  it('protocol: erase drops only the refused token; store, other hosts and other protocols get nothing', async () => {
    const host = git.origin.slice(7);
    const request = `protocol=http\nhost=${host}\n\n`;
    const token = /password=(\S+)/.exec((await helper('get', request)).stdout)![1]!;
    emu.resetStats();

    for (const [action, input] of [
      ['store', `protocol=http\nhost=${host}\nusername=oauth2\npassword=${token}\n\n`],
      ['erase', `protocol=http\nhost=${host}\nusername=oauth2\npassword=some-other-token\n\n`],
      ['erase', `protocol=http\nhost=127.0.0.2:1\nusername=oauth2\npassword=${token}\n\n`],
      ['get', 'protocol=http\nhost=git.example.com\n\n'],
      ['get', `protocol=smtp\nhost=${host}\n\n`],
      ['get', 'protocol=https\nhost=evil.example/x@127.0.0.1\n\n'],
      ['frobnicate', request],
    ]) {
      const r = await helper(action!, input!);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' }, `${action} ${input}`);
    }
    assert.equal(emu.stats.tokenRequests, 0);
    assert.equal((await helper('get', request)).stdout.split('\n')[1], `password=${token}`, 'still cached');

    // Bearer answers come back as credential= on erase.
    const erased = await helper(
      'erase',
      `capability[]=authtype\n${request.trim()}\nauthtype=Bearer\ncredential=${token}\n\n`,
    );
    assert.deepEqual(erased, { code: 0, stdout: '', stderr: '' });
    const renewed = await helper('get', request);
    assert.notEqual(/password=(\S+)/.exec(renewed.stdout)![1], token);
    assert.equal(emu.stats.tokenRequests, 1);
  });

  it('config: path-only entries without a path from git give a hint; bad entries are errors with file:line', async () => {
    const write = (name: string, lines: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const profile = [
      '[profiles.p]',
      'type = "oauth2"',
      'token_endpoint = "https://id.example.com/token"',
      'client_id = "c"',
    ];
    const hint = await helper(
      'get',
      'protocol=https\nhost=git.example.com\n\n',
      write('path-only.toml', [...profile, 'git_hosts = ["https://git.example.com/team"]']),
    );
    assert.equal(hint.code, 0);
    assert.equal(hint.stdout, '');
    assert.equal(
      hint.stderr,
      'tokensmith: git_hosts entries for https://git.example.com name a path, but git sent none: set credential.useHttpPath = true for https://git.example.com\n',
    );

    // A profile that needs a person: git runs the helper without a terminal, so it fails at once.
    emu.resetStats();
    const person = await helper(
      'get',
      'protocol=https\nhost=git.example.com\n\n',
      write('device.toml', [
        '[profiles.laptop]',
        'type = "oauth2"',
        `issuer = "${emu.issuer}"`,
        'grant = "device_code"',
        `client_id = "${emu.clients.public.clientId}"`,
        'git_hosts = ["https://git.example.com"]',
      ]),
    );
    assert.equal(person.code, 3, person.stderr);
    assert.equal(person.stdout, '');
    assert.match(person.stderr, /^tokensmith: ERR_LOGIN_REQUIRED: /);
    assert.equal(emu.stats.tokenRequests, 0);

    const cases: Array<[string[], RegExp]> = [
      [
        [...profile, 'git_hosts = ["git.example.com"]'],
        /ERR_CONFIG_INVALID: .*bad-0\.toml:5: profile "p": git_hosts entry "git\.example\.com" is not a URL/,
      ],
      [
        [...profile, 'git_hosts = "ssh://git.example.com"'],
        /ERR_CONFIG_INVALID: .*bad-1\.toml:5: profile "p": git_hosts entry "ssh:\/\/git\.example\.com" must be an https URL/,
      ],
      [
        [...profile, 'git_hosts = ["http://git.example.com"]'],
        /ERR_INSECURE_HTTP: .*bad-2\.toml:5: profile "p": git_hosts entry "http:\/\/git\.example\.com" would send the token in the clear/,
      ],
      [
        [
          ...profile,
          'git_hosts = ["https://git.example.com"]',
          ...profile.map((l) => l.replace('.p]', '.q]')),
          'git_hosts = ["https://GIT.example.com:443/"]',
        ],
        /ERR_CONFIG_INVALID: .*bad-3\.toml:10: profile "q": profiles "p" and "q" both serve https:\/\/git\.example\.com in git_hosts/,
      ],
      [
        [
          '[profiles.pbx]',
          'type = "kalliope"',
          'url = "https://pbx.example.com"',
          'git_hosts = ["https://git.example.com"]',
        ],
        /ERR_CONFIG_INVALID: .*bad-4\.toml:4: profile "pbx" has unknown key "git_hosts" for type kalliope/,
      ],
      [
        [...profile, 'git_hosts = ["https://git.example.com"]', 'git_username = "a\\nb"'],
        /ERR_CONFIG_INVALID: .*bad-5\.toml:6: profile "p": git_username must be a non-empty name without control characters/,
      ],
    ];
    for (const [i, [lines, expected]] of cases.entries()) {
      const r = await helper(
        'get',
        'protocol=https\nhost=git.example.com\n\n',
        write(`bad-${i}.toml`, lines),
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, expected);
    }
  });
});
