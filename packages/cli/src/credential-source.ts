import type { AdhocOAuthFlags } from './adhoc-provider.js';
import type { InteractiveHooks, ProfileSource } from './config/build-source.js';
import { UsageError } from './io.js';

/** Flags that choose where a command's credential comes from: a profile, or ad-hoc OAuth flags. */
export interface SourceFlags extends AdhocOAuthFlags {
  profile?: string;
  config?: string;
  /** `--no-cache` sets this to false: keep credentials in memory only. */
  cache?: boolean;
}

/** A command's credential source: a profile's, or one built from ad-hoc flags (named `ad-hoc`). */
export type CliSource = ProfileSource;

/** True when the flags describe an OAuth server directly rather than naming a profile. */
export function isAdhoc(flags: SourceFlags): boolean {
  return !!(flags.issuer || flags.tokenEndpoint);
}

/**
 * Open the credential source the flags ask for. `--issuer`/`--token-endpoint` mean ad hoc (and
 * then `--profile` is a usage error); otherwise the profile from `--profile`, `TOKENSMITH_PROFILE`
 * or the config's `default_profile`.
 */
export async function openCliSource(flags: SourceFlags, hooks: InteractiveHooks = {}): Promise<CliSource> {
  const { MemoryCache } = await import('tokensmith/internal/cache/memory.js');
  const noCache = flags.cache === false ? new MemoryCache() : undefined;
  if (isAdhoc(flags)) {
    if (flags.profile) throw new UsageError('give --profile or --issuer/--token-endpoint, not both');
    const [{ providerFromFlags, tlsFromFlags }, { userFileCache }, { TokenManager }] = await Promise.all([
      import('./adhoc-provider.js'),
      import('./config/user-cache.js'),
      import('tokensmith/internal/core/manager.js'),
    ]);
    const provider = await providerFromFlags(flags, hooks);
    const cache = noCache ?? userFileCache();
    const manager = new TokenManager(provider, { cache });
    // The API gets the same CA and client certificate as the token endpoint (RFC 8705 bound tokens).
    const tls = await tlsFromFlags(flags);
    const fetch = tls ? (await import('tokensmith/internal/core/tls-lazy.js')).lazyTlsFetch(tls) : undefined;
    const tlsOf = tls ? async () => tls : undefined;
    return { kind: 'manager', name: 'ad-hoc', manager, cache, fetch, tls: tlsOf, close: async () => {} };
  }
  if (hasAdhocOnlyFlags(flags)) {
    throw new UsageError('--client-id, --grant and the other OAuth flags need --issuer or --token-endpoint');
  }
  const [{ loadConfig, selectProfile }, { openProfile }] = await Promise.all([
    import('./config/profiles.js'),
    import('./config/build-source.js'),
  ]);
  const config = await loadConfig(flags.config);
  const profile = selectProfile(config, flags.profile);
  return openProfile(profile, { ...hooks, cache: noCache });
}

function hasAdhocOnlyFlags(f: SourceFlags): boolean {
  return !!(
    f.clientId ||
    f.grant ||
    f.clientSecretEnv ||
    f.clientSecretStdin ||
    f.username ||
    f.refreshTokenEnv ||
    f.refreshTokenStdin ||
    f.subjectTokenEnv ||
    f.subjectTokenStdin ||
    f.subjectTokenFile ||
    f.subjectTokenProfile ||
    f.scope ||
    f.privateKeyFile ||
    f.resource?.length ||
    f.authParam?.length ||
    f.caFile ||
    f.clientCert ||
    f.clientKey
  );
}
