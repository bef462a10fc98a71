import { TokensmithError } from './errors.js';

/**
 * Load an optional peer dependency (`ioredis` for `RedisCache`, `@napi-rs/keyring` for keyring-held
 * cache keys) on first use. The library installs without them; a feature that needs one that is
 * missing fails with `ERR_DEPENDENCY_MISSING` naming the package and the command that installs it.
 */
export async function loadOptional<T>(name: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    // Node's own codes for a package that is not there: ERR_MODULE_NOT_FOUND (import), MODULE_NOT_FOUND (require).
    if (!/^(ERR_)?MODULE_NOT_FOUND$/.test(String((cause as { code?: unknown })?.code))) throw cause;
    throw new TokensmithError(
      'ERR_DEPENDENCY_MISSING',
      `${feature} needs the optional package "${name}", which is not installed: npm install ${name}`,
      { cause },
    );
  }
}
