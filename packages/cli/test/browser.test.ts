import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browserLaunch, openBrowserOrPrint } from 'tokensmith/internal/oauth2/open-browser.js';
import { spawnCli } from '../../../test/helpers/cli.js';

/** A loopback server that plays a malicious OpenID provider and collects what the "browser" ran with. */
interface Stage {
  base: string;
  server: Server;
  /** argv lists POSTed by the recording browser, in order. */
  recorded: string[][];
  /** Full URLs of the requests the authorization endpoint got. */
  authorizeHits: string[];
  /** Resolves with the next recorded argv. */
  nextRecord(): Promise<string[]>;
}

// Shell syntax that would run `touch` if any shell ever saw the URL (cmd.exe's & and ^ included).
const HOSTILE_PATH = `/authorize/a&b;c|d^e$(touch)'q'\`id\`!x`;

async function stage(): Promise<Stage> {
  const waiters: Array<(argv: string[]) => void> = [];
  const s: Stage = {
    base: '',
    server: createServer((req, res) => {
      const url = new URL(req.url ?? '/', s.base);
      if (req.method === 'POST' && url.pathname === '/record') {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          const argv = JSON.parse(body) as string[];
          s.recorded.push(argv);
          waiters.shift()?.(argv);
          res.end();
        });
        return;
      }
      if (url.pathname === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: s.base,
            // The hostile part: an authorization URL full of shell syntax.
            authorization_endpoint: `${s.base}${HOSTILE_PATH}`,
            token_endpoint: `${s.base}/token`,
            code_challenge_methods_supported: ['S256'],
          }),
        );
        return;
      }
      if (url.pathname.startsWith('/authorize/')) {
        s.authorizeHits.push(`${s.base}${req.url}`);
        // Deny, so the login ends at once with the server's answer.
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      res.writeHead(404).end();
    }),
    recorded: [],
    authorizeHits: [],
    nextRecord: () => new Promise((resolve) => waiters.push(resolve)),
  };
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  s.base = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

/**
 * A browser stand-in: reports its argv to the stage, then "opens" the last argument like a browser
 * (following redirects back to tokensmith's loopback redirect URI).
 */
function recordingBrowser(dir: string, recordUrl: string): string {
  const file = join(dir, 'browser.mjs');
  writeFileSync(
    file,
    `#!${process.execPath}
const argv = process.argv.slice(2);
await fetch(${JSON.stringify(recordUrl)}, { method: 'POST', body: JSON.stringify(argv) });
try { await (await fetch(argv[argv.length - 1])).text(); } catch {}
`,
  );
  chmodSync(file, 0o755);
  return file;
}

let st: Stage;
let dir: string;
let browser: string;

before(async () => {
  st = await stage();
  dir = mkdtempSync(join(tmpdir(), 'tokensmith-browser-'));
  browser = recordingBrowser(dir, `${st.base}/record`);
});
after(() => st.server.close());

describe('browser launch: the URL is one argument, never seen by a shell', () => {
  const marker = () => join(dir, 'pwned');
  const raw = () =>
    `https://evil.example/a b?x=1&y=2;z=$(touch ${marker()}) "dq" 'sq' \`touch ${marker()}\` %s|more ^& $HOME`;

  it('$BROWSER gets the exact URL, with &, ;, $(...), quotes and spaces, as its only argument', async () => {
    // Checked first, so a launcher that ignores $BROWSER fails here instead of waiting for a record.
    assert.deepEqual(browserLaunch(raw(), { env: { BROWSER: browser } }), {
      command: browser,
      args: [raw()],
    });
    const next = st.nextRecord();
    await openBrowserOrPrint(raw(), { env: { BROWSER: browser } });
    assert.deepEqual(await next, [raw()]);
    assert.equal(existsSync(marker()), false);
  });

  it('--browser-command style: quoted words and %s; the URL stays one argument', async () => {
    const command = `'${process.execPath}' "${browser}" --new-window %s`;
    assert.deepEqual(browserLaunch(raw(), { command }), {
      command: process.execPath,
      args: [browser, '--new-window', raw()],
    });
    const next = st.nextRecord();
    await openBrowserOrPrint(raw(), { command, env: { BROWSER: '/nonexistent/browser' } });
    assert.deepEqual(await next, ['--new-window', raw()]);
    assert.equal(existsSync(marker()), false);
  });

  it('each platform launcher takes the URL as one argv entry, with no shell (Windows: rundll32, not cmd /c start)', () => {
    const url = 'https://idp.example/auth?a=1&b=2;c=$(x)&d="q"';
    const desktop = { DISPLAY: ':0' };
    assert.deepEqual(browserLaunch(url, { env: {}, platform: 'win32' }), {
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', url],
    });
    assert.deepEqual(browserLaunch(url, { env: {}, platform: 'darwin' }), { command: 'open', args: [url] });
    assert.deepEqual(browserLaunch(url, { env: desktop, platform: 'linux' }), {
      command: 'xdg-open',
      args: [url],
    });
    // No display, SSH or CI: print the URL instead.
    assert.equal(browserLaunch(url, { env: {}, platform: 'linux' }), undefined);
    assert.equal(
      browserLaunch(url, { env: { ...desktop, SSH_TTY: '/dev/pts/1' }, platform: 'linux' }),
      undefined,
    );
    // $BROWSER is a list; the first entry is used, on Windows separated by ';'.
    assert.deepEqual(browserLaunch(url, { env: { BROWSER: 'firefox:chromium' }, platform: 'linux' }), {
      command: 'firefox',
      args: [url],
    });
    assert.deepEqual(
      browserLaunch(url, { env: { BROWSER: 'C:\\Firefox\\firefox.exe;edge' }, platform: 'win32' }),
      { command: 'C:\\Firefox\\firefox.exe', args: [url] },
    );
    // --browser-command wins over $BROWSER; `$&` in the URL is not a replacement pattern.
    assert.deepEqual(
      browserLaunch('https://x/?a=$&', { command: 'chromium --app=%s', env: { BROWSER: 'firefox' } }),
      { command: 'chromium', args: ['--app=https://x/?a=$&'] },
    );
  });
});

/** Run `tokensmith login` against the malicious provider until it ends; fail fast if the URL is printed instead. */
async function login(extra: string[], env: Record<string, string | undefined>) {
  const child = spawnCli(
    [
      'login',
      '--issuer',
      st.base,
      '--grant',
      'authorization_code',
      '--client-id',
      'app',
      '--no-cache',
      ...extra,
    ],
    { env: { ...env, DISPLAY: undefined, WAYLAND_DISPLAY: undefined } },
  );
  child.stdin.end();
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const printed = new Promise<'printed'>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('Open this URL in a browser')) resolve('printed');
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const first = await Promise.race([st.nextRecord(), printed, exited]);
  if (first === 'printed' || typeof first === 'number' || first === null) {
    child.kill();
    assert.fail(`no browser was started (${first}); stderr:\n${stderr}`);
  }
  const code = await exited;
  return { argv: first, code, stdout, stderr };
}

describe('tokensmith login opens a hostile authorization URL safely', () => {
  it('$BROWSER receives the URL tokensmith built as one argument, byte for byte', async () => {
    const hits = st.authorizeHits.length;
    const run = await login([], { BROWSER: browser });
    assert.equal(run.argv.length, 1);
    assert.equal(st.authorizeHits.length, hits + 1);
    assert.equal(run.argv[0], st.authorizeHits[hits]);
    assert.ok(run.argv[0]!.startsWith(`${st.base}/authorize/a&b;c|d^e$(touch)'q'%60id%60!x?`), run.argv[0]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /access_denied/);
  });

  it('--browser-command replaces $BROWSER and gets the same single argument (%s substituted)', async () => {
    const hits = st.authorizeHits.length;
    const run = await login(['--browser-command', `'${process.execPath}' '${browser}' --new-window %s`], {
      BROWSER: '/nonexistent/browser',
    });
    assert.equal(run.argv.length, 2);
    assert.equal(run.argv[0], '--new-window');
    assert.equal(run.argv[1], st.authorizeHits[hits]);
    assert.equal(run.code, 1, run.stderr);
  });
});
