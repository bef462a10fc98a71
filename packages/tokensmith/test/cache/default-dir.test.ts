import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultCacheDir } from 'tokensmith/internal/cache/default-dir.js';

describe('defaultCacheDir', () => {
  const home = '/home/someone';
  it('uses an absolute XDG_CACHE_HOME on every platform and ignores a relative one', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(
        defaultCacheDir({ env: { XDG_CACHE_HOME: '/x/cache' }, platform, home }),
        join('/x/cache', 'tokensmith'),
      );
    }
    assert.equal(
      defaultCacheDir({ env: { XDG_CACHE_HOME: 'relative/cache' }, platform: 'linux', home }),
      join(home, '.cache', 'tokensmith'),
    );
  });

  it("falls back to each platform's usual cache folder", () => {
    assert.equal(defaultCacheDir({ env: {}, platform: 'linux', home }), join(home, '.cache', 'tokensmith'));
    assert.equal(
      defaultCacheDir({ env: {}, platform: 'darwin', home }),
      join(home, 'Library', 'Caches', 'tokensmith'),
    );
    assert.equal(
      defaultCacheDir({ env: { LOCALAPPDATA: '/c/Users/u/AppData/Local' }, platform: 'win32', home }),
      join('/c/Users/u/AppData/Local', 'tokensmith', 'Cache'),
    );
  });
});
