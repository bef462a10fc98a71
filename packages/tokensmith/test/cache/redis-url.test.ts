import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import { redact } from 'tokensmith/internal/core/redact.js';

describe('RedisCache targets: URL forms and options (no server needed)', () => {
  it('names its endpoint without credentials for each form', () => {
    const cases: Array<[ConstructorParameters<typeof RedisCache>[0], string]> = [
      [{ url: 'redis://:pw1@cache:6380/2' }, 'redis://cache:6380/2'],
      [
        { url: 'redis+sentinel://user:pw2@s1:26379,[::1]:26380/mymaster/3' },
        'redis+sentinel://s1:26379,[::1]:26380/mymaster/3',
      ],
      [{ url: 'redis+cluster://:pw3@c1:7000,c2:7001' }, 'redis+cluster://c1:7000,c2:7001'],
      [{ sentinel: { sentinels: [{ host: 's', port: 1 }], name: 'm' } }, 'redis+sentinel://s:1/m'],
      [{ cluster: [{ host: 'c', port: 7000 }] }, 'redis+cluster://c:7000'],
    ];
    for (const [options, endpoint] of cases) assert.equal(new RedisCache(options).endpoint, endpoint);
  });

  it('keeps the passwords of the multi-host URLs and the sentinel options out of logs', () => {
    new RedisCache({ url: 'redis+sentinel://:sentinelUrlPw9@s1:26379/m' });
    new RedisCache({ url: 'redis+cluster://u:clusterUrlPw9@c1:7000' });
    new RedisCache({
      sentinel: {
        sentinels: [{ host: 's', port: 1 }],
        name: 'm',
        password: 'masterPw9x',
        sentinelPassword: 'sentPw9x',
      },
    });
    const line = redact('sentinelUrlPw9 clusterUrlPw9 masterPw9x sentPw9x');
    for (const secret of ['sentinelUrlPw9', 'clusterUrlPw9', 'masterPw9x', 'sentPw9x']) {
      assert.ok(!line.includes(secret), `${secret} is masked: ${line}`);
    }
  });

  it('refuses what it cannot use with ERR_CONFIG_INVALID', () => {
    const bad: Array<ConstructorParameters<typeof RedisCache>[0]> = [
      {},
      { url: 'redis://h:1', cluster: [{ host: 'c', port: 1 }] },
      { url: 'redis+sentinel://s1/m' }, // no port
      { url: 'redis+sentinel://s1:26379' }, // no master name
      { url: 'redis+sentinel://s1:26379/m/notadb' },
      { url: 'redis+cluster://c1:70000' },
      { url: 'redis+cluster://c1:7000/0' },
      { url: 'rediss+cluster://c1:7000' },
      { sentinel: { sentinels: [{ host: 's', port: 1 }], name: '' } },
      { cluster: [{ host: 'c', port: 1 }], prefix: 'app{1}:' },
      { url: 'redis://h:1', prefix: 'a}' },
      { cluster: [{ host: 'c', port: 1 }], failoverWaitMs: 0 },
    ];
    for (const options of bad) {
      assert.throws(() => new RedisCache(options), { code: 'ERR_CONFIG_INVALID' }, JSON.stringify(options));
    }
  });

  it('entry and lock keys: the whole key is the hash tag, and keys with { } % stay apart', () => {
    const cache = new RedisCache({ url: 'redis://h:1', prefix: 'p:' });
    assert.equal(cache.entryKey('profile:a|b'), 'p:entry:{profile:a|b}');
    assert.equal(cache.lockKey('profile:a|b'), 'p:lock:{profile:a|b}');
    assert.equal(cache.entryKey('a}b%c{'), 'p:entry:{a%7Db%25c{}');
    assert.notEqual(cache.entryKey('%7D'), cache.entryKey('}'));
  });
});
