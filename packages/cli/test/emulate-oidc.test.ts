import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { cliArgs, runCli } from '../../../test/helpers/cli.js';

describe('tokensmith emulate oidc (child process)', () => {
  it('--json prints a Keycloak-style issuer that `token` can use, and SIGTERM ends it with 0', async () => {
    const child = spawn(process.execPath, [...cliArgs(), 'emulate', 'oidc', '--realm', 'nagra', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const first = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      child.on('close', () => reject(new Error('emulator exited early')));
    });
    const info = JSON.parse(first) as {
      issuer: string;
      clients: { confidential: { clientId: string; clientSecret: string } };
      users: Array<{ username: string; password: string }>;
    };
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+\/realms\/nagra$/);
    assert.equal(info.users[0]?.username, 'alice');

    const run = await runCli(
      [
        'token',
        '--no-cache',
        '--issuer',
        info.issuer,
        '--client-id',
        info.clients.confidential.clientId,
        '--client-secret-env',
        'EMU_SECRET',
        '--format',
        'json',
      ],
      { env: { EMU_SECRET: info.clients.confidential.clientSecret } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).type, 'Bearer');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
