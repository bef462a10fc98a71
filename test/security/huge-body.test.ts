/**
 * Issue 11, item 4: the 1 MiB answer cap holds whatever the log level. At debug level the HTTP
 * layer once read a copy of every answer in full to preview it (200 MB answer: 904 MB of memory).
 * Each case streams 200 MiB from the hostile server and checks the exact error and that the server
 * saw its stream cancelled early, through the library at debug level and through the CLI with --verbose.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { adminSession } from 'tokensmith/internal/kaltura/admin-session.js';
import { clientCredentials } from 'tokensmith/internal/oauth2/grants/client-credentials.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { type HostileServer, huge, type Reply, startHostileServer } from './hostile-server.js';

const HUGE = 200 * 1024 * 1024;
/**
 * Most the server may have handed to its socket before the client cancelled: the 1 MiB cap plus
 * what loopback socket buffers absorb. Reading the whole answer writes all 200 MiB.
 */
const MAX_WRITTEN = 16 * 1024 * 1024;

/** A huge answer that reports how it ended. */
function hugeAnswer(declareLength = false) {
  const ended: Array<{ written: number; finished: boolean }> = [];
  const reply: Reply = {
    ...huge(HUGE, declareLength),
    onStreamEnd: (written, finished) => ended.push({ written, finished }),
  };
  return { reply, ended };
}

/** Wait until the server noticed the cancelled stream (it ends as soon as the socket closes). */
async function streamEnded(ended: unknown[]): Promise<void> {
  while (ended.length === 0) await new Promise((r) => setImmediate(r));
}

describe('huge answers at debug level (issue 11 item 4)', () => {
  let server: HostileServer;
  const lines: string[] = [];
  before(async () => {
    server = await startHostileServer();
  });
  afterEach(() => {
    configureLogging({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`), json: false });
    lines.length = 0;
  });
  after(() => server.close());

  const debug = () => configureLogging({ level: 'debug', sink: (line) => lines.push(line) });

  it('OAuth token endpoint, chunked 200 MiB: ERR_RESPONSE_TOO_LARGE, stream cancelled early', async () => {
    const { reply, ended } = hugeAnswer();
    server.on('/token', reply);
    debug();
    const manager = new TokenManager(
      clientCredentials({ tokenEndpoint: server.url('/token'), clientId: 'c', clientSecret: 'huge-cs-0001' }),
    );
    await assert.rejects(manager.getCredential(), { code: 'ERR_RESPONSE_TOO_LARGE' });
    await streamEnded(ended);
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.finished, false, 'the client cancelled the stream');
    assert.ok(ended[0]!.written < MAX_WRITTEN, `server wrote ${ended[0]!.written} bytes`);
    assert.ok(
      lines.some((l) => l.includes('← 200 POST')),
      'the exchange is still logged',
    );
  });

  it('OAuth token endpoint, declared Content-Length 200 MiB: refused from the header', async () => {
    const { reply, ended } = hugeAnswer(true);
    server.on('/token', reply);
    debug();
    const manager = new TokenManager(
      clientCredentials({ tokenEndpoint: server.url('/token'), clientId: 'c', clientSecret: 'huge-cs-0002' }),
    );
    await assert.rejects(manager.getCredential(), { code: 'ERR_RESPONSE_TOO_LARGE' });
    await streamEnded(ended);
    assert.equal(ended[0]!.finished, false);
    assert.ok(ended[0]!.written < MAX_WRITTEN, `server wrote ${ended[0]!.written} bytes`);
  });

  it('Kaltura session.start, chunked 200 MiB: ERR_RESPONSE_TOO_LARGE, stream cancelled early', async () => {
    const { reply, ended } = hugeAnswer();
    server.on('/api_v3/service/session/action/start', reply);
    debug();
    const provider = adminSession({
      serviceUrl: server.origin,
      partnerId: 1234567,
      adminSecret: 'huge-admin-secret-0003',
    });
    await assert.rejects(new TokenManager(provider).getCredential(), { code: 'ERR_RESPONSE_TOO_LARGE' });
    await streamEnded(ended);
    assert.equal(ended[0]!.finished, false);
    assert.ok(ended[0]!.written < MAX_WRITTEN, `server wrote ${ended[0]!.written} bytes`);
  });

  it('CLI token --verbose: exit 1 with ERR_RESPONSE_TOO_LARGE, stream cancelled early', async () => {
    const { reply, ended } = hugeAnswer();
    server.on('/token', reply);
    const run = await runCli([...adhocToken(server.url('/token'), 'c'), '--verbose', '--no-cache'], {
      env: { CS: 'huge-cs-0004' },
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /tokensmith: ERR_RESPONSE_TOO_LARGE: /);
    assert.equal(run.stdout, '');
    await streamEnded(ended);
    assert.equal(ended[0]!.finished, false);
    assert.ok(ended[0]!.written < MAX_WRITTEN, `server wrote ${ended[0]!.written} bytes`);
  });
});
