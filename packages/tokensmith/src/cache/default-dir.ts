import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where the default {@link FileCache} keeps its files, for a given environment. */
export interface CacheDirEnvironment {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The user cache directory for tokensmith: `$XDG_CACHE_HOME/tokensmith` when that variable holds an
 * absolute path (on every platform, as the XDG spec asks), otherwise the platform's usual place:
 * `~/.cache/tokensmith` (Linux and other Unixes), `~/Library/Caches/tokensmith` (macOS),
 * `%LOCALAPPDATA%\tokensmith\Cache` (Windows).
 */
export function defaultCacheDir(environment: CacheDirEnvironment = {}): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const home = environment.home ?? homedir();
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says relative paths are invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'tokensmith');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'tokensmith');
  if (platform === 'win32') {
    const local =
      env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : join(home, 'AppData', 'Local');
    return join(local, 'tokensmith', 'Cache');
  }
  return join(home, '.cache', 'tokensmith');
}
