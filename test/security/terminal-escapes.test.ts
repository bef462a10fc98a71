/**
 * Issue #11 item 6: text a server sends (OAuth `error_description`, Kaltura error messages, the device
 * login's `verification_uri` and `user_code`) is stripped of control characters and escape sequences
 * before it can reach a terminal: ESC sequences would clear the screen, set the window title or hide
 * text; CR/LF would forge output lines; bidi overrides would reorder what is shown.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { rejection } from '../helpers/rejection.js';
import { type HostileServer, json, serveDiscovery, startHostileServer } from './hostile-server.js';

/** Clear screen, home, set the window title, red text, an 8-bit CSI, a forged line, a bidi override. */
const HOSTILE =
  '\u001b[2J\u001b[H\u001b]0;pwned\u0007bad \u001b[31mclient\u001b[0m\u009b1m!\r\ntokensmith: all good\u202e';
/** What is left of {@link HOSTILE} to print. */
const CLEAN = 'bad client! tokensmith: all good';

/** Any C0 or C1 control character other than a plain newline, DEL, or a bidi control. */
const UNSAFE_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function assertTerminalSafe(text: string, label: string): void {
  const m = UNSAFE_CHAR.exec(text);
  assert.equal(
    m,
    null,
    `${label} contains U+${m?.[0].codePointAt(0)?.toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`,
  );
}

describe('server text is terminal-safe: OAuth errors', () => {
  let server: HostileServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startHostileServer();
    env = {
      CS: 'client-secret-for-terminal-tests',
      XDG_CACHE_HOME: join(mkdtempSync(join(tmpdir(), 'tokensmith-term-')), 'cache'),
    };
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('error and error_description lose control and escape sequences in the error object', async () => {
    server.on('/token', json({ error: 'invalid_client', error_description: HOSTILE }, 401));
    const provider = oauth2.clientCredentials({
      tokenEndpoint: server.url('/token'),
      clientId: 'cli',
      clientSecret: env.CS!,
    });
    const err = await rejection(new TokenManager(provider).getCredential());
    assert.equal(err.code, 'ERR_OAUTH_INVALID_CLIENT');
    assert.equal(err.error_description, CLEAN);
    assertTerminalSafe(err.message, 'message');
    assert.ok(err.message.includes(CLEAN), err.message);
    assertTerminalSafe(err.stack ?? '', 'stack');
  });

  it('an unknown error code with escapes is cleaned too', async () => {
    server.on('/token', json({ error: 'weird\u001b]2;title\u0007_error', error_description: 'x' }, 400));
    const provider = oauth2.clientCredentials({
      tokenEndpoint: server.url('/token'),
      clientId: 'cli',
      clientSecret: env.CS!,
    });
    const err = await rejection(new TokenManager(provider).getCredential());
    assert.equal(err.code, 'ERR_OAUTH_ERROR');
    assert.equal(err.error, 'weird_error');
    assertTerminalSafe(err.message, 'message');
  });

  it('the CLI prints the error without escapes, on one line per fact', async () => {
    server.on('/token', json({ error: 'invalid_client', error_description: HOSTILE }, 401));
    const run = await runCli(adhocToken(server.url('/token'), 'cli'), { env });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assertTerminalSafe(run.stderr, 'stderr');
    assert.match(run.stderr, /ERR_OAUTH_INVALID_CLIENT/);
    assert.ok(run.stderr.includes(`server said: ${CLEAN}\n`), run.stderr);
    // The forged "tokensmith: all good" never starts a line of its own.
    assert.doesNotMatch(run.stderr, /^tokensmith: all good/m);
  });
});

describe('server text is terminal-safe: Kaltura errors', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());

  it('a KalturaAPIException message loses control and escape sequences', async () => {
    server.on(
      '/api_v3/service/session/action/start',
      json({
        objectType: 'KalturaAPIException',
        code: 'INVALID\u001b[2J_SECRET',
        message: HOSTILE,
        args: {},
      }),
    );
    const provider = kaltura.adminSession({
      serviceUrl: server.origin,
      partnerId: 4242,
      adminSecret: 'kaltura-admin-secret-for-terminal-tests',
    });
    const err = await rejection(provider.acquire({}));
    assert.equal(err.code, 'ERR_KALTURA_API');
    assert.equal(err.vendorCode, 'INVALID_SECRET');
    assertTerminalSafe(err.message, 'message');
    assert.ok(err.message.endsWith(CLEAN), err.message);
  });
});

describe('server text is terminal-safe: device login', () => {
  let server: HostileServer;
  let env: Record<string, string>;
  const VERIFY = 'https://login.example.test/device\u001b]0;pwned\u0007\u001b[2J';
  const CODE = 'WDJB\u001b[8m-MJHT\u001b[0m\r\n';
  before(async () => {
    server = await startHostileServer();
    serveDiscovery(server, {
      device_authorization_endpoint: '/device',
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    server.on(
      '/device',
      json({
        device_code: 'device-code-for-terminal-tests',
        user_code: CODE,
        verification_uri: VERIFY,
        verification_uri_complete: `${VERIFY}?user_code=WDJB-MJHT\u202e`,
        expires_in: 600,
        interval: 1,
      }),
    );
    // The login ends at the first poll: the user said no.
    server.on('/token', json({ error: 'access_denied', error_description: 'denied\u001b[2J' }, 400));
    env = { XDG_CACHE_HOME: join(mkdtempSync(join(tmpdir(), 'tokensmith-term-device-')), 'cache') };
  });
  after(() => server.close());

  it('the prompt a library caller receives is cleaned', async () => {
    const prompts: oauth2.DevicePrompt[] = [];
    const provider = oauth2.deviceCode({
      issuer: server.origin,
      clientId: 'public-cli',
      clientAuth: 'none',
      onPrompt: (p) => {
        prompts.push(p);
      },
    });
    const err = await rejection(provider.acquire({}));
    assert.equal(err.code, 'ERR_OAUTH_ACCESS_DENIED');
    assert.equal(prompts.length, 1);
    assert.equal(prompts[0]!.verificationUri, 'https://login.example.test/device');
    assert.equal(
      prompts[0]!.verificationUriComplete,
      'https://login.example.test/device?user_code=WDJB-MJHT',
    );
    assert.equal(prompts[0]!.userCode, 'WDJB-MJHT');
  });

  it('the device screen of the CLI prints URL and code without escapes', async () => {
    const run = await runCli(
      [
        'login',
        '--issuer',
        server.origin,
        '--grant',
        'device_code',
        '--client-id',
        'public-cli',
        '--client-auth',
        'none',
      ],
      { env },
    );
    assert.equal(run.code, 1, run.stderr);
    assertTerminalSafe(run.stderr, 'stderr');
    assert.ok(run.stderr.includes('To sign in, open https://login.example.test/device\n'), run.stderr);
    assert.ok(run.stderr.includes('and enter the code WDJB-MJHT\n'), run.stderr);
    assert.ok(
      run.stderr.includes('(or open https://login.example.test/device?user_code=WDJB-MJHT)\n'),
      run.stderr,
    );
    assert.match(run.stderr, /ERR_OAUTH_ACCESS_DENIED/);
  });
});

describe('terminalSafe', () => {
  const cases: Array<[string, string, string]> = [
    [
      'plain text is untouched',
      'Invalid client: wrong secret (über-ñ 日本)',
      'Invalid client: wrong secret (über-ñ 日本)',
    ],
    ['CSI: clear screen, cursor home, colours', '\u001b[2J\u001b[Hred \u001b[1;31mtext\u001b[0m', 'red text'],
    ['OSC title ended by BEL', 'a\u001b]0;pwned\u0007b', 'ab'],
    ['OSC 52 clipboard write ended by ST', 'a\u001b]52;c;ZWNobyBoaQ==\u001b\\b', 'ab'],
    [
      'OSC 8 hyperlink keeps its visible text',
      '\u001b]8;;https://evil.test\u001b\\click\u001b]8;;\u001b\\',
      'click',
    ],
    ['unterminated OSC swallows the rest, as a terminal would', 'ok\u001b]0;title', 'ok'],
    ['DCS string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['two-character escapes (RIS, charset)', 'a\u001bcb\u001b(0c', 'abc'],
    ['8-bit CSI and OSC', 'a\u009b2Jb\u009d0;t\u009cc', 'abc'],
    ['CR, LF, CRLF and tabs become one space', 'one\r\ntwo\nthree\rfour\t\tfive', 'one two three four five'],
    ['other C0, DEL and C1 controls go', 'a\u0000b\u0007c\u0008d\u007fe\u0085f\u0090', 'abcde f'],
    ['bidi overrides, isolates and marks go', 'abc\u202edcba\u2066x\u2069\u200f', 'abcdcbax'],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => {
      assert.equal(terminalSafe(input), expected);
    });
  }

  it('multiline keeps line feeds (stack traces) and still removes the rest', () => {
    assert.equal(
      terminalSafe('Error: x\u001b[2J\r\n    at f (a.js:1)\n\tat g\u202e', { multiline: true }),
      'Error: x\n    at f (a.js:1)\n at g',
    );
  });

  it('a cause quoted by a TokensmithError is cleaned too', async () => {
    const { TokensmithError } = await import('tokensmith/internal/core/errors.js');
    const err = new TokensmithError('ERR_RESPONSE_INVALID', 'wrapped', {
      cause: new SyntaxError('Unexpected token \u001b[2J in JSON'),
    });
    const cause = err.cause as Error;
    assert.equal(cause.message, 'Unexpected token  in JSON');
    assertTerminalSafe(cause.stack ?? '', 'cause stack');
  });
});
