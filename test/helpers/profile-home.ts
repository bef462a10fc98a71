import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private config and cache home for CLI runs, from {@link profileHome}. */
export interface ProfileHome {
  /** The folder holding `config/` and `cache/`. */
  dir: string;
  /** The config file (mode 0600). */
  file: string;
  /** Variables that point a CLI run at this home (with an encryption key, so no keyring is asked). */
  env: Record<string, string>;
  /** The cache's encryption key (`TOKENSMITH_CACHE_KEY`), so a test can open the same cache. */
  cacheKey: Buffer;
}

/**
 * Write `config` (TOML) as the tokensmith config file of a new private home, mode 0600, and return
 * the environment that makes the CLI use it and a cache folder of its own.
 */
export function profileHome(config: string, prefix = 'tokensmith-home-'): ProfileHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
  const file = join(dir, 'config', 'tokensmith', 'config.toml');
  writeFileSync(file, config);
  chmodSync(file, 0o600);
  const cacheKey = randomBytes(32);
  return {
    dir,
    file,
    env: {
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      TOKENSMITH_CACHE_KEY: cacheKey.toString('base64'),
    },
    cacheKey,
  };
}
