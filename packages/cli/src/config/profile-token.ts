/**
 * `subject_token = "profile:NAME"` (and `actor_token`, `--subject-token-profile`): the token of
 * another profile of the same config, obtained (or taken from its cache) when the exchange runs.
 */
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import type { OpenProfileOptions } from './build-source.js';

/** The profile a `profile:NAME` value names, or undefined for any other value. */
export function profileRefName(value: string | undefined): string | undefined {
  return value?.startsWith('profile:') ? value.slice('profile:'.length).trim() : undefined;
}

/**
 * The access token of profile `name` in the config file `config` (default: the usual one). `via`
 * lists the profiles that asked, so a profile that leads back to itself is `ERR_CONFIG_INVALID`
 * rather than endless recursion.
 */
export async function profileToken(
  name: string,
  options: { config?: string; via: readonly string[]; hooks?: OpenProfileOptions },
): Promise<string> {
  const invalid = (message: string) =>
    new TokensmithError('ERR_CONFIG_INVALID', message, { field: 'subject_token', source: 'config file' });
  if (!name) throw invalid('"profile:" needs a profile name');
  if (options.via.includes(name)) {
    throw invalid(`profile:${name} leads back to itself (${[...options.via, name].join(' → ')})`);
  }
  const [{ loadConfig, selectProfile }, { openProfile }] = await Promise.all([
    import('./profiles.js'),
    import('./build-source.js'),
  ]);
  const profile = selectProfile(await loadConfig(options.config), name);
  // The profile adds its own name to `via` when it resolves a reference of its own.
  const source = await openProfile(profile, { ...options.hooks, cache: undefined, via: options.via });
  try {
    if (source.kind !== 'manager') {
      throw invalid(`profile "${name}" signs each request; it has no token to exchange`);
    }
    const credential = await source.manager.getCredential();
    await source.manager.idle();
    return credential.token;
  } finally {
    await source.close();
  }
}
