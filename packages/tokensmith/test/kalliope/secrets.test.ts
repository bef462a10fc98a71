import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startKalliopeEmulator } from '@tokensmith/emulators/internal/kalliope/server.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import {
  parseConnectionString,
  parseHeader,
  passwordHash,
  SaltCache,
  signer,
} from 'tokensmith/internal/kalliope/index.js';
import { ExposureLog } from '../../../../test/helpers/secrets.js';

describe('kalliope secrets never leak', () => {
  it('password, salted inner hash and digests stay out of errors, logs and inspect output', async () => {
    const password = `Pw-${randomBytes(12).toString('hex')}`;
    const user = { domain: 'default', username: 'admin', password };
    const emu = await startKalliopeEmulator({ users: [user] });
    const bad = createServer((req, res) => {
      req.resume();
      res.end('not json');
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    const badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;

    const exposure = new ExposureLog().start();
    const digests: string[] = [];
    const inners: string[] = [];
    const errors: unknown[] = [];
    const capture = async (p: Promise<unknown> | (() => unknown)) => {
      try {
        await (typeof p === 'function' ? p() : p);
        assert.fail('expected a failure');
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        errors.push(err);
        exposure.error(err);
      }
    };
    const spy = async (input: string | URL | Request, init?: RequestInit) => {
      const req = new Request(input, init);
      const fields = parseHeader(req.headers.get('x-authenticate') ?? '');
      if (fields) digests.push(fields.digest);
      return fetch(req);
    };

    try {
      // A working signer, then a rotated salt (401, refetch, replay) and a wrong-password signer.
      const good = signer({ url: emu.url, username: 'admin', password, saltCache: new SaltCache() });
      exposure.value(good);
      const api = authFetch(good, { fetch: spy });
      assert.equal((await api(`${emu.url}/rest/account`)).status, 200);
      inners.push(passwordHash(password, emu.salt('default')!));
      emu.rotateSalt('default');
      assert.equal((await api(`${emu.url}/rest/account`)).status, 200);
      inners.push(passwordHash(password, emu.salt('default')!));
      exposure.value(good);

      const wrong = `${password}x`;
      const wrongApi = authFetch(
        signer({ url: emu.url, username: 'admin', password: wrong, saltCache: new SaltCache() }),
        {
          fetch: spy,
        },
      );
      const refused = await wrongApi(`${emu.url}/rest/account`);
      assert.equal(refused.status, 401);
      inners.push(passwordHash(wrong, emu.salt('default')!));
      exposure.value(await refused.text());

      // Failures with the password in the connection string or options.
      await capture(() => signer({ url: `http://admin:${password}@pbx.example.com` }));
      await capture(() => signer({ url: `http://admin:${password}@pbx.example.com:99999` }));
      await capture(() => signer({ url: `http://admin:${password}@ho st` }));
      await capture(() => signer({ url: `admin:${password}@pbx.example.com` }));
      await capture(() => signer({ url: `https://admin:${password}@pbx.example.com`, username: 'admin' }));
      await capture(() => signer({ url: `https://pbx.example.com`, username: 'a"b', password }));
      await capture(() => parseConnectionString(`http://admin:${password}%zz@pbx.example.com`));
      await capture(() => parseConnectionString(`http://admin:${password}/x@pbx.example.com`));
      const unknown = signer({
        url: `${emu.url}/nope`,
        username: 'admin',
        password,
        saltCache: new SaltCache(),
      });
      await capture(unknown.header());
      await capture(
        good.sign({ method: 'GET', url: `http://127.0.0.2:9/rest/account?password=${password}` }),
      );
      const notJson = signer({ url: badUrl, username: 'admin', password, saltCache: new SaltCache() });
      await capture(notJson.header());
      exposure.value(notJson);
      await emu.close();
      await capture(
        signer({
          url: `http://admin:${password}@127.0.0.1:${new URL(emu.url).port}`,
          saltCache: new SaltCache(),
        }).header(),
      );
    } finally {
      exposure.stop();
      await emu.close().catch(() => {});
      await new Promise<void>((r) => bad.close(() => r()));
    }

    assert.equal(errors.length, 12);
    assert.ok(digests.length >= 5, `captured ${digests.length} digests`);
    assert.equal(inners.length, 3);
    // The capture worked: debug lines of the salt exchanges and the refetch are there.
    const text = exposure.lines.join('\n');
    assert.match(text, /GET http:\/\/127\.0\.0\.1:\d+\/rest\/salt\/default/);
    assert.match(text, /refetching the salt/);
    if (process.env.KALLIOPE_SHOW_EXPOSURE) console.log(text);
    assert.deepEqual(exposure.leaks([password, `${password}x`, ...inners, ...digests]), []);
  });
});
